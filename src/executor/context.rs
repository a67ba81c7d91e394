//! The thread's running executor and task, found by the free functions
//! (`spawn`, `sleep`, `yield_now`, ...) without a handle being passed around,
//! and `Enter`, which makes an executor the thread's current one.

use super::core::Core;
use super::suspend::suspend_as;
use super::task::TaskRef;
use crate::generator::{SuspendError, WaitKind};
use std::cell::RefCell;
use std::rc::Rc;

thread_local! {
    static CURRENT: RefCell<Option<Rc<Core>>> = const { RefCell::new(None) };
}

/// The executor running on this thread.
///
/// # Panics
///
/// Outside a running executor, with a message naming `what`.
pub(crate) fn current_core(what: &str) -> Rc<Core> {
    match try_current_core() {
        Some(core) => core,
        None => outside(what),
    }
}

pub(crate) fn try_current_core() -> Option<Rc<Core>> {
    CURRENT.with(|c| c.borrow().clone())
}

/// The task running on this thread.
///
/// # Panics
///
/// Outside a task, with a message naming `what`.
pub(crate) fn current_task(what: &str) -> TaskRef {
    match try_current_core().and_then(|core| core.current_task()) {
        Some(task) => task,
        None => outside(what),
    }
}

#[cold]
fn outside(what: &str) -> ! {
    panic!(
        "{what} called outside a corun task: call it from a closure run by \
         Executor::block_on, Executor::spawn or corun::spawn"
    )
}

/// Suspends the current task until it is woken; `reason` shows in
/// `tasks()` meanwhile. `Err` means it could not wait (it is unwinding):
/// the caller should return at once.
///
/// # Panics
///
/// In a future task (`spawn_future`), which has no stack to suspend.
pub(crate) fn suspend_current(reason: &'static str) -> Result<(), SuspendError> {
    CURRENT.with(|c| {
        if let Some(core) = &*c.borrow() {
            core.set_blocked_on(reason);
        }
    });
    suspend_as(reason, WaitKind::Blocked)
}

/// Makes `core` the thread's executor until dropped.
pub(crate) struct Enter {
    previous: Option<Rc<Core>>,
}

impl Enter {
    /// Enters for `block_on`/`run`: refuses to nest inside a running executor.
    pub(crate) fn new(core: &Rc<Core>, what: &str) -> Self {
        let previous = CURRENT.with(|c| c.borrow().clone());
        if let Some(previous) = &previous {
            if previous.current_task().is_some() {
                panic!(
                    "{what} called from inside a corun task: a task cannot block the \
                     executor it runs on; wait with JoinHandle::join or corun::await_ instead"
                );
            }
        }
        Self::replace(core, previous)
    }

    /// Enters for teardown, which may happen anywhere.
    pub(crate) fn for_teardown(core: &Rc<Core>) -> Self {
        let previous = CURRENT.with(|c| c.borrow().clone());
        Self::replace(core, previous)
    }

    fn replace(core: &Rc<Core>, previous: Option<Rc<Core>>) -> Self {
        CURRENT.with(|c| *c.borrow_mut() = Some(core.clone()));
        Enter { previous }
    }
}

impl Drop for Enter {
    fn drop(&mut self) {
        let previous = self.previous.take();
        // During thread teardown the slot may be gone; nothing to restore.
        let _ = CURRENT.try_with(|c| *c.borrow_mut() = previous);
    }
}
