//! Closing a generator: Python's `close()`, the executor's close of a task,
//! and dropping a suspended generator.

use super::co::{suspend_innermost, GeneratorExit, SubIgnoredClose};
use super::protocol::{DelegateStep, Payload, Resume, Suspend, WaitKind};
use super::{Generator, Life};
use corosensei::CoroutineResult;
use std::fmt;
use std::mem::ManuallyDrop;

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
    /// Ignored, and the body is suspended in a wait of this kind that was
    /// not forwarded (`CloseWaits::Refuse`).
    Waiting(WaitKind),
    Panicked(Payload),
}

/// What a body that catches its close and then waits gets.
#[derive(Clone, Copy, PartialEq, Eq)]
enum CloseWaits {
    /// The wait is forwarded to whatever runs the caller (its task), as any
    /// wait of a generator inside a task is.
    Forward,
    /// The close counts as ignored and the body stays suspended in its wait:
    /// the executor closing one of its own tasks (cancellation), whose waits
    /// are the task's own and must not be passed to whoever runs the
    /// executor.
    Refuse,
}

/// How the executor's close of a task ended.
pub(crate) enum TaskClose<R> {
    /// The body ended: `Some` with its return value if it caught the close
    /// and returned, `None` if it unwound (or never started).
    Closed(Option<R>),
    /// The body caught the close and waits again: it lives on, suspended in
    /// a wait of this kind, and runs again when woken.
    Ignored(WaitKind),
    /// A destructor panicked while the body unwound.
    Panicked(Payload),
}

impl<'a, Y, S, R> Generator<'a, Y, S, R> {
    /// Gives up on a body that keeps ignoring its close, for good: the
    /// executor's shutdown, after its last try. The generator is complete
    /// afterwards, and its stack leaked (see `leak_body`).
    pub(crate) fn abandon(&mut self) {
        if self.life != Life::Complete {
            self.leak_body();
        }
    }

    /// Gives up on a body that ignored its close: it is never resumed again,
    /// and its stack is leaked rather than reused.
    fn leak_body(&mut self) {
        self.delegates.clear();
        self.life = Life::Complete;
        // Leaking is sound: the stack is never resumed or reused, and
        // nothing outside it points into it once the delegate stack is
        // cleared. That the body's borrows may now end goes beyond
        // corosensei's contract for a forgotten coroutine ("borrowed data
        // must remain valid indefinitely"); why it holds anyway is point 3 of
        // "Borrowing bodies, and leaking them" in builder.rs.
        std::mem::forget(self.coroutine.take());
    }

    /// Closes the generator: unwinds the innermost delegate first, then each
    /// delegator, then the root, so their destructors run in that order.
    fn close_inner(&mut self, waits: CloseWaits) -> Result<Option<R>, CloseFailure<Y>> {
        match self.life {
            Life::Complete => return Ok(None),
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
                    _ => Ok(None),
                };
            }
            Life::Suspended => {}
        }
        let mut signal = Resume::Close;
        // Delegates from this index up were started after the close was
        // delivered, by a level that caught it (`yield_from` in a handler):
        // they are not being closed, and step as delegates always do.
        let mut closing_depth = self.delegates.len();
        // The depths (delegates below the level) of the levels whose wait
        // was cut short, shallowest first; each level gets one cut
        // (`close_wait`).
        let mut cut_at: Vec<usize> = Vec::new();
        loop {
            while cut_at
                .last()
                .is_some_and(|&depth| depth > self.delegates.len())
            {
                // That level is gone: a level later at its depth is another.
                cut_at.pop();
            }
            let Some(&top) = self.delegates.last() else {
                match self.resume_own(signal) {
                    CoroutineResult::Yield(Suspend::Value(y)) => {
                        return Err(CloseFailure::Ignored(Some(y)))
                    }
                    CoroutineResult::Yield(Suspend::Wait(kind)) => {
                        signal = self.close_wait(waits, kind, &mut cut_at)?;
                    }
                    CoroutineResult::Yield(Suspend::Delegate(p)) => {
                        signal = self.push_delegate(p);
                    }
                    CoroutineResult::Return(Ok(value)) => {
                        self.finish();
                        return Ok(Some(value));
                    }
                    CoroutineResult::Return(Err(p)) => {
                        self.finish();
                        return if p.is::<GeneratorExit>() {
                            Ok(None)
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
            let step = unsafe { (*top.as_ptr()).step(signal) };
            if self.delegates.len() > closing_depth {
                signal = self.stepped_after_close(step, closing_depth, waits, &mut cut_at)?;
                closing_depth = closing_depth.min(self.delegates.len());
                continue;
            }
            match step {
                // Python: the subgenerator's close raises RuntimeError into
                // its delegator, which unwinds (its `finally` runs). The
                // ignoring sub is left in its slot and dropped with it.
                DelegateStep::Yielded(y) => {
                    drop(y);
                    self.delegates.pop();
                    signal = Resume::SubPanicked(Box::new(SubIgnoredClose));
                }
                DelegateStep::Wait(kind) => {
                    signal = self.close_wait(waits, kind, &mut cut_at)?;
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
            closing_depth = closing_depth.min(self.delegates.len());
        }
    }

    /// One step of a delegate started after the close was delivered (index
    /// `closing_depth` or above): the signal for the next step. Its yield
    /// means the level that caught the close and started it
    /// ignored the close (Python: that level's `close` raises RuntimeError
    /// in its delegator).
    fn stepped_after_close(
        &mut self,
        step: DelegateStep<Y, S>,
        closing_depth: usize,
        waits: CloseWaits,
        cut_at: &mut Vec<usize>,
    ) -> Result<Resume<S>, CloseFailure<Y>> {
        Ok(match step {
            DelegateStep::Returned => {
                self.delegates.pop();
                Resume::SubDone
            }
            DelegateStep::Panicked(p) => {
                self.delegates.pop();
                Resume::SubPanicked(p)
            }
            DelegateStep::Delegated(p) => self.push_delegate(p),
            DelegateStep::Wait(kind) => self.close_wait(waits, kind, cut_at)?,
            // The root itself caught the close: it stays suspended in its
            // `yield_from`, and the value is the close's answer.
            DelegateStep::Yielded(y) if closing_depth == 0 => {
                return Err(CloseFailure::Ignored(Some(y)));
            }
            DelegateStep::Yielded(y) => {
                drop(y);
                // The ignoring level keeps the delegates it started, to
                // close them when its delegator's unwind drops it.
                let started = self.delegates.split_off(closing_depth);
                let ignoring = self.delegates.pop().expect("a level caught the close");
                // SAFETY: `ignoring` was on the delegate stack, so its
                // delegator is still suspended in `yield_from` (protocol
                // rule 4) and its slot is alive.
                unsafe { (*ignoring.as_ptr()).keep_delegates(started) };
                Resume::SubPanicked(Box::new(SubIgnoredClose))
            }
        })
    }

    /// A body that caught its close and then waited: the signal that
    /// follows. The wait is forwarded if allowed and the caller runs in a
    /// task that can wait (then `Wake`). If the caller cannot wait (no task,
    /// or it is unwinding), the wait is cut short by closing the body once
    /// more (`Close`), as any wait of an unwinding body returns at once; a
    /// level that catches that too and waits again is given up on (the
    /// body leaked, complete), since no later call could resume it
    /// sensibly. Each level gets its one cut: `cut_at` holds the depths of
    /// the levels that had theirs, each forgotten once its level is popped.
    fn close_wait(
        &mut self,
        waits: CloseWaits,
        kind: WaitKind,
        cut_at: &mut Vec<usize>,
    ) -> Result<Resume<S>, CloseFailure<Y>> {
        if waits == CloseWaits::Refuse {
            return Err(CloseFailure::Waiting(kind));
        }
        // The waiting level is the innermost one: its depth names it.
        let depth = self.delegates.len();
        match suspend_innermost(kind) {
            Ok(()) => Ok(Resume::Wake),
            Err(_) if cut_at.last() != Some(&depth) => {
                cut_at.push(depth);
                Ok(Resume::Close)
            }
            Err(_) => {
                self.leak_body();
                Err(CloseFailure::Ignored(None))
            }
        }
    }

    /// Closes a body that cannot go on (it waited outside a task): its
    /// destructors run; a destructor's panic is reported, since the caller
    /// is about to panic with the reason.
    pub(super) fn close_abandoned(&mut self) {
        match self.close_inner(CloseWaits::Forward) {
            Ok(_) | Err(CloseFailure::Ignored(_)) | Err(CloseFailure::Waiting(_)) => {}
            Err(CloseFailure::Panicked(_)) => {
                eprintln!("corun: a destructor panicked while a generator was closed");
            }
        }
        if !self.is_complete() {
            self.leak_body();
        }
    }

    /// Closes a task's body for the executor (cancellation, teardown): like
    /// `try_close`, but the body's waits are never forwarded to whoever runs
    /// the executor, and a value the body returns after catching the close
    /// is kept (asyncio: a task that suppresses its cancellation returns
    /// normally).
    pub(crate) fn close_task(&mut self) -> TaskClose<R> {
        match self.close_inner(CloseWaits::Refuse) {
            Ok(value) => TaskClose::Closed(value),
            Err(CloseFailure::Waiting(kind)) => TaskClose::Ignored(kind),
            // A task body yields no values; a delegate ignoring the close
            // left the body complete.
            Err(CloseFailure::Ignored(_)) => TaskClose::Closed(None),
            Err(CloseFailure::Panicked(p)) => TaskClose::Panicked(p),
        }
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
    #[track_caller]
    pub fn close(&mut self) {
        if let Err(ignored) = self.try_close() {
            if self.is_complete() {
                panic!(
                    "Generator::close: {ignored}; the generator is complete all the same (the \
                     delegate that ignored it was dropped as its delegators unwound)"
                )
            }
            panic!("Generator::close: {ignored}; the generator stays suspended at that yield")
        }
    }

    /// Like [`close`](Generator::close), but a body that ignores the close
    /// (catches the unwind and yields) gives an error holding what it
    /// yielded, instead of a panic.
    pub fn try_close(&mut self) -> Result<(), IgnoredClose<Y>> {
        match self.close_inner(CloseWaits::Forward) {
            Ok(_) => Ok(()),
            Err(CloseFailure::Ignored(value)) => Err(IgnoredClose { value }),
            Err(CloseFailure::Waiting(_)) => Err(IgnoredClose { value: None }),
            Err(CloseFailure::Panicked(p)) => std::panic::resume_unwind(p),
        }
    }
}

/// Closes a generator whose body is suspended in a wait if the resumer's
/// forwarding of that wait unwinds (see `forward_waits`).
pub(super) struct CloseOnUnwind<'g, 'a, Y, S, R>(pub(super) Option<&'g mut Generator<'a, Y, S, R>>);

impl<'g, 'a, Y, S, R> CloseOnUnwind<'g, 'a, Y, S, R> {
    /// The wait returned normally: nothing to close.
    pub(super) fn defuse(mut self) -> &'g mut Generator<'a, Y, S, R> {
        self.0.take().expect("a CloseOnUnwind is defused once")
    }
}

impl<Y, S, R> Drop for CloseOnUnwind<'_, '_, Y, S, R> {
    fn drop(&mut self) {
        // Only an unwind gets here with the generator still held; a panic
        // escaping now would abort, so close's own failures are reported and
        // the unwind goes on.
        let Some(generator) = self.0.take() else {
            return;
        };
        match generator.close_inner(CloseWaits::Forward) {
            Ok(_) => {}
            Err(CloseFailure::Ignored(_) | CloseFailure::Waiting(_)) => {
                eprintln!(
                    "corun: a generator interrupted in a wait ignored close() (it yielded \
                     again); its stack is leaked without running more of it"
                );
                generator.leak_body();
            }
            Err(CloseFailure::Panicked(_)) => eprintln!(
                "corun: a generator interrupted in a wait panicked while it was closed; \
                 that panic is dropped, since another unwind is in flight"
            ),
        }
    }
}

/// Dropping a suspended generator closes it. If its body ignores that close
/// (catches the unwind and yields again), a warning is printed and the body's
/// stack is leaked without running any more of it, as Python clears the frame
/// of a generator that ignored `GeneratorExit` in its finaliser.
impl<Y, S, R> Drop for Generator<'_, Y, S, R> {
    // The usual drop, of a finished generator, is one inlined test, and no
    // drop glue: a generator becomes complete only with its coroutine
    // taken and its delegates gone (`finish` once its body returned, which
    // it does only with no delegate left; `leak_body`), so its hand-dropped
    // fields hold nothing. Closing one, and dropping them, is out of line.
    #[inline(always)]
    fn drop(&mut self) {
        if self.life != Life::Complete {
            self.drop_unfinished();
        } else {
            debug_assert!(self.coroutine.is_none() && self.delegates.is_empty());
        }
    }
}

/// Drops a generator's hand-dropped fields when it goes, also if closing it
/// unwinds.
struct DropFields<'g, 'a, Y, S, R>(&'g mut Generator<'a, Y, S, R>);

impl<Y, S, R> Drop for DropFields<'_, '_, Y, S, R> {
    fn drop(&mut self) {
        // SAFETY: made only by the generator's own `Drop` (in
        // `drop_unfinished`), so this runs once, as the generator goes, and
        // nothing uses the fields afterwards.
        unsafe {
            ManuallyDrop::drop(&mut self.0.coroutine);
            ManuallyDrop::drop(&mut self.0.delegates);
        }
    }
}

impl<Y, S, R> Generator<'_, Y, S, R> {
    /// Closes a generator that is dropped unfinished, and drops its
    /// hand-dropped fields. Only for `Drop`.
    #[inline(never)]
    fn drop_unfinished(&mut self) {
        let fields = DropFields(self);
        let this = &mut *fields.0;
        match this.close_inner(CloseWaits::Forward) {
            Ok(_) => {}
            Err(CloseFailure::Ignored(_) | CloseFailure::Waiting(_)) => {
                eprintln!(
                    "corun: a generator ignored close() while being dropped (it yielded \
                     again); its stack is leaked without running more of it"
                );
                this.leak_body();
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
