//! The errors of the broadcast channel (tokio's `broadcast::error`).

use std::fmt;

/// Why [`Receiver::recv`](super::Receiver::recv) returned no value.
///
/// ```
/// use corun::sync::broadcast::{self, RecvError};
///
/// let ex = corun::Executor::new();
/// let (tx, mut rx) = broadcast::channel(1);
/// tx.send(1).unwrap();
/// tx.send(2).unwrap(); // the queue holds one value: 1 is dropped
/// drop(tx);
/// ex.block_on(|| {
///     assert_eq!(rx.recv(), Err(RecvError::Lagged(1)));
///     assert_eq!(rx.recv(), Ok(2));
///     assert_eq!(rx.recv(), Err(RecvError::Closed));
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecvError {
    /// Every sender is gone and this receiver has taken every value.
    Closed,
    /// The receiver fell behind: this many values it had not taken were
    /// dropped to make room (rule 2). The next receive goes on from the
    /// oldest value still queued.
    Lagged(u64),
    /// The task is unwinding (a destructor run by cancellation) and would
    /// have had to wait.
    Unwinding,
}

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecvError::Closed => f.write_str("broadcast channel closed: every sender was dropped"),
            RecvError::Lagged(n) => write!(f, "the receiver lagged behind and missed {n} values"),
            RecvError::Unwinding => {
                f.write_str("cannot wait for a value while the task is unwinding")
            }
        }
    }
}

impl std::error::Error for RecvError {}

/// Why [`Receiver::try_recv`](super::Receiver::try_recv) returned no value.
///
/// ```
/// use corun::sync::broadcast::{self, TryRecvError};
///
/// let (tx, mut rx) = broadcast::channel::<u8>(4);
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
/// drop(tx);
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TryRecvError {
    /// Nothing to take now; more may come.
    Empty,
    /// Every sender is gone and this receiver has taken every value.
    Closed,
    /// The receiver fell behind by this many values (see
    /// [`RecvError::Lagged`]).
    Lagged(u64),
}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryRecvError::Empty => {
                f.write_str("the broadcast channel has no value for this receiver")
            }
            TryRecvError::Closed => {
                f.write_str("broadcast channel closed: every sender was dropped")
            }
            TryRecvError::Lagged(n) => {
                write!(f, "the receiver lagged behind and missed {n} values")
            }
        }
    }
}

impl std::error::Error for TryRecvError {}
