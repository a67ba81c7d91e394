//! The sending half of a shared broadcast channel.

use super::{Receiver, SendError, Shared, Slot};
use crate::loom::lock;
use std::fmt;
use std::sync::Arc;

/// The sending half of a shared [`broadcast`](super) channel; `Clone` for
/// more senders. The channel closes for the receivers when the last one is
/// dropped (rule 5).
pub struct Sender<T> {
    shared: Shared<T>,
}

impl<T> Sender<T> {
    pub(super) fn new(shared: Shared<T>) -> Self {
        Sender { shared }
    }

    /// Queues `value` for every receiver alive now and wakes those that
    /// wait; returns how many receivers will see it. Never waits: a full
    /// queue drops its oldest value (rule 2).
    ///
    /// # Errors
    ///
    /// [`SendError`] with the value if no receiver is left.
    ///
    /// ```
    /// let (tx, rx) = corun::sync::shared::broadcast::channel(4);
    /// assert_eq!(tx.send("to one").unwrap(), 1);
    /// drop(rx);
    /// assert_eq!(tx.send("to none").unwrap_err().into_inner(), "to none");
    /// ```
    pub fn send(&self, value: T) -> Result<usize, SendError<T>> {
        let (receivers, dropped, waiting) = {
            let mut inner = lock(&self.shared);
            let receivers = inner.receivers;
            if receivers == 0 {
                return Err(SendError(value));
            }
            let dropped = if inner.queue.len() == inner.capacity {
                inner.head += 1;
                inner.queue.pop_front()
            } else {
                None
            };
            let seq = inner.tail();
            inner.queue.push_back(Slot {
                value,
                seq,
                unread: receivers,
            });
            (receivers, dropped, inner.waiting.take_all())
        };
        // Outside the lock (rule 7): a value's destructor may use the
        // channel, and a waker may run code of its own.
        drop(dropped);
        // The broken variant the loom model must reject: the value is
        // queued, but nobody who waits for it is told.
        #[cfg(corun_loom_mutant)]
        if crate::loom::mutant("broadcast_send") {
            drop(waiting);
            return Ok(receivers);
        }
        waiting.wake();
        Ok(receivers)
    }

    /// A new receiver that sees the values sent from now on (rule 4).
    pub fn subscribe(&self) -> Receiver<T> {
        Receiver::new(self.shared.clone())
    }

    /// How many receivers there are (a snapshot: other threads subscribe
    /// and drop theirs meanwhile).
    pub fn receiver_count(&self) -> usize {
        lock(&self.shared).receivers
    }

    /// How many senders there are, this one included.
    pub fn sender_count(&self) -> usize {
        lock(&self.shared).senders
    }

    /// How many values are queued, for the receiver furthest behind.
    pub fn len(&self) -> usize {
        lock(&self.shared).queue.len()
    }

    /// Whether no value is queued.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether `other` sends into the same channel.
    pub fn same_channel(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        lock(&self.shared).senders += 1;
        Sender {
            shared: self.shared.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        // The last one wakes the waiting receivers: they take what is
        // left, then find the channel closed (rule 5).
        let waiting = {
            let mut inner = lock(&self.shared);
            inner.senders -= 1;
            if inner.senders > 0 {
                return;
            }
            inner.waiting.take_all()
        };
        waiting.wake();
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = lock(&self.shared);
        f.debug_struct("shared::broadcast::Sender")
            .field("queued", &inner.queue.len())
            .field("receivers", &inner.receivers)
            .field("waiting", &inner.waiting.len())
            .finish()
    }
}
