//! The thread's innermost running coroutine.
//!
//! Upper layers keep a pointer to the running coroutine's context here: the
//! generator layer uses it to check that a `Co` is used on its own stack and
//! to forward waits, and the overflow handler reads the stack bounds from it.
//! It lives in this layer so that the signal handler below needs nothing from
//! above.

use std::cell::Cell;

/// The first field of every running coroutine's context (`#[repr(C)]` in the
/// types that embed it), so a pointer to the context is a pointer to this.
#[repr(C)]
#[derive(Debug)]
pub(crate) struct ContextHeader {
    /// The guard page of the coroutine's stack, `[lo, hi)`.
    pub(crate) guard_lo: usize,
    pub(crate) guard_hi: usize,
    /// The usable stack size, for the overflow message.
    pub(crate) usable: usize,
}

thread_local! {
    // const-initialised and without a destructor, so reading it is a plain
    // thread-pointer-relative load: safe even inside the SIGSEGV handler.
    static CURRENT: Cell<*const ContextHeader> = const { Cell::new(std::ptr::null()) };
}

/// The innermost running coroutine on this thread, or null on a thread stack.
#[inline(always)]
pub(crate) fn current_context() -> *const ContextHeader {
    CURRENT.with(|c| c.get())
}

/// Records the innermost running coroutine; returns the previous one.
#[inline(always)]
pub(crate) fn set_current_context(ctx: *const ContextHeader) -> *const ContextHeader {
    CURRENT.with(|c| c.replace(ctx))
}
