//! Multi-producer, single-consumer channels between the tasks of one
//! executor, bounded or not.
//!
//! Rules:
//! 1. A value goes straight to the oldest waiting receive if there is one,
//!    else to the back of the queue. So the queue holds values only while no
//!    receive waits, and receives are served in arrival order.
//! 2. A bounded channel's room is a semaphore of `capacity` slots. A send
//!    takes a slot (waiting in FIFO order, rule 2 of `semaphore`) and the
//!    receive that takes the value out gives it back; a value handed to a
//!    receive that has not run yet still holds its slot.
//! 3. A receive that leaves after a value was handed to it (cancelled,
//!    timed out, its future dropped) puts the value back at the front: to
//!    the next waiting receive, else the head of the queue.
//! 4. Closing: dropping every `Sender` closes the sending side (receives
//!    drain the queue, then fail); `Receiver::close` or dropping the
//!    `Receiver` closes the receiving side (sends fail and hand their value
//!    back; waiting sends are woken to fail).

use super::error::{RecvError, SendError, TryRecvError, TrySendError};
use super::semaphore::{Semaphore, TryAcquireError};
use crate::executor::{block, waiter_for, Cancelled, Entry, WaitQueue};
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::fmt;
use std::rc::Rc;
use std::task::{Poll, Waker};

/// Makes a bounded channel holding at most `capacity` values: when full,
/// [`Sender::send`] suspends the sending task until the receiver takes one
/// (backpressure).
///
/// **Fairness.** Sends that wait for room are served in arrival order, and
/// room freed by a receive is handed to the oldest of them: a newcomer's
/// [`try_send`](Sender::try_send) fails while others wait.
///
/// # Panics
///
/// If `capacity` is 0 (use [`oneshot`](crate::sync::oneshot) for a
/// hand-over of one value).
///
/// ```
/// use corun::Executor;
///
/// let ex = Executor::new();
/// let (tx, rx) = corun::sync::channel(2);
/// let producer = ex.spawn(move || {
///     for i in 0..5 {
///         tx.send(i).unwrap(); // waits while 2 values are unread
///     }
/// });
/// let got: Vec<i32> = ex.block_on(|| rx.iter().collect());
/// assert_eq!(got, [0, 1, 2, 3, 4]);
/// assert!(producer.is_finished());
/// ```
#[must_use]
pub fn channel<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    assert!(
        capacity > 0,
        "corun::sync::channel: the capacity must be at least 1 \
         (use corun::sync::oneshot to hand over a single value)"
    );
    make(Some(capacity))
}

/// Makes a channel without a bound: [`Sender::send`] never suspends.
///
/// ```
/// let ex = corun::Executor::new();
/// let (tx, rx) = corun::sync::unbounded_channel();
/// for i in 0..1000 {
///     tx.send(i).unwrap();
/// }
/// drop(tx);
/// assert_eq!(ex.block_on(|| rx.iter().sum::<i32>()), 499_500);
/// ```
#[must_use]
pub fn unbounded_channel<T>() -> (Sender<T>, Receiver<T>) {
    make(None)
}

fn make<T>(capacity: Option<usize>) -> (Sender<T>, Receiver<T>) {
    let chan = Rc::new(Chan {
        queue: RefCell::new(VecDeque::new()),
        slots: capacity.map(Semaphore::new),
        capacity,
        receivers: WaitQueue::new(),
        senders: Cell::new(1),
        rx_closed: Cell::new(false),
    });
    let tx = Sender {
        chan: chan.clone(),
        connected: true,
        sink_key: Cell::new(None),
        reserved: Cell::new(false),
    };
    let rx = Receiver {
        chan,
        stream_key: None,
    };
    (tx, rx)
}

/// The state both ends share.
pub(crate) struct Chan<T> {
    queue: RefCell<VecDeque<T>>,
    /// Free room of a bounded channel (rule 2).
    pub(crate) slots: Option<Semaphore>,
    capacity: Option<usize>,
    receivers: WaitQueue<(), Received<T>>,
    senders: Cell<usize>,
    rx_closed: Cell<bool>,
}

/// What a waiting receive is handed.
enum Received<T> {
    Value(T),
    Closed,
}

impl<T> Chan<T> {
    pub(crate) fn rx_closed(&self) -> bool {
        self.rx_closed.get()
    }

    /// Sends a value whose slot is already taken (rule 1), or gives it back
    /// if the receiving side is closed.
    pub(crate) fn deliver(&self, value: T) -> Result<(), T> {
        if self.rx_closed.get() {
            self.free_slot();
            return Err(value);
        }
        if let Err(Received::Value(value)) = self.receivers.complete_front(Received::Value(value)) {
            self.queue.borrow_mut().push_back(value);
        }
        Ok(())
    }

    /// A value left the channel: its slot is free again (rule 2).
    pub(crate) fn free_slot(&self) {
        if let Some(slots) = &self.slots {
            slots.release(1);
        }
    }

    fn is_closed_for_recv(&self) -> bool {
        self.senders.get() == 0 || self.rx_closed.get()
    }

    fn try_recv(&self) -> Result<T, TryRecvError> {
        let value = self.queue.borrow_mut().pop_front();
        match value {
            Some(value) => {
                self.free_slot();
                Ok(value)
            }
            None if self.is_closed_for_recv() => Err(TryRecvError::Closed),
            None => Err(TryRecvError::Empty),
        }
    }

    /// Polls a receive: a value now, or a place in the queue, or what was
    /// handed to it. `waker` is `None` for a stackful task.
    pub(crate) fn poll_recv(
        &self,
        key: &mut Option<u64>,
        waker: Option<&Waker>,
        what: &str,
    ) -> Poll<Result<T, RecvError>> {
        match *key {
            None => match self.try_recv() {
                Ok(value) => Poll::Ready(Ok(value)),
                Err(TryRecvError::Closed) => Poll::Ready(Err(RecvError)),
                Err(TryRecvError::Empty) => {
                    *key = Some(self.receivers.push(waiter_for(waker, what), ()));
                    Poll::Pending
                }
            },
            Some(k) => match self.receivers.take(k, waker) {
                Entry::Waiting => Poll::Pending,
                Entry::Done(received) => {
                    *key = None;
                    Poll::Ready(match received {
                        Received::Value(value) => {
                            self.free_slot();
                            Ok(value)
                        }
                        // A value handed to a receive that then left
                        // went back to the queue, perhaps after this one
                        // was told "closed": it is still received.
                        Received::Closed => self.try_recv().map_err(|_| RecvError),
                    })
                }
            },
        }
    }

    /// A receive leaves (rule 3).
    pub(crate) fn abandon_recv(&self, key: u64) {
        if let Cancelled::Unused(Received::Value(value)) = self.receivers.cancel(key) {
            if let Err(Received::Value(value)) =
                self.receivers.complete_front(Received::Value(value))
            {
                self.queue.borrow_mut().push_front(value);
            }
        }
    }

    /// One sender leaves; the last one closes the sending side (rule 4).
    pub(crate) fn disconnect_sender(&self) {
        let left = self.senders.get() - 1;
        self.senders.set(left);
        if left == 0 {
            self.receivers.complete_all(|| Received::Closed);
        }
    }

    fn connect_sender(&self) {
        self.senders.set(self.senders.get() + 1);
    }

    /// Closes the receiving side (rule 4); queued values stay to be drained.
    fn close_rx(&self) {
        self.rx_closed.set(true);
        if let Some(slots) = &self.slots {
            slots.close();
        }
        self.receivers.complete_all(|| Received::Closed);
    }

    fn len(&self) -> usize {
        self.queue.borrow().len()
    }
}

/// The sending end of a channel; clone it for more producers. The
/// receiving side sees the channel closed once every `Sender` is dropped.
///
/// It also works from futures: [`send_async`](Sender::send_async), and
/// `futures::Sink` (whose `poll_ready` waits for room).
///
/// ```
/// let ex = corun::Executor::new();
/// let (tx, rx) = corun::sync::unbounded_channel();
/// for id in 0..3 {
///     let tx = tx.clone();
///     ex.spawn(move || tx.send(id).unwrap());
/// }
/// drop(tx);
/// let mut got: Vec<i32> = ex.block_on(|| rx.iter().collect());
/// got.sort();
/// assert_eq!(got, [0, 1, 2]);
/// ```
pub struct Sender<T> {
    pub(crate) chan: Rc<Chan<T>>,
    /// Counted in `chan.senders` (false after `Sink::poll_close`).
    pub(crate) connected: bool,
    /// The `Sink`'s place in the queue for room. A `Cell`: the sender's own
    /// sends (`&self`) give it up, since a claim the Sink stopped polling
    /// for (a `select!` whose other branch won) must not keep its own
    /// sender waiting.
    pub(crate) sink_key: Cell<Option<u64>>,
    /// The `Sink` holds a slot taken by `poll_ready`; the sender's own next
    /// send uses it if `start_send` never came.
    pub(crate) reserved: Cell<bool>,
}

impl<T> Sender<T> {
    /// Sends `value`, suspending the calling task while a bounded channel
    /// is full (waiting sends are served in arrival order). An unbounded
    /// channel never suspends.
    ///
    /// # Errors
    ///
    /// [`SendError`] with the value inside if the receiving side is or gets
    /// closed, or if the task is unwinding (a destructor run by
    /// cancellation) and would have to wait: it never suspends then.
    ///
    /// # Panics
    ///
    /// If it has to wait outside a corun task, or in a future task (use
    /// [`send_async`](Sender::send_async) there).
    ///
    /// ```
    /// let ex = corun::Executor::new();
    /// let (tx, rx) = corun::sync::channel(1);
    /// ex.block_on(|| {
    ///     tx.send(1).unwrap();
    ///     drop(rx);
    ///     assert_eq!(tx.send(2).unwrap_err().0, 2);
    /// });
    /// ```
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        const WHAT: &str = "corun::sync::Sender::send";
        if !self.connected || self.chan.rx_closed() {
            return Err(SendError(value));
        }
        if let Some(slots) = &self.chan.slots {
            if !self.take_sinks_slot(slots)
                && slots.acquire_blocking(1, WHAT, "Sender::send").is_err()
            {
                return Err(SendError(value));
            }
        }
        self.chan.deliver(value).map_err(SendError)
    }

    /// Whether the `Sink` had reserved a slot, now this send's. A place
    /// the Sink holds in the queue is given up instead: the send that
    /// follows waits (or not) as any other.
    pub(crate) fn take_sinks_slot(&self, slots: &Semaphore) -> bool {
        if let Some(key) = self.sink_key.take() {
            slots.abandon(key, 1);
        }
        self.reserved.replace(false)
    }

    /// Sends `value` if there is room now and no other send waits; never
    /// suspends.
    ///
    /// ```
    /// use corun::sync::TrySendError;
    ///
    /// let (tx, rx) = corun::sync::channel(1);
    /// assert!(tx.try_send(1).is_ok());
    /// assert!(matches!(tx.try_send(2), Err(TrySendError::Full(2))));
    /// drop(rx);
    /// assert!(matches!(tx.try_send(3), Err(TrySendError::Closed(3))));
    /// ```
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        if !self.connected || self.chan.rx_closed() {
            return Err(TrySendError::Closed(value));
        }
        if let Some(slots) = self
            .chan
            .slots
            .as_ref()
            .filter(|s| !self.take_sinks_slot(s))
        {
            match slots.try_acquire() {
                Ok(permit) => permit.forget(),
                Err(TryAcquireError::NoPermits) => return Err(TrySendError::Full(value)),
                Err(TryAcquireError::Closed) => return Err(TrySendError::Closed(value)),
            }
        }
        self.chan.deliver(value).map_err(TrySendError::Closed)
    }

    /// Whether the receiving side is closed: sends will fail.
    pub fn is_closed(&self) -> bool {
        !self.connected || self.chan.rx_closed()
    }

    /// The bound given to [`channel`], `None` if unbounded.
    pub fn capacity(&self) -> Option<usize> {
        self.chan.capacity
    }
}

impl<T> Clone for Sender<T> {
    /// Another sender on the same channel. A clone of a sender closed with
    /// `Sink::poll_close` is closed too.
    fn clone(&self) -> Self {
        if self.connected {
            self.chan.connect_sender();
        }
        Sender {
            chan: self.chan.clone(),
            connected: self.connected,
            sink_key: Cell::new(None),
            reserved: Cell::new(false),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        self.release_sink();
        if self.connected {
            self.connected = false;
            self.chan.disconnect_sender();
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("len", &self.chan.len())
            .field("capacity", &self.chan.capacity)
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// The receiving end of a channel. Not cloneable (single consumer), but
/// several tasks may share one (`Rc<Receiver>`): each value goes to one of
/// them, waiting receives being served in arrival order.
///
/// Also a `futures::Stream`, and `for v in &rx` receives until the channel
/// is closed and empty.
///
/// ```
/// let ex = corun::Executor::new();
/// let (tx, rx) = corun::sync::channel::<&str>(4);
/// ex.spawn(move || {
///     tx.send("a").unwrap();
///     tx.send("b").unwrap();
/// }); // tx dropped at the end: the channel closes
/// let got = ex.block_on(|| {
///     let mut got = Vec::new();
///     for v in &rx {
///         got.push(v);
///     }
///     got
/// });
/// assert_eq!(got, ["a", "b"]);
/// ```
pub struct Receiver<T> {
    pub(crate) chan: Rc<Chan<T>>,
    /// The `Stream`'s place among waiting receives.
    pub(crate) stream_key: Option<u64>,
}

impl<T> Receiver<T> {
    /// Receives the next value, suspending the calling task while the
    /// channel is empty. For a deadline, wrap it:
    /// `corun::timeout(d, || rx.recv())`; a receive that times out or is
    /// cancelled leaves the queue, and a value already handed to it goes to
    /// the next receive, so none is lost.
    ///
    /// # Errors
    ///
    /// [`RecvError`] once the channel is closed and empty, or if the task is
    /// unwinding (a destructor run by cancellation) and would have to wait:
    /// it never suspends then.
    ///
    /// # Panics
    ///
    /// If it has to wait outside a corun task, or in a future task (use
    /// [`recv_async`](Receiver::recv_async) there).
    ///
    /// ```
    /// let ex = corun::Executor::new();
    /// let (tx, rx) = corun::sync::channel(1);
    /// let v = ex.block_on(|| {
    ///     corun::spawn(move || tx.send(7).unwrap());
    ///     rx.recv().unwrap() // waits for the spawned task
    /// });
    /// assert_eq!(v, 7);
    /// ```
    pub fn recv(&self) -> Result<T, RecvError> {
        const WHAT: &str = "corun::sync::Receiver::recv";
        let mut op = RecvOp {
            chan: &self.chan,
            key: None,
        };
        block("Receiver::recv", || op.poll(None, WHAT)).unwrap_or(Err(RecvError))
    }

    /// [`recv`](Receiver::recv), waiting at most `limit`; `Ok(None)` when
    /// the time ran out (the shape of `mpsc::Receiver::recv_timeout`).
    ///
    /// # Errors
    ///
    /// As `recv`.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let ex = corun::Executor::new();
    /// let (tx, rx) = corun::sync::channel::<u8>(1);
    /// ex.block_on(|| {
    ///     assert_eq!(rx.recv_timeout(Duration::from_millis(1)), Ok(None));
    ///     tx.send(3).unwrap();
    ///     assert_eq!(rx.recv_timeout(Duration::from_millis(1)), Ok(Some(3)));
    /// });
    /// ```
    pub fn recv_timeout(&self, limit: std::time::Duration) -> Result<Option<T>, RecvError> {
        match self.try_recv() {
            Ok(value) => return Ok(Some(value)),
            Err(TryRecvError::Closed) => return Err(RecvError),
            Err(TryRecvError::Empty) => {}
        }
        crate::executor::timeout(limit, || self.recv()).map_or(Ok(None), |got| got.map(Some))
    }

    /// Receives a value if one is there; never suspends.
    ///
    /// ```
    /// use corun::sync::TryRecvError;
    ///
    /// let (tx, rx) = corun::sync::channel(1);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// tx.try_send(1).unwrap();
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// ```
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        self.chan.try_recv()
    }

    /// Closes the receiving side without dropping the receiver: sends fail
    /// from now on (waiting ones too, handing their values back), and the
    /// values already sent can still be received.
    ///
    /// ```
    /// let (tx, rx) = corun::sync::unbounded_channel();
    /// tx.send(1).unwrap();
    /// rx.close();
    /// assert!(tx.send(2).is_err());
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// assert_eq!(rx.try_recv(), Err(corun::sync::TryRecvError::Closed));
    /// ```
    pub fn close(&self) {
        self.chan.close_rx();
    }

    /// Whether the channel is closed (either side): once empty, receives
    /// fail.
    pub fn is_closed(&self) -> bool {
        self.chan.is_closed_for_recv()
    }

    /// How many values wait to be received.
    pub fn len(&self) -> usize {
        self.chan.len()
    }

    /// Whether no value waits to be received.
    pub fn is_empty(&self) -> bool {
        self.chan.len() == 0
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        if let Some(key) = self.stream_key.take() {
            self.chan.abandon_recv(key);
        }
        self.chan.close_rx();
        // Dropped outside the borrow: a value's destructor may use the
        // channel.
        let unread = std::mem::take(&mut *self.chan.queue.borrow_mut());
        drop(unread);
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("len", &self.chan.len())
            .field("capacity", &self.chan.capacity)
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// A receive in progress; leaves the queue when dropped unfinished.
pub(crate) struct RecvOp<'a, T> {
    pub(crate) chan: &'a Chan<T>,
    pub(crate) key: Option<u64>,
}

impl<T> RecvOp<'_, T> {
    pub(crate) fn poll(&mut self, waker: Option<&Waker>, what: &str) -> Poll<Result<T, RecvError>> {
        self.chan.poll_recv(&mut self.key, waker, what)
    }
}

impl<T> Drop for RecvOp<'_, T> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.chan.abandon_recv(key);
        }
    }
}
