//! `Executor`: the single-threaded executor a program owns. It owns the
//! core and runs it (`block_on`, `run`), spawns onto it, lists its tasks and
//! tears it down.

use super::call_on_drop::CallOnDrop;
use super::context::Enter;
use super::core::Core;
use super::foreign_task::ForeignTask;
use super::join_handle::JoinHandle;
use super::spawn::{spawn_future_on, spawn_on, spawn_task};
use super::stackful_task::StackfulTask;
use super::task::{erase, TaskKind, TaskRef};
use super::task_body::{run_body_then, waited, TaskGenerator, TaskStep};
use super::task_info::TaskInfo;
use crate::stack::{PooledRc, StackError};
use std::future::Future;
use std::marker::PhantomData;
use std::panic::Location;
use std::rc::Rc;

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

impl Executor {
    pub(crate) fn with_core(core: Rc<Core>) -> Self {
        Executor {
            core,
            _not_send: PhantomData,
        }
    }

    /// Spawns `body` as a stackful task. It gets its stack when it first
    /// runs (so unstarted tasks cost no memory map) and gives it back to the
    /// pool when it ends. Tasks run when the executor runs (`block_on`,
    /// `run`).
    ///
    /// If no stack can be mapped when the task starts, its `join` returns a
    /// [`JoinError`](crate::JoinError) with
    /// [`stack_error`](crate::JoinError::stack_error) set; use
    /// [`try_spawn`](Executor::try_spawn) to learn that at spawn time.
    #[track_caller]
    pub fn spawn<F, T>(&self, body: F) -> JoinHandle<T>
    where
        F: FnOnce() -> T + 'static,
        T: 'static,
    {
        spawn_on(&self.core, body, Location::caller())
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
        let generator = self.core.stack.try_build(move |_| body())?;
        let header = self.core.new_header(TaskKind::Stackful, Location::caller());
        Ok(spawn_task(
            &self.core,
            StackfulTask::<fn() -> T, T>::with_generator(header, generator),
        ))
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
        spawn_future_on(&self.core, future, Location::caller())
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
        let _enter = Enter::new(core, "Executor::block_on");
        let header = core.new_header(TaskKind::BlockOn, Location::caller());
        // Of its own type for its turns, which then reach its header with no
        // virtual call; as any task for the table and the queue.
        let main_task = PooledRc::new(ForeignTask::new(header));
        let main: TaskRef = erase(&main_task);
        core.register(&main);
        let _unregister = CallOnDrop(|| core.unregister(&main));
        let mut body: TaskGenerator<'_, T> = core.stack.build(|_| body());
        core.queue.push(main.clone());
        loop {
            if !core.run_ready(Some(&main)) {
                core.wait_for_events();
                continue;
            }
            // A wait, the usual turn, answers a `Ran` in a register; only
            // the end, once, is kept in memory.
            let mut ended = None;
            core.turn(
                &main_task,
                |_| {
                    run_body_then(&mut body, waited, |step| {
                        let ran = step.ran();
                        ended = Some(step);
                        ran
                    })
                },
                |ran| *ran,
            );
            match ended {
                None | Some(TaskStep::Waiting(_)) => {}
                Some(TaskStep::Returned(value)) => return value,
                Some(TaskStep::Panicked(payload)) => std::panic::resume_unwind(payload),
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
        let _enter = Enter::new(&self.core, "Executor::run");
        loop {
            self.core.run_ready(None);
            if self.core.live_tasks() == 0 {
                return;
            }
            self.core.wait_for_events();
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
    /// assert_eq!(tasks[0].state, corun::task::TaskState::Blocked { on: "sleep" });
    /// ```
    pub fn tasks(&self) -> Vec<TaskInfo> {
        self.core.task_infos()
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
        let _enter = Enter::for_teardown(&self.core);
        self.core.shutdown();
        // Its tasks' cells went back to this thread's free lists: a thread
        // whose executor is gone keeps no more of them than an idle one.
        crate::stack::blocks::trim();
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
