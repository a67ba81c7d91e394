//! Spawning: `spawn` and `spawn_future` on the running executor, and the
//! pieces `Executor`'s own spawn methods share with them.

use super::context::with_current_core;
use super::core::Core;
use super::future_task::FutureTask;
use super::join_handle::JoinHandle;
use super::join_slot::Joinable;
use super::stackful_task::StackfulTask;
use super::task::TaskKind;
use crate::stack::PooledRc;
use std::future::Future;
use std::panic::Location;

/// Puts a new task in `core`'s table and run queue; returns its handle.
pub(crate) fn spawn_task<T, J>(core: &Core, task: J) -> JoinHandle<T>
where
    J: Joinable<T> + 'static,
{
    enqueue_task(core, PooledRc::new(task))
}

/// [`spawn_task`] of a task already in its allocation.
#[inline(always)]
fn enqueue_task<T, J>(core: &Core, task: PooledRc<J>) -> JoinHandle<T>
where
    J: Joinable<T> + 'static,
{
    core.enqueue(&task);
    JoinHandle::new(task.map_view(|task| task as &dyn Joinable<T>))
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
    // Built in its block (`new_with`), not on the stack and copied over.
    let task = PooledRc::new_with(|| {
        let header = core.new_header(TaskKind::Stackful, location);
        StackfulTask::new(header, body, core.stack)
    });
    enqueue_task(core, task)
}

pub(crate) fn spawn_future_on<Fut>(
    core: &Core,
    future: Fut,
    location: &'static Location<'static>,
) -> JoinHandle<Fut::Output>
where
    Fut: Future + 'static,
{
    // Built in its block, as in `spawn_on`.
    let task = PooledRc::new_with(|| {
        let header = core.new_header(TaskKind::Future, location);
        FutureTask::new(header, future)
    });
    enqueue_task(core, task)
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

#[cfg(test)]
mod tests {
    use crate::stack::blocks::{held, KEPT_WHEN_IDLE};
    use crate::Executor;
    use std::time::Duration;

    fn burst(tasks: u64) -> u64 {
        let handles: Vec<_> = (0..tasks).map(|i| super::spawn(move || i)).collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    }

    #[test]
    fn a_second_burst_of_tasks_reuses_the_first_ones_cells() {
        let ex = Executor::new();
        ex.block_on(|| {
            assert_eq!(burst(1000), 499_500);
            let after_first = held();
            assert!(
                after_first >= 1000 * 128,
                "1,000 finished tasks left {after_first} bytes of free cells"
            );
            assert_eq!(burst(1000), 499_500);
            assert!(
                held() <= after_first + 4096,
                "the second burst took new cells: {after_first} -> {} bytes",
                held()
            );
        });
    }

    #[test]
    fn an_idle_executor_gives_a_bursts_cells_back_after_a_period() {
        let ex = Executor::new();
        ex.block_on(|| {
            burst(20_000);
            let after_burst = held();
            assert!(after_burst > KEPT_WHEN_IDLE);
            // A short idle wait keeps them warm for the next burst.
            crate::sleep(Duration::from_millis(1));
            assert!(held() > KEPT_WHEN_IDLE, "given back at once");
            // The executor wakes for the decay by itself: sleeping in short
            // steps, the cells go back once they sat unused for a period.
            // The bound only stops a broken decay from hanging the test.
            let mut slept = Duration::ZERO;
            while held() > KEPT_WHEN_IDLE && slept < Duration::from_secs(20) {
                crate::sleep(Duration::from_millis(50));
                slept += Duration::from_millis(50);
            }
            assert!(
                held() <= KEPT_WHEN_IDLE,
                "{} bytes of free cells kept through {slept:?} idle",
                held()
            );
        });
    }

    #[test]
    fn a_dropped_executor_gives_its_tasks_cells_back() {
        let ex = Executor::new();
        // Unfinished tasks: their cells are freed when the executor drops.
        let handles: Vec<_> = (0..20_000).map(|i| ex.spawn(move || i)).collect();
        drop(handles);
        drop(ex);
        assert!(
            held() <= KEPT_WHEN_IDLE,
            "{} bytes of free cells kept after the executor was dropped",
            held()
        );
    }
}
