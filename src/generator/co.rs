//! `Co`: the handle a generator body yields through, and the untyped wait
//! that lets code deep inside a body suspend the task that drives it.
//!
//! Every switch out of a body is inlined into the code that asks for it (a
//! `yield_` in the body, a `yield_now` or `join` in a task): a real call
//! between the body's own frame and corosensei's switch would leave the
//! CPU's return-address predictor one frame off at every switch, out and
//! back, which measured 5 to 7 times the cost of the switch itself.

use super::delegate::DelegateSlot;
use super::mailbox::{post_suspend, take_resume, Mailbox, ResumeTag, SuspendTag};
use super::protocol::{erase, Resume, Suspend, WaitKind};
use super::unwinding::UnwindState;
use super::Generator;
use crate::stack::{current_context, set_current_context, ContextHeader};
use std::marker::PhantomData;
use std::panic::resume_unwind;

/// The yielder type corosensei hands the body.
pub(crate) type Yielder = corosensei::Yielder<ResumeTag, SuspendTag>;

/// The panic payload that unwinds a body from its suspension point when it is
/// closed or cancelled. Bodies never see it unless they `catch_unwind`.
#[derive(Debug)]
pub(crate) struct GeneratorExit;

/// The panic payload a delegator unwinds with when its subgenerator ignored
/// a close (Python raises `RuntimeError` in the delegator there).
#[derive(Debug)]
pub(crate) struct SubIgnoredClose;

#[track_caller]
fn assert_not_complete<Y, S, R2>(sub: &Generator<'_, Y, S, R2>) {
    assert!(
        !sub.is_complete(),
        "Co::yield_from: the subgenerator is already complete, so it has no \
         return value left to give (Python's yield from returns None here)"
    );
}

/// The type-erased part of a running coroutine's context that code without
/// the generator's types (the executor's waits) can use. The middle link of
/// the context-pointer chain (`stack::context`, context rules 1 and 4).
///
/// A wait needs nothing typed: it posts nothing in the mailbox and is woken
/// by a tag that carries nothing (mailbox rule 2), so the frame holds all
/// it needs to suspend, and a wait costs what a `yield_` costs.
#[repr(C)]
pub(crate) struct Frame {
    /// First, so a context pointer is a frame pointer (context rule 1).
    pub(crate) header: ContextHeader,
    /// corosensei's handle for suspending this coroutine, at the base of its
    /// stack.
    yielder: *const Yielder,
    /// Whether this coroutine is being unwound (see `unwinding`).
    unwind: UnwindState,
}

impl Frame {
    /// Switches out with `tag` and, when resumed, records the resumption
    /// and marks this body running again.
    ///
    /// # Safety
    ///
    /// `self` is the frame of the `Co` whose body is the innermost running
    /// coroutine of this thread, and this code runs on that body's stack
    /// (context rules 2 and 3); the mailbox rules hold for `tag`.
    #[inline(always)]
    unsafe fn switch_out(&self, tag: SuspendTag) -> ResumeTag {
        // SAFETY: the caller's contract.
        unsafe { self.switch_out_expecting(tag, ResumeTag::Send) }
    }

    /// [`switch_out`](Self::switch_out) for a caller that expects to be
    /// resumed with `expected` (never `Close`): that case is tested first,
    /// so the usual resumption costs one comparison of the tag.
    ///
    /// # Safety
    ///
    /// As [`Frame::switch_out`].
    #[inline(always)]
    unsafe fn switch_out_expecting(&self, tag: SuspendTag, expected: ResumeTag) -> ResumeTag {
        // SAFETY: the caller guarantees this runs on this frame's own
        // coroutine stack, so the yielder, which lives at the base of that
        // stack, is alive and is the one to suspend through.
        let tag = unsafe { (*self.yielder).suspend(tag) };
        if tag == expected {
            self.unwind.resumed(false);
        } else {
            self.unwind.resumed(tag == ResumeTag::Close);
        }
        // SAFETY: the suspension returned, so this body runs on its own stack
        // again, where the `Co` holding this frame lives unmoved (context
        // rules 2 and 3).
        unsafe { set_current_context(&self.header) };
        tag
    }

    /// Suspends this coroutine with a wait; returns when woken. A close
    /// unwinds from here.
    ///
    /// # Safety
    ///
    /// As [`Frame::switch_out`].
    #[inline(always)]
    unsafe fn wait(&self, kind: WaitKind) {
        // SAFETY: the caller's contract; a wait posts nothing (mailbox
        // rule 2).
        match unsafe { self.switch_out_expecting(SuspendTag::Wait(kind), ResumeTag::Wake) } {
            ResumeTag::Wake => {}
            ResumeTag::Close => close_unwind(),
            _ => wrong_signal(),
        }
    }
}

// Context rule 1, checked: `header` starts `Frame`, `frame` starts `Co` (also
// asserted in `Co::new` for every `Y, S` that is instantiated).
const _: () = assert!(std::mem::offset_of!(Frame, header) == 0);
const _: () = assert!(std::mem::offset_of!(Co<u8, u8>, frame) == 0);
const _: () = assert!(std::mem::offset_of!(Co<String, [u64; 9]>, frame) == 0);

/// The handle a generator body yields through: Python's `yield` and
/// `yield from`, as methods.
///
/// A body receives `&Co<Y, S>`; it cannot leave the body. Using it anywhere
/// but on its own generator's stack — captured by another generator's body,
/// or after the body was unwound — panics with a message that says so.
///
/// ```
/// use corun::Generator;
///
/// let squares = Generator::new(|co| {
///     for i in 1..=3u32 {
///         co.yield_(i * i);
///     }
/// });
/// assert_eq!(squares.collect::<Vec<_>>(), [1, 4, 9]);
/// ```
///
/// A `Co` belongs to one stack on one thread:
///
/// ```compile_fail
/// fn assert_send<T: Send>(_: &T) {}
/// let g = corun::Generator::<u32>::new(|co| assert_send(co));
/// ```
///
/// ```compile_fail
/// fn assert_sync<T: Sync>(_: &T) {}
/// let g = corun::Generator::<u32>::new(|co| assert_sync(co));
/// ```
#[repr(C)]
pub struct Co<Y, S = ()> {
    frame: Frame,
    mailbox: *mut Mailbox<Y, S>,
    /// `!Send` and `!Sync`: the handle belongs to one stack on one thread.
    _not_send: PhantomData<*mut ()>,
}

impl<Y, S> Co<Y, S> {
    pub(crate) fn new(
        header: ContextHeader,
        yielder: &Yielder,
        mailbox: *mut Mailbox<Y, S>,
    ) -> Self {
        // Context rule 1 for this very `Co<Y, S>`.
        const { assert!(std::mem::offset_of!(Self, frame) == 0) };
        Co {
            frame: Frame {
                header,
                yielder,
                unwind: UnwindState::starting(),
            },
            mailbox,
            _not_send: PhantomData,
        }
    }

    /// Marks this body as the innermost running coroutine of the thread.
    ///
    /// # Safety
    ///
    /// `self` must be the `Co` of the body that runs on this thread's
    /// current stack, and stay in place until the pointer is replaced:
    /// context rules 2 and 3 (`stack::context`).
    #[inline(always)]
    pub(crate) unsafe fn enter(&self) {
        // SAFETY: the caller's contract is `set_current_context`'s for a
        // `Co`'s own header (context rules 2 and 3).
        unsafe { set_current_context(&self.frame.header) };
    }

    /// Suspends to the resumer and marks this body running again on return.
    #[inline(always)]
    fn suspend(&self, out: Suspend<Y, S>) -> Resume<S> {
        // SAFETY: `check_running` (called by every public entry point first)
        // found the thread's context to be this Co's header, which by
        // context rules 2 and 3 means this code runs on this Co's own
        // coroutine stack: `switch_out`'s contract. The mailbox rules (see
        // `mailbox`) hold: this body runs, its resumer is suspended until the
        // switch, and after it the roles swap back.
        unsafe {
            let tag = post_suspend(self.mailbox, out);
            let tag = self.frame.switch_out(tag);
            take_resume(self.mailbox, tag)
        }
    }

    #[inline(always)]
    #[track_caller]
    fn check_running(&self, what: &str) {
        if !std::ptr::eq(current_context(), &self.frame.header) {
            misuse(what);
        }
        if self.frame.unwind.is_unwinding() {
            yield_while_unwinding(what);
        }
    }

    /// Yields `value` to whoever resumed the generator and returns what the
    /// next `send` delivers: Python's `x = yield value`.
    ///
    /// # Panics
    ///
    /// If this `Co` is not the running generator's own (it was captured by
    /// another generator's body), and if called while the body is unwinding
    /// (from a destructor during close or a panic): suspending an unwinding
    /// stack is not possible, and a panic there aborts the process.
    ///
    /// ```
    /// use corun::{Generator, GeneratorState};
    ///
    /// let mut echo = Generator::new(|co| {
    ///     let mut got = co.yield_("ready");
    ///     while got != "stop" {
    ///         got = co.yield_(got);
    ///     }
    ///     "stopped"
    /// });
    /// assert_eq!(echo.start(), GeneratorState::Yielded("ready"));
    /// assert_eq!(echo.send("hi"), GeneratorState::Yielded("hi"));
    /// assert_eq!(echo.send("stop"), GeneratorState::Complete("stopped"));
    /// ```
    #[inline(always)]
    #[track_caller]
    pub fn yield_(&self, value: Y) -> S {
        self.check_running("Co::yield_");
        // The usual answer to a yield is a sent value: that case is tested
        // first and read straight from its slot, without building a
        // `Resume` and matching it again.
        // SAFETY: as in `suspend`: `check_running` found this Co's body
        // running on its own stack, and the mailbox rules hold around the
        // switch (the value is posted just before it; the sent one is read
        // only when the tag says it was posted).
        unsafe {
            super::mailbox::post_yielded(self.mailbox, value);
            let tag = self.frame.switch_out(SuspendTag::Value);
            if tag == ResumeTag::Send {
                return super::mailbox::take_sent(self.mailbox);
            }
            unexpected(take_resume(self.mailbox, tag))
        }
    }

    /// Runs `sub` to completion, passing its yields out and every sent value
    /// (errors included) in, and returns its return value: Python's
    /// `r = yield from sub`.
    ///
    /// The values do not pass through this body's stack: the generator the
    /// caller drives resumes the innermost delegate directly, so a value costs
    /// the same at depth 64 as at depth 1.
    ///
    /// # Panics
    ///
    /// If `sub` has already started (use [`Co::yield_from_with`], which says
    /// what to send it first; Python sends `None`) or is complete (Python's
    /// `yield from` then returns `None`; there is no `R2` to return here). A
    /// panic in `sub` unwinds through this body as if raised here.
    ///
    /// ```
    /// use corun::Generator;
    ///
    /// let inner = |co: &corun::Co<u32>| { co.yield_(1); co.yield_(2); "inner done" };
    /// let outer = Generator::new(move |co| {
    ///     let r = co.yield_from(Generator::new(inner));
    ///     assert_eq!(r, "inner done");
    ///     co.yield_(3);
    /// });
    /// assert_eq!(outer.collect::<Vec<_>>(), [1, 2, 3]);
    /// ```
    #[track_caller]
    pub fn yield_from<R2>(&self, sub: Generator<'_, Y, S, R2>) -> R2 {
        assert_not_complete(&sub);
        assert!(
            !sub.is_started(),
            "Co::yield_from: the subgenerator has already started; use \
             Co::yield_from_with(sub, first_value) to say what to send it first \
             (Python's yield from sends None)"
        );
        self.delegate(sub, None)
    }

    /// Delegates to a subgenerator that has already started, resuming it with
    /// `first` (Python's `yield from` on a started generator sends `None`).
    /// A fresh `sub` is started instead and `first` is dropped.
    ///
    /// # Panics
    ///
    /// If `sub` is complete.
    ///
    /// ```
    /// use corun::{Generator, GeneratorState};
    ///
    /// let mut sub: Generator<'_, u32, u32, u32> = Generator::new(|co| {
    ///     let a = co.yield_(0);
    ///     a + co.yield_(a)
    /// });
    /// sub.start();
    /// let mut outer = Generator::new(move |co| co.yield_from_with(sub, 5));
    /// assert_eq!(outer.start(), GeneratorState::Yielded(5));
    /// assert_eq!(outer.send(1), GeneratorState::Complete(6));
    /// ```
    #[track_caller]
    pub fn yield_from_with<R2>(&self, sub: Generator<'_, Y, S, R2>, first: S) -> R2 {
        let first = sub.is_started().then_some(first);
        self.delegate(sub, first)
    }

    #[track_caller]
    fn delegate<R2>(&self, sub: Generator<'_, Y, S, R2>, first: Option<S>) -> R2 {
        self.check_running("Co::yield_from");
        assert_not_complete(&sub);
        let mut slot = DelegateSlot {
            generator: sub,
            first,
            result: None,
            parked: None,
        };
        match self.suspend(Suspend::Delegate(erase(&mut slot))) {
            Resume::SubDone => slot
                .result
                .take()
                .expect("corun: a delegate reported completion without a value"),
            Resume::SubPanicked(payload) => resume_unwind(payload),
            other => unexpected(other),
        }
    }

    /// Yields every item of `iter`: Python's `yield from iterable`. Values
    /// sent in meanwhile are dropped, as a plain iterator cannot receive them.
    ///
    /// ```
    /// use corun::Generator;
    ///
    /// let g = Generator::new(|co| {
    ///     co.yield_from_iter(["a", "b"]);
    ///     co.yield_("c");
    /// });
    /// assert_eq!(g.collect::<String>(), "abc");
    /// ```
    #[track_caller]
    pub fn yield_from_iter<I: IntoIterator<Item = Y>>(&self, iter: I) {
        for item in iter {
            self.yield_(item);
        }
    }
}

impl<Y, T, E> Co<Y, Result<T, E>> {
    /// Yields every item of `iter` until an error is sent in, and returns
    /// that error: Python's `yield from iterable` with `throw`, where the
    /// error is raised in the delegating body (the iterator cannot catch it).
    ///
    /// ```
    /// use corun::{Generator, GeneratorState};
    ///
    /// let mut g = Generator::new(|co: &corun::Co<u32, Result<(), &str>>| {
    ///     co.try_yield_from_iter(0..10)?;
    ///     Ok("all sent")
    /// });
    /// assert_eq!(g.start(), GeneratorState::Yielded(0));
    /// assert_eq!(g.send(Ok(())), GeneratorState::Yielded(1));
    /// assert_eq!(g.send(Err("stop")), GeneratorState::Complete(Err("stop")));
    /// ```
    pub fn try_yield_from_iter<I: IntoIterator<Item = Y>>(&self, iter: I) -> Result<(), E> {
        for item in iter {
            self.yield_(item)?;
        }
        Ok(())
    }
}

impl<Y, S> std::fmt::Debug for Co<Y, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Co")
            .field("stack_size", &self.frame.header.usable)
            .finish_non_exhaustive()
    }
}

/// Why [`suspend_innermost`] returned without suspending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SuspendError {
    /// The thread is not running a corun coroutine.
    NotInCoroutine,
    /// The running coroutine is unwinding (closed, cancelled or panicking;
    /// see `unwinding`): it cannot suspend, so the wait is skipped.
    Unwinding,
}

/// Suspends the innermost running coroutine until its resumer wakes it.
///
/// Inside a generator inside a task, the generator suspends with a wait
/// signal; its resumer forwards the wait up, level by level, to the task.
/// If the coroutine is closed or cancelled meanwhile, this unwinds.
#[inline(always)]
pub(crate) fn suspend_innermost(kind: WaitKind) -> Result<(), SuspendError> {
    let ctx = current_context();
    if ctx.is_null() {
        return Err(SuspendError::NotInCoroutine);
    }
    let frame = ctx.cast::<Frame>();
    // SAFETY: a non-null context is the header of the live `Co` whose body
    // runs on this thread, and this code runs inside that body (context rules
    // 2 and 3); `Frame` starts with that header (context rule 1), so `frame`
    // is that Co's frame.
    let frame = unsafe { &*frame };
    if frame.unwind.is_unwinding() {
        return Err(SuspendError::Unwinding);
    }
    // SAFETY: as above: `frame` is the running `Co`'s, and this code runs
    // on its stack: `Frame::wait`'s contract.
    unsafe { frame.wait(kind) };
    Ok(())
}

/// Whether the innermost running coroutine is unwinding (`unwinding.rs`,
/// rule 2); `false` outside every coroutine.
pub(crate) fn innermost_is_unwinding() -> bool {
    let ctx = current_context();
    if ctx.is_null() {
        return false;
    }
    // SAFETY: as in `suspend_innermost`: a non-null context is the header
    // of the live `Co` whose body runs on this thread, which starts its
    // `Frame` (context rules 1 to 3).
    let frame = unsafe { &*ctx.cast::<Frame>() };
    frame.unwind.is_unwinding()
}

/// Reacts to a resumption other than the one the suspension expects.
#[cold]
pub(crate) fn unexpected<S>(resumed: Resume<S>) -> ! {
    match resumed {
        Resume::Close => close_unwind(),
        _ => wrong_signal(),
    }
}

/// Close and cancel unwind the body from where it stands, so that its
/// destructors run; the payload is recognised and swallowed by close.
#[cold]
fn close_unwind() -> ! {
    resume_unwind(Box::new(GeneratorExit))
}

#[cold]
fn wrong_signal() -> ! {
    panic!("corun internal error: a coroutine was resumed with the wrong signal")
}

#[cold]
#[track_caller]
fn misuse(what: &str) -> ! {
    if current_context().is_null() {
        panic!(
            "{what} called outside any generator body: a Co works only inside the \
             body it was given to"
        );
    }
    panic!(
        "{what} called on a Co that does not belong to the running generator (was it \
         captured by another generator's body?): a body may yield only through its own Co"
    );
}

#[cold]
#[track_caller]
fn yield_while_unwinding(what: &str) -> ! {
    panic!(
        "{what} called while the generator is unwinding (from a destructor run by \
         close, cancel or a panic): an unwinding body cannot suspend. Python raises \
         RuntimeError('generator ignored GeneratorExit') here"
    );
}
