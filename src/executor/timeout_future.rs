//! `timeout_future`: a future given at most a while (tokio's
//! `time::timeout`, for async code and future tasks; stackful tasks use
//! [`timeout`](super::timeout), which unwinds the body instead).

use super::sleep::{sleep_until_future, Sleep};
use super::time_control::now as clock_now;
use super::timeout::Elapsed;
use pin_project::pin_project;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// `future`, but for at most `duration`: `Err(Elapsed)` if the time runs
/// out first, and the future is then dropped where it stopped. Poll it on
/// a corun executor.
///
/// ```
/// use std::time::Duration;
///
/// let ex = corun::Executor::new();
/// let h = ex.spawn_future(async {
///     let slow = corun::time::sleep_future(Duration::from_secs(60));
///     let late = corun::time::timeout_future(Duration::from_millis(2), slow).await;
///     let fast = corun::time::timeout_future(Duration::from_secs(60), async { 7 }).await;
///     (late.is_err(), fast)
/// });
/// assert_eq!(ex.block_on(|| h.join().unwrap()), (true, Ok(7)));
/// ```
pub fn timeout_future<F: Future>(duration: Duration, future: F) -> Timeout<F> {
    Timeout {
        future,
        // A duration too long for the clock is no deadline at all.
        sleep: clock_now().checked_add(duration).map(sleep_until_future),
    }
}

/// [`timeout_future`] with a deadline instead of a duration (tokio's
/// `timeout_at`).
pub fn timeout_at_future<F: Future>(deadline: Instant, future: F) -> Timeout<F> {
    Timeout {
        future,
        sleep: Some(sleep_until_future(deadline)),
    }
}

/// The future of [`timeout_future`] and [`timeout_at_future`].
#[must_use = "futures do nothing unless polled"]
#[pin_project]
#[derive(Debug)]
pub struct Timeout<F> {
    #[pin]
    future: F,
    sleep: Option<Sleep>,
}

impl<F> Timeout<F> {
    /// The future inside.
    pub fn get_ref(&self) -> &F {
        &self.future
    }

    /// The future inside, to change.
    pub fn get_mut(&mut self) -> &mut F {
        &mut self.future
    }

    /// The future inside, without its deadline.
    pub fn into_inner(self) -> F {
        self.future
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        // The future first, as tokio does: one that is ready as its
        // deadline passes still counts as done in time.
        if let Poll::Ready(out) = this.future.poll(cx) {
            return Poll::Ready(Ok(out));
        }
        match this.sleep {
            Some(sleep) => Pin::new(sleep).poll(cx).map(|()| Err(Elapsed::new())),
            None => Poll::Pending,
        }
    }
}
