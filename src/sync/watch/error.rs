//! The errors of the watch channel (tokio's `watch::error`).

use std::fmt;

/// What [`Sender::send`](super::Sender::send) gives back when no receiver
/// is left: the value that was not stored. The same type as the other
/// channels' [`sync::SendError`](crate::sync::SendError).
///
/// ```
/// let (tx, rx) = corun::sync::watch::channel(0);
/// drop(rx);
/// let err: corun::sync::watch::error::SendError<i32> = tx.send(1).unwrap_err();
/// assert_eq!(err.into_inner(), 1);
/// ```
pub use crate::sync::SendError;

/// Why a receiver's wait or [`has_changed`](super::Receiver::has_changed)
/// failed: every [`Sender`](super::Sender) is gone (tokio's
/// `RecvError`), or the task is unwinding and would have had to wait.
///
/// ```
/// let ex = corun::Executor::new();
/// let (tx, mut rx) = corun::sync::watch::channel(0);
/// drop(tx);
/// let err = ex.block_on(|| rx.changed()).unwrap_err();
/// assert!(err.is_closed());
/// assert_eq!(err.to_string(), "watch channel closed: every sender was dropped");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecvError(Kind);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Closed,
    Unwinding,
}

impl RecvError {
    pub(crate) fn closed() -> Self {
        RecvError(Kind::Closed)
    }

    pub(crate) fn unwinding() -> Self {
        RecvError(Kind::Unwinding)
    }

    /// Whether every sender is gone, rather than the task being unable to
    /// wait because it is unwinding (a destructor run by cancellation).
    pub fn is_closed(&self) -> bool {
        self.0 == Kind::Closed
    }
}

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Kind::Closed => f.write_str("watch channel closed: every sender was dropped"),
            Kind::Unwinding => f.write_str("cannot wait for a change while the task is unwinding"),
        }
    }
}

impl std::error::Error for RecvError {}
