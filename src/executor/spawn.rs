//! Spawning: `spawn` and `spawn_future` on the running executor, and the
//! pieces `Executor`'s own spawn methods share with them.

use super::context::with_current_core;
use super::core::Core;
use super::future_task::FutureTask;
use super::join_handle::JoinHandle;
use super::join_slot::Joinable;
use super::stackful_task::StackfulTask;
use super::task::TaskKind;
use std::future::Future;
use std::panic::Location;
use std::rc::Rc;

/// Puts a new task in `core`'s table and run queue; returns its handle.
pub(crate) fn spawn_task<T, J>(core: &Core, task: J) -> JoinHandle<T>
where
    J: Joinable<T> + 'static,
{
    let task = Rc::new(task);
    core.enqueue(task.clone());
    JoinHandle::new(task)
}

pub(crate) fn spawn_on<F, T>(
    core: &Core,
    body: F,
    location: &'static Location<'static>,
) -> JoinHandle<T>
where
    F: FnOnce() -> T + 'static,
    T: 'static,
{
    let header = core.new_header(TaskKind::Stackful, location);
    spawn_task(core, StackfulTask::new(header, body, core.stack))
}

pub(crate) fn spawn_future_on<Fut>(
    core: &Core,
    future: Fut,
    location: &'static Location<'static>,
) -> JoinHandle<Fut::Output>
where
    Fut: Future + 'static,
{
    let header = core.new_header(TaskKind::Future, location);
    spawn_task(core, FutureTask::new(header, future))
}

/// Spawns `body` as a task on the running executor; see
/// [`Executor::spawn`](crate::Executor::spawn).
///
/// # Panics
///
/// Outside a running executor.
///
/// ```
/// let ex = corun::Executor::new();
/// let total = ex.block_on(|| {
///     let a = corun::spawn(|| 1);
///     let b = corun::spawn(|| 2);
///     a.join().unwrap() + b.join().unwrap()
/// });
/// assert_eq!(total, 3);
/// ```
#[track_caller]
pub fn spawn<F, T>(body: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + 'static,
    T: 'static,
{
    let location = Location::caller();
    with_current_core("corun::spawn", |core| spawn_on(core, body, location))
}

/// Spawns a `Future` as a task with no stack of its own on the running
/// executor; see [`Executor::spawn_future`](crate::Executor::spawn_future).
#[track_caller]
pub fn spawn_future<Fut>(future: Fut) -> JoinHandle<Fut::Output>
where
    Fut: Future + 'static,
{
    let location = Location::caller();
    with_current_core("corun::spawn_future", |core| {
        spawn_future_on(core, future, location)
    })
}
