//! `JoinError`: why a task produced no value (it panicked, was cancelled,
//! or got no stack).

use crate::generator::Payload;
use crate::stack::StackError;
use std::fmt;

/// Why a task produced no value.
pub struct JoinError {
    repr: Repr,
}

enum Repr {
    Panicked(Payload),
    Cancelled,
    NoStack(StackError),
}

impl JoinError {
    pub(crate) fn panicked(payload: Payload) -> Self {
        JoinError {
            repr: Repr::Panicked(payload),
        }
    }

    pub(crate) fn cancelled() -> Self {
        JoinError {
            repr: Repr::Cancelled,
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
        matches!(self.repr, Repr::Cancelled)
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
            Repr::Panicked(p) => Ok(p),
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

    fn panic_message(&self) -> Option<&str> {
        match &self.repr {
            Repr::Panicked(p) => p
                .downcast_ref::<&'static str>()
                .copied()
                .or_else(|| p.downcast_ref::<String>().map(String::as_str)),
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
            Repr::Cancelled => f.write_str("JoinError::Cancelled"),
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
            Repr::Cancelled => f.write_str("task was cancelled"),
            Repr::NoStack(e) => write!(f, "task could not start: {e}"),
        }
    }
}

impl std::error::Error for JoinError {}
