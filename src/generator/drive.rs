//! Driving a generator: one step of the root and its delegate stack, close,
//! drop, and the step the executor runs task bodies with.

use super::co::{suspend_innermost, GeneratorExit, SubIgnoredClose, SuspendError};
use super::mailbox::{post_resume, take_suspend, ResumeTag, SuspendTag};
use super::protocol::{DelegatePtr, DelegateStep, Payload, Resume, Suspend, WaitKind};
use super::{Generator, Life};
use crate::stack::{self, current_context, set_current_context};
use corosensei::CoroutineResult;
use std::fmt;

/// What one step of a root generator produced.
pub(crate) enum Step<Y, R> {
    Yielded(Y),
    /// The body asked to suspend its task (see `suspend_innermost`).
    Waiting(WaitKind),
    Returned(R),
    Panicked(Payload),
}

/// The body went on running instead of finishing when it was closed: it
/// caught the unwind (`catch_unwind`) and yielded again. Python raises
/// `RuntimeError("generator ignored GeneratorExit")` here. The generator stays
/// suspended at that yield.
///
/// If a *delegate* (a subgenerator run by `yield_from`) ignores the close, its
/// delegators unwind as if it had panicked (Python raises `RuntimeError` in
/// them), their destructors run, and the generator is complete; the error
/// then holds no value.
///
/// ```
/// use corun::Generator;
/// use std::panic::{catch_unwind, AssertUnwindSafe};
///
/// let mut stubborn: Generator<'_, i32> = Generator::new(|co| {
///     let _ = catch_unwind(AssertUnwindSafe(|| co.yield_(1)));
///     co.yield_(2); // yields while being closed
/// });
/// stubborn.start();
/// let err = stubborn.try_close().unwrap_err();
/// assert_eq!(err.into_value(), Some(2));
/// assert!(!stubborn.is_complete());
/// stubborn.close(); // the unwind now starts from `yield_(2)`: it finishes
/// assert!(stubborn.is_complete());
/// ```
pub struct IgnoredClose<Y> {
    value: Option<Y>,
}

impl<Y> IgnoredClose<Y> {
    /// The value the body yielded instead of finishing (`None` if it waited
    /// on its task instead).
    pub fn into_value(self) -> Option<Y> {
        self.value
    }
}

impl<Y> fmt::Debug for IgnoredClose<Y> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IgnoredClose").finish_non_exhaustive()
    }
}

impl<Y> fmt::Display for IgnoredClose<Y> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "the generator ignored close(): it caught the unwind and yielded again \
             (Python: RuntimeError: generator ignored GeneratorExit)",
        )
    }
}

impl<Y> std::error::Error for IgnoredClose<Y> {}

enum CloseFailure<Y> {
    Ignored(Option<Y>),
    Panicked(Payload),
}

impl<'a, Y, S, R> Generator<'a, Y, S, R> {
    /// Resumes this generator's own coroutine once (not its delegates).
    #[inline(always)]
    pub(super) fn resume_own(
        &mut self,
        signal: Resume<S>,
    ) -> CoroutineResult<Suspend<Y, S>, Result<R, Payload>> {
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

    /// Switches to the body with a bare tag: the mailbox is the caller's
    /// business.
    #[inline(always)]
    fn resume_tag(&mut self, tag: ResumeTag) -> CoroutineResult<SuspendTag, Result<R, Payload>> {
        let Some(coroutine) = self.coroutine.as_mut() else {
            panic!("corun internal error: resuming a generator whose body has finished")
        };
        if !self.started {
            self.life = Life::Suspended;
            self.started = true;
        }
        let resumer = current_context();
        let result = coroutine.resume(tag);
        set_current_context(resumer);
        if self.canary != 0 {
            stack::check_canary(self.canary, self.stack_size);
        }
        result
    }

    /// Marks the body finished and gives its stack back to the pool.
    pub(super) fn finish(&mut self) {
        self.life = Life::Complete;
        if self.measured != super::NOT_MEASURED {
            self.measured = self.measure_now().unwrap_or(0);
        }
        if let Some(coroutine) = self.coroutine.take() {
            stack::release(coroutine.into_stack());
        }
    }

    pub(super) fn measure_now(&self) -> Option<usize> {
        self.coroutine.as_ref()?;
        Some(stack::high_water(
            self.stack_bottom,
            self.stack_bottom + self.stack_size,
        ))
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
    fn own_outcome(
        &mut self,
        out: CoroutineResult<Suspend<Y, S>, Result<R, Payload>>,
    ) -> Step<Y, R> {
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

    fn push_delegate(&mut self, p: DelegatePtr<Y, S>) -> Resume<S> {
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
            match unsafe { (*top.as_ptr()).step(signal) } {
                DelegateStep::Yielded(y) => return Step::Yielded(y),
                DelegateStep::Wait(kind) => return Step::Waiting(kind),
                DelegateStep::Delegated(p) => signal = self.push_delegate(p),
                DelegateStep::Returned => {
                    self.delegates.pop();
                    signal = Resume::SubDone;
                }
                DelegateStep::Panicked(p) => {
                    self.delegates.pop();
                    signal = Resume::SubPanicked(p);
                }
            }
        }
    }

    /// The slow half of `send`'s fast path: whatever the own coroutine
    /// produced other than a plain yield.
    #[inline(never)]
    pub(super) fn send_outcome(
        &mut self,
        out: CoroutineResult<Suspend<Y, S>, Result<R, Payload>>,
    ) -> Step<Y, R> {
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

    #[inline(never)]
    fn forward_waits(&mut self, mut kind: WaitKind) -> Step<Y, R> {
        loop {
            match suspend_innermost(kind) {
                Ok(()) => {}
                Err(SuspendError::NotInCoroutine) => panic!(
                    "a generator body waited (sleep, yield_now, recv, await_, a socket read, ...) but \
                     the code resuming the generator is not running in a corun task: \
                     drive it from inside Executor::block_on or a spawned task"
                ),
                Err(SuspendError::Unwinding) => panic!(
                    "a generator body waited while the thread is unwinding; nothing can \
                     suspend now"
                ),
            }
            match self.step(Resume::Wake) {
                Step::Waiting(next) => kind = next,
                other => return other,
            }
        }
    }

    /// Closes the generator: unwinds the innermost delegate first, then each
    /// delegator, then the root, so their destructors run in that order.
    fn close_inner(&mut self) -> Result<(), CloseFailure<Y>> {
        match self.life {
            Life::Complete => return Ok(()),
            Life::Created => {
                // The body wrapper sees `Close` first and drops the body
                // without running it.
                let outcome = self.resume_own(Resume::Close);
                self.started = false;
                self.finish();
                return match outcome {
                    CoroutineResult::Return(Err(p)) if !p.is::<GeneratorExit>() => {
                        Err(CloseFailure::Panicked(p))
                    }
                    _ => Ok(()),
                };
            }
            Life::Suspended => {}
        }
        let mut signal = Resume::Close;
        loop {
            let Some(&top) = self.delegates.last() else {
                match self.resume_own(signal) {
                    CoroutineResult::Yield(Suspend::Value(y)) => {
                        return Err(CloseFailure::Ignored(Some(y)))
                    }
                    CoroutineResult::Yield(Suspend::Wait(kind)) => {
                        self.forward_close_wait(kind)?;
                        signal = Resume::Wake;
                    }
                    CoroutineResult::Yield(Suspend::Delegate(p)) => {
                        signal = self.push_delegate(p);
                    }
                    CoroutineResult::Return(Ok(_)) => {
                        self.finish();
                        return Ok(());
                    }
                    CoroutineResult::Return(Err(p)) => {
                        self.finish();
                        return if p.is::<GeneratorExit>() {
                            Ok(())
                        } else if p.is::<SubIgnoredClose>() {
                            Err(CloseFailure::Ignored(None))
                        } else {
                            Err(CloseFailure::Panicked(p))
                        };
                    }
                }
                continue;
            };
            // SAFETY: as in `step_delegated`.
            match unsafe { (*top.as_ptr()).step(signal) } {
                // Python: the subgenerator's close raises RuntimeError into
                // its delegator, which unwinds (its `finally` runs). The
                // ignoring sub is left in its slot and dropped with it.
                DelegateStep::Yielded(y) => {
                    drop(y);
                    self.delegates.pop();
                    signal = Resume::SubPanicked(Box::new(SubIgnoredClose));
                }
                DelegateStep::Wait(kind) => {
                    self.forward_close_wait(kind)?;
                    signal = Resume::Wake;
                }
                DelegateStep::Delegated(p) => signal = self.push_delegate(p),
                // Python re-raises GeneratorExit in the delegator after its
                // subgenerator closed, whether the sub returned or not.
                DelegateStep::Returned => {
                    self.delegates.pop();
                    signal = Resume::Close;
                }
                DelegateStep::Panicked(p) => {
                    self.delegates.pop();
                    signal = if p.is::<GeneratorExit>() {
                        Resume::Close
                    } else {
                        Resume::SubPanicked(p)
                    };
                }
            }
        }
    }

    /// A body that caught its close and then waited on its task: forward the
    /// wait if the caller runs in a task, else the close is ignored.
    fn forward_close_wait(&mut self, kind: WaitKind) -> Result<(), CloseFailure<Y>> {
        suspend_innermost(kind).map_err(|_| CloseFailure::Ignored(None))
    }

    /// Closes the generator: Python's `g.close()`.
    ///
    /// The body unwinds from its pending `yield_`, so its destructors (`Drop`
    /// guards: Python's `finally`) run; delegates unwind innermost first. On a
    /// generator that has not started, the body is dropped without running
    /// any of it. On a complete generator this does nothing. Afterwards the
    /// generator is complete.
    ///
    /// # Panics
    ///
    /// If a destructor panics while the body unwinds, that panic reaches the
    /// caller here (unless the destructor was itself run by an unwind, which
    /// aborts the process, as any panic during unwinding does). If the body
    /// catches the unwind and yields again, this panics with
    /// [`IgnoredClose`]'s message and the generator stays suspended; use
    /// [`try_close`](Generator::try_close) to handle that case.
    ///
    /// ```
    /// use corun::Generator;
    /// use std::cell::Cell;
    ///
    /// let cleaned = Cell::new(false);
    /// struct Finally<'c>(&'c Cell<bool>);
    /// impl Drop for Finally<'_> { fn drop(&mut self) { self.0.set(true) } }
    ///
    /// let mut g = Generator::new(|co| { let _f = Finally(&cleaned); loop { co.yield_(1) } });
    /// g.start();
    /// g.close();
    /// assert!(cleaned.get() && g.is_complete());
    /// ```
    pub fn close(&mut self) {
        if let Err(ignored) = self.try_close() {
            panic!("Generator::close: {ignored}; the generator stays suspended at that yield")
        }
    }

    /// Like [`close`](Generator::close), but a body that ignores the close
    /// (catches the unwind and yields) gives an error holding what it
    /// yielded, instead of a panic.
    pub fn try_close(&mut self) -> Result<(), IgnoredClose<Y>> {
        match self.close_inner() {
            Ok(()) => Ok(()),
            Err(CloseFailure::Ignored(value)) => Err(IgnoredClose { value }),
            Err(CloseFailure::Panicked(p)) => std::panic::resume_unwind(p),
        }
    }

    /// Starts the body, or wakes it after a wait it asked for, and runs it
    /// until its next wait or its end. A wait comes back as
    /// [`Step::Waiting`] instead of being forwarded: for a resumer that
    /// suspends itself (the executor running a task's body).
    pub(crate) fn step_returning_waits(&mut self) -> Step<Y, R> {
        if self.started && self.delegates.is_empty() {
            // Waking a task's own body carries no value: no mailbox post,
            // and the usual answer, another wait, needs no mailbox read.
            let out = match self.resume_tag(ResumeTag::Wake) {
                CoroutineResult::Yield(SuspendTag::Wait(kind)) => return Step::Waiting(kind),
                CoroutineResult::Yield(tag) => {
                    // SAFETY: the body is suspended again; the tag names the
                    // slot it posted (mailbox rule 2).
                    CoroutineResult::Yield(unsafe { take_suspend(self.mailbox.as_ptr(), tag) })
                }
                CoroutineResult::Return(r) => CoroutineResult::Return(r),
            };
            return self.own_outcome(out);
        }
        let signal = if self.started {
            Resume::Wake
        } else {
            Resume::Start
        };
        self.step(signal)
    }
}

/// Dropping a suspended generator closes it. If its body ignores that close
/// (catches the unwind and yields again), a warning is printed and the body's
/// stack is leaked without running any more of it, as Python clears the frame
/// of a generator that ignored `GeneratorExit` in its finaliser.
impl<Y, S, R> Drop for Generator<'_, Y, S, R> {
    fn drop(&mut self) {
        if self.life == Life::Complete {
            return;
        }
        match self.close_inner() {
            Ok(()) => {}
            Err(CloseFailure::Ignored(value)) => {
                drop(value);
                eprintln!(
                    "corun: a generator ignored close() while being dropped (it yielded \
                     again); its stack is leaked without running more of it"
                );
                self.delegates.clear();
                // Leaking is sound: the stack is never resumed or reused.
                std::mem::forget(self.coroutine.take());
            }
            Err(CloseFailure::Panicked(p)) => {
                if std::thread::panicking() {
                    // Re-raising here would abort the process.
                    eprintln!(
                        "corun: a generator's destructor panicked while it was dropped \
                         during another panic; that second panic is dropped"
                    );
                } else {
                    std::panic::resume_unwind(p)
                }
            }
        }
    }
}
