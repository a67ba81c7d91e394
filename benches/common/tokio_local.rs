//! The tokio side the sync benches share (`benches/sync.rs` and
//! `benches/sync_fanout.rs` include this file with `#[path]`): a
//! `LocalSet` on a fresh current-thread runtime, and tokio's uncontended
//! `Mutex`, so both measure the same peer code.

use std::hint::black_box;
use std::time::{Duration, Instant};

/// Runs `fut` to completion in a `LocalSet` on a fresh current-thread
/// runtime (no drivers).
pub fn in_local_set<T>(fut: impl std::future::Future<Output = T>) -> T {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a tokio runtime");
    tokio::task::LocalSet::new().block_on(&rt, fut)
}

/// `iters` uncontended lock + unlock of a `tokio::sync::Mutex`.
pub fn tokio_mutex(iters: u64) -> Duration {
    in_local_set(async move {
        let m = tokio::sync::Mutex::new(0u64);
        let start = Instant::now();
        for _ in 0..iters {
            *black_box(&m).lock().await += 1;
        }
        start.elapsed()
    })
}
