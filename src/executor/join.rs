//! Joining tasks: the slot a task's result lands in, `JoinHandle`, and
//! `JoinError`.

use super::context;
use super::task::{wake, Joinable, RunState, TaskRef};
use super::wait::{WaitEntry, WaitList};
use super::TaskId;
use crate::generator::Payload;
use crate::StackError;
use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

enum SlotState<T> {
    Pending,
    Ready(Result<T, JoinError>),
    Taken,
}

/// Where a task's outcome waits for its `JoinHandle`.
pub(crate) struct JoinSlot<T> {
    state: RefCell<SlotState<T>>,
    joiners: WaitList,
}

/// A join slot whose value type is erased: for reporting failures.
pub(crate) trait FailSlot {
    fn fail(&self, error: JoinError);
}

impl<T> FailSlot for JoinSlot<T> {
    /// Stores `error` unless the body already stored its own outcome (a
    /// scoped task that caught its cancellation and returned a value).
    fn fail(&self, error: JoinError) {
        if matches!(*self.state.borrow(), SlotState::Pending) {
            self.complete(Err(error));
        }
    }
}

impl<T> JoinSlot<T> {
    pub(crate) fn new() -> Self {
        JoinSlot {
            state: RefCell::new(SlotState::Pending),
            joiners: WaitList::new(),
        }
    }

    /// Stores the outcome and wakes every joiner.
    pub(crate) fn complete(&self, outcome: Result<T, JoinError>) {
        *self.state.borrow_mut() = SlotState::Ready(outcome);
        self.joiners.wake_all();
    }

    /// Waits (suspending the current task) until the outcome is stored and
    /// takes it. `target` is the task being joined.
    pub(crate) fn wait(&self, target: &TaskRef, what: &str) -> Result<T, JoinError> {
        loop {
            if let Some(outcome) = self.take() {
                return outcome;
            }
            let me = context::current_task(what);
            if Rc::ptr_eq(&me, target) {
                panic!("{what}: a task cannot join itself (it would wait forever)");
            }
            let _entry = WaitEntry::new(&self.joiners, me);
            if context::park("join").is_err() {
                // The joiner is being torn down: it cannot wait any more.
                return Err(JoinError::cancelled());
            }
        }
    }

    fn take(&self) -> Option<Result<T, JoinError>> {
        let mut state = self.state.borrow_mut();
        match std::mem::replace(&mut *state, SlotState::Taken) {
            SlotState::Ready(outcome) => Some(outcome),
            other => {
                *state = other;
                None
            }
        }
    }

    pub(crate) fn is_ready(&self) -> bool {
        matches!(*self.state.borrow(), SlotState::Ready(_))
    }
}

/// Why a task produced no value.
///
/// `Send + Sync`, so it fits `Box<dyn Error + Send + Sync>` (and anyhow): the
/// panic payload, which is only `Send`, sits behind a `Mutex` that is only
/// locked to read the message or to take the payload out, as tokio wraps it.
pub struct JoinError {
    repr: Repr,
}

enum Repr {
    Panicked(std::sync::Mutex<Payload>),
    /// Cancelled; the text says why when it was not an explicit cancel.
    Cancelled(Option<&'static str>),
    NoStack(StackError),
}

impl JoinError {
    pub(crate) fn panicked(payload: Payload) -> Self {
        JoinError {
            repr: Repr::Panicked(std::sync::Mutex::new(payload)),
        }
    }

    pub(crate) fn cancelled() -> Self {
        JoinError {
            repr: Repr::Cancelled(None),
        }
    }

    /// A cancellation whose `Display` says why (a runtime task that was
    /// refused, or whose worker shut down).
    pub(crate) fn cancelled_because(reason: &'static str) -> Self {
        JoinError {
            repr: Repr::Cancelled(Some(reason)),
        }
    }

    pub(crate) fn no_stack(error: StackError) -> Self {
        JoinError {
            repr: Repr::NoStack(error),
        }
    }

    /// The task panicked.
    pub fn is_panic(&self) -> bool {
        matches!(self.repr, Repr::Panicked(_))
    }

    /// The task was cancelled (or its executor was dropped) before it ended.
    pub fn is_cancelled(&self) -> bool {
        matches!(self.repr, Repr::Cancelled(_))
    }

    /// The task could not start: no stack could be mapped for it.
    pub fn stack_error(&self) -> Option<&StackError> {
        match &self.repr {
            Repr::NoStack(e) => Some(e),
            _ => None,
        }
    }

    /// The panic payload, if the task panicked; otherwise the error back.
    /// Re-raise it with `std::panic::resume_unwind`.
    pub fn try_into_panic(self) -> Result<Payload, JoinError> {
        match self.repr {
            // A poisoned lock still holds the payload: nothing panics while
            // holding it but a payload's own `Any` methods, which cannot.
            Repr::Panicked(p) => Ok(p.into_inner().unwrap_or_else(|e| e.into_inner())),
            repr => Err(JoinError { repr }),
        }
    }

    /// The panic payload.
    ///
    /// # Panics
    ///
    /// If the task did not panic (check [`is_panic`](JoinError::is_panic)).
    pub fn into_panic(self) -> Payload {
        self.try_into_panic().unwrap_or_else(|e| {
            panic!("JoinError::into_panic on an error that is not a panic: {e}")
        })
    }

    fn panic_message(&self) -> Option<String> {
        match &self.repr {
            Repr::Panicked(p) => {
                let p = p.lock().unwrap_or_else(|e| e.into_inner());
                p.downcast_ref::<&'static str>()
                    .map(|s| s.to_string())
                    .or_else(|| p.downcast_ref::<String>().cloned())
            }
            _ => None,
        }
    }
}

impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Panicked(_) => match self.panic_message() {
                Some(msg) => write!(f, "JoinError::Panicked({msg:?})"),
                None => f.write_str("JoinError::Panicked(..)"),
            },
            Repr::Cancelled(None) => f.write_str("JoinError::Cancelled"),
            Repr::Cancelled(Some(why)) => write!(f, "JoinError::Cancelled({why:?})"),
            Repr::NoStack(e) => write!(f, "JoinError::NoStack({e:?})"),
        }
    }
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Panicked(_) => match self.panic_message() {
                Some(msg) => write!(f, "task panicked: {msg}"),
                None => f.write_str("task panicked"),
            },
            Repr::Cancelled(None) => f.write_str("task was cancelled"),
            Repr::Cancelled(Some(why)) => write!(f, "task was cancelled: {why}"),
            Repr::NoStack(e) => write!(f, "task could not start: {e}"),
        }
    }
}

impl std::error::Error for JoinError {}

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
    task: Rc<dyn Joinable<T>>,
    /// The waker registration of a pending `poll`.
    polled: Cell<Option<u64>>,
}

impl<T> JoinHandle<T> {
    pub(crate) fn new(task: Rc<dyn Joinable<T>>) -> Self {
        JoinHandle {
            task,
            polled: Cell::new(None),
        }
    }

    /// The task's id.
    pub fn id(&self) -> TaskId {
        self.task.header().id
    }

    /// Whether the task has ended (its result is waiting, or was taken).
    pub fn is_finished(&self) -> bool {
        self.task.header().state.get() == RunState::Done
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
    pub fn join(self) -> Result<T, JoinError> {
        let target: TaskRef = self.task.clone();
        self.task.slot().wait(&target, "JoinHandle::join")
    }

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
        request_cancel(&(self.task.clone() as TaskRef));
    }
}

/// Marks a task for cancellation and makes sure its owner gets to it.
pub(crate) fn request_cancel(task: &TaskRef) {
    let header = task.header();
    if header.state.get() == RunState::Done {
        return;
    }
    header.cancel_requested.set(true);
    wake(task);
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let slot = self.task.slot();
        if let Some(outcome) = slot.take() {
            if let Some(key) = self.polled.take() {
                slot.joiners.remove(key);
            }
            return Poll::Ready(outcome);
        }
        let key = slot.joiners.register_waker(self.polled.get(), cx.waker());
        self.polled.set(Some(key));
        Poll::Pending
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        if let Some(key) = self.polled.take() {
            self.task.slot().joiners.remove(key);
        }
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("id", &self.id())
            .field("finished", &self.task.slot().is_ready())
            .finish()
    }
}
