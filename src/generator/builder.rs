//! Building a generator with a chosen stack.

use super::co::{Co, GeneratorExit};
use super::mailbox::{Mailbox, ResumeTag};
use super::protocol::Payload;
use super::{Coroutine, Generator, Life};
use crate::stack::{self, ContextHeader, StackError, StackKind, DEFAULT_STACK_SIZE};
use std::marker::PhantomData;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Configures a [`Generator`] before it is made.
///
/// ```
/// use corun::Generator;
///
/// let g: Generator<'_, u32> = corun::GeneratorBuilder::new()
///     .stack_size(256 * 1024)
///     .build(|co| co.yield_(7));
/// assert!(g.stack_size() >= 256 * 1024);
/// ```
#[derive(Debug, Clone)]
pub struct GeneratorBuilder {
    stack_size: usize,
    measure: bool,
    kind: StackKind,
}

impl Default for GeneratorBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl GeneratorBuilder {
    /// A builder with the default stack size ([`DEFAULT_STACK_SIZE`]).
    pub fn new() -> Self {
        GeneratorBuilder {
            stack_size: DEFAULT_STACK_SIZE,
            measure: false,
            kind: StackKind::Guarded,
        }
    }

    /// The usable stack size in bytes, rounded up to whole pages. Stacks of
    /// each size are pooled per thread.
    pub fn stack_size(mut self, bytes: usize) -> Self {
        self.stack_size = bytes;
        self
    }

    /// Gives the generator a freshly mapped stack, so that
    /// [`Generator::stack_high_water`] reports exactly how deep its body went
    /// (a recycled stack would still show its earlier users' marks).
    ///
    /// ```
    /// use corun::Generator;
    ///
    /// let mut g: Generator<'_, u32> = corun::GeneratorBuilder::new()
    ///     .measure_stack_usage()
    ///     .build(|co| {
    ///         let buf = std::hint::black_box([1u8; 8192]);
    ///         co.yield_(buf.iter().map(|&b| b as u32).sum())
    ///     });
    /// g.start();
    /// assert!(g.stack_high_water().unwrap() >= 8192);
    /// ```
    pub fn measure_stack_usage(mut self) -> Self {
        self.measure = true;
        self.kind = StackKind::Fresh;
        self
    }

    /// Runs the generator on a stack carved from a large shared mapping,
    /// with no guard page: thousands of such stacks cost one memory map,
    /// so far more coroutines fit than `vm.max_map_count` allows guarded
    /// ones (about 32,000 on a default Linux).
    ///
    /// A canary word at the bottom of the stack is checked every time the
    /// coroutine switches out; if it changed, the process aborts with a
    /// message naming the stack size.
    ///
    /// # Safety
    ///
    /// The body must never use more stack than [`stack_size`](Self::stack_size).
    /// An overflow writes into the memory below the stack (another
    /// coroutine's stack) before the canary check can notice: that is
    /// undefined behaviour. Size stacks with
    /// [`measure_stack_usage`](Self::measure_stack_usage) first.
    ///
    /// ```
    /// use corun::Generator;
    ///
    /// // SAFETY: this body uses a few hundred bytes of its 16 KiB stack.
    /// let g: Generator<'_, u32> =
    ///     unsafe { corun::GeneratorBuilder::new().stack_size(16 * 1024).unguarded_stack() }
    ///         .build(|co| co.yield_(1));
    /// assert_eq!(g.collect::<Vec<_>>(), [1]);
    /// ```
    pub unsafe fn unguarded_stack(mut self) -> Self {
        self.kind = StackKind::Unguarded;
        self.measure = false;
        self
    }

    /// Makes the generator.
    ///
    /// # Panics
    ///
    /// If no stack can be mapped, with the message of [`StackError`];
    /// [`try_build`](GeneratorBuilder::try_build) returns it instead.
    pub fn build<'a, Y, S, R, F>(self, body: F) -> Generator<'a, Y, S, R>
    where
        F: FnOnce(&Co<Y, S>) -> R + 'a,
    {
        match self.try_build(body) {
            Ok(g) => g,
            Err(e) => panic!("{e}"),
        }
    }

    /// Makes the generator, or says why no stack could be mapped.
    pub fn try_build<'a, Y, S, R, F>(self, body: F) -> Result<Generator<'a, Y, S, R>, StackError>
    where
        F: FnOnce(&Co<Y, S>) -> R + 'a,
    {
        let mut stack = stack::acquire(self.stack_size, self.kind)?;
        let Some(mailbox) = stack.reserve_top(
            std::mem::size_of::<Mailbox<Y, S>>(),
            std::mem::align_of::<Mailbox<Y, S>>(),
        ) else {
            let needed = std::mem::size_of::<Mailbox<Y, S>>();
            stack::release(stack);
            return Err(StackError::too_large(needed));
        };
        let mailbox = mailbox.cast::<Mailbox<Y, S>>();
        // SAFETY: `reserve_top` handed out this region of the stack for the
        // mailbox alone, suitably aligned and inside the writable part; the
        // coroutine's frames start below it.
        unsafe { mailbox.as_ptr().write(Mailbox::empty()) };
        let canary = stack.canary();
        let stack_bottom = stack.bottom();
        let (guard_lo, guard_hi) = stack.guard();
        let header = ContextHeader {
            guard_lo,
            guard_hi,
            usable: stack.usable(),
        };
        let stack_size = stack.usable();
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
        // SAFETY: `with_stack_unchecked` drops the `'static` bounds. Borrowed
        // data in `body` is only touched while the coroutine runs, which is
        // only inside `resume` calls made through a `Generator<'a, ..>`, which
        // cannot outlive `'a`; dropping a generator unwinds or drops the body
        // first. If the generator is leaked (`mem::forget`), its stack is
        // leaked with it and never resumed or reused, so nothing dangling is
        // ever read and no pinned value on that stack is ever overwritten.
        let coroutine: Coroutine<R> =
            unsafe { corosensei::Coroutine::with_stack_unchecked(stack, wrapper) };
        Ok(Generator {
            coroutine: Some(coroutine),
            mailbox,
            life: Life::Created,
            delegates: Default::default(),
            stack_size,
            stack_bottom,
            started: false,
            canary,
            measured: if self.measure { 0 } else { super::NOT_MEASURED },
            _marker: PhantomData,
        })
    }
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
