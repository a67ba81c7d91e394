//! `JoinError`: why a task produced no value (it panicked, was cancelled,
//! or got no stack).

use crate::generator::Payload;
use crate::stack::StackError;
use std::fmt;

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

impl From<JoinError> for std::io::Error {
    /// `ErrorKind::Other` around the `JoinError` itself (tokio converts so
    /// too), so `handle.join()?` works in a function that returns
    /// `io::Result`; nothing is lost: `into_inner` and a downcast give the
    /// `JoinError` (and a panic's payload) back.
    ///
    /// ```
    /// fn run(ex: &corun::Executor) -> std::io::Result<u32> {
    ///     Ok(ex.block_on(|| corun::spawn(|| -> u32 { panic!("no") }).join())?)
    /// }
    /// let err = run(&corun::Executor::new()).unwrap_err();
    /// let join: Box<corun::JoinError> = err.into_inner().unwrap().downcast().unwrap();
    /// assert!(join.is_panic());
    /// ```
    fn from(e: JoinError) -> Self {
        std::io::Error::other(e)
    }
}
