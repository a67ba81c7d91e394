//! Building a generator with a chosen stack.
//!
//! # Borrowing bodies, and leaking them
//!
//! A body may borrow anything that outlives `'a`, but corosensei's safe
//! constructors want `'static`; [`StackConfig::try_build`] uses
//! `Coroutine::with_stack_unchecked` instead. Its documented contract (0.3.4)
//! is: the data borrowed by the closure remains valid from the coroutine's
//! creation until it is driven to completion or dropped; and "if the
//! coroutine is forgotten (with `std::mem::forget`), the stack memory cannot
//! be reclaimed and reused, and the data borrowed by `func` must remain valid
//! indefinitely".
//!
//! What corun keeps of that contract, and where it goes further:
//!
//! 1. **Alive: kept.** Borrowed data is only touched while the body runs,
//!    which is only inside a `resume` made through a `Generator<'a, ..>`,
//!    which cannot outlive `'a`. Dropping a generator first closes it (the
//!    body unwinds, or an unstarted body is dropped), so a coroutine corun
//!    drops has completed and its drop runs no code of the body.
//! 2. **Forgotten, the stack: kept.** A generator's coroutine is forgotten in
//!    two ways: the user `mem::forget`s the generator (safe), or corun gives
//!    up on a body that ignored its close and forgets the coroutine rather
//!    than resume it again (`leak_body` in `close.rs`, from the generator's
//!    `Drop` or when a wait it was interrupted in unwinds; the generator is
//!    then complete and its coroutine slot empty). Either way the coroutine's
//!    `Stack` is
//!    forgotten inside it: a guarded stack is never unmapped nor pooled, a
//!    carved one never goes back to its free list (and chunks are never
//!    unmapped). The memory stays mapped, untouched, for the rest of the
//!    process, so a value pinned on it (a future, an intrusive wait node) is
//!    never invalidated: `Pin`'s drop guarantee is met by never reusing it.
//! 3. **Forgotten, the borrows: beyond the contract.** corun does *not* keep
//!    the borrowed data valid indefinitely: `'a` may end right after the
//!    leak. corun assumes instead what makes that requirement unnecessary:
//!    nothing will ever run on, or read through, the leaked stack again.
//!    That holds because:
//!    - corosensei reaches a coroutine's stack and closure only through the
//!      `Coroutine` value (`resume`, `force_unwind`, `Drop`); 0.3.4 keeps no
//!      registry, static or thread-local of coroutines, its `Yielder` lives
//!      on the coroutine's own stack, and its one other handle,
//!      `trap_handler`, corun never asks for. A forgotten `Coroutine` runs
//!      nothing.
//!    - corun keeps no pointer into a generator's stack outside the
//!      `Generator` itself, and uses none of those once the coroutine is
//!      gone: `leak_body` clears the delegate stack, and the mailbox, the
//!      canary and the measured bounds are only used while the coroutine
//!      slot is full (a complete generator answers from its own fields). The
//!      thread's context pointer is put back by the resumer at every switch
//!      (context rule 2 in `stack::context`), so it never names a leaked
//!      body. The executor's wait lists hold task references and `Waker`s,
//!      never stack addresses, and scoped tasks that borrow from a leaked
//!      owner are run only by that owner (executor `scope` rule 2), which no
//!      longer runs.
//!    - What third-party code may keep, raw pointers to values pinned on the
//!      stack, points at memory that stays mapped (point 2); such code may
//!      write there but does not follow the body's borrows.
//!
//!    This is the reasoning by which safe Rust allows
//!    `mem::forget(Box::pin(future))` for a future that borrows locals: once
//!    no code can reach the leaked memory, what it borrows may die. A later
//!    corosensei that kept coroutines reachable after a forget (a registry,
//!    a debugger hook) would break this point; re-check it on upgrade.

use super::co::{Co, GeneratorExit};
use super::mailbox::{Mailbox, ResumeTag};
use super::protocol::Payload;
use super::{Coroutine, Generator, Life};
use crate::stack::{self, ContextHeader, StackError, StackKind, DEFAULT_STACK_SIZE};
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// The stack settings a generator is built with, untyped: the executor
/// keeps one to build every task's generator, whatever its types.
/// [`GeneratorBuilder`] is the typed, public face of it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StackConfig {
    stack_size: usize,
    measure: bool,
    kind: StackKind,
}

impl Default for StackConfig {
    fn default() -> Self {
        StackConfig {
            stack_size: DEFAULT_STACK_SIZE,
            measure: false,
            kind: StackKind::Guarded,
        }
    }
}

impl StackConfig {
    /// See [`GeneratorBuilder::stack_size`].
    pub(crate) fn stack_size(mut self, bytes: usize) -> Self {
        self.stack_size = bytes;
        self
    }

    /// See [`GeneratorBuilder::measure_stack_usage`].
    pub(crate) fn measure_stack_usage(mut self) -> Self {
        self.measure = true;
        self.kind = StackKind::Fresh;
        self
    }

    /// See [`GeneratorBuilder::unguarded_stack`].
    ///
    /// # Safety
    ///
    /// Every body built with the result must stay within its stack size, as
    /// [`GeneratorBuilder::unguarded_stack`] requires.
    pub(crate) unsafe fn unguarded_stack(mut self) -> Self {
        self.kind = StackKind::Unguarded;
        self.measure = false;
        self
    }

    /// Makes the generator.
    ///
    /// # Panics
    ///
    /// If no stack can be mapped, with the message of [`StackError`];
    /// [`try_build`](StackConfig::try_build) returns it instead.
    #[inline(always)]
    pub(crate) fn build<'a, Y, S, R, F>(self, body: F) -> Generator<'a, Y, S, R>
    where
        F: FnOnce(&Co<Y, S>) -> R + 'a,
    {
        // Not `try_build` and a match: the generator would be built inside
        // a `Result` and then copied out of it, a dozen words at every
        // creation. Only the stack is fallible; the rest writes the
        // generator straight into the caller's slot.
        match self.stack_with_mailbox::<Y, S>() {
            Ok(parts) => assemble(parts, body),
            Err(e) => no_stack(e),
        }
    }

    /// Makes the generator, or says why no stack could be mapped.
    #[inline(always)]
    pub(crate) fn try_build<'a, Y, S, R, F>(
        self,
        body: F,
    ) -> Result<Generator<'a, Y, S, R>, StackError>
    where
        F: FnOnce(&Co<Y, S>) -> R + 'a,
    {
        let parts = self.stack_with_mailbox::<Y, S>()?;
        Ok(assemble(parts, body))
    }

    /// The fallible half of building: a stack, with room for the mailbox
    /// set aside at its top and the mailbox written there.
    #[inline(always)]
    fn stack_with_mailbox<Y, S>(self) -> Result<StackParts<Y, S>, StackError> {
        let stack::Acquired {
            stack,
            layout,
            room,
        } = stack::acquire(
            self.stack_size,
            self.kind,
            std::mem::size_of::<Mailbox<Y, S>>(),
            std::mem::align_of::<Mailbox<Y, S>>(),
        )?;
        let mailbox = room.cast::<Mailbox<Y, S>>();
        // SAFETY: `acquire` set this room aside at the top of the stack for
        // the mailbox alone, suitably aligned and inside the writable part;
        // the coroutine's frames start below it.
        unsafe { mailbox.as_ptr().write(Mailbox::empty()) };
        Ok(StackParts {
            stack,
            layout,
            mailbox,
            measure: self.measure,
        })
    }
}

/// A stack ready for a body: what [`StackConfig::stack_with_mailbox`]
/// hands to [`assemble`].
struct StackParts<Y, S> {
    stack: stack::Stack,
    layout: stack::StackLayout,
    mailbox: std::ptr::NonNull<Mailbox<Y, S>>,
    measure: bool,
}

/// The infallible half of building: the coroutine on the prepared stack,
/// and the generator around it.
#[inline(always)]
fn assemble<'a, Y, S, R, F>(parts: StackParts<Y, S>, body: F) -> Generator<'a, Y, S, R>
where
    F: FnOnce(&Co<Y, S>) -> R + 'a,
{
    let StackParts {
        stack,
        layout,
        mailbox,
        measure,
    } = parts;
    let canary = stack.canary();
    let stack_bottom = layout.bottom;
    // Captured one by one and made into the header inside: a captured
    // `ContextHeader` was copied twice on the way into the `Co`.
    let (guard, usable) = (layout.guard, layout.usable);
    let stack_size = layout.usable;
    let mailbox_for_body = mailbox.as_ptr();
    let wrapper = move |yielder: &super::co::Yielder, first| {
        if let ResumeTag::Close = first {
            // No `Co` exists for this body: the resumer's context must not
            // be seen from this stack (context rule 2), or a capture's
            // `Drop` could yield through the resumer's `Co` from here.
            // SAFETY: null is always a valid context.
            unsafe { stack::set_current_context(std::ptr::null()) };
            return drop_unstarted(body);
        }
        let header = ContextHeader { guard, usable };
        let co = Co::new(header, yielder, mailbox_for_body);
        // SAFETY: `co` is this body's `Co`, on this coroutine's stack, and
        // stays in place (only borrowed) until the context is cleared
        // below (context rules 2 and 3).
        unsafe { co.enter() };
        // Every panic, including the unwind that close() starts, is
        // caught here so that resume never unwinds into the resumer.
        let result = catch_unwind(AssertUnwindSafe(|| body(&co)));
        // SAFETY: null is always a valid context; clearing it before `co`
        // goes out of scope keeps the pointer from naming a dead `Co`
        // until the resumer restores its own (context rule 3).
        unsafe { stack::set_current_context(std::ptr::null()) };
        result
    };
    // SAFETY: `with_stack_unchecked` drops the `'static` bounds; its
    // contract is met while the generator lives and when it is dropped
    // (point 1 of the module docs) and, for the stack, when it is
    // forgotten (point 2). That borrowed data may die after a forget is
    // the one step beyond corosensei's documented contract, argued in
    // point 3: nothing ever runs on or reads through a leaked stack.
    let coroutine: Coroutine<R> =
        unsafe { corosensei::Coroutine::with_stack_unchecked(stack, wrapper) };
    Generator {
        coroutine: ManuallyDrop::new(Some(coroutine)),
        mailbox,
        life: Life::Created,
        delegates: Default::default(),
        stack_size,
        stack_bottom,
        started: false,
        canary,
        measured: if measure { 0 } else { super::NOT_MEASURED },
        _marker: PhantomData,
    }
}

#[cold]
#[inline(never)]
fn no_stack(e: StackError) -> ! {
    panic!("{e}")
}

/// Closed before it started: drops the body unrun, on the coroutine's own
/// stack and inside `catch_unwind`, so a capture whose `Drop` panics is
/// reported once and never dropped twice. Out of line, to keep the body
/// wrapper's frame small.
#[inline(never)]
fn drop_unstarted<B, R>(body: B) -> Result<R, Payload> {
    match catch_unwind(AssertUnwindSafe(move || drop(body))) {
        Ok(()) => Err(Box::new(GeneratorExit)),
        Err(payload) => Err(payload),
    }
}
