//! The thread's innermost running coroutine, and the context-pointer chain.
//!
//! Upper layers keep a pointer to the running coroutine's context here: the
//! generator layer uses it to check that a `Co` is used on its own stack and
//! to forward waits, and the overflow handler reads the stack bounds from it.
//! It lives in this layer so that the signal handler below needs nothing from
//! above.
//!
//! # The context-pointer chain
//!
//! One pointer names three nested values: a [`ContextHeader`] (this layer's
//! part: the stack bounds) is the first field of the generator layer's
//! `Frame` (what an untyped wait needs: the yielder and the unwinding
//! facts), which is the first field of a
//! `Co<Y, S>` (the typed handle a body yields through):
//!
//! ```text
//! Co<Y, S>   #[repr(C)]  | frame: Frame .................................. | mailbox |
//! Frame      #[repr(C)]  | header: ContextHeader | yielder | unwind |
//! ContextHeader          | guard | usable |
//!                        ^ CURRENT points here: at all three at once
//! ```
//!
//! Code that holds the pointer casts it up the chain. Every `// SAFETY:`
//! comment that relies on the chain cites these rules by number
//! ("context rule 2"):
//!
//! 1. **Layout.** `ContextHeader`, `Frame` and `Co<Y, S>` are `#[repr(C)]`;
//!    `header` is `Frame`'s first field and `frame` is `Co`'s first field, so
//!    both sit at offset 0 and the three addresses are equal. A
//!    `*const ContextHeader` taken from a `Co`'s `frame.header` may be cast to
//!    `*const Frame`, and a `*const Frame` taken from a `Co<Y, S>` to
//!    `*const Co<Y, S>`. Checked at compile time by `offset_of!` assertions
//!    beside `Frame` and in `Co::new` (for every `Y, S` in use).
//! 2. **What it holds.** [`CURRENT`](current_context) is null, or the address
//!    of the `frame.header` of the `Co` whose body is running on this thread
//!    (the innermost one, when generators resume generators). Only `Co::enter`
//!    stores a non-null value, and only for its own body; a resumer saves the
//!    value before it switches into a coroutine and stores it back when the
//!    switch returns (`Generator::resume_tag`); a body calls `Co::enter` again
//!    each time one of its suspensions returns. So while a body, or code it
//!    calls, runs on a coroutine's stack, the pointer names that body's
//!    `Co`; on a thread's own stack, outside every body, it is null. One
//!    exception, which only ever stores null: [`OutsideCoroutines`] (an
//!    executor's loop run from inside a body) stores null for as long as it
//!    lives and then puts back the pointer it saved, which still names a
//!    live `Co` (the body that made it is still running that code).
//! 3. **Lifetime.** That `Co` is a local of the body wrapper built in
//!    `GeneratorBuilder::try_build`, on the coroutine's own stack. It is never
//!    moved after `Co::enter` (the body only borrows it), and the wrapper
//!    stores null before `co` goes out of scope, and also while it drops a
//!    body that never started (no `Co` exists then). So a non-null pointer
//!    always names a live `Co`.
//! 4. **Type.** Nothing casts a `Frame` back to a `Co`: a wait needs only
//!    the frame (it posts nothing in the typed mailbox), so code without the
//!    generator's types never needs them.
//! 5. **Reads.** A header is never written after `Co::new` (a body gets only
//!    `&Co`), so reading it through the pointer races with nothing, even
//!    from the SIGSEGV handler, which may interrupt any instruction. `CURRENT`
//!    is a const-initialised thread-local without a destructor: reading it in
//!    a signal handler is a plain thread-pointer-relative load.
//!
//! The pointer never leaves its thread: it is only read by the thread that
//! stored it (a thread-local), and the `Co` it names is `!Send`.

use std::cell::Cell;

/// The first field of every running coroutine's context (`#[repr(C)]` in the
/// types that embed it), so a pointer to the context is a pointer to this
/// (context rule 1).
#[repr(C)]
#[derive(Debug)]
pub(crate) struct ContextHeader {
    /// The start of the guard page below the coroutine's stack (one page
    /// long), or 0 for a stack without one. Its end is not kept: one word
    /// less to write at every creation, and the page size is at hand.
    pub(crate) guard: usize,
    /// The usable stack size, for the overflow message.
    pub(crate) usable: usize,
}

thread_local! {
    // const-initialised and without a destructor, so reading it is a plain
    // thread-pointer-relative load: safe even inside the SIGSEGV handler
    // (context rule 5).
    static CURRENT: Cell<*const ContextHeader> = const { Cell::new(std::ptr::null()) };
}

/// The innermost running coroutine on this thread, or null on a thread stack
/// (see the context rules for what a non-null pointer may be cast to).
#[inline(always)]
pub(crate) fn current_context() -> *const ContextHeader {
    CURRENT.with(|c| c.get())
}

/// Records the innermost running coroutine; returns the previous one.
///
/// # Safety
///
/// `ctx` must be null, a value [`current_context`] returned on this thread
/// that still satisfies context rules 2 and 3 (a resumer putting back the
/// pointer it saved), or the `frame.header` of the `Co` whose body is about
/// to run on this thread's current stack and stays in place until the
/// pointer is replaced (`Co::enter`). The overflow handler and the generator
/// layer dereference whatever is stored here.
#[inline(always)]
pub(crate) unsafe fn set_current_context(ctx: *const ContextHeader) -> *const ContextHeader {
    CURRENT.with(|c| c.replace(ctx))
}

/// While alive, the code this thread runs is outside every coroutine, even
/// when it runs on a coroutine's stack: the thread's context pointer is
/// null (context rule 2's exception). An executor's loop (`block_on`) called
/// from a generator's body runs under it, so that nothing the loop runs (a
/// future task's poll, a waker, a destructor) can find that body and
/// suspend it from inside the loop; a close of the body can then never
/// unwind through the executor's frames either. Stackful tasks the loop
/// resumes mark themselves current as usual.
///
/// A stack overflow in code run under it is not reported as a coroutine's
/// (nothing names the stack); it is left to the previous SIGSEGV handler.
#[derive(Debug)]
pub(crate) struct OutsideCoroutines {
    saved: *const ContextHeader,
}

impl OutsideCoroutines {
    /// Clears the context pointer until the guard is dropped.
    pub(crate) fn enter() -> Self {
        // SAFETY: null is always allowed (context rule 2).
        let saved = unsafe { set_current_context(std::ptr::null()) };
        OutsideCoroutines { saved }
    }
}

impl Drop for OutsideCoroutines {
    fn drop(&mut self) {
        // SAFETY: `saved` is what this thread's pointer held when the guard
        // was made; the guard is `!Send` (it holds a raw pointer) and dropped
        // on the same stack frame chain that made it, so the body it names
        // is still running (context rules 2 and 3): putting it back is a
        // resumer restoring the pointer it saved.
        unsafe { set_current_context(self.saved) };
    }
}
