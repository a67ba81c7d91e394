//! A channel for exactly one value.
//!
//! Rules:
//! 1. The state moves one way: empty → sent → received, or empty → sender
//!    gone, or empty/sent → receiver gone.
//! 2. The receiver is the only waiter: a send or the sender's drop wakes it,
//!    and it looks at the state again (there is nothing to hand over that
//!    another waiter could take).

use super::error::{RecvError, TryRecvError};
use crate::executor::{block, register_caller, WaitQueue};
use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

/// Makes a channel that carries one value from one task to another (a
/// reply slot): Python's `asyncio.Future` set by one side and awaited by the
/// other.
///
/// ```
/// let ex = corun::Executor::new();
/// let (tx, rx) = corun::sync::oneshot();
/// ex.spawn(move || {
///     corun::sleep(std::time::Duration::from_millis(1));
///     tx.send("done").unwrap();
/// });
/// assert_eq!(ex.block_on(|| rx.recv()), Ok("done"));
/// ```
#[must_use]
pub fn oneshot<T>() -> (OneshotSender<T>, OneshotReceiver<T>) {
    let shared = Rc::new(Shared {
        state: RefCell::new(State::Empty),
        receiver: WaitQueue::new(),
    });
    (
        OneshotSender {
            shared: shared.clone(),
        },
        OneshotReceiver { shared, key: None },
    )
}

struct Shared<T> {
    state: RefCell<State<T>>,
    receiver: WaitQueue,
}

enum State<T> {
    Empty,
    Sent(T),
    Received,
    SenderGone,
    ReceiverGone,
}

/// The sending half of a [`oneshot`] channel. Dropping it unsent makes the
/// receiver's `recv` fail.
pub struct OneshotSender<T> {
    shared: Rc<Shared<T>>,
}

impl<T> OneshotSender<T> {
    /// Sends the value and wakes the receiver; never suspends. Gives the
    /// value back if the receiver is gone.
    ///
    /// ```
    /// let (tx, rx) = corun::sync::oneshot();
    /// drop(rx);
    /// assert_eq!(tx.send(5), Err(5));
    /// ```
    pub fn send(self, value: T) -> Result<(), T> {
        let mut state = self.shared.state.borrow_mut();
        match *state {
            State::Empty => {
                *state = State::Sent(value);
                drop(state);
                self.shared.receiver.wake_all();
                Ok(())
            }
            _ => Err(value),
        }
    }

    /// Whether the receiver is gone (a send would fail).
    pub fn is_closed(&self) -> bool {
        matches!(*self.shared.state.borrow(), State::ReceiverGone)
    }
}

impl<T> Drop for OneshotSender<T> {
    fn drop(&mut self) {
        let mut state = self.shared.state.borrow_mut();
        if let State::Empty = *state {
            *state = State::SenderGone;
            drop(state);
            self.shared.receiver.wake_all();
        }
    }
}

impl<T> fmt::Debug for OneshotSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OneshotSender")
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// The receiving half of a [`oneshot`] channel; also a `Future` of the
/// value, for future tasks and async code.
///
/// ```
/// let ex = corun::Executor::new();
/// let (tx, rx) = corun::sync::oneshot();
/// let h = ex.spawn_future(async move { rx.await.map(|v: i32| v + 1) });
/// tx.send(41).unwrap();
/// assert_eq!(ex.block_on(|| h.join().unwrap()), Ok(42));
/// ```
pub struct OneshotReceiver<T> {
    shared: Rc<Shared<T>>,
    /// Our registration in `shared.receiver` while waiting.
    key: Option<u64>,
}

impl<T> OneshotReceiver<T> {
    /// Waits for the value, suspending the calling task.
    ///
    /// # Errors
    ///
    /// [`RecvError`] if the sender was dropped without sending, or if the
    /// task is unwinding (a destructor run by cancellation) and the value is
    /// not there yet: it never suspends then (a later send then fails and
    /// hands the value back to its sender).
    ///
    /// # Panics
    ///
    /// If it has to wait outside a corun task, or in a future task (`.await`
    /// the receiver there).
    ///
    /// ```
    /// let ex = corun::Executor::new();
    /// let (tx, rx) = corun::sync::oneshot::<u8>();
    /// drop(tx);
    /// assert!(ex.block_on(|| rx.recv()).is_err());
    /// ```
    pub fn recv(mut self) -> Result<T, RecvError> {
        const WHAT: &str = "corun::sync::OneshotReceiver::recv";
        block("OneshotReceiver::recv", || self.poll_recv(None, WHAT)).unwrap_or(Err(RecvError))
    }

    /// Takes the value if it is there; never suspends.
    ///
    /// ```
    /// use corun::sync::TryRecvError;
    ///
    /// let (tx, mut rx) = corun::sync::oneshot();
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// tx.send(1).unwrap();
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    /// ```
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let mut state = self.shared.state.borrow_mut();
        match std::mem::replace(&mut *state, State::Received) {
            State::Sent(value) => Ok(value),
            State::Empty => {
                *state = State::Empty;
                Err(TryRecvError::Empty)
            }
            other => {
                *state = other;
                Err(TryRecvError::Closed)
            }
        }
    }

    fn poll_recv(&mut self, waker: Option<&Waker>, what: &str) -> Poll<Result<T, RecvError>> {
        match self.try_recv() {
            Ok(value) => {
                self.unregister();
                Poll::Ready(Ok(value))
            }
            Err(TryRecvError::Closed) => {
                self.unregister();
                Poll::Ready(Err(RecvError))
            }
            Err(TryRecvError::Empty) => {
                register_caller(&self.shared.receiver, &mut self.key, waker, what);
                Poll::Pending
            }
        }
    }

    fn unregister(&mut self) {
        if let Some(key) = self.key.take() {
            self.shared.receiver.remove(key);
        }
    }
}

impl<T> Future for OneshotReceiver<T> {
    type Output = Result<T, RecvError>;

    /// Ready with the value, or with [`RecvError`] if the sender was
    /// dropped unsent (or the value was already taken).
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.get_mut()
            .poll_recv(Some(cx.waker()), "corun::sync::OneshotReceiver::poll")
    }
}

impl<T> Drop for OneshotReceiver<T> {
    fn drop(&mut self) {
        self.unregister();
        let previous = std::mem::replace(&mut *self.shared.state.borrow_mut(), State::ReceiverGone);
        // An unreceived value is dropped here, outside the borrow.
        drop(previous);
    }
}

impl<T> fmt::Debug for OneshotReceiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match *self.shared.state.borrow() {
            State::Empty => "empty",
            State::Sent(_) => "sent",
            State::Received => "received",
            State::SenderGone => "sender gone",
            State::ReceiverGone => "receiver gone",
        };
        f.debug_struct("OneshotReceiver")
            .field("state", &state)
            .finish()
    }
}
