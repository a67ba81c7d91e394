//! The sending half of a watch channel.

use super::error::SendError;
use super::receiver::Receiver;
use super::shared::Shared;
use crate::executor::block;
use crate::sync::recheck_wait::{arrive, depart, Wait};
use std::cell::Ref;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

/// Stores the latest value of a [`channel`](super::channel) and tells the
/// receivers when it changes. Cloning it makes another sender of the same
/// value; the channel closes for the receivers when the last one is
/// dropped.
pub struct Sender<T> {
    pub(super) shared: Rc<Shared<T>>,
}

impl<T> Sender<T> {
    /// A sender with no receiver yet (tokio's `Sender::new`): `send` fails
    /// until [`subscribe`](Sender::subscribe) makes one, but
    /// [`send_replace`](Sender::send_replace) and
    /// [`send_modify`](Sender::send_modify) store.
    ///
    /// ```
    /// let tx = corun::sync::watch::Sender::new(1);
    /// assert!(tx.send(2).is_err());
    /// let rx = tx.subscribe();
    /// tx.send(3).unwrap();
    /// assert_eq!(*rx.borrow(), 3);
    /// ```
    pub fn new(init: T) -> Self {
        Sender {
            shared: Rc::new(Shared::new(init)),
        }
    }

    /// Stores `value` and wakes every receiver waiting for a change; never
    /// suspends.
    ///
    /// # Errors
    ///
    /// [`SendError`] with `value` inside, not stored, if no receiver is
    /// left (tokio's rule; [`send_replace`](Sender::send_replace) stores
    /// anyway).
    ///
    /// # Panics
    ///
    /// If a `Ref` to the value ([`Receiver::borrow`] and the like) is
    /// still alive, which happens when one is held across a wait.
    ///
    /// ```
    /// let ex = corun::Executor::new();
    /// let (tx, mut rx) = corun::sync::watch::channel("idle");
    /// let watcher = ex.spawn(move || {
    ///     rx.changed().unwrap(); // suspends until the send
    ///     *rx.borrow()
    /// });
    /// ex.block_on(|| {
    ///     corun::yield_now(); // the watcher waits now
    ///     tx.send("busy").unwrap();
    ///     assert_eq!(watcher.join().unwrap(), "busy");
    ///     assert_eq!(tx.send("done").unwrap_err().into_inner(), "done"); // no receiver left
    /// });
    /// ```
    #[track_caller]
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        if self.is_closed() {
            return Err(SendError(value));
        }
        drop(self.replace(value, "corun::sync::watch::Sender::send"));
        Ok(())
    }

    /// Stores `value` whether or not a receiver is left, wakes the
    /// waiting receivers, and returns the value it replaced.
    ///
    /// # Panics
    ///
    /// As [`send`](Sender::send), if a `Ref` to the value is alive.
    ///
    /// ```
    /// let (tx, rx) = corun::sync::watch::channel(1);
    /// drop(rx);
    /// assert_eq!(tx.send_replace(2), 1);
    /// assert_eq!(*tx.borrow(), 2);
    /// ```
    #[track_caller]
    pub fn send_replace(&self, value: T) -> T {
        self.replace(value, "corun::sync::watch::Sender::send_replace")
    }

    /// Changes the value in place and wakes the waiting receivers, whether
    /// or not a receiver is left. If `modify` panics, the change made so
    /// far stays but no receiver is told of it.
    ///
    /// # Panics
    ///
    /// As [`send`](Sender::send), if a `Ref` to the value is alive (so
    /// `modify` must not borrow this channel's value either).
    ///
    /// ```
    /// let (tx, rx) = corun::sync::watch::channel(vec![1]);
    /// tx.send_modify(|v| v.push(2));
    /// assert!(rx.has_changed().unwrap());
    /// assert_eq!(*rx.borrow(), [1, 2]);
    /// ```
    #[track_caller]
    pub fn send_modify(&self, modify: impl FnOnce(&mut T)) {
        self.modify(
            |value| {
                modify(value);
                true
            },
            "corun::sync::watch::Sender::send_modify",
        );
    }

    /// Changes the value in place; the receivers see a new version, and
    /// the waiting ones are woken, only if `modify` returns `true`. Returns
    /// what `modify` returned.
    ///
    /// # Panics
    ///
    /// As [`send_modify`](Sender::send_modify).
    ///
    /// ```
    /// let (tx, rx) = corun::sync::watch::channel(5);
    /// assert!(!tx.send_if_modified(|v| std::mem::replace(v, 5) != 5));
    /// assert!(!rx.has_changed().unwrap()); // same value: no change seen
    /// assert!(tx.send_if_modified(|v| std::mem::replace(v, 6) != 6));
    /// assert!(rx.has_changed().unwrap());
    /// ```
    #[track_caller]
    pub fn send_if_modified(&self, modify: impl FnOnce(&mut T) -> bool) -> bool {
        self.modify(modify, "corun::sync::watch::Sender::send_if_modified")
    }

    /// Borrows the current value. Drop the `Ref` before anything sends:
    /// a send that finds the value borrowed panics.
    ///
    /// ```
    /// let (tx, _rx) = corun::sync::watch::channel(String::from("v1"));
    /// assert_eq!(*tx.borrow(), "v1");
    /// ```
    pub fn borrow(&self) -> Ref<'_, T> {
        self.shared.value.borrow()
    }

    /// A new receiver that has seen the current value: its first
    /// [`changed`](Receiver::changed) waits for the next store.
    ///
    /// ```
    /// let (tx, _rx) = corun::sync::watch::channel(0);
    /// tx.send(1).unwrap();
    /// let late = tx.subscribe();
    /// assert!(!late.has_changed().unwrap());
    /// assert_eq!(*late.borrow(), 1);
    /// ```
    pub fn subscribe(&self) -> Receiver<T> {
        let seen = self.shared.version.get();
        Receiver::new(self.shared.clone(), seen)
    }

    /// How many receivers the channel has.
    pub fn receiver_count(&self) -> usize {
        self.shared.receivers.get()
    }

    /// How many senders the channel has, this one included.
    pub fn sender_count(&self) -> usize {
        self.shared.senders.get()
    }

    /// Whether no receiver is left ([`send`](Sender::send) would fail).
    pub fn is_closed(&self) -> bool {
        self.receiver_count() == 0
    }

    /// Waits until no receiver is left, suspending the calling task;
    /// returns at once if none is.
    ///
    /// While the task is unwinding (a destructor run by cancellation), it
    /// returns at once instead of waiting: check
    /// [`is_closed`](Sender::is_closed) there if it matters.
    ///
    /// # Panics
    ///
    /// If it has to wait outside a corun task, or in a future task (use
    /// [`closed_async`](Sender::closed_async) there).
    ///
    /// ```
    /// let ex = corun::Executor::new();
    /// let (tx, rx) = corun::sync::watch::channel(());
    /// ex.spawn(move || drop(rx));
    /// ex.block_on(|| tx.closed()); // returns once the task dropped rx
    /// assert!(tx.is_closed());
    /// ```
    pub fn closed(&self) {
        const WHAT: &str = "corun::sync::watch::Sender::closed";
        let mut wait = Wait::new(&self.shared.closed);
        let _ = block("watch::Sender::closed", || {
            wait.poll(self.is_closed().then_some(()), None, WHAT)
        });
    }

    /// A future of [`closed`](Sender::closed), for future tasks and async
    /// code.
    ///
    /// ```
    /// let (tx, rx) = corun::sync::watch::channel(0);
    /// drop(rx);
    /// futures::executor::block_on(tx.closed_async());
    /// ```
    pub fn closed_async(&self) -> Closed<'_, T> {
        Closed {
            sender: self,
            wait: Wait::new(&self.shared.closed),
        }
    }

    #[track_caller]
    fn replace(&self, value: T, what: &str) -> T {
        let old = std::mem::replace(&mut *self.shared.value_mut(what), value);
        self.shared.publish();
        old
    }

    #[track_caller]
    fn modify(&self, modify: impl FnOnce(&mut T) -> bool, what: &str) -> bool {
        let modified = modify(&mut self.shared.value_mut(what));
        if modified {
            self.shared.publish();
        }
        modified
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        arrive(&self.shared.senders);
        Sender {
            shared: self.shared.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        // The waiting receivers then fail, or take their last unseen value.
        depart(&self.shared.senders, &self.shared.changes);
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("watch::Sender")
            .field("version", &self.shared.version.get())
            .field("receivers", &self.receiver_count())
            .field("waiting", &self.shared.changes.len())
            .finish()
    }
}

/// The future of [`Sender::closed_async`]: ready once no receiver is
/// left. Dropping it leaves the wait.
#[must_use = "futures do nothing unless polled"]
pub struct Closed<'a, T> {
    sender: &'a Sender<T>,
    wait: Wait<'a>,
}

impl<T> Future for Closed<'_, T> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let closed = self.sender.is_closed().then_some(());
        self.wait
            .poll(closed, Some(cx.waker()), "corun::sync::watch::Closed::poll")
    }
}

impl<T> fmt::Debug for Closed<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("watch::Closed")
            .field("waiting", &self.wait.is_queued())
            .finish()
    }
}
