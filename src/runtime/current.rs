//! Which worker (of which runtime) runs the caller, and which runtime task:
//! the thread-local a worker thread sets as it starts, and what is read
//! from it.

use std::cell::Cell;

thread_local! {
    /// `(runtime id, worker index)` on a worker thread.
    pub(super) static WORKER: Cell<Option<(u64, usize)>> = const { Cell::new(None) };
}

/// The index of the runtime worker running the caller, or `None` outside
/// any runtime worker.
///
/// ```
/// let rt = corun::Runtime::builder().workers(2).build()?;
/// assert_eq!(rt.spawn_on(1, corun::worker_index).join()?, Some(1));
/// assert_eq!(corun::worker_index(), None);
/// # Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
/// ```
pub fn worker_index() -> Option<usize> {
    WORKER.with(|w| w.get()).map(|(_, index)| index)
}

/// `(runtime id, worker index)` of the worker running the caller.
pub(crate) fn current_worker() -> Option<(u64, usize)> {
    WORKER.with(|w| w.get())
}

/// The runtime id of the worker running the caller.
pub(crate) fn current_runtime() -> Option<u64> {
    WORKER.with(|w| w.get()).map(|(id, _)| id)
}

/// Which runtime task runs the caller: its runtime, its worker and its
/// id among that worker's tasks; `None` outside a runtime task. What a
/// completion records of its task (`Completion::set_runner`), so that a
/// wait can tell that it waits for itself.
pub(crate) type TaskIdentity = (u64, usize, u64);

pub(crate) fn current_identity() -> Option<TaskIdentity> {
    let (runtime, worker) = WORKER.with(|w| w.get())?;
    Some((runtime, worker, crate::executor::hooks::current_task_id()?))
}
