//! The `Send` handle of a task on a runtime worker: join it from any thread
//! or task, cancel it, or `.await` it.

use super::completion::Completion;
use crate::executor::JoinError;
use crate::loom::Arc;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

/// An owned permission to wait for a runtime task's result, or to cancel
/// it; the `Send` counterpart of [`corun::JoinHandle`](crate::JoinHandle).
///
/// Any thread or task may hold it. [`join`](JoinHandle::join) blocks a
/// plain thread and suspends only the calling task inside a corun task; in
/// async code the handle is a `Future`. Dropping it detaches the task.
///
/// ```
/// let rt = corun::Runtime::builder().workers(2).build()?;
/// let h = rt.spawn(|| 6 * 7);
/// let h = std::thread::spawn(move || h.join()).join().unwrap(); // any thread
/// assert_eq!(h?, 42);
/// # Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
/// ```
#[must_use = "dropping a JoinHandle detaches its task"]
pub struct JoinHandle<T> {
    completion: Arc<Completion<T>>,
    worker: usize,
    polled: bool,
}

impl<T> JoinHandle<T> {
    pub(crate) fn new(completion: Arc<Completion<T>>, worker: usize) -> Self {
        JoinHandle {
            completion,
            worker,
            polled: false,
        }
    }

    /// A handle for a task that was never started, its `join` saying `why`
    /// (a closing runtime, a terminated pool).
    pub(crate) fn never_started(why: &'static str, worker: usize) -> Self {
        let completion = Arc::new(Completion::new());
        completion.complete(Err(JoinError::cancelled_because(why)));
        JoinHandle::new(completion, worker)
    }

    /// The shared completion, for the pool's `AsyncResult` and `terminate`.
    pub(crate) fn completion(&self) -> &Arc<Completion<T>> {
        &self.completion
    }

    /// The index of the worker the task was placed on. A `spawn_on` task
    /// runs there; a `spawn` task that has not started may be taken by an
    /// idle worker ([`worker_index`](crate::worker_index) inside the task
    /// says where it runs). A started task never moves.
    pub fn worker(&self) -> usize {
        self.worker
    }

    /// Whether the task has ended (its outcome is waiting).
    pub fn is_finished(&self) -> bool {
        self.completion.is_finished()
    }

    /// Lets the task run on with nobody to join it: what dropping the
    /// handle does, said out loud (the handle is `#[must_use]`, as a
    /// dropped one is usually a forgotten `join`). A panic in the task is
    /// still printed by the panic hook as it happens, as a detached
    /// thread's is; nothing else reports it.
    ///
    /// ```
    /// let rt = corun::Runtime::builder().workers(1).build()?;
    /// rt.spawn(|| println!("in the background")).detach();
    /// # Ok::<(), corun::runtime::BuildError>(())
    /// ```
    pub fn detach(self) {}

    /// Requests cancellation: a task that has not started never runs
    /// (`join` says so at once; its closure, and what it captured, is
    /// dropped when its worker reaches it in its queue); a started one
    /// unwinds at its next wait (its destructors run, before `join`
    /// returns), and `join` gives [`JoinError::is_cancelled`]. A task that catches the
    /// unwind and returns a value keeps it, as on an `Executor`.
    pub fn cancel(&self) {
        self.completion.request_cancel();
    }

    /// Waits for the task and returns its value, or why there is none.
    /// Blocks a plain thread; inside a corun task, suspends only that task.
    /// In a future task (`spawn_future`), `.await` the handle instead.
    ///
    /// A task that is unwinding (being cancelled) cannot wait: if the
    /// outcome is not there yet, it gets [`JoinError::is_cancelled`].
    /// # Panics
    ///
    /// When it must wait in a future task (`spawn_future`), which has no
    /// stack to suspend: use the async form there. In the task itself (its
    /// handle was sent to it), which would wait for itself forever.
    #[track_caller]
    pub fn join(self) -> Result<T, JoinError> {
        self.refuse_self_join();
        match crate::sync::wait_here::wait(self, "runtime JoinHandle::join") {
            Ok(outcome) => outcome,
            Err(_unwinding) => Err(JoinError::cancelled()),
        }
    }

    /// [`join`](JoinHandle::join), for at most `limit`; on timeout the
    /// handle comes back in `Err`, the task still running.
    /// # Panics
    ///
    /// When it must wait in a future task (`spawn_future`), which has no
    /// stack to suspend: use the async form there.
    #[track_caller]
    pub fn join_timeout(mut self, limit: Duration) -> Result<Result<T, JoinError>, Self> {
        self.refuse_self_join();
        let got =
            crate::sync::wait_here::wait_timeout(&mut self, limit, "runtime JoinHandle::join");
        match got {
            Ok(Some(outcome)) => Ok(outcome),
            Ok(None) => Err(self),
            Err(_unwinding) => Ok(Err(JoinError::cancelled())),
        }
    }
}

impl<T> JoinHandle<T> {
    #[track_caller]
    fn refuse_self_join(&self) {
        if self.completion.runs_the_caller() {
            panic!("runtime JoinHandle::join: a task cannot join itself (it would wait forever)");
        }
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let polled = self.completion.poll_join(cx);
        self.polled = polled.is_pending();
        polled
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        if self.polled {
            self.completion.forget_joiner();
        }
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("worker", &self.worker)
            .field("finished", &self.is_finished())
            .finish()
    }
}
