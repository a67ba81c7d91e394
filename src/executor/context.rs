//! The thread's running executor and task, found by the free functions
//! (`spawn`, `sleep`, `yield_now`, ...) without a handle being passed around,
//! and `Enter`, which makes an executor the thread's current one.

use super::core::Core;
use super::suspend::suspend_as;
use super::task::TaskRef;
use crate::generator::{SuspendError, WaitKind};
use crate::stack::OutsideCoroutines;
use std::cell::RefCell;
use std::mem::ManuallyDrop;
use std::rc::Rc;

thread_local! {
    // No destructor (the `Rc` is held in a `ManuallyDrop`, released by hand
    // in `swap`): an executor kept in a `thread_local!` is torn down while
    // the thread's other thread-locals are destroyed, in an order nobody
    // chooses, and its tasks' destructors may still call `spawn`, `sleep`
    // and friends then. A slot with no destructor is never "destroyed".
    // Nothing is left in it when a thread ends: every `Enter` puts back what
    // it found.
    static CURRENT: RefCell<Option<ManuallyDrop<Rc<Core>>>> = const { RefCell::new(None) };
}

/// Makes `core` the thread's executor and returns the previous one.
fn swap(core: Option<Rc<Core>>) -> Option<Rc<Core>> {
    CURRENT
        .with(|c| c.replace(core.map(ManuallyDrop::new)))
        .map(ManuallyDrop::into_inner)
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

/// Runs `f` on the executor running on this thread, looked up in place
/// (no count traffic): for short calls that run no user code, such as
/// spawning. `f` must not enter or leave an executor.
///
/// # Panics
///
/// Outside a running executor, with a message naming `what`.
#[inline]
#[track_caller]
pub(crate) fn with_current_core<R>(what: &str, f: impl FnOnce(&Core) -> R) -> R {
    CURRENT.with(|c| match c.borrow().as_deref() {
        Some(core) => f(core),
        None => outside(what),
    })
}

/// [`with_current_core`], or `None` outside a running executor.
#[inline]
pub(crate) fn try_with_current_core<R>(f: impl FnOnce(&Core) -> R) -> Option<R> {
    CURRENT.with(|c| c.borrow().as_deref().map(|core| f(core)))
}

pub(crate) fn try_current_core() -> Option<Rc<Core>> {
    CURRENT.with(|c| c.borrow().as_deref().cloned())
}

/// The task running on this thread.
///
/// # Panics
///
/// Outside a task, with a message naming `what`.
#[inline]
pub(crate) fn current_task(what: &str) -> TaskRef {
    // Looked up in place: no count traffic on the executor for a lookup.
    let task = CURRENT.with(|c| c.borrow().as_deref().and_then(|core| core.current_task()));
    match task {
        Some(task) => task,
        None => outside(what),
    }
}

/// The task running on this thread, or `None` when there is none but the
/// caller is a coroutine being unwound: a generator closed outside every
/// executor, whose destructor waits. Such a wait must return at once, as
/// it does in an unwinding task, since a refusal (a panic) inside the
/// unwind would abort the process.
///
/// # Panics
///
/// Outside a task otherwise, with a message naming `what`.
pub(crate) fn current_task_unless_unwinding(what: &str) -> Option<TaskRef> {
    let task = CURRENT.with(|c| c.borrow().as_deref().and_then(|core| core.current_task()));
    match task {
        Some(task) => Some(task),
        None if crate::generator::innermost_is_unwinding() => None,
        None => outside(what),
    }
}

#[cold]
#[track_caller]
fn outside(what: &str) -> ! {
    panic!(
        "{what} called outside a corun task: call it from a closure run by \
         Executor::block_on, Executor::spawn or corun::spawn (on a Runtime: rt.spawn or \
         rt.block_on)"
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
    if let Some(core) = try_current_core() {
        core.set_blocked_on(reason);
    }
    suspend_as(reason, WaitKind::Blocked)
}

/// Makes `core` the thread's executor until dropped.
///
/// For `block_on` and `run` it also marks `core` as driven and runs the loop
/// outside every coroutine ([`OutsideCoroutines`]): `block_on` called from
/// a generator's body must not let a task of this executor (a future task's
/// poll, a waker, a destructor run between tasks) reach that body's `Co` and
/// suspend the generator from inside the executor's loop.
pub(crate) struct Enter {
    core: Rc<Core>,
    previous: Option<Rc<Core>>,
    drives: bool,
    _outside: Option<OutsideCoroutines>,
}

impl Enter {
    /// Enters for `block_on`/`run`: refuses to nest inside a running
    /// executor, from one of its tasks or from code it runs between them.
    /// A task that is unwinding (cancelled, or torn down with its executor)
    /// may block its thread in another executor's `block_on` from a
    /// destructor: it cannot suspend anyway, as a scope in its cleanup
    /// blocks the thread too.
    pub(crate) fn new(core: &Rc<Core>, what: &str) -> Self {
        if let Some(previous) = try_current_core() {
            let nested_in_cleanup =
                !Rc::ptr_eq(&previous, core) && crate::generator::innermost_is_unwinding();
            let in_task = previous.current_task().is_some();
            if in_task && !nested_in_cleanup {
                panic!(
                    "{what} called from inside a corun task: a task cannot block the \
                     executor it runs on, and re-entrant block_on is not allowed; wait with \
                     JoinHandle::join or corun::await_ instead"
                );
            }
            if previous.driving.get() && !in_task {
                panic!(
                    "{what} called re-entrantly, from code an executor runs between its tasks \
                     (a destructor of a task's output, a waker): re-entrant block_on is not \
                     allowed; spawn a task instead, or drop the value outside the executor"
                );
            }
        }
        core.driving.set(true);
        Enter {
            core: core.clone(),
            previous: swap(Some(core.clone())),
            drives: true,
            _outside: Some(OutsideCoroutines::enter()),
        }
    }

    /// Enters for teardown, which may happen anywhere (in a destructor, at
    /// thread exit).
    pub(crate) fn for_teardown(core: &Rc<Core>) -> Self {
        Enter {
            core: core.clone(),
            previous: swap(Some(core.clone())),
            drives: false,
            _outside: None,
        }
    }
}

impl Drop for Enter {
    fn drop(&mut self) {
        if self.drives {
            self.core.driving.set(false);
        }
        drop(swap(self.previous.take()));
    }
}
