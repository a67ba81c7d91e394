//! `AsyncResult`: the result of one `Pool::apply_async` job, as Python's
//! `multiprocessing.pool.AsyncResult`.

use super::super::completion::Completion;
use crate::executor::JoinError;
use crate::loom::Arc;
use crate::sync::wait_here;
use std::fmt;
use std::future::poll_fn;
use std::time::Duration;

/// The pending result of [`Pool::apply_async`](super::Pool::apply_async).
/// `Send + Sync`: share it, wait on it from any thread or task.
///
/// ```
/// let pool = corun::Pool::new(2)?;
/// let ar = pool.apply_async(|| 6 * 7);
/// ar.wait();
/// assert!(ar.ready());
/// assert_eq!(ar.get()?, 42);
/// # Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
/// ```
pub struct AsyncResult<T> {
    completion: Arc<Completion<T>>,
}

/// Why [`AsyncResult::get_timeout`] gave no value.
#[derive(Debug)]
#[non_exhaustive]
pub enum GetTimeoutError {
    /// The time ran out first; the job goes on (get it again later).
    Timeout,
    /// The job ended without a value: it panicked or was cancelled.
    Failed(JoinError),
}

impl fmt::Display for GetTimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GetTimeoutError::Timeout => f.write_str("the job's result is not ready yet"),
            GetTimeoutError::Failed(e) => fmt::Display::fmt(e, f),
        }
    }
}

impl std::error::Error for GetTimeoutError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            GetTimeoutError::Failed(e) => Some(e),
            GetTimeoutError::Timeout => None,
        }
    }
}

impl<T> AsyncResult<T> {
    pub(crate) fn new(completion: Arc<Completion<T>>) -> Self {
        AsyncResult { completion }
    }

    #[track_caller]
    fn check_not_taken(&self, what: &str) {
        assert!(
            !self.completion.is_taken(),
            "{what}: the result was already taken by an earlier get (a value is handed out once)"
        );
    }

    /// Waits for the job and takes its value, or why there is none (its
    /// panic, with the payload; a cancellation). Blocks a plain thread,
    /// suspends a calling task.
    ///
    /// # Panics
    ///
    /// If an earlier `get` already took the result (of two `get`s waiting
    /// at once, the second to wake panics so); and when it must wait in a
    /// future task (`spawn_future`), which has no stack to suspend: use
    /// [`get_async`](AsyncResult::get_async) there.
    #[track_caller]
    pub fn get(&self) -> Result<T, JoinError> {
        self.check_not_taken("AsyncResult::get");
        // Wait without taking, as `wait` does: every waiter of a shared
        // result wakes, and the first to take it gets it.
        let waited = wait_here::wait(
            poll_fn(|cx| self.completion.poll_finished(cx)),
            "AsyncResult::get",
        );
        if waited.is_err() {
            // The caller is unwinding: it cannot wait, and takes nothing.
            return Err(JoinError::cancelled());
        }
        self.take_finished("AsyncResult::get")
    }

    /// [`get`](AsyncResult::get) for future tasks and async code: waits
    /// without blocking the thread.
    ///
    /// ```
    /// let pool = corun::Pool::new(1)?;
    /// let ar = pool.apply_async(|| 6 * 7);
    /// let v = futures::executor::block_on(ar.get_async())?;
    /// assert_eq!(v, 42);
    /// # Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
    /// ```
    ///
    /// # Panics
    ///
    /// If an earlier `get` already took the result.
    pub async fn get_async(&self) -> Result<T, JoinError> {
        self.check_not_taken("AsyncResult::get_async");
        poll_fn(|cx| self.completion.poll_finished(cx)).await;
        self.take_finished("AsyncResult::get_async")
    }

    #[track_caller]
    fn take_finished(&self, what: &str) -> Result<T, JoinError> {
        match self.completion.take() {
            Some(outcome) => outcome,
            None => {
                self.check_not_taken(what);
                unreachable!("a finished job's outcome is stored or taken")
            }
        }
    }

    /// [`get`](AsyncResult::get), waiting at most `limit`.
    ///
    /// # Errors
    ///
    /// [`GetTimeoutError::Timeout`] when the time ran out (the result can
    /// still be got later), [`GetTimeoutError::Failed`] when the job failed.
    ///
    /// # Panics
    ///
    /// If an earlier `get` already took the result.
    #[track_caller]
    pub fn get_timeout(&self, limit: Duration) -> Result<T, GetTimeoutError> {
        if !self.wait_timeout_as(limit, "AsyncResult::get_timeout") {
            return Err(GetTimeoutError::Timeout);
        }
        self.get().map_err(GetTimeoutError::Failed)
    }

    /// Whether the job has ended (`get` will not wait).
    pub fn ready(&self) -> bool {
        self.completion.is_finished()
    }

    /// Whether the job ended with a value; `None` while it runs (or after
    /// `get` took the result). Python's `successful()`.
    pub fn successful(&self) -> Option<bool> {
        self.completion.succeeded()
    }

    /// Waits until the job has ended, without taking its result.
    #[track_caller]
    pub fn wait(&self) {
        let _ = wait_here::wait(
            poll_fn(|cx| self.completion.poll_finished(cx)),
            "AsyncResult::wait",
        );
    }

    /// [`wait`](AsyncResult::wait) for at most `limit`; whether it ended.
    #[track_caller]
    pub fn wait_timeout(&self, limit: Duration) -> bool {
        self.wait_timeout_as(limit, "AsyncResult::wait_timeout")
    }

    /// `wait_timeout` for the public call `what` (named if it is refused).
    #[track_caller]
    fn wait_timeout_as(&self, limit: Duration, what: &'static str) -> bool {
        let _ =
            wait_here::wait_timeout(poll_fn(|cx| self.completion.poll_finished(cx)), limit, what);
        self.ready()
    }

    /// Cancels the job: unstarted, it never runs; started, it unwinds at
    /// its next wait (a CPU-bound job that never waits runs to its end).
    /// `get` then gives [`JoinError::is_cancelled`]. Python's pools cannot
    /// cancel a running job at all.
    pub fn cancel(&self) {
        self.completion.request_cancel();
    }
}

impl<T> fmt::Debug for AsyncResult<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncResult")
            .field("ready", &self.ready())
            .finish()
    }
}
