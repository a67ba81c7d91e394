//! Driving a generator: one step of the root and its delegate stack, wait
//! forwarding, and the step the executor runs task bodies with.

use super::close::CloseOnUnwind;
use super::co::{suspend_innermost, SuspendError};
use super::mailbox::{post_resume, take_suspend, ResumeTag, SuspendTag};
use super::protocol::{DelegatePtr, DelegateStep, Outcome, Payload, Resume, Suspend, WaitKind};
use super::{Generator, Life};
use crate::stack::{self, current_context, set_current_context};
use corosensei::CoroutineResult;

/// What a switch into a body for a value produced (`send`, `start`): each
/// case apart, so that the caller branches straight to its own code and
/// nothing is built in memory on the way.
pub(super) enum ValueSwitch<Y, R> {
    /// The usual answer: a plain yield, its value taken from the mailbox.
    Value(Y),
    /// A delegation or a wait; its slot, if any, not read yet.
    Other(SuspendTag),
    Returned(Result<R, Payload>),
}

/// What one step of a root generator produced.
pub(crate) enum Step<Y, R> {
    Yielded(Y),
    /// The body asked to suspend its task (see `suspend_innermost`).
    Waiting(WaitKind),
    Returned(R),
    Panicked(Payload),
}

impl<'a, Y, S, R> Generator<'a, Y, S, R> {
    /// Resumes this generator's own coroutine once (not its delegates).
    #[inline(always)]
    pub(super) fn resume_own(&mut self, signal: Resume<S>) -> Outcome<Y, S, R> {
        let mailbox = self.mailbox.as_ptr();
        // SAFETY: the mailbox lives at the top of this generator's stack for
        // as long as its coroutine does, and the body is suspended until
        // `resume` switches to it (mailbox rules 1 and 2).
        let tag = unsafe { post_resume(mailbox, signal) };
        match self.resume_tag(tag) {
            CoroutineResult::Yield(tag) => {
                // SAFETY: as above; the body is suspended again.
                let out = unsafe { take_suspend(mailbox, tag) };
                CoroutineResult::Yield(out)
            }
            CoroutineResult::Return(r) => CoroutineResult::Return(r),
        }
    }

    /// [`resume_own`](Self::resume_own) for a caller whose fast path
    /// inlines a switch of its own: one switch per frame.
    #[inline(never)]
    fn resume_own_out_of_line(&mut self, signal: Resume<S>) -> Outcome<Y, S, R> {
        self.resume_own(signal)
    }

    /// Switches to the body with a bare tag: the mailbox is the caller's
    /// business.
    #[inline(always)]
    fn resume_tag(&mut self, tag: ResumeTag) -> CoroutineResult<SuspendTag, Result<R, Payload>> {
        if !self.started {
            self.life = Life::Suspended;
            self.started = true;
        }
        self.switch(tag)
    }

    /// `send`'s switch into a started, suspended body with no delegates:
    /// posts `value`, resumes the body and takes the value it yields.
    /// Anything but a plain yield comes back apart, for the slow paths.
    ///
    /// The resumer's context and the canary are seen to in each arm of the
    /// match, not before it: corosensei returns a yield and a return by
    /// different paths, and so the usual case is a branch on the tag it
    /// hands back in a register, with no result built in memory first.
    #[inline(always)]
    pub(super) fn send_suspended(&mut self, value: S) -> ValueSwitch<Y, R> {
        // SAFETY: the mailbox lives at the top of this generator's stack for
        // as long as its coroutine does, and the body is suspended until the
        // switch below (mailbox rules 1 and 2).
        unsafe { super::mailbox::post_sent(self.mailbox.as_ptr(), value) };
        self.resume_for_value(ResumeTag::Send)
    }

    /// `start`'s switch into a body that has not run yet, with `send`'s
    /// fast path for its first yield.
    #[inline(always)]
    pub(super) fn start_created(&mut self) -> ValueSwitch<Y, R> {
        self.life = Life::Suspended;
        self.started = true;
        self.resume_for_value(ResumeTag::Start)
    }

    /// Resumes the body with `tag` (its value, if any, already posted) and
    /// takes the value it yields; anything else comes back apart.
    ///
    /// Only for a generator that is created or suspended, whose coroutine is
    /// therefore present.
    #[inline(always)]
    fn resume_for_value(&mut self, tag: ResumeTag) -> ValueSwitch<Y, R> {
        debug_assert!(self.coroutine.is_some());
        // SAFETY: `send` and `start` take this path only for a suspended or
        // created generator, and its coroutine is present: it is taken only
        // when the generator becomes complete (`finish`, `leak_body`).
        let coroutine = unsafe { self.coroutine.as_mut().unwrap_unchecked() };
        let resumer = current_context();
        match coroutine.resume(tag) {
            CoroutineResult::Yield(SuspendTag::Value) => {
                self.after_switch(resumer);
                // SAFETY: the body is suspended again and its tag says it
                // posted a value (mailbox rule 2); it is read once. The
                // pointer is read again here, not kept from before the
                // switch: a load beats a spill and a reload around it.
                ValueSwitch::Value(unsafe { super::mailbox::take_yielded(self.mailbox.as_ptr()) })
            }
            CoroutineResult::Yield(tag) => {
                self.after_switch(resumer);
                ValueSwitch::Other(tag)
            }
            CoroutineResult::Return(r) => {
                self.after_switch(resumer);
                ValueSwitch::Returned(r)
            }
        }
    }

    /// What every switch back does: the resumer's context is put back, an
    /// unguarded stack's canary checked.
    #[inline(always)]
    fn after_switch(&self, resumer: *const crate::stack::ContextHeader) {
        // SAFETY: `resumer` is the context of the code running here before the
        // switch (null, or the live `Co` of the body this code runs in), which
        // holds again now that the switch returned (context rule 2).
        unsafe { set_current_context(resumer) };
        if let Some(canary) = self.canary {
            canary.check(self.stack_size);
        }
    }

    /// The switch itself, and what every switch does around it: the
    /// resumer's context is put back, an unguarded stack's canary checked.
    #[inline(always)]
    fn switch(&mut self, tag: ResumeTag) -> CoroutineResult<SuspendTag, Result<R, Payload>> {
        let Some(coroutine) = self.coroutine.as_mut() else {
            resumed_finished()
        };
        let resumer = current_context();
        let result = coroutine.resume(tag);
        self.after_switch(resumer);
        result
    }

    /// Marks the body finished and gives its stack back to the pool. Only
    /// once the body has returned: its coroutine is done.
    #[inline]
    pub(super) fn finish(&mut self) {
        self.life = Life::Complete;
        if self.measured != super::NOT_MEASURED {
            self.measured = self.measure_now().unwrap_or(0);
        }
        match self.coroutine.take() {
            // Tested here rather than asserted by `into_stack`, whose
            // panic would need the whole coroutine copied out first.
            Some(coroutine) if coroutine.done() => stack::release(coroutine.into_stack()),
            Some(coroutine) => not_done(coroutine),
            None => {}
        }
    }

    pub(super) fn measure_now(&self) -> Option<usize> {
        self.coroutine.as_ref()?;
        // SAFETY: the coroutine (present, checked above) owns the stack, so it
        // stays mapped for the call, and `stack_bottom`/`stack_size` are its
        // usable bounds (taken from it in `try_build`). `&self` means no
        // `resume` of this generator is under way: its body is not running.
        Some(unsafe { stack::high_water(self.stack_bottom, self.stack_bottom + self.stack_size) })
    }

    /// Runs the root or its innermost delegate until something comes out.
    #[inline(always)]
    pub(super) fn step(&mut self, signal: Resume<S>) -> Step<Y, R> {
        if self.delegates.is_empty() {
            match self.resume_own(signal) {
                CoroutineResult::Yield(Suspend::Value(y)) => Step::Yielded(y),
                CoroutineResult::Yield(Suspend::Wait(kind)) => Step::Waiting(kind),
                other => self.own_outcome(other),
            }
        } else {
            self.step_delegated(signal)
        }
    }

    #[inline(never)]
    fn own_outcome(&mut self, out: Outcome<Y, S, R>) -> Step<Y, R> {
        match out {
            CoroutineResult::Yield(Suspend::Value(y)) => Step::Yielded(y),
            CoroutineResult::Yield(Suspend::Wait(kind)) => Step::Waiting(kind),
            CoroutineResult::Yield(Suspend::Delegate(p)) => {
                let signal = self.push_delegate(p);
                self.step_delegated(signal)
            }
            CoroutineResult::Return(Ok(r)) => {
                self.finish();
                Step::Returned(r)
            }
            CoroutineResult::Return(Err(p)) => {
                self.finish();
                Step::Panicked(p)
            }
        }
    }

    pub(super) fn push_delegate(&mut self, p: DelegatePtr<Y, S>) -> Resume<S> {
        self.delegates.push(p);
        // SAFETY: `p` was just handed over by a delegator suspended inside
        // `yield_from`, so its slot is alive (protocol rule 4).
        unsafe {
            let slot = &mut *p.as_ptr();
            slot.adopt_delegates(&mut self.delegates);
            slot.initial_signal()
        }
    }

    fn step_delegated(&mut self, mut signal: Resume<S>) -> Step<Y, R> {
        loop {
            let Some(&top) = self.delegates.last() else {
                match self.resume_own(signal) {
                    CoroutineResult::Yield(Suspend::Delegate(p)) => {
                        signal = self.push_delegate(p);
                        continue;
                    }
                    other => return self.own_outcome(other),
                }
            };
            // SAFETY: every pointer on the delegate stack belongs to a
            // delegator suspended in `yield_from` below it, which cannot
            // resume (and drop the slot) until the pointer is popped.
            let step = unsafe { (*top.as_ptr()).step(signal) };
            match self.delegate_stepped(step) {
                Ok(done) => return done,
                Err(next) => signal = next,
            }
        }
    }

    /// What the innermost delegate's step means for the root: the step's
    /// end (`Ok`), or the signal for the delegate now innermost (`Err`).
    #[inline(always)]
    fn delegate_stepped(&mut self, step: DelegateStep<Y, S>) -> Result<Step<Y, R>, Resume<S>> {
        match step {
            DelegateStep::Yielded(y) => Ok(Step::Yielded(y)),
            DelegateStep::Wait(kind) => Ok(Step::Waiting(kind)),
            DelegateStep::Delegated(p) => Err(self.push_delegate(p)),
            DelegateStep::Returned => {
                self.delegates.pop();
                Err(Resume::SubDone)
            }
            DelegateStep::Panicked(p) => {
                self.delegates.pop();
                Err(Resume::SubPanicked(p))
            }
        }
    }

    /// What follows a delegated `send` whose answer was not a plain yield
    /// (`Delegate::send_value` gave `None`): the parked step is taken and
    /// the root goes on as after any delegate's step, waits forwarded.
    /// (Out of line through its one caller, `delegate_sent_state`.)
    pub(super) fn delegate_sent_other(&mut self, top: DelegatePtr<Y, S>) -> Step<Y, R> {
        // SAFETY: as in `step_delegated`: `top` is still on the delegate
        // stack, so its delegator is suspended in `yield_from`.
        let step = unsafe { (*top.as_ptr()).take_step() };
        match self.delegate_stepped(step) {
            Ok(Step::Waiting(kind)) => self.forward_waits(kind),
            Ok(done) => done,
            Err(next) => self.step_forwarding_waits(next),
        }
    }

    /// A value for this generator's own body (a delegate's: its delegates
    /// are adopted by the root): a plain yield comes back as `Ok` from
    /// `send`'s fast switch; anything else as the general outcome.
    #[inline(always)]
    pub(super) fn send_own(&mut self, value: S) -> Result<Y, Outcome<Y, S, R>> {
        if self.life != Life::Suspended {
            return Err(self.resume_own_out_of_line(Resume::Send(value)));
        }
        match self.send_suspended(value) {
            ValueSwitch::Value(y) => Ok(y),
            // SAFETY: the body is suspended again; the tag names the slot
            // it posted (mailbox rule 2).
            ValueSwitch::Other(tag) => Err(CoroutineResult::Yield(unsafe {
                take_suspend(self.mailbox.as_ptr(), tag)
            })),
            ValueSwitch::Returned(r) => Err(CoroutineResult::Return(r)),
        }
    }

    /// The slow half of `send`'s fast path: whatever the own coroutine
    /// produced other than a plain yield.
    #[inline(never)]
    pub(super) fn send_outcome(&mut self, out: Outcome<Y, S, R>) -> Step<Y, R> {
        match self.own_outcome(out) {
            Step::Waiting(kind) => self.forward_waits(kind),
            other => other,
        }
    }

    /// Runs a step for a public caller: a wait is forwarded to whatever runs
    /// the caller (its task), then the body is woken and goes on.
    #[inline(always)]
    pub(super) fn step_forwarding_waits(&mut self, signal: Resume<S>) -> Step<Y, R> {
        match self.step(signal) {
            Step::Waiting(kind) => self.forward_waits(kind),
            other => other,
        }
    }

    ///
    /// If the resumer's own wait unwinds instead (its task is cancelled or
    /// timed out, or it is itself a generator being closed), this generator
    /// is closed first, so that its destructors run and later sends get the
    /// ordinary "complete" answer instead of a body stuck in a wait. If the
    /// resumer is unwinding already and cannot wait at all, this body's wait
    /// returns at once (`unwinding` rule 5).
    #[inline(never)]
    fn forward_waits(&mut self, mut kind: WaitKind) -> Step<Y, R> {
        loop {
            let closer = CloseOnUnwind(Some(self));
            let parked = suspend_innermost(kind);
            let this = closer.defuse();
            match parked {
                Ok(()) | Err(SuspendError::Unwinding) => {}
                Err(SuspendError::NotInCoroutine) => this.waited_outside_a_task(),
            }
            match this.step(Resume::Wake) {
                Step::Waiting(next) => kind = next,
                other => return other,
            }
        }
    }

    /// The body waited, but nothing runs this generator in a task to
    /// forward the wait to. The body cannot stay in its wait (no later call
    /// could resume it sensibly), so it is closed first, its destructors
    /// running; later calls get the ordinary "already complete" answers.
    #[cold]
    fn waited_outside_a_task(&mut self) -> ! {
        self.close_abandoned();
        panic!(
            "a generator body waited (sleep, yield_now, recv, await_, a socket read, ...) but \
             the code resuming the generator has no coroutine stack to forward the wait to \
             (it is not in a corun task, or it is in a future task, spawn_future, which has \
             none), so the generator was closed: drive it from a stackful task \
             (Executor::block_on, spawn, Runtime::spawn)"
        )
    }

    /// Starts the body, or wakes it after a wait (it must not be waiting for
    /// a sent value), and runs the root or its innermost delegate until its
    /// next wait or its end. A wait comes back as [`Step::Waiting`] instead
    /// of being forwarded: for a resumer that suspends itself (the executor
    /// running a task's body). Inlined into the executor's turn, so that
    /// the switch happens in the turn's own frame.
    #[inline(always)]
    pub(crate) fn step_returning_waits(&mut self) -> Step<Y, R> {
        self.step_returning_waits_then(Step::Waiting, |step| step)
    }

    /// [`step_returning_waits`](Self::step_returning_waits), handing a wait
    /// to `waiting` and anything else to `other`, each called in its own
    /// arm: the caller's answers (a byte, for the executor) then meet, not
    /// the steps, which would meet in memory.
    #[inline(always)]
    pub(crate) fn step_returning_waits_then<X>(
        &mut self,
        waiting: impl FnOnce(WaitKind) -> X,
        other: impl FnOnce(Step<Y, R>) -> X,
    ) -> X {
        // The usual turn, a wake of a suspended body with no delegates, is
        // told by two tests (`Life::Suspended` is zero); a start goes
        // through `start_returning_waits` or the general step.
        if self.life == Life::Suspended && self.delegates.is_empty() {
            return self.resume_returning_waits(ResumeTag::Wake, waiting, other);
        }
        other(self.step_general())
    }

    /// `step_returning_waits` for anything but a wake of a suspended body
    /// with no delegates (a start, a delegate's step): out of line, so that
    /// the turn that inlines the wake stays small.
    #[inline(never)]
    fn step_general(&mut self) -> Step<Y, R> {
        let signal = if self.started {
            Resume::Wake
        } else {
            Resume::Start
        };
        self.step(signal)
    }

    /// [`step_returning_waits`](Self::step_returning_waits) for a body known
    /// not to have started: the executor's first run of a task, whose
    /// generator it has just built.
    #[inline(always)]
    pub(crate) fn start_returning_waits(&mut self) -> Step<Y, R> {
        if self.life != Life::Created {
            return self.step_general();
        }
        self.life = Life::Suspended;
        self.started = true;
        self.resume_returning_waits(ResumeTag::Start, Step::Waiting, |step| step)
    }

    /// The switch of `step_returning_waits` into a body that is created or
    /// suspended with no delegates. Starting or waking a task's own body
    /// carries no value: no mailbox post, and the usual answers, another
    /// wait or the end, need no mailbox read. As in `resume_for_value`, the
    /// context and the canary are seen to in each arm.
    #[inline(always)]
    fn resume_returning_waits<X>(
        &mut self,
        tag: ResumeTag,
        waiting: impl FnOnce(WaitKind) -> X,
        other: impl FnOnce(Step<Y, R>) -> X,
    ) -> X {
        debug_assert!(self.coroutine.is_some());
        // SAFETY: a generator that is not complete has its coroutine: it is
        // taken only when the generator becomes complete (`finish`,
        // `leak_body`), and both callers have seen that it is not.
        let coroutine = unsafe { self.coroutine.as_mut().unwrap_unchecked() };
        let resumer = current_context();
        let out = match coroutine.resume(tag) {
            CoroutineResult::Yield(SuspendTag::Wait(kind)) => {
                self.after_switch(resumer);
                return waiting(kind);
            }
            CoroutineResult::Return(Ok(value)) => {
                self.after_switch(resumer);
                self.finish();
                return other(Step::Returned(value));
            }
            CoroutineResult::Yield(tag) => {
                self.after_switch(resumer);
                // SAFETY: the body is suspended again; the tag names the slot
                // it posted (mailbox rule 2).
                CoroutineResult::Yield(unsafe { take_suspend(self.mailbox.as_ptr(), tag) })
            }
            CoroutineResult::Return(r) => {
                self.after_switch(resumer);
                CoroutineResult::Return(r)
            }
        };
        other(self.own_outcome(out))
    }
}

/// `finish` of a body that has not returned: a bug in corun. Its stack
/// is leaked, as `leak_body` leaks one, rather than reused under it.
#[cold]
#[inline(never)]
fn not_done<R>(coroutine: super::Coroutine<R>) -> ! {
    std::mem::forget(coroutine);
    panic!("corun internal error: finishing a generator whose body has not returned")
}

#[cold]
#[inline(never)]
fn resumed_finished() -> ! {
    panic!("corun internal error: resuming a generator whose body has finished")
}
