//! Wake-ups without data: `Notify` (tokio's, with a stored permit) and
//! `Event` (Python's `asyncio.Event`).
//!
//! Rules for `Notify`:
//! 1. `notify_one` hands a notification to the oldest waiter; with no
//!    waiter, it stores one permit (at most one), taken by the next wait
//!    (`wait`, or the `notified` future).
//! 2. `notify_waiters` hands a notification to everyone waiting now and
//!    stores nothing.
//! 3. A waiter that leaves without using a `notify_one` (or `notify_last`)
//!    notification (cancelled, timed out, its future dropped) passes it on
//!    as a new `notify_one` (or `notify_last`), so it is never lost.
//!
//! Rules for `Event`:
//! 4. `set` wakes every waiter; each returns even if the event is cleared
//!    again before it runs (it was set while it waited).

use crate::executor::{block, register_caller, waiter_for, Cancelled, Entry, WaitQueue};
use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

/// Wakes waiting tasks, one or all, without passing data: tokio's
/// `Notify`.
///
/// **Fairness.** [`notify_one`](Notify::notify_one) wakes the task that has
/// waited longest. If no task waits, it stores a permit, so a notification
/// that comes before the wait is not lost.
///
/// ```
/// use corun::sync::Notify;
/// use std::rc::Rc;
///
/// let ex = corun::Executor::new();
/// let ready = Rc::new(Notify::new());
/// let r = ready.clone();
/// let waiter = ex.spawn(move || {
///     r.wait();
///     "woken"
/// });
/// ex.block_on(|| {
///     corun::yield_now(); // the waiter is waiting now
///     ready.notify_one();
///     assert_eq!(waiter.join().unwrap(), "woken");
/// });
/// ```
pub struct Notify {
    permit: Cell<bool>,
    waiters: WaitQueue<(), Wake>,
}

/// How a waiter was notified.
enum Wake {
    /// By `notify_one` (oldest first) or `notify_last` (newest first: the
    /// flag), which a waiter that leaves passes on the same way.
    One {
        newest: bool,
    },
    All,
}

impl Default for Notify {
    fn default() -> Self {
        Notify::new()
    }
}

impl Notify {
    /// A `Notify` with no stored permit.
    pub fn new() -> Self {
        Notify {
            permit: Cell::new(false),
            waiters: WaitQueue::new(),
        }
    }

    /// Waits for a notification, suspending the calling task; returns at
    /// once if a permit is stored (and takes it).
    ///
    /// While the task is unwinding (a destructor run by cancellation), it
    /// returns at once instead of waiting.
    ///
    /// # Panics
    ///
    /// If it has to wait outside a corun task, or in a future task (`.await`
    /// [`notified`](Notify::notified) there).
    ///
    /// ```
    /// let ex = corun::Executor::new();
    /// let n = corun::sync::Notify::new();
    /// n.notify_one(); // no one waits: the permit is stored
    /// ex.block_on(|| n.wait()); // takes it without waiting
    /// ```
    pub fn wait(&self) {
        const WHAT: &str = "corun::sync::Notify::wait";
        let mut op = NotifiedOp {
            notify: self,
            key: None,
        };
        let _ = block("Notify::wait", || op.poll(None, WHAT));
    }

    /// A future of a notification, as tokio's `Notify::notified`: for
    /// future tasks and async code ([`wait`](Notify::wait) is the form
    /// for stackful tasks). It takes its place in the queue when first
    /// polled (a `notify_waiters` before that does not reach it); dropping
    /// it leaves the queue.
    ///
    /// ```
    /// use std::rc::Rc;
    ///
    /// let ex = corun::Executor::new();
    /// let n = Rc::new(corun::sync::Notify::new());
    /// let n2 = n.clone();
    /// let h = ex.spawn_future(async move { n2.notified().await });
    /// ex.block_on(|| {
    ///     corun::yield_now();
    ///     n.notify_waiters();
    ///     h.join().unwrap();
    /// });
    /// ```
    pub fn notified(&self) -> Notified<'_> {
        Notified {
            op: NotifiedOp {
                notify: self,
                key: None,
            },
        }
    }

    /// The same future as [`notified`](Notify::notified), under the
    /// `*_async` name the other primitives' futures have.
    ///
    /// ```
    /// let n = corun::sync::Notify::new();
    /// n.notify_one();
    /// futures::executor::block_on(n.notified_async()); // takes the permit
    /// ```
    pub fn notified_async(&self) -> Notified<'_> {
        self.notified()
    }

    /// Wakes the task that has waited longest, or stores a permit for the
    /// next wait if none waits (rule 1).
    pub fn notify_one(&self) {
        if self
            .waiters
            .complete_front(Wake::One { newest: false })
            .is_err()
        {
            self.permit.set(true);
        }
    }

    /// Wakes the task that began to wait last, or stores a permit if none
    /// waits (tokio's `notify_last`): a stack of waiters rather than a
    /// queue, for work that is best done by the most recent (warmest)
    /// waiter.
    ///
    /// ```
    /// use std::cell::RefCell;
    /// use std::rc::Rc;
    ///
    /// let ex = corun::Executor::new();
    /// let n = Rc::new(corun::sync::Notify::new());
    /// let order = Rc::new(RefCell::new(Vec::new()));
    /// let tasks: Vec<_> = (0..3)
    ///     .map(|i| {
    ///         let (n, order) = (n.clone(), order.clone());
    ///         ex.spawn(move || { n.wait(); order.borrow_mut().push(i) })
    ///     })
    ///     .collect();
    /// ex.block_on(|| {
    ///     corun::yield_now(); // all three wait
    ///     for _ in 0..3 {
    ///         n.notify_last();
    ///         corun::yield_now();
    ///     }
    ///     corun::sync::join_all(tasks);
    /// });
    /// assert_eq!(*order.borrow(), [2, 1, 0]);
    /// ```
    pub fn notify_last(&self) {
        if self
            .waiters
            .complete_back(Wake::One { newest: true })
            .is_err()
        {
            self.permit.set(true);
        }
    }

    /// [`wait`](Notify::wait) for at most `limit`: whether a notification
    /// (or the stored permit) came in time. One that comes too late is not
    /// lost: it goes to the next waiter, or is stored (rule 3).
    ///
    /// # Panics
    ///
    /// Outside a stackful task (as [`corun::timeout`](crate::timeout)).
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let ex = corun::Executor::new();
    /// let n = corun::sync::Notify::new();
    /// ex.block_on(|| {
    ///     assert!(!n.wait_timeout(Duration::from_millis(1)));
    ///     n.notify_one();
    ///     assert!(n.wait_timeout(Duration::from_millis(1)));
    /// });
    /// ```
    #[track_caller]
    pub fn wait_timeout(&self, limit: std::time::Duration) -> bool {
        crate::timeout(limit, || self.wait()).is_ok()
    }

    /// Wakes every task waiting now; stores no permit (rule 2).
    pub fn notify_waiters(&self) {
        self.waiters.complete_all(|| Wake::All);
    }

    fn poll_notified(&self, key: &mut Option<u64>, waker: Option<&Waker>, what: &str) -> Poll<()> {
        match *key {
            None => {
                if self.permit.replace(false) {
                    return Poll::Ready(());
                }
                *key = Some(self.waiters.push(waiter_for(waker, what), ()));
                Poll::Pending
            }
            Some(k) => match self.waiters.take(k, waker) {
                Entry::Waiting => Poll::Pending,
                Entry::Done(_) => {
                    *key = None;
                    Poll::Ready(())
                }
            },
        }
    }

    /// A waiter leaves (rule 3).
    fn abandon(&self, key: u64) {
        match self.waiters.cancel(key) {
            Cancelled::Unused(Wake::One { newest: false }) => self.notify_one(),
            Cancelled::Unused(Wake::One { newest: true }) => self.notify_last(),
            _ => {}
        }
    }
}

impl fmt::Debug for Notify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notify")
            .field("permit", &self.permit.get())
            .field("waiters", &self.waiters.len())
            .finish()
    }
}

struct NotifiedOp<'a> {
    notify: &'a Notify,
    key: Option<u64>,
}

impl NotifiedOp<'_> {
    fn poll(&mut self, waker: Option<&Waker>, what: &str) -> Poll<()> {
        self.notify.poll_notified(&mut self.key, waker, what)
    }
}

impl Drop for NotifiedOp<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.notify.abandon(key);
        }
    }
}

/// The future of [`Notify::notified`].
///
/// ```
/// let n = corun::sync::Notify::new();
/// n.notify_one();
/// let fut: corun::sync::Notified<'_> = n.notified();
/// futures::executor::block_on(fut); // takes the stored permit
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct Notified<'a> {
    op: NotifiedOp<'a>,
}

impl Future for Notified<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.op
            .poll(Some(cx.waker()), "corun::sync::Notified::poll")
    }
}

impl fmt::Debug for Notified<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notified")
            .field("queued", &self.op.key.is_some())
            .finish()
    }
}

/// A flag tasks can wait for: Python's `asyncio.Event`. [`set`](Event::set)
/// wakes every waiter (rule 4); while set, [`wait`](Event::wait) returns at
/// once; [`clear`](Event::clear) makes later waits wait again. Waiters are
/// woken in the order they began to wait.
///
/// ```
/// use corun::sync::Event;
/// use std::rc::Rc;
///
/// let ex = corun::Executor::new();
/// let go = Rc::new(Event::new());
/// let handles: Vec<_> = (0..3)
///     .map(|i| {
///         let go = go.clone();
///         ex.spawn(move || {
///             go.wait();
///             i
///         })
///     })
///     .collect();
/// ex.block_on(|| {
///     corun::yield_now();
///     go.set();
///     let done: Vec<i32> = corun::sync::join_all(handles)
///         .into_iter()
///         .map(Result::unwrap)
///         .collect();
///     assert_eq!(done, [0, 1, 2]);
/// });
/// ```
pub struct Event {
    set: Cell<bool>,
    waiters: WaitQueue,
}

impl Default for Event {
    fn default() -> Self {
        Event::new()
    }
}

impl Event {
    /// An event that is not set.
    pub fn new() -> Self {
        Event {
            set: Cell::new(false),
            waiters: WaitQueue::new(),
        }
    }

    /// Sets the flag and wakes every waiting task.
    pub fn set(&self) {
        self.set.set(true);
        self.waiters.wake_all();
    }

    /// Clears the flag: later waits wait for the next [`set`](Event::set).
    ///
    /// ```
    /// let e = corun::sync::Event::new();
    /// e.set();
    /// e.clear();
    /// assert!(!e.is_set());
    /// ```
    pub fn clear(&self) {
        self.set.set(false);
    }

    /// Whether the flag is set.
    pub fn is_set(&self) -> bool {
        self.set.get()
    }

    /// Waits until the flag is set, suspending the calling task; returns at
    /// once if it is set already.
    ///
    /// While the task is unwinding (a destructor run by cancellation), it
    /// returns at once instead of waiting.
    ///
    /// # Panics
    ///
    /// If it has to wait outside a corun task, or in a future task (use
    /// [`wait_async`](Event::wait_async) there).
    pub fn wait(&self) {
        const WHAT: &str = "corun::sync::Event::wait";
        let mut op = EventOp {
            event: self,
            key: None,
        };
        let _ = block("Event::wait", || op.poll(None, WHAT));
    }

    /// A future that completes when the flag is set, for future tasks and
    /// async code.
    ///
    /// ```
    /// use std::rc::Rc;
    ///
    /// let ex = corun::Executor::new();
    /// let e = Rc::new(corun::sync::Event::new());
    /// let e2 = e.clone();
    /// let h = ex.spawn_future(async move { e2.wait_async().await });
    /// e.set();
    /// ex.block_on(|| h.join().unwrap());
    /// ```
    pub fn wait_async(&self) -> EventWait<'_> {
        EventWait {
            op: EventOp {
                event: self,
                key: None,
            },
        }
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event")
            .field("set", &self.set.get())
            .field("waiters", &self.waiters.len())
            .finish()
    }
}

struct EventOp<'a> {
    event: &'a Event,
    key: Option<u64>,
}

impl EventOp<'_> {
    fn poll(&mut self, waker: Option<&Waker>, what: &str) -> Poll<()> {
        let list = &self.event.waiters;
        // Woken by `set` (the wake removed our entry): done, even if the
        // event was cleared since (rule 4).
        let woken = self.key.is_some_and(|key| !list.contains(key));
        if woken || self.event.is_set() {
            if let Some(key) = self.key.take() {
                list.remove(key);
            }
            return Poll::Ready(());
        }
        register_caller(list, &mut self.key, waker, what);
        Poll::Pending
    }
}

impl Drop for EventOp<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.event.waiters.remove(key);
        }
    }
}

/// The future of [`Event::wait_async`].
///
/// ```
/// let e = corun::sync::Event::new();
/// e.set();
/// let fut: corun::sync::EventWait<'_> = e.wait_async();
/// futures::executor::block_on(fut); // set: ready at once
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct EventWait<'a> {
    op: EventOp<'a>,
}

impl Future for EventWait<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.op
            .poll(Some(cx.waker()), "corun::sync::EventWait::poll")
    }
}

impl fmt::Debug for EventWait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventWait")
            .field("waiting", &self.op.key.is_some())
            .finish()
    }
}
