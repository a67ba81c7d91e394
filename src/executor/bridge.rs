//! The futures bridge: `await_` waits for any `Future` from a stackful
//! task, suspending only that task.

use super::context::{current_core, current_task};
use super::suspend::suspend_task;
use std::future::Future;
use std::task::{Context, Poll};

/// Waits for `future` to finish, suspending only this task, and returns its
/// output. Any `Future` works: from futures, tokio-free async libraries, or
/// corun's own `JoinHandle` and sync types.
///
/// # Panics
///
/// Outside a task, or while the task is unwinding (a future cannot be
/// waited for then).
///
/// ```
/// let ex = corun::Executor::new();
/// let (tx, rx) = futures::channel::oneshot::channel();
/// let v = ex.block_on(|| {
///     corun::spawn(move || tx.send(5).unwrap());
///     corun::await_(rx).unwrap()
/// });
/// assert_eq!(v, 5);
/// ```
pub fn await_<F: Future>(future: F) -> F::Output {
    let core = current_core("corun::await_");
    let task = current_task("corun::await_");
    let mut future = std::pin::pin!(future);
    loop {
        // The waker lives only for the poll: one kept across the suspension
        // would look to the deadlock detector like a waker held outside.
        let polled = {
            let waker = core.waker_for(task.header());
            future.as_mut().poll(&mut Context::from_waker(&waker))
        };
        if let Poll::Ready(value) = polled {
            return value;
        }
        if suspend_task(&task, "await_").is_err() {
            panic!(
                "corun::await_ called while the task is unwinding: nothing can be waited for now"
            );
        }
    }
}
