//! Benchmarks of the fan-out channels and the newer locks, corun against
//! tokio's same-named types in the same process (ratios are what count on
//! this shared machine: see shared/BENCHMARKING.md). One thread, no OS
//! thread woken.
//!
//! Groups:
//!
//! - `broadcast_fanout`: one sender, [`RECEIVERS`] receiver tasks, a value
//!   at a time (capacity 64, so nobody lags); per value *delivered* (one
//!   send reaches every receiver). corun stackful tasks against tokio
//!   `broadcast` in a `LocalSet`.
//! - `watch_ping_pong`: two tasks take turns through two watch channels,
//!   each waiting for the other's change; per round trip.
//! - `rwlock_read_uncontended` / `shared_semaphore_uncontended` /
//!   `shared_mutex_uncontended`: take and release with nobody else there,
//!   inside a task; per take. Peers: `tokio::sync::RwLock`,
//!   `tokio::sync::Semaphore`, `tokio::sync::Mutex`.
//!
//! Run (short):
//!
//! ```text
//! cargo bench --bench sync_fanout -- --warm-up-time 1 --measurement-time 3
//! ```

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use std::rc::Rc;
use std::time::{Duration, Instant};

use corun::sync::{broadcast, watch, RwLock};
use corun::Executor;

const RECEIVERS: u64 = 4;

#[path = "common/tokio_local.rs"]
mod tokio_local;
use tokio_local::{in_local_set, tokio_mutex};

fn corun_broadcast(iters: u64) -> Duration {
    let ex = Executor::new();
    let (tx, _) = broadcast::channel::<u64>(64);
    let receivers: Vec<_> = (0..RECEIVERS)
        .map(|_| {
            let mut rx = tx.subscribe();
            ex.spawn(move || {
                let mut sum = 0u64;
                while let Ok(v) = rx.recv() {
                    sum = sum.wrapping_add(v);
                }
                sum
            })
        })
        .collect();
    let sends = iters.div_ceil(RECEIVERS);
    ex.block_on(|| {
        let start = Instant::now();
        for i in 0..sends {
            tx.send(i).unwrap();
            if tx.len() >= 32 {
                corun::yield_now(); // let the receivers catch up
            }
        }
        drop(tx);
        for r in receivers {
            black_box(r.join().unwrap());
        }
        start.elapsed()
    })
}

fn tokio_broadcast(iters: u64) -> Duration {
    in_local_set(async move {
        let (tx, _) = tokio::sync::broadcast::channel::<u64>(64);
        let receivers: Vec<_> = (0..RECEIVERS)
            .map(|_| {
                let mut rx = tx.subscribe();
                tokio::task::spawn_local(async move {
                    let mut sum = 0u64;
                    while let Ok(v) = rx.recv().await {
                        sum = sum.wrapping_add(v);
                    }
                    sum
                })
            })
            .collect();
        let sends = iters.div_ceil(RECEIVERS);
        let start = Instant::now();
        for i in 0..sends {
            tx.send(i).unwrap();
            if tx.len() >= 32 {
                tokio::task::yield_now().await;
            }
        }
        drop(tx);
        for r in receivers {
            black_box(r.await.unwrap());
        }
        start.elapsed()
    })
}

fn broadcast_fanout(c: &mut Criterion) {
    let mut g = c.benchmark_group("broadcast_fanout");
    g.bench_function("corun", |b| b.iter_custom(corun_broadcast));
    g.bench_function("tokio_LocalSet", |b| b.iter_custom(tokio_broadcast));
    g.finish();
}

fn corun_watch(iters: u64) -> Duration {
    let ex = Executor::new();
    let (ping_tx, mut ping_rx) = watch::channel(0u64);
    let (pong_tx, mut pong_rx) = watch::channel(0u64);
    drop(ex.spawn(move || {
        while ping_rx.changed().is_ok() {
            let v = *ping_rx.borrow();
            pong_tx.send(v).unwrap();
        }
    }));
    ex.block_on(|| {
        let start = Instant::now();
        for i in 1..=iters {
            ping_tx.send(i).unwrap();
            pong_rx.changed().unwrap();
        }
        start.elapsed()
    })
}

fn tokio_watch(iters: u64) -> Duration {
    in_local_set(async move {
        let (ping_tx, mut ping_rx) = tokio::sync::watch::channel(0u64);
        let (pong_tx, mut pong_rx) = tokio::sync::watch::channel(0u64);
        tokio::task::spawn_local(async move {
            while ping_rx.changed().await.is_ok() {
                let v = *ping_rx.borrow();
                pong_tx.send(v).unwrap();
            }
        });
        let start = Instant::now();
        for i in 1..=iters {
            ping_tx.send(i).unwrap();
            pong_rx.changed().await.unwrap();
        }
        start.elapsed()
    })
}

fn watch_ping_pong(c: &mut Criterion) {
    let mut g = c.benchmark_group("watch_ping_pong");
    g.bench_function("corun", |b| b.iter_custom(corun_watch));
    g.bench_function("tokio_LocalSet", |b| b.iter_custom(tokio_watch));
    g.finish();
}

fn corun_rwlock(iters: u64) -> Duration {
    let ex = Executor::new();
    let lock = Rc::new(RwLock::new(1u64));
    ex.block_on(|| {
        let mut sum = 0u64;
        let start = Instant::now();
        for _ in 0..iters {
            sum = sum.wrapping_add(*black_box(&lock).read());
        }
        black_box(sum);
        start.elapsed()
    })
}

fn tokio_rwlock(iters: u64) -> Duration {
    in_local_set(async move {
        let lock = tokio::sync::RwLock::new(1u64);
        let mut sum = 0u64;
        let start = Instant::now();
        for _ in 0..iters {
            sum = sum.wrapping_add(*black_box(&lock).read().await);
        }
        black_box(sum);
        start.elapsed()
    })
}

fn rwlock_read_uncontended(c: &mut Criterion) {
    let mut g = c.benchmark_group("rwlock_read_uncontended");
    g.bench_function("corun", |b| b.iter_custom(corun_rwlock));
    g.bench_function("tokio_LocalSet", |b| b.iter_custom(tokio_rwlock));
    g.finish();
}

fn corun_shared_semaphore(iters: u64) -> Duration {
    let ex = Executor::new();
    let sem = corun::sync::shared::Semaphore::new(1);
    ex.block_on(|| {
        let start = Instant::now();
        for _ in 0..iters {
            drop(black_box(&sem).acquire().unwrap());
        }
        start.elapsed()
    })
}

fn tokio_semaphore(iters: u64) -> Duration {
    in_local_set(async move {
        let sem = tokio::sync::Semaphore::new(1);
        let start = Instant::now();
        for _ in 0..iters {
            drop(black_box(&sem).acquire().await.unwrap());
        }
        start.elapsed()
    })
}

fn shared_semaphore_uncontended(c: &mut Criterion) {
    let mut g = c.benchmark_group("shared_semaphore_uncontended");
    g.bench_function("corun", |b| b.iter_custom(corun_shared_semaphore));
    g.bench_function("tokio_LocalSet", |b| b.iter_custom(tokio_semaphore));
    g.finish();
}

fn corun_shared_mutex(iters: u64) -> Duration {
    let ex = Executor::new();
    let m = corun::sync::shared::Mutex::new(0u64);
    ex.block_on(|| {
        let start = Instant::now();
        for _ in 0..iters {
            *black_box(&m).lock() += 1;
        }
        start.elapsed()
    })
}

fn shared_mutex_uncontended(c: &mut Criterion) {
    let mut g = c.benchmark_group("shared_mutex_uncontended");
    g.bench_function("corun", |b| b.iter_custom(corun_shared_mutex));
    g.bench_function("tokio_LocalSet", |b| b.iter_custom(tokio_mutex));
    g.finish();
}

criterion_group!(
    benches,
    broadcast_fanout,
    watch_ping_pong,
    rwlock_read_uncontended,
    shared_semaphore_uncontended,
    shared_mutex_uncontended
);
criterion_main!(benches);
