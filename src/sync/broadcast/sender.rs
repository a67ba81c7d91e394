//! The sending half of a broadcast channel.

use super::{Receiver, SendError, Shared, Slot};
use crate::sync::recheck_wait::{arrive, depart};
use std::fmt;
use std::rc::Rc;

/// The sending half of a [`broadcast`](super) channel; `Clone` for more
/// senders. The channel closes for the receivers when the last one is
/// dropped (rule 5).
pub struct Sender<T> {
    shared: Rc<Shared<T>>,
}

impl<T> Sender<T> {
    pub(super) fn new(shared: Rc<Shared<T>>) -> Self {
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
    /// let (tx, rx) = corun::sync::broadcast::channel(4);
    /// assert_eq!(tx.send("to one").unwrap(), 1);
    /// drop(rx);
    /// assert_eq!(tx.send("to none").unwrap_err().into_inner(), "to none");
    /// ```
    pub fn send(&self, value: T) -> Result<usize, SendError<T>> {
        let shared = &self.shared;
        let receivers = shared.receivers.get();
        if receivers == 0 {
            return Err(SendError(value));
        }
        let dropped = {
            let mut queue = shared.queue.borrow_mut();
            let dropped = if queue.len() == shared.capacity {
                shared.head.set(shared.head.get() + 1);
                queue.pop_front()
            } else {
                None
            };
            queue.push_back(Slot {
                value,
                unread: receivers,
            });
            dropped
        };
        // Outside the borrow: its destructor may use the channel.
        drop(dropped);
        shared.waiting.wake_all();
        Ok(receivers)
    }

    /// A new receiver that sees the values sent from now on (rule 4).
    pub fn subscribe(&self) -> Receiver<T> {
        Receiver::new(self.shared.clone())
    }

    /// How many receivers there are.
    pub fn receiver_count(&self) -> usize {
        self.shared.receivers.get()
    }

    /// How many senders there are, this one included.
    pub fn sender_count(&self) -> usize {
        self.shared.senders.get()
    }

    /// How many values are queued, for the receiver furthest behind.
    pub fn len(&self) -> usize {
        self.shared.queue.borrow().len()
    }

    /// Whether no value is queued.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether `other` sends into the same channel.
    pub fn same_channel(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.shared, &other.shared)
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
        // The last one wakes the waiting receivers: they take what is
        // left, then find the channel closed.
        depart(&self.shared.senders, &self.shared.waiting);
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("broadcast::Sender")
            .field("queued", &self.len())
            .field("receivers", &self.receiver_count())
            .finish()
    }
}
