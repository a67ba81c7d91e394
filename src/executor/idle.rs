//! The idle word: the handshake between an executor that goes idle in its
//! driver (mio `Poll`) and the threads that wake its tasks. This is the only
//! place its compare-and-swaps happen.
//!
//! States of the word:
//! - `AWAKE`: the executor is running, or about to check for work.
//! - `IDLE`: the executor is blocked (or about to block) in its driver.
//! - `NOTIFIED`: work was pushed since the executor last looked.
//!
//! Rules:
//! 1. A waker pushes its task onto the remote queue *first*, then swaps the
//!    word to `NOTIFIED`. Only if the previous state was `IDLE` does it pay
//!    for the system call that unblocks the driver. A swap, not a CAS, so a
//!    waker never retries and never spins.
//! 2. Before blocking, the executor CASes `AWAKE → IDLE`. If that fails the
//!    word was `NOTIFIED`: it resets it to `AWAKE` and drains the queue
//!    instead of blocking, so a push made before the CAS is never missed. The
//!    reset is a swap, so a notification landing between the CAS and the
//!    reset is also read, not overwritten unseen.
//! 3. After the driver returns, the executor swaps the word back to `EMPTY`
//!    and drains the queue. A notification that raced with the block was
//!    either seen by the CAS (rule 2) or paid for the system call (rule 1).
//! 4. All transitions use `AcqRel`/`Acquire`, so the queue push in rule 1
//!    happens-before the drain that follows rule 2 or 3.

use crate::loom::{AtomicU8, Ordering};

const AWAKE: u8 = 0;
const IDLE: u8 = 1;
const NOTIFIED: u8 = 2;

/// The idle word of one executor.
#[derive(Debug)]
pub(crate) struct IdleWord {
    word: AtomicU8,
}

/// What a notifier must do after rule 1.
#[must_use]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AfterNotify {
    /// The executor is blocked in its driver: unblock it.
    Unblock,
    /// The executor will see the work without help.
    Nothing,
}

/// What the executor may do after rule 2.
#[must_use]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BeforeIdle {
    /// Block in the driver.
    Block,
    /// Work arrived: drain the queue instead.
    Skip,
}

impl IdleWord {
    pub(crate) fn new() -> Self {
        IdleWord {
            word: AtomicU8::new(AWAKE),
        }
    }

    /// Rule 1, called by wakers after pushing their task.
    pub(crate) fn transition_notify(&self) -> AfterNotify {
        // The broken variant the loom models must reject: a load and a
        // store instead of one swap, so an executor that goes idle between
        // them blocks with nobody to unblock it.
        #[cfg(corun_loom_mutant)]
        if crate::loom::mutant("idle_notify") {
            let before = self.word.load(Ordering::Acquire);
            self.word.store(NOTIFIED, Ordering::Release);
            return if before == IDLE {
                AfterNotify::Unblock
            } else {
                AfterNotify::Nothing
            };
        }
        match self.word.swap(NOTIFIED, Ordering::AcqRel) {
            IDLE => AfterNotify::Unblock,
            _ => AfterNotify::Nothing,
        }
    }

    /// Rule 2, called by the executor before blocking.
    pub(crate) fn transition_to_idle(&self) -> BeforeIdle {
        match self
            .word
            .compare_exchange(AWAKE, IDLE, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => BeforeIdle::Block,
            Err(_) => {
                // A swap, not a store: a notifier that swapped in between is
                // read (Acquire) here, so its push is visible to the drain.
                self.word.swap(AWAKE, Ordering::AcqRel);
                BeforeIdle::Skip
            }
        }
    }

    /// Rule 3, called by the executor when the driver returns.
    pub(crate) fn transition_from_idle(&self) {
        self.word.swap(AWAKE, Ordering::AcqRel);
    }
}

// Its loom models run it through the shipped `Remote` (`remote/loom_tests.rs`).
