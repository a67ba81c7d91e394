//! The slot a delegating body hands its resumer (protocol rule 1): the
//! subgenerator, the value to start it with, and where its return value
//! lands; and how the root steps it without knowing its return type.

use super::protocol::{Delegate, DelegateStack, DelegateStep, Outcome, Resume, Suspend};
use super::Generator;
use corosensei::CoroutineResult;

/// A subgenerator being delegated to, and the slot for its return value.
pub(crate) struct DelegateSlot<'g, Y, S, R> {
    pub(crate) generator: Generator<'g, Y, S, R>,
    pub(crate) first: Option<S>,
    pub(crate) result: Option<R>,
    /// The step a `send_value` answered `None` for, until `take_step`.
    pub(crate) parked: Option<DelegateStep<Y, S>>,
}

impl<Y, S, R> DelegateSlot<'_, Y, S, R> {
    /// Keeps what a send produced other than a plain yield, for
    /// `take_step`: out of line, so that `send_value`'s frame stays small.
    #[inline(never)]
    fn park(&mut self, out: Outcome<Y, S, R>) {
        let step = self.outcome(out);
        self.parked = Some(step);
    }

    /// What one resumption of the subgenerator's body means to the root.
    fn outcome(&mut self, out: Outcome<Y, S, R>) -> DelegateStep<Y, S> {
        match out {
            CoroutineResult::Yield(Suspend::Value(y)) => DelegateStep::Yielded(y),
            CoroutineResult::Yield(Suspend::Wait(kind)) => DelegateStep::Wait(kind),
            CoroutineResult::Yield(Suspend::Delegate(p)) => DelegateStep::Delegated(p),
            CoroutineResult::Return(Ok(r)) => {
                self.generator.finish();
                self.result = Some(r);
                DelegateStep::Returned
            }
            CoroutineResult::Return(Err(p)) => {
                self.generator.finish();
                DelegateStep::Panicked(p)
            }
        }
    }
}

impl<Y, S, R> Delegate<Y, S> for DelegateSlot<'_, Y, S, R> {
    fn step(&mut self, signal: Resume<S>) -> DelegateStep<Y, S> {
        let out = self.generator.resume_own(signal);
        self.outcome(out)
    }

    fn send_value(&mut self, value: S) -> Option<Y> {
        match self.generator.send_own(value) {
            Ok(y) => Some(y),
            Err(out) => {
                self.park(out);
                None
            }
        }
    }

    fn take_step(&mut self) -> DelegateStep<Y, S> {
        self.parked
            .take()
            .expect("corun internal error: a delegate's step taken twice")
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

    fn keep_delegates(&mut self, mut delegates: DelegateStack<Y, S>) {
        self.generator.delegates.append(&mut delegates);
    }
}
