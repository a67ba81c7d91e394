//! The thread's running executor and task, found by the free functions
//! (`spawn`, `sleep`, `yield_now`, ...) without a handle being passed around.

use super::core::Core;
use super::task::TaskRef;
use crate::generator::{park_current, ParkError, WaitKind};
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

/// Suspends the current task until it is woken. `Err` means it could not
/// wait (it is unwinding): the caller should return at once.
///
/// # Panics
///
/// In a future task (`spawn_future`), which has no stack to suspend.
pub(crate) fn park(reason: &'static str) -> Result<(), ParkError> {
    CURRENT.with(|c| {
        if let Some(core) = &*c.borrow() {
            core.set_blocked_on(reason);
        }
    });
    park_as(reason, WaitKind::Blocked)
}

/// Suspends the innermost coroutine for `kind`; `what` names the caller in
/// the panic a future task gets.
#[inline]
pub(crate) fn park_as(what: &str, kind: WaitKind) -> Result<(), ParkError> {
    match park_current(kind) {
        Err(ParkError::NotInCoroutine) => in_future_task(what),
        other => other,
    }
}

#[cold]
fn in_future_task(what: &str) -> ! {
    panic!(
        "{what}: this blocking wait was called from a future task (spawn_future) or outside \
         any coroutine; a future task has no stack to suspend: use the async form there \
         (sleep_future, .await on the JoinHandle or on the sync type's future)"
    )
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
