//! One door to atomics and cross-thread primitives: std's normally, loom's
//! under `--cfg loom`, so the loom models check the very code that ships.
//!
//! Every cross-thread state machine (the park word, remote wakes, the
//! runtime's inboxes and join completion, the cross-core channels) takes
//! its atomics, `Arc`, `Mutex` and `Condvar` from here. `std::task::Waker`
//! still needs std's `Arc` for the data behind a waker; what that data
//! guards comes from here.

#[cfg(loom)]
#[allow(unused_imports)]
pub(crate) use loom::sync::atomic::{fence, AtomicBool, AtomicU8, AtomicUsize, Ordering};
#[cfg(loom)]
#[allow(unused_imports)]
pub(crate) use loom::sync::{Arc, Condvar, Mutex, MutexGuard};

#[cfg(not(loom))]
#[allow(unused_imports)]
pub(crate) use std::sync::atomic::{fence, AtomicBool, AtomicU8, AtomicUsize, Ordering};
#[cfg(not(loom))]
#[allow(unused_imports)]
pub(crate) use std::sync::{Arc, Condvar, Mutex, MutexGuard};

/// Locks `mutex`, ignoring poisoning: every lock in the cross-thread code
/// guards plain data whose invariants hold between statements, and a
/// user's panic never happens while one is held.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// Under `--cfg corun_loom_mutant`: whether the deliberately broken variant
/// `name` is compiled in for this run. `CORUN_LOOM_MUTANT=name` turns on
/// that one alone, so that each model is shown to fail on its own mutant
/// and not on another's; unset, every mutant is on.
#[cfg(corun_loom_mutant)]
pub(crate) fn mutant(name: &str) -> bool {
    std::env::var("CORUN_LOOM_MUTANT").map_or(true, |on| on == name)
}

/// Helpers the loom models share.
#[cfg(all(test, loom))]
pub(crate) mod model {
    /// Holds a model's shared state, and leaks it if dropped while
    /// unwinding from loom's failure report: loom's runtime is gone by then,
    /// and touching it from a destructor turns the report into an abort
    /// (tokio-rs/loom#291).
    pub(crate) struct LeakOnPanic<T>(Option<T>);

    impl<T> LeakOnPanic<T> {
        pub(crate) fn new(value: T) -> Self {
            LeakOnPanic(Some(value))
        }

        pub(crate) fn get(&self) -> &T {
            self.0.as_ref().unwrap()
        }
    }

    impl<T> Drop for LeakOnPanic<T> {
        fn drop(&mut self) {
            if std::thread::panicking() {
                std::mem::forget(self.0.take());
            }
        }
    }

    /// A model checker with the preemption bound CI uses, unless
    /// `LOOM_MAX_PREEMPTIONS` says otherwise.
    pub(crate) fn bounded() -> loom::model::Builder {
        let mut builder = loom::model::Builder::new();
        if builder.preemption_bound.is_none() {
            builder.preemption_bound = Some(3);
        }
        builder
    }
}
