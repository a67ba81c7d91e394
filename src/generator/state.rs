//! What `start` and `send` return.

/// The outcome of resuming a generator: it yielded a value, or its body
/// returned.
///
/// ```
/// use corun::GeneratorState;
///
/// let s: GeneratorState<u32, &str> = GeneratorState::Yielded(3);
/// assert_eq!(s.yielded(), Some(3));
/// assert!(GeneratorState::<u32, &str>::Complete("done").is_complete());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GeneratorState<Y, R> {
    /// The body yielded this value and is suspended.
    Yielded(Y),
    /// The body returned this value (Python's `StopIteration(value)`).
    Complete(R),
}

impl<Y, R> GeneratorState<Y, R> {
    /// The yielded value, if the body yielded.
    pub fn yielded(self) -> Option<Y> {
        match self {
            GeneratorState::Yielded(y) => Some(y),
            GeneratorState::Complete(_) => None,
        }
    }

    /// The return value, if the body returned.
    pub fn complete(self) -> Option<R> {
        match self {
            GeneratorState::Yielded(_) => None,
            GeneratorState::Complete(r) => Some(r),
        }
    }

    /// Whether the body returned.
    pub fn is_complete(&self) -> bool {
        matches!(self, GeneratorState::Complete(_))
    }

    /// Whether the body yielded.
    pub fn is_yielded(&self) -> bool {
        matches!(self, GeneratorState::Yielded(_))
    }
}
