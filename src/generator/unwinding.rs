//! Whether a coroutine is being unwound: the one question every wait and
//! every yield asks before it suspends.
//!
//! A stack that is unwinding cannot suspend: the unwind would stay in flight
//! while other code runs on the thread (which would then see
//! `std::thread::panicking()` and, for one, poison every `std::sync::Mutex`
//! it drops), and a panic raised to refuse the suspension would abort the
//! process, since it starts inside a destructor. So a yield while unwinding
//! panics with a clear message, and a wait (`sleep`, `recv`, `join`, ...)
//! while unwinding returns at once.
//!
//! But `std::thread::panicking()` is a property of the *thread*, and a
//! coroutine's question is about *itself*: a fresh generator iterated from a
//! `Drop` during an unrelated panic, an executor made in a guard's `Drop`, or
//! a scope opened in the cleanup of a cancelled task are not unwinding, and
//! may yield and wait like any other. The rules:
//!
//! 1. Each coroutine records, every time it is resumed, two facts: whether it
//!    was resumed to be closed (`close`, cancellation, a timeout, executor
//!    teardown all resume it with the close signal), and whether the thread
//!    was already panicking at that moment.
//! 2. A coroutine is unwinding when a panic is in flight on the thread
//!    (`std::thread::panicking()`) **and** either it was resumed to be closed
//!    (the panic in flight is its own close) or the thread was not panicking
//!    when it was resumed (the panic began inside it, since the resumer got
//!    it running).
//! 3. Otherwise it is not unwinding, even though the thread may be: the panic
//!    in flight belongs to code outside this coroutine, which is suspended in
//!    a destructor that is running this coroutine.
//! 4. A body that catches its close (`catch_unwind`) is no longer unwinding
//!    once the catch returns (no panic is in flight): it may yield again,
//!    which is what [`IgnoredClose`](super::IgnoredClose) reports.
//! 5. A coroutine that runs a nested generator and is itself unwinding cannot
//!    forward that generator's wait; the nested wait then returns at once,
//!    exactly as the unwinding coroutine's own waits do.
//!
//! The one case these rules cannot see: a coroutine resumed while the thread
//! was already panicking, whose body then panics a second time. Its
//! destructors are then treated as not unwinding; a yield there suspends the
//! unwinding stack until the generator is resumed or closed, which is sound
//! (the unwind's state lives on that stack) but keeps the thread's panic
//! count raised meanwhile.

use std::cell::Cell;

/// The facts of rule 1, kept in each running coroutine's frame.
#[derive(Debug)]
pub(crate) struct UnwindState {
    /// The latest resumption was the close signal.
    closing: Cell<bool>,
    /// The thread was panicking when the coroutine was last resumed.
    panicking_on_entry: Cell<bool>,
}

impl UnwindState {
    /// The state of a coroutine that is starting now (rule 1).
    pub(crate) fn starting() -> Self {
        UnwindState {
            closing: Cell::new(false),
            panicking_on_entry: Cell::new(std::thread::panicking()),
        }
    }

    /// Records a resumption (rule 1).
    #[inline(always)]
    pub(crate) fn resumed(&self, to_close: bool) {
        self.closing.set(to_close);
        self.panicking_on_entry.set(std::thread::panicking());
    }

    /// Rule 2.
    #[inline(always)]
    pub(crate) fn is_unwinding(&self) -> bool {
        std::thread::panicking() && (self.closing.get() || !self.panicking_on_entry.get())
    }
}
