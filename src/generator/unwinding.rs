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

/// What the latest resumption was, as rule 2 needs it: one byte, written
/// once per resumption, read by one comparison.
const UNWINDS_IF_PANICKING: u8 = 0;
/// Resumed while the thread was already panicking, and not to close: the
/// panic in flight is not this coroutine's (rule 3).
const PANIC_IS_NOT_OURS: u8 = 1;

/// The facts of rule 1, kept in each running coroutine's frame, folded into
/// one byte: `closing` (resumed to close) or "the thread was not panicking
/// at the resumption" both mean that a panic now in flight is this
/// coroutine's own (rule 2), so only the remaining case needs a value of its
/// own. The common path, a resumption while no panic is in flight, reads
/// the panic count once (a relaxed load of a global that is zero while no
/// thread panics) and stores one byte.
#[derive(Debug)]
pub(crate) struct UnwindState {
    entry: Cell<u8>,
}

impl UnwindState {
    /// The state of a coroutine that is starting now (rule 1).
    #[inline(always)]
    pub(crate) fn starting() -> Self {
        let state = UnwindState {
            entry: Cell::new(UNWINDS_IF_PANICKING),
        };
        state.resumed(false);
        state
    }

    /// Records a resumption (rule 1).
    #[inline(always)]
    pub(crate) fn resumed(&self, to_close: bool) {
        let entry = if !to_close && std::thread::panicking() {
            PANIC_IS_NOT_OURS
        } else {
            UNWINDS_IF_PANICKING
        };
        self.entry.set(entry);
    }

    /// Rule 2.
    #[inline(always)]
    pub(crate) fn is_unwinding(&self) -> bool {
        std::thread::panicking() && self.entry.get() != PANIC_IS_NOT_OURS
    }
}
