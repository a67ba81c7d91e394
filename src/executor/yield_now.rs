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
// Inlined, so that the switch out of the task happens in the caller's own
// frame (see `generator::co` on the return-address predictor).
#[inline(always)]
pub fn yield_now() {
    // The scheduler queues a yielded task again itself: no lookup here.
    if let Err(SuspendError::NotInCoroutine) = suspend_innermost(WaitKind::Yielded) {
        yield_outside_coroutines();
    }
}

/// `yield_now` on a thread's own stack: panics outside a task, and in a
/// future task says to use the async form.
#[cold]
#[inline(never)]
fn yield_outside_coroutines() {
    current_task("corun::yield_now");
    suspend_as("corun::yield_now", WaitKind::Yielded).ok();
}

/// [`yield_now`] for future tasks and async code (tokio's
/// `task::yield_now().await`): the first poll wakes its own task and
/// returns `Pending`, so every other ready task runs once before the next.
/// Unlike `sleep_future(Duration::ZERO)`, which is ready at once, this
/// always yields.
///
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
///
/// let ex = corun::Executor::new();
/// let order = Rc::new(RefCell::new(Vec::new()));
/// let (a, b) = (order.clone(), order.clone());
/// let first = ex.spawn_future(async move {
///     a.borrow_mut().push("a1");
///     corun::task::yield_now_future().await; // b runs now
///     a.borrow_mut().push("a2");
/// });
/// let second = ex.spawn_future(async move { b.borrow_mut().push("b") });
/// ex.block_on(|| {
///     first.join().unwrap();
///     second.join().unwrap();
/// });
/// assert_eq!(*order.borrow(), ["a1", "b", "a2"]);
/// ```
pub fn yield_now_future() -> YieldNow {
    YieldNow { yielded: false }
}

/// The future of [`yield_now_future`].
#[derive(Debug)]
#[must_use = "futures do nothing unless polled"]
pub struct YieldNow {
    yielded: bool,
}

impl std::future::Future for YieldNow {
    type Output = ();

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        if std::mem::replace(&mut self.yielded, true) {
            return std::task::Poll::Ready(());
        }
        cx.waker().wake_by_ref();
        std::task::Poll::Pending
    }
}
