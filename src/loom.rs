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
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
#[cfg(loom)]
#[allow(unused_imports)]
pub(crate) use loom::sync::{Arc, Condvar, Mutex, MutexGuard};

#[cfg(not(loom))]
#[allow(unused_imports)]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
#[cfg(not(loom))]
#[allow(unused_imports)]
pub(crate) use std::sync::{Arc, Condvar, Mutex, MutexGuard};

/// Locks `mutex`, ignoring poisoning: every lock in the cross-thread code
/// guards plain data whose invariants hold between statements, and a
/// user's panic never happens while one is held.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}
