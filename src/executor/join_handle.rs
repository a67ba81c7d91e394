//! `JoinHandle`: the owned permission to wait for a task's result (as a
//! stackful task or as a `Future`) or to cancel it.

use super::context::current_task;
use super::join_error::JoinError;
use super::join_slot::{JoinSlot, Joinable};
use super::suspend::suspend_as;
use super::task::{request_cancel, RunState, Task, TaskId};
use super::wait_queue::Waiter;
use crate::generator::WaitKind;
use crate::stack::PooledRc;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Waits (suspending the current task) until `slot`'s outcome is stored and
/// takes it. `target` is the task being joined (only its address is
/// compared: no reference is taken); `what` names the caller in panics. A
/// finished task's outcome is returned anywhere. Inlined down to the
/// switch, as every wait is (see `generator::co`).
#[inline(always)]
pub(crate) fn join_slot<T, K: ?Sized>(
    slot: &JoinSlot<T>,
    target: &PooledRc<K>,
    what: &str,
) -> Result<T, JoinError> {
    join_slot_taking(slot, target, what).unwrap_or_else(|cannot_wait| cannot_wait)
}

/// [`join_slot`], telling a taken outcome (`Ok`) from a joiner that could
/// not wait for it (`Err`, a cancellation error).
#[inline(always)]
pub(crate) fn join_slot_taking<T, K: ?Sized>(
    slot: &JoinSlot<T>,
    target: &PooledRc<K>,
    what: &str,
) -> Result<Result<T, JoinError>, Result<T, JoinError>> {
    loop {
        if let Some(outcome) = slot.take() {
            return Ok(outcome);
        }
        let me = current_task(what);
        if PooledRc::ptr_eq(&me, target) {
            panic!("{what}: a task cannot join itself (it would wait forever)");
        }
        me.header().blocked_on.set("join");
        slot.set_joiner(Waiter::Task(me));
        let _joining = Joining(slot);
        if suspend_as("join", WaitKind::Blocked).is_err() {
            // The joiner is being torn down: it cannot wait any more.
            return Err(Err(JoinError::cancelled()));
        }
    }
}

/// A joiner's registration, withdrawn when it stops waiting (woken, or
/// unwound while suspended), so that no stale wake reaches it.
struct Joining<'s, T>(&'s JoinSlot<T>);

impl<T> Drop for Joining<'_, T> {
    fn drop(&mut self) {
        self.0.clear_joiner();
    }
}

/// An owned permission to wait for a task's result, or to cancel it.
///
/// Dropping the handle detaches the task: it keeps running. In async code,
/// the handle is a `Future` of the task's result.
///
/// ```
/// use corun::Executor;
///
/// let ex = Executor::new();
/// let h = ex.spawn(|| 6 * 7);
/// assert_eq!(ex.block_on(|| h.join().unwrap()), 42);
/// ```
#[must_use = "dropping a JoinHandle detaches its task"]
pub struct JoinHandle<T> {
    /// `None` only once `join` took the outcome: the handle's drop then has
    /// nothing to release (no joiner, no outcome left), and skips the call.
    task: Option<PooledRc<dyn Joinable<T>>>,
}

impl<T> JoinHandle<T> {
    pub(crate) fn new(task: PooledRc<dyn Joinable<T>>) -> Self {
        JoinHandle { task: Some(task) }
    }

    /// The task; present in every handle a caller can reach.
    #[inline(always)]
    fn task(&self) -> &PooledRc<dyn Joinable<T>> {
        match &self.task {
            Some(task) => task,
            None => unreachable!("a JoinHandle used after its join"),
        }
    }

    /// The task's id.
    pub fn id(&self) -> TaskId {
        self.task().header().id
    }

    /// Whether the task has ended (its result is waiting, or was taken).
    pub fn is_finished(&self) -> bool {
        self.task().header().state.get() == RunState::Done
    }

    /// Waits for the task to end and returns its value, or why there is none
    /// ([`JoinError`]: it panicked, with the payload; or it was cancelled).
    /// Suspends only the calling task.
    ///
    /// # Panics
    ///
    /// When it has to wait but is not called from a stackful task (outside
    /// any task, or in a future task: `.await` the handle there), and when a
    /// task joins itself. A finished task's result is returned anywhere.
    #[inline(always)]
    pub fn join(mut self) -> Result<T, JoinError> {
        let task = self.task();
        match join_slot_taking(task.slot(), task, "JoinHandle::join") {
            Ok(outcome) => {
                // Taken: no joiner and no outcome are left for the handle's
                // drop to release. Its task is moved out and the handle,
                // left empty, is forgotten: nothing leaks, and no drop runs.
                let task = self.task.take();
                std::mem::forget(self);
                drop(task);
                outcome
            }
            Err(cannot_wait) => cannot_wait,
        }
    }

    /// The outcome, if the task has ended, taken without waiting.
    pub(crate) fn take_outcome(&self) -> Option<Result<T, JoinError>> {
        let slot = self.task().slot();
        let outcome = slot.take();
        if outcome.is_some() {
            slot.clear_joiner();
        }
        outcome
    }

    /// Makes `waiter` the one woken when the outcome lands.
    pub(crate) fn wake_when_done(&self, waiter: super::wait_queue::Waiter) {
        self.task().slot().set_joiner(waiter);
    }

    /// Lets the task run on with nobody to join it: what dropping the
    /// handle does, said out loud (the handle is `#[must_use]`, as a
    /// dropped one is usually a forgotten `join`). A panic in the task is
    /// still printed by the panic hook as it happens, as a detached
    /// thread's is; nothing else reports it.
    ///
    /// ```
    /// let ex = corun::Executor::new();
    /// ex.block_on(|| {
    ///     corun::spawn(|| println!("in the background")).detach();
    /// });
    /// ```
    pub fn detach(self) {}

    /// Requests cancellation: the task unwinds from where it is suspended
    /// (its destructors run) the next time the executor gets to it, and its
    /// `join` gives [`JoinError::is_cancelled`]. A task that has not started
    /// is dropped without running. Cancelling a finished task does nothing.
    ///
    /// A task that catches the unwind (`catch_unwind`) and goes on is not
    /// forced: cancellation is a request, as in asyncio. A destructor that
    /// panics while the task unwinds aborts the process (a panic during
    /// unwinding); one that panics while an unstarted task's closure is
    /// dropped makes `join` report that panic.
    pub fn cancel(&self) {
        request_cancel(&self.task().clone().map_view(|task| task as &dyn Task));
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let slot = self.task().slot();
        if let Some(outcome) = slot.take() {
            slot.clear_joiner();
            return Poll::Ready(outcome);
        }
        slot.set_joiner_waker(cx.waker(), "JoinHandle::poll");
        Poll::Pending
    }
}

impl<T> Drop for JoinHandle<T> {
    #[inline]
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.slot().release_handle();
        }
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("id", &self.id())
            .field("finished", &self.task().slot().is_ready())
            .finish()
    }
}
