//! `yield_now`: let every other ready task run once, then go on.

use super::context::current_task;
use super::suspend::suspend_as;
use crate::generator::{suspend_innermost, SuspendError, WaitKind};

/// Lets every other ready task run once, then goes on: Python's
/// `await asyncio.sleep(0)`.
///
/// # Panics
///
/// Outside a task.
///
/// ```
/// let ex = corun::Executor::new();
/// let order = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
/// let o = order.clone();
/// ex.block_on(move || {
///     let o2 = o.clone();
///     let h = corun::spawn(move || o2.borrow_mut().push("spawned"));
///     o.borrow_mut().push("before yield");
///     corun::yield_now();
///     o.borrow_mut().push("after yield");
///     h.join().unwrap();
/// });
/// assert_eq!(*order.borrow(), ["before yield", "spawned", "after yield"]);
/// ```
pub fn yield_now() {
    // The scheduler queues a yielded task again itself: no lookup here.
    if let Err(SuspendError::NotInCoroutine) = suspend_innermost(WaitKind::Yielded) {
        current_task("corun::yield_now");
        suspend_as("corun::yield_now", WaitKind::Yielded).ok();
    }
}
