//! The slot a delegating body hands its resumer (protocol rule 1): the
//! subgenerator, the value to start it with, and where its return value
//! lands; and how the root steps it without knowing its return type.

use super::protocol::{Delegate, DelegateStack, DelegateStep, Resume, Suspend};
use super::Generator;

/// A subgenerator being delegated to, and the slot for its return value.
pub(crate) struct DelegateSlot<'g, Y, S, R> {
    pub(crate) generator: Generator<'g, Y, S, R>,
    pub(crate) first: Option<S>,
    pub(crate) result: Option<R>,
}

impl<Y, S, R> Delegate<Y, S> for DelegateSlot<'_, Y, S, R> {
    fn step(&mut self, signal: Resume<S>) -> DelegateStep<Y, S> {
        use corosensei::CoroutineResult::{Return, Yield};
        match self.generator.resume_own(signal) {
            Yield(Suspend::Value(y)) => DelegateStep::Yielded(y),
            Yield(Suspend::Wait(kind)) => DelegateStep::Wait(kind),
            Yield(Suspend::Delegate(p)) => DelegateStep::Delegated(p),
            Return(Ok(r)) => {
                self.generator.finish();
                self.result = Some(r);
                DelegateStep::Returned
            }
            Return(Err(p)) => {
                self.generator.finish();
                DelegateStep::Panicked(p)
            }
        }
    }

    fn initial_signal(&mut self) -> Resume<S> {
        match self.first.take() {
            Some(s) => Resume::Send(s),
            None => Resume::Start,
        }
    }

    fn adopt_delegates(&mut self, into: &mut DelegateStack<Y, S>) {
        into.append(&mut self.generator.delegates);
    }
}
