//! The messages that cross a generator's stack switch, and the delegate stack
//! (the slot a delegator hands over is in `delegate`).
//!
//! Rules of the delegate stack ("O(1) yield from"):
//! 1. `Co::yield_from(sub)` does not relay values through its own stack. It
//!    puts `sub` in a [`DelegateSlot`] on its own frame and suspends with
//!    [`Suspend::Delegate`], a pointer to that slot.
//! 2. Whoever resumed it (the root: the generator the user called `send` on)
//!    pushes the pointer on its delegate stack, adopts any delegates the sub
//!    already had, and from then on resumes the innermost delegate directly.
//!    Depth costs nothing per value.
//! 3. When the innermost completes, the root pops it and resumes the next
//!    one down with [`Resume::SubDone`] (the return value waits in the slot)
//!    or [`Resume::SubPanicked`] (the panic payload, re-raised there).
//! 4. A slot pointer is valid while its delegator is suspended inside
//!    `yield_from`: the delegator only resumes after the pointer is popped.
//!    Closing pops innermost first, so the pointer never dangles.
//! 5. [`Suspend::Wait`] asks the resumer to suspend whatever it runs on (a
//!    task) until woken; the resumer then resumes the same delegate with
//!    [`Resume::Wake`].

use std::any::Any;
use std::ptr::NonNull;

/// A caught panic.
pub(crate) type Payload = Box<dyn Any + Send + 'static>;

/// What one resumption of a generator's own body produced, its mailbox
/// read.
pub(crate) type Outcome<Y, S, R> = corosensei::CoroutineResult<Suspend<Y, S>, Result<R, Payload>>;

/// What a resumer sends into a coroutine.
pub(crate) enum Resume<S> {
    /// The first resumption: the body starts.
    Start,
    /// A value for the pending `yield_`.
    Send(S),
    /// Unwind from the pending suspension (close or cancel).
    Close,
    /// The delegate this frame was waiting on completed; its value is in the slot.
    SubDone,
    /// The delegate this frame was waiting on panicked.
    SubPanicked(Payload),
    /// The wait this frame asked for is over.
    Wake,
}

/// What a coroutine hands to its resumer when it suspends.
pub(crate) enum Suspend<Y, S> {
    /// `yield_(value)`.
    Value(Y),
    /// `yield_from(sub)`: drive this delegate until it completes.
    Delegate(DelegatePtr<Y, S>),
    /// Suspend the enclosing task; resume me with `Wake`.
    Wait(WaitKind),
}

/// Why a coroutine asks its task to suspend. The generator layer only
/// forwards it; the executor decides what it means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WaitKind {
    /// Until something wakes the task.
    Blocked,
    /// Only to let other tasks run: the task is ready again at once.
    Yielded,
}

/// A type-erased pointer to a [`DelegateSlot`] on a suspended delegator's
/// stack. Its trait-object lifetime is erased to `'static`; rule 4 above is
/// what keeps it valid.
pub(crate) type DelegatePtr<Y, S> = NonNull<dyn Delegate<Y, S>>;

/// The active delegates of a root, innermost last. Boxed, because most
/// generators never delegate: an empty stack is one null word. It is `None`
/// whenever it is empty (never `Some` of an empty `Vec`), so `send`'s fast
/// path asks "no delegates?" with one load and one test.
// One word when empty (a `Vec` is three): the generator stays small.
#[allow(clippy::box_collection)]
pub(crate) struct DelegateStack<Y, S>(Option<Box<Vec<DelegatePtr<Y, S>>>>);

impl<Y, S> Default for DelegateStack<Y, S> {
    fn default() -> Self {
        DelegateStack(None)
    }
}

impl<Y, S> DelegateStack<Y, S> {
    #[inline(always)]
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    pub(crate) fn len(&self) -> usize {
        self.0.as_ref().map_or(0, |v| v.len())
    }

    pub(crate) fn last(&self) -> Option<&DelegatePtr<Y, S>> {
        self.0.as_ref()?.last()
    }

    pub(crate) fn push(&mut self, delegate: DelegatePtr<Y, S>) {
        self.0.get_or_insert_with(Default::default).push(delegate);
    }

    pub(crate) fn pop(&mut self) -> Option<DelegatePtr<Y, S>> {
        let stack = self.0.as_mut()?;
        let top = stack.pop();
        if stack.is_empty() {
            self.0 = None;
        }
        top
    }

    pub(crate) fn clear(&mut self) {
        self.0 = None;
    }

    /// Takes the delegates from index `at` on, leaving the ones below.
    pub(crate) fn split_off(&mut self, at: usize) -> DelegateStack<Y, S> {
        let Some(stack) = self.0.as_mut() else {
            return DelegateStack(None);
        };
        let above = stack.split_off(at.min(stack.len()));
        if stack.is_empty() {
            self.0 = None;
        }
        DelegateStack((!above.is_empty()).then(|| Box::new(above)))
    }

    /// Moves every delegate of `other` onto the end of this stack.
    pub(crate) fn append(&mut self, other: &mut DelegateStack<Y, S>) {
        // `theirs` is not empty (the `None`-when-empty rule), so neither is
        // this stack afterwards.
        if let Some(mut theirs) = other.0.take() {
            self.0
                .get_or_insert_with(Default::default)
                .append(&mut theirs);
        }
    }
}

/// One step of a delegate, as the root sees it.
pub(crate) enum DelegateStep<Y, S> {
    Yielded(Y),
    Wait(WaitKind),
    Delegated(DelegatePtr<Y, S>),
    Returned,
    Panicked(Payload),
}

/// The root's view of a subgenerator whose return type it does not know.
pub(crate) trait Delegate<Y, S> {
    /// Resumes the subgenerator's own coroutine once.
    fn step(&mut self, signal: Resume<S>) -> DelegateStep<Y, S>;
    /// `step(Resume::Send(value))` for a subgenerator suspended at a
    /// yield, through `send`'s fast switch, so that a delegated value costs
    /// about what a direct `send` does: a plain yield's value comes back
    /// in registers; for anything else, `None`, and the step waits for
    /// [`take_step`](Self::take_step).
    fn send_value(&mut self, value: S) -> Option<Y>;
    /// The step the latest `send_value` answered `None` for.
    fn take_step(&mut self) -> DelegateStep<Y, S>;
    /// The first signal for a newly pushed delegate: `Start` for a fresh one,
    /// `Send(first)` for one that had already started.
    fn initial_signal(&mut self) -> Resume<S>;
    /// Moves the delegates the subgenerator already had onto `into`.
    fn adopt_delegates(&mut self, into: &mut DelegateStack<Y, S>);
    /// The reverse: hands the subgenerator back the delegates it started,
    /// which the root ran for it, when the root lets go of it suspended
    /// (it ignored a close), so that its own close unwinds them later.
    fn keep_delegates(&mut self, delegates: DelegateStack<Y, S>);
}

/// Erases the lifetime of a slot pointer (see [`DelegatePtr`]).
pub(crate) fn erase<'s, Y, S>(slot: &'s mut (dyn Delegate<Y, S> + 's)) -> DelegatePtr<Y, S> {
    let ptr: NonNull<dyn Delegate<Y, S> + 's> = NonNull::from(slot);
    // SAFETY: only the trait object's lifetime bound changes; the layout of
    // the fat pointer is identical. Rule 4 of the module docs keeps every
    // use of the pointer inside the slot's real lifetime.
    unsafe { std::mem::transmute::<NonNull<dyn Delegate<Y, S> + 's>, DelegatePtr<Y, S>>(ptr) }
}
