//! Generators: Python's generator protocol on stackful coroutines.
//!
//! A [`Generator`] owns a corosensei coroutine on a pooled, guarded stack.
//! Its body gets a [`Co`] to yield through. `yield_from` hands subgenerators
//! to the root's delegate stack (see `protocol`), so delegation depth costs
//! nothing per value.

mod builder;
mod close;
mod co;
mod delegate;
mod drive;
mod generator_builder;
mod mailbox;
mod pooled;
mod protocol;
mod state;
mod unwinding;

pub(crate) use builder::StackConfig;
pub use close::IgnoredClose;
pub(crate) use close::TaskClose;
pub use co::Co;
pub(crate) use co::{innermost_is_unwinding, suspend_innermost, SuspendError};
pub(crate) use drive::Step;
pub use generator_builder::GeneratorBuilder;
pub(crate) use pooled::PooledGenerator;
pub(crate) use protocol::Payload;
pub(crate) use protocol::WaitKind;
pub use state::GeneratorState;

/// Whether a caught unwind is a coroutine being closed (cancellation, a
/// timeout, teardown) rather than a panic of its body: code that catches
/// panics one item at a time (the runtime's `Pool::try_map`) must let a
/// close go on with `resume_unwind`.
pub(crate) fn is_close_payload(payload: &Payload) -> bool {
    payload.is::<co::GeneratorExit>()
}

use crate::stack::{Stack, StackError};
use mailbox::SuspendTag;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;

/// `Generator::measured` for a generator that is not measured.
const NOT_MEASURED: usize = usize::MAX;

type Coroutine<R> = corosensei::Coroutine<
    mailbox::ResumeTag,
    mailbox::SuspendTag,
    Result<R, protocol::Payload>,
    Stack,
>;

/// Where a generator is in its life (Python's `inspect.getgeneratorstate`,
/// without RUNNING: a running generator is borrowed by its caller).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Life {
    // First, so that its tag is zero: the test on every wake of a task
    // (`step_returning_waits`) is then a test of the byte itself.
    Suspended,
    Created,
    Complete,
}

/// A generator that yields `Y`, is sent `S` and returns `R`: Python's
/// `typing.Generator[Y, S, R]`.
///
/// The body is a closure that receives a [`Co`] and runs on its own stack, so
/// it can yield from any depth of ordinary calls. It does not run until
/// [`start`](Generator::start). It may borrow data that outlives `'a`.
///
/// ```
/// use corun::{Generator, GeneratorState};
///
/// let words = String::from("borrowed words here");
/// let mut g = Generator::new(|co| {
///     for w in words.split(' ') {
///         co.yield_(w); // yields &str borrowed from `words`
///     }
///     words.len()
/// });
/// assert_eq!(g.start(), GeneratorState::Yielded("borrowed"));
/// assert_eq!(g.send(()), GeneratorState::Yielded("words"));
/// assert_eq!(g.send(()), GeneratorState::Yielded("here"));
/// assert_eq!(g.send(()), GeneratorState::Complete(19));
/// ```
///
/// Generators stay on the thread that made them, and are not shared:
///
/// ```compile_fail
/// fn assert_send<T: Send>(_: T) {}
/// assert_send(corun::Generator::<u32>::new(|co| co.yield_(1)));
/// ```
///
/// ```compile_fail
/// fn assert_sync<T: Sync>(_: &T) {}
/// assert_sync(&corun::Generator::<u32>::new(|co| co.yield_(1)));
/// ```
///
/// A generator cannot outlive what its body borrows:
///
/// ```compile_fail
/// let g = {
///     let words = String::from("short-lived");
///     corun::Generator::<&str>::new(|co| co.yield_(words.as_str()))
/// };
/// ```
///
/// A body's `Co` cannot leave it:
///
/// ```compile_fail
/// let mut escaped = None;
/// let mut g = corun::Generator::<u32>::new(|co| escaped = Some(co));
/// g.start();
/// ```
#[must_use = "a generator does nothing until it is started"]
pub struct Generator<'a, Y, S = (), R = ()> {
    /// `None` once the body has finished: its stack is back in the pool.
    /// This and `delegates` are dropped by hand, only when the generator
    /// is dropped unfinished: a complete one holds neither (see `Drop`).
    coroutine: ManuallyDrop<Option<Coroutine<R>>>,
    /// Where values cross the switch, at the top of the stack (see `mailbox`).
    mailbox: std::ptr::NonNull<mailbox::Mailbox<Y, S>>,
    life: Life,
    /// Active delegates, innermost last (see `protocol`).
    delegates: ManuallyDrop<protocol::DelegateStack<Y, S>>,
    stack_size: usize,
    /// Lowest usable address of the stack, for measuring it.
    stack_bottom: usize,
    /// Whether the body has begun running.
    started: bool,
    /// The canary of an unguarded stack, checked at every switch; `None`
    /// for a guarded stack. One word (the token is a non-zero address), and
    /// `measured` is a plain word, not an `Option`: that keeps the generator
    /// within 128 bytes, which the compiler moves inline.
    canary: Option<crate::stack::Canary>,
    /// The stack high-water mark, when measured; `NOT_MEASURED` otherwise.
    measured: usize,
    /// `'a` bounds what the body borrows; `*mut ()` makes it `!Send`/`!Sync`.
    _marker: PhantomData<(&'a (), *mut ())>,
}

impl<'a, Y, S, R> Generator<'a, Y, S, R> {
    /// Creates a generator whose body is `body`. The body does not run yet.
    ///
    /// # Panics
    ///
    /// If no stack can be mapped (see [`StackError`]); [`Generator::try_new`]
    /// returns that error instead.
    #[inline]
    pub fn new<F>(body: F) -> Self
    where
        F: FnOnce(&Co<Y, S>) -> R + 'a,
    {
        GeneratorBuilder::new().build(body)
    }

    /// Like [`Generator::new`], but returns an error when no stack can be
    /// mapped (for example when `vm.max_map_count` is reached).
    pub fn try_new<F>(body: F) -> Result<Self, StackError>
    where
        F: FnOnce(&Co<Y, S>) -> R + 'a,
    {
        GeneratorBuilder::new().try_build(body)
    }

    /// A builder for a generator with a chosen stack size or stack
    /// measurement.
    pub fn builder() -> GeneratorBuilder<Y, S, R> {
        GeneratorBuilder::new()
    }

    /// Runs the body until its first yield or its end: Python's first
    /// `next(g)`.
    ///
    /// # Panics
    ///
    /// If the generator has already started or is complete (closed before
    /// starting counts as complete). A panic in the body reaches the caller
    /// with its original payload, after the body's destructors have run; the
    /// generator is then complete.
    #[inline]
    #[track_caller]
    pub fn start(&mut self) -> GeneratorState<Y, R> {
        if self.life != Life::Created {
            self.misuse(
                "start",
                "start() may be called only once, on a new generator",
            );
        }
        let out = self.start_created();
        self.value_state(out)
    }

    /// Sends `value` in as the result of the pending `yield_` and runs the
    /// body to its next yield or its end: Python's `g.send(value)`.
    ///
    /// # Panics
    ///
    /// If the generator has not started (call [`start`](Generator::start)
    /// first) or is complete. A panic in the body propagates as in `start`.
    #[inline(always)]
    #[track_caller]
    pub fn send(&mut self, value: S) -> GeneratorState<Y, R> {
        // The fast path is the whole switch, inlined into the caller (a
        // generic, so it is instantiated there): the callee-saved registers
        // corosensei's switch clobbers are then saved once around the
        // caller's loop instead of at every call, and nothing but the switch
        // itself runs between the caller's frame and the body's.
        if self.life != Life::Suspended || !self.delegates.is_empty() {
            return self.send_slow(value);
        }
        let out = self.send_suspended(value);
        self.value_state(out)
    }

    /// `send` on a generator that is not simply suspended: misuse, or a
    /// value for the innermost delegate. Everything but the delegate's
    /// fast switch is out of line, so this frame saves next to nothing
    /// around the virtual call.
    #[inline(never)]
    #[track_caller]
    fn send_slow(&mut self, value: S) -> GeneratorState<Y, R> {
        let top = match self.delegates.last() {
            Some(&top) if self.life == Life::Suspended => top,
            _ => return self.send_not_delegated(value),
        };
        // A value for the innermost delegate goes through its own fast
        // switch, one virtual call away: a plain yield comes straight back.
        // SAFETY: a pointer on the delegate stack belongs to a delegator
        // suspended in `yield_from` below it, which cannot resume (and
        // drop the slot) until the pointer is popped (protocol rule 4).
        match unsafe { (*top.as_ptr()).send_value(value) } {
            Some(y) => GeneratorState::Yielded(y),
            None => self.delegate_sent_state(top),
        }
    }

    /// `send` on a generator that is not suspended (misuse), or is
    /// suspended with no delegate (never reached from `send`, which takes
    /// its fast path then).
    #[cold]
    #[inline(never)]
    #[track_caller]
    fn send_not_delegated(&mut self, value: S) -> GeneratorState<Y, R> {
        if self.life != Life::Suspended {
            self.misuse(
                "send",
                if self.life == Life::Created {
                    "call start() first (Python: send a non-None value to a just-started \
                     generator is a TypeError)"
                } else {
                    "nothing more may be sent (Python raises StopIteration again); check \
                     is_complete(), or iterate it with next(), which keeps giving None"
                },
            );
        }
        Self::public_state(self.step_forwarding_waits(protocol::Resume::Send(value)))
    }

    #[inline(never)]
    fn delegate_sent_state(&mut self, top: protocol::DelegatePtr<Y, S>) -> GeneratorState<Y, R> {
        Self::public_state(self.delegate_sent_other(top))
    }

    /// The body suspended with something other than a value (a
    /// delegation or a wait) in answer to a `send` or `start`.
    #[inline(never)]
    fn send_other_tag(&mut self, tag: SuspendTag) -> GeneratorState<Y, R> {
        // SAFETY: the body is suspended again; the tag names the slot it
        // posted (mailbox rule 2).
        let out = unsafe { mailbox::take_suspend(self.mailbox.as_ptr(), tag) };
        Self::public_state(self.send_outcome(corosensei::CoroutineResult::Yield(out)))
    }

    /// The body ended in answer to a `send` or `start`: the usual end is
    /// answered here without the general step's detour.
    #[inline(never)]
    fn send_returned(&mut self, out: Result<R, protocol::Payload>) -> GeneratorState<Y, R> {
        match out {
            Ok(r) => {
                self.finish();
                GeneratorState::Complete(r)
            }
            Err(p) => {
                Self::public_state(self.send_outcome(corosensei::CoroutineResult::Return(Err(p))))
            }
        }
    }

    /// What a switch for a value produced, as the public state.
    #[inline(always)]
    fn value_state(&mut self, out: drive::ValueSwitch<Y, R>) -> GeneratorState<Y, R> {
        match out {
            drive::ValueSwitch::Value(y) => GeneratorState::Yielded(y),
            drive::ValueSwitch::Other(tag) => self.send_other_tag(tag),
            drive::ValueSwitch::Returned(r) => self.send_returned(r),
        }
    }

    fn public_state(step: drive::Step<Y, R>) -> GeneratorState<Y, R> {
        match step {
            drive::Step::Yielded(y) => GeneratorState::Yielded(y),
            drive::Step::Waiting(_) => unreachable!("waits are forwarded"),
            drive::Step::Returned(r) => GeneratorState::Complete(r),
            drive::Step::Panicked(payload) => std::panic::resume_unwind(payload),
        }
    }

    /// Whether the body has begun running (`false` for a generator closed
    /// before it started).
    pub fn is_started(&self) -> bool {
        self.started
    }

    /// Whether the body has finished: returned, panicked, or was closed.
    pub fn is_complete(&self) -> bool {
        self.life == Life::Complete
    }

    /// The usable size of this generator's stack, in bytes.
    pub fn stack_size(&self) -> usize {
        self.stack_size
    }

    /// How many bytes of its stack the body has used at most, if the
    /// generator was built with
    /// [`measure_stack_usage`](GeneratorBuilder::measure_stack_usage).
    ///
    /// Size stacks with it the way may and generator-rs users do: run a
    /// representative workload, read the mark, add headroom.
    pub fn stack_high_water(&self) -> Option<usize> {
        if self.measured == NOT_MEASURED {
            return None;
        }
        match &*self.coroutine {
            Some(_) => self.measure_now(),
            None => Some(self.measured),
        }
    }

    /// Panics naming the misuse; the location reported is the caller's
    /// (`track_caller` all the way up), so the message points at the
    /// user's line, not at corun's.
    #[cold]
    #[track_caller]
    fn misuse(&self, op: &str, hint: &str) -> ! {
        let state = match self.life {
            Life::Created => "has not started",
            Life::Suspended => "has already started",
            Life::Complete => "is already complete",
        };
        panic!("Generator::{op}: the generator {state}; {hint}")
    }
}

impl<'a, Y, T, E, R> Generator<'a, Y, Result<T, E>, R> {
    /// Raises `error` inside the body at its pending `yield_`: Python's
    /// `g.throw(error)`. The body sees `Err(error)` from `co.yield_(..)` and
    /// usually propagates it with `?`.
    ///
    /// On a generator that has not started or is complete, the body does not
    /// run: the error comes straight back as `Err(error)` and the generator is
    /// complete, as Python raises it at once.
    ///
    /// ```
    /// use corun::{Generator, GeneratorState};
    ///
    /// let mut g = Generator::new(|co: &corun::Co<u32, Result<(), String>>| -> Result<(), String> {
    ///     co.yield_(1)?;
    ///     Ok(())
    /// });
    /// assert_eq!(g.start(), GeneratorState::Yielded(1));
    /// assert_eq!(g.throw("bad".into()), Ok(GeneratorState::Complete(Err("bad".into()))));
    /// assert_eq!(g.throw("again".into()), Err("again".to_string()));
    /// ```
    pub fn throw(&mut self, error: E) -> Result<GeneratorState<Y, R>, E> {
        match self.life {
            Life::Suspended => Ok(self.send(Err(error))),
            Life::Created | Life::Complete => {
                self.close();
                Err(error)
            }
        }
    }
}

/// A generator that is sent `()` is an iterator over its yields. It is fused:
/// after the body ends, `next` keeps returning `None`. The return value is
/// dropped; use [`Generator::send`] to see it.
impl<Y, R> Iterator for Generator<'_, Y, (), R> {
    type Item = Y;

    #[inline]
    fn next(&mut self) -> Option<Y> {
        let state = match self.life {
            Life::Suspended => self.send(()),
            Life::Created => self.start(),
            Life::Complete => return None,
        };
        match state {
            GeneratorState::Yielded(y) => Some(y),
            GeneratorState::Complete(_) => None,
        }
    }
}

impl<Y, R> std::iter::FusedIterator for Generator<'_, Y, (), R> {}

impl<Y, S, R> std::fmt::Debug for Generator<'_, Y, S, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match self.life {
            Life::Created => "created",
            Life::Suspended => "suspended",
            Life::Complete => "complete",
        };
        f.debug_struct("Generator")
            .field("state", &state)
            .field("delegation_depth", &self.delegates.len())
            .field("stack_size", &self.stack_size)
            .finish()
    }
}

/// Auto traits that must hold, checked at compile time.
#[allow(dead_code)]
fn _auto_traits() {
    fn unpin<T: Unpin>() {}
    fn send_sync<T: Send + Sync + 'static>() {}
    unpin::<Generator<'static, u8, u8, u8>>();
    send_sync::<StackError>();
    send_sync::<GeneratorState<u8, String>>();
    send_sync::<GeneratorBuilder<u8>>();
    send_sync::<IgnoredClose<u8>>();
}
