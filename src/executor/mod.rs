//! A single-threaded cooperative executor whose tasks are stackful
//! coroutines: Python's asyncio event loop, with tasks that read like plain
//! blocking code.
//!
//! A task is a generator driven by the executor: when it waits (`sleep`,
//! `join`, a channel, `await_`), it suspends to the executor, which runs
//! other tasks and parks in the OS when none is ready.

mod api;
mod context;
mod core;
pub(crate) mod hooks;
mod info;
mod join;
mod kinds;
mod park;
mod remote;
mod scope;
mod task;
mod timer;
pub(crate) mod turn_clock;
pub(crate) mod wait;

pub use api::{
    await_, interval, sleep, sleep_future, sleep_until, spawn, spawn_future, timeout, yield_now,
    Elapsed, Interval, Sleep,
};
pub use info::{TaskInfo, TaskState};
pub use join::{JoinError, JoinHandle};
pub use scope::{scope, Scope, ScopedJoinHandle};
pub use task::{TaskId, TaskKind};

pub(crate) use context::{current_task, park};
pub(crate) use task::TaskRef;

use self::core::Core;
use crate::generator::TaskStep;
use crate::{GeneratorBuilder, StackError};
use std::future::Future;
use std::marker::PhantomData;
use std::panic::Location;
use std::rc::Rc;
use task::{Header, Ran};

/// A single-threaded executor of stackful tasks and futures.
///
/// ```
/// use corun::Executor;
/// use std::time::Duration;
///
/// let ex = Executor::new();
/// let h = ex.spawn(|| {
///     corun::sleep(Duration::from_millis(5));
///     42
/// });
/// let v = ex.block_on(|| h.join().unwrap());
/// assert_eq!(v, 42);
/// ```
///
/// An executor and its tasks stay on one thread:
///
/// ```compile_fail
/// fn assert_send<T: Send>(_: T) {}
/// assert_send(corun::Executor::new());
/// ```
pub struct Executor {
    core: Rc<Core>,
    _not_send: PhantomData<*mut ()>,
}

/// Configures an [`Executor`].
///
/// ```
/// let ex = corun::Executor::builder().stack_size(128 * 1024).build();
/// assert_eq!(ex.block_on(|| 1 + 1), 2);
/// ```
#[derive(Debug, Clone, Default)]
pub struct ExecutorBuilder {
    stack: GeneratorBuilder,
}

impl ExecutorBuilder {
    /// The usable stack size of each stackful task, in bytes (default
    /// [`DEFAULT_STACK_SIZE`](crate::DEFAULT_STACK_SIZE)).
    pub fn stack_size(mut self, bytes: usize) -> Self {
        self.stack = self.stack.stack_size(bytes);
        self
    }

    /// Runs stackful tasks on stacks carved from large shared mappings,
    /// without guard pages, so that far more tasks can be alive at once than
    /// `vm.max_map_count` allows guarded stacks (about 32,000 on a default
    /// Linux): 1,024 stacks share one memory map. A canary at the bottom of
    /// each stack is checked at every switch and aborts the process loudly if
    /// a task overflowed.
    ///
    /// # Safety
    ///
    /// Every task body must stay within [`stack_size`](Self::stack_size):
    /// an overflow corrupts the neighbouring task's stack before the canary
    /// check can catch it, which is undefined behaviour. See
    /// [`GeneratorBuilder::unguarded_stack`].
    ///
    /// ```
    /// // SAFETY: these bodies use well under 16 KiB of stack.
    /// let ex = unsafe { corun::Executor::builder().stack_size(16 * 1024).unguarded_stacks() }.build();
    /// let handles: Vec<_> = (0..100).map(|i| ex.spawn(move || i * 2)).collect();
    /// let sum: i32 = ex.block_on(|| handles.into_iter().map(|h| h.join().unwrap()).sum());
    /// assert_eq!(sum, 9900);
    /// ```
    pub unsafe fn unguarded_stacks(mut self) -> Self {
        // SAFETY: the caller promises every task body stays within
        // `stack_size` (this function's contract), which is exactly what
        // `GeneratorBuilder::unguarded_stack` asks: every task's generator
        // is built from `self.stack`, with that stack size.
        self.stack = unsafe { self.stack.unguarded_stack() };
        self
    }

    /// Makes the executor.
    ///
    /// # Panics
    ///
    /// If the OS refuses an event queue (`epoll`); see
    /// [`try_build`](ExecutorBuilder::try_build).
    pub fn build(self) -> Executor {
        self.try_build()
            .unwrap_or_else(|e| panic!("corun: could not create the executor's event queue: {e}"))
    }

    /// Makes the executor, or returns the OS error creating its event queue.
    pub fn try_build(self) -> std::io::Result<Executor> {
        Ok(Executor {
            core: Rc::new(Core::new(self.stack)?),
            _not_send: PhantomData,
        })
    }
}

impl Default for Executor {
    fn default() -> Self {
        Self::new()
    }
}

impl Executor {
    /// An executor with default settings.
    pub fn new() -> Self {
        ExecutorBuilder::default().build()
    }

    /// A builder for an executor with a chosen task stack size.
    pub fn builder() -> ExecutorBuilder {
        ExecutorBuilder::default()
    }

    /// Spawns `body` as a stackful task. It gets its stack when it first
    /// runs (so unstarted tasks cost no memory map) and gives it back to the
    /// pool when it ends. Tasks run when the executor runs (`block_on`,
    /// `run`).
    ///
    /// If no stack can be mapped when the task starts, its `join` returns a
    /// [`JoinError`] with [`stack_error`](JoinError::stack_error) set; use
    /// [`try_spawn`](Executor::try_spawn) to learn that at spawn time.
    #[track_caller]
    pub fn spawn<F, T>(&self, body: F) -> JoinHandle<T>
    where
        F: FnOnce() -> T + 'static,
        T: 'static,
    {
        api::spawn_on(&self.core, body, Location::caller())
    }

    /// Spawns `body` with its stack mapped now, or returns why none could be
    /// (usually `vm.max_map_count`: about 32,000 guarded stacks on a default
    /// Linux; the error names the limit and the fix).
    #[track_caller]
    pub fn try_spawn<F, T>(&self, body: F) -> Result<JoinHandle<T>, StackError>
    where
        F: FnOnce() -> T + 'static,
        T: 'static,
    {
        let generator = self.core.stack.clone().try_build(move |_| body())?;
        let header = Header::new(
            self.core.next_id(),
            TaskKind::Stackful,
            Location::caller(),
            self.core.queue.clone(),
        );
        let task = Rc::new(kinds::StackfulTask::<fn() -> T, T>::with_generator(
            header, generator,
        ));
        api::enqueue(&self.core, task.clone());
        Ok(JoinHandle::new(task))
    }

    /// Spawns a `Future` as a task; it needs no stack.
    ///
    /// ```
    /// let ex = corun::Executor::new();
    /// let h = ex.spawn_future(async { 7 });
    /// assert_eq!(ex.block_on(|| h.join().unwrap()), 7);
    /// ```
    #[track_caller]
    pub fn spawn_future<Fut>(&self, future: Fut) -> JoinHandle<Fut::Output>
    where
        Fut: Future + 'static,
    {
        api::spawn_future_on(&self.core, future, Location::caller())
    }

    /// Runs the executor until `body` (itself run as a task, so it may wait)
    /// returns, and returns its value. Other tasks run meanwhile; those still
    /// alive when `body` returns stay suspended until the executor runs
    /// again or is dropped. `body` may borrow the caller's locals.
    ///
    /// # Panics
    ///
    /// If called from inside a task (wait with `join` or `await_` there). A
    /// panic in `body` propagates after its destructors ran. On a deadlock
    /// (see [`run`](Executor::run)), it panics with the list of tasks.
    #[track_caller]
    pub fn block_on<T>(&self, body: impl FnOnce() -> T) -> T {
        let core = &self.core;
        let _enter = context::Enter::new(core, "Executor::block_on");
        let header = Header::new(
            core.next_id(),
            TaskKind::BlockOn,
            Location::caller(),
            core.queue.clone(),
        );
        let main: TaskRef = Rc::new(kinds::ForeignTask::new(header));
        core.register(&main);
        let _unregister = CallOnDrop(|| core.unregister(&main));
        let mut body: kinds::TaskGenerator<'_, T> = core.stack.clone().build(|_| body());
        core.queue.push(main.clone());
        loop {
            if !core.run_ready(Some(&main)) {
                core.park();
                continue;
            }
            let step = core.turn(main.clone(), |_| body.run_task(), Ran::of);
            match step {
                TaskStep::Parked(_) => {}
                TaskStep::Returned(value) => return value,
                TaskStep::Panicked(payload) => std::panic::resume_unwind(payload),
            }
        }
    }

    /// Runs until no task is left.
    ///
    /// # Panics
    ///
    /// If called from inside a task; and on a deadlock: when every task is
    /// blocked and nothing can wake one (no timer, no I/O, no `Waker` held
    /// outside the executor), the panic lists every task and what it waits
    /// on, instead of hanging. The executor stays usable.
    pub fn run(&self) {
        let _enter = context::Enter::new(&self.core, "Executor::run");
        loop {
            self.core.run_ready(None);
            if self.core.live_tasks() == 0 {
                return;
            }
            self.core.park();
        }
    }

    /// The live tasks: id, kind, state (running, ready, or blocked and on
    /// what) and where each was spawned. The first thing to look at when a
    /// program hangs.
    ///
    /// ```
    /// let ex = corun::Executor::new();
    /// let _h = ex.spawn(|| corun::sleep(std::time::Duration::from_secs(60)));
    /// ex.block_on(corun::yield_now);
    /// let tasks = ex.tasks();
    /// assert_eq!(tasks.len(), 1);
    /// assert_eq!(tasks[0].state, corun::TaskState::Blocked { on: "sleep" });
    /// ```
    pub fn tasks(&self) -> Vec<TaskInfo> {
        let mut tasks: Vec<TaskInfo> = self.core.all_tasks().iter().map(TaskInfo::of).collect();
        tasks.sort_by_key(|t| t.id);
        tasks
    }

    /// [`tasks`](Executor::tasks), one per line, for printing.
    pub fn dump(&self) -> String {
        self.tasks().iter().map(|t| format!("{t}\n")).collect()
    }
}

impl Drop for Executor {
    /// Unwinds every suspended task (its destructors run) and drops every
    /// unstarted one without running it. A destructor that waits (`sleep`,
    /// say) returns at once instead of suspending.
    ///
    /// A suspended stackful task's destructors run while its stack unwinds,
    /// so one that panics aborts the process, as any panic during unwinding
    /// does in Rust. Panics from dropping unstarted closures and future tasks
    /// are caught and reported on stderr.
    fn drop(&mut self) {
        self.core.shutdown();
    }
}

impl std::fmt::Debug for Executor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Executor")
            .field("tasks", &self.core.live_tasks())
            .finish()
    }
}

impl futures::task::LocalSpawn for Executor {
    fn spawn_local_obj(
        &self,
        future: futures::task::LocalFutureObj<'static, ()>,
    ) -> Result<(), futures::task::SpawnError> {
        drop(self.spawn_future(future));
        Ok(())
    }
}

/// Runs a closure when dropped (cleanup that panics cannot skip).
struct CallOnDrop<F: FnMut()>(F);

impl<F: FnMut()> Drop for CallOnDrop<F> {
    fn drop(&mut self) {
        (self.0)();
    }
}

/// Auto traits that must hold, checked at compile time.
#[allow(dead_code)]
fn _auto_traits() {
    fn unpin<T: Unpin>() {}
    fn send_sync<T: Send + Sync + 'static>() {}
    send_sync::<JoinError>();
    unpin::<JoinHandle<u8>>();
    unpin::<Executor>();
}
