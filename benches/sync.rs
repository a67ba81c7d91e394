//! `corun::sync` benchmarks: corun against its peers, each group measuring
//! corun and the peers in the same process, one right after another, so that
//! their ratio is meaningful on a machine whose absolute speed drifts from
//! run to run (see shared/BENCHMARKING.md). Everything runs on one thread:
//! no OS thread is ever woken.
//!
//! Groups:
//!
//! - `channel_ping_pong`: two tasks on one executor bounce a value through
//!   two bounded channels of capacity 1; per round trip (two sends, two
//!   receives, two task switches). `corun` uses stackful tasks (`send` /
//!   `recv`), `corun_future` future tasks (`send_async` / `recv_async`).
//!   Peers: tokio current-thread runtime with a `LocalSet` and
//!   `tokio::sync::mpsc::channel(1)`, futures `LocalPool` with
//!   `futures::channel::mpsc::channel(0)` (room for one value per sender).
//! - `channel_throughput`: a producer task sends N `u64` through a bounded
//!   channel of capacity [`CAPACITY`] to a consumer task on the same
//!   executor; per message. Same peers (futures: `channel(CAPACITY - 1)`).
//! - `mutex_uncontended`: lock and unlock a mutex no one else wants, inside
//!   a task; per lock. Peers: `tokio::sync::Mutex` in a `LocalSet`,
//!   `futures::lock::Mutex` in a `LocalPool`.
//!
//! Run (short):
//!
//! ```text
//! cargo bench --bench sync -- --warm-up-time 1 --measurement-time 3
//! ```

use criterion::{criterion_group, criterion_main, Criterion};
use futures::executor::LocalPool;
use futures::task::LocalSpawnExt;
use futures::{SinkExt, StreamExt};
use std::hint::black_box;
use std::time::{Duration, Instant};

use corun::sync::{channel, Mutex};
use corun::Executor;

/// The bound of the channel in `channel_throughput`.
const CAPACITY: usize = 1024;

#[path = "common/tokio_local.rs"]
mod tokio_local;
use tokio_local::{in_local_set, tokio_mutex};

fn corun_ping_pong(iters: u64) -> Duration {
    let ex = Executor::new();
    let (ping_tx, ping_rx) = channel::<u64>(1);
    let (pong_tx, pong_rx) = channel::<u64>(1);
    // The echo task ends when `ping_tx` is dropped with the closure below.
    drop(ex.spawn(move || {
        while let Ok(v) = ping_rx.recv() {
            if pong_tx.send(v).is_err() {
                break;
            }
        }
    }));
    ex.block_on(move || {
        // One round first: the echo task gets its stack before timing.
        ping_tx.send(0).unwrap();
        pong_rx.recv().unwrap();
        let start = Instant::now();
        for i in 0..iters {
            ping_tx.send(i).unwrap();
            black_box(pong_rx.recv().unwrap());
        }
        start.elapsed()
    })
}

fn corun_future_ping_pong(iters: u64) -> Duration {
    let ex = Executor::new();
    let (ping_tx, ping_rx) = channel::<u64>(1);
    let (pong_tx, pong_rx) = channel::<u64>(1);
    drop(ex.spawn_future(async move {
        while let Ok(v) = ping_rx.recv_async().await {
            if pong_tx.send_async(v).await.is_err() {
                break;
            }
        }
    }));
    let main = ex.spawn_future(async move {
        let start = Instant::now();
        for i in 0..iters {
            ping_tx.send_async(i).await.unwrap();
            black_box(pong_rx.recv_async().await.unwrap());
        }
        start.elapsed()
    });
    ex.run();
    ex.block_on(|| main.join().unwrap())
}

fn tokio_ping_pong(iters: u64) -> Duration {
    use tokio::sync::mpsc;
    in_local_set(async move {
        let (ping_tx, mut ping_rx) = mpsc::channel::<u64>(1);
        let (pong_tx, mut pong_rx) = mpsc::channel::<u64>(1);
        tokio::task::spawn_local(async move {
            while let Some(v) = ping_rx.recv().await {
                if pong_tx.send(v).await.is_err() {
                    break;
                }
            }
        });
        let start = Instant::now();
        for i in 0..iters {
            ping_tx.send(i).await.unwrap();
            black_box(pong_rx.recv().await.unwrap());
        }
        start.elapsed()
    })
}

fn local_pool_ping_pong(iters: u64) -> Duration {
    use futures::channel::mpsc;
    let mut pool = LocalPool::new();
    let (mut ping_tx, mut ping_rx) = mpsc::channel::<u64>(0);
    let (mut pong_tx, mut pong_rx) = mpsc::channel::<u64>(0);
    pool.spawner()
        .spawn_local(async move {
            while let Some(v) = ping_rx.next().await {
                if pong_tx.send(v).await.is_err() {
                    break;
                }
            }
        })
        .expect("LocalPool spawn");
    pool.run_until(async move {
        let start = Instant::now();
        for i in 0..iters {
            ping_tx.send(i).await.unwrap();
            black_box(pong_rx.next().await.unwrap());
        }
        start.elapsed()
    })
}

fn channel_ping_pong(c: &mut Criterion) {
    let mut g = c.benchmark_group("channel_ping_pong");
    g.bench_function("corun", |b| b.iter_custom(corun_ping_pong));
    g.bench_function("tokio_LocalSet", |b| b.iter_custom(tokio_ping_pong));
    g.bench_function("futures_LocalPool", |b| b.iter_custom(local_pool_ping_pong));
    g.bench_function("corun_future", |b| b.iter_custom(corun_future_ping_pong));
    g.finish();
}

fn corun_throughput(iters: u64) -> Duration {
    let ex = Executor::new();
    // A task first, so the stack pool holds a stack before timing.
    ex.block_on(|| ());
    let (tx, rx) = channel::<u64>(CAPACITY);
    let start = Instant::now();
    drop(ex.spawn(move || {
        for i in 0..iters {
            tx.send(i).unwrap();
        }
    }));
    black_box(ex.block_on(move || rx.iter().fold(0u64, u64::wrapping_add)));
    start.elapsed()
}

fn corun_future_throughput(iters: u64) -> Duration {
    let ex = Executor::new();
    let (tx, rx) = channel::<u64>(CAPACITY);
    let start = Instant::now();
    drop(ex.spawn_future(async move {
        for i in 0..iters {
            tx.send_async(i).await.unwrap();
        }
    }));
    drop(ex.spawn_future(async move {
        let mut sum = 0u64;
        while let Ok(v) = rx.recv_async().await {
            sum = sum.wrapping_add(v);
        }
        black_box(sum)
    }));
    ex.run();
    start.elapsed()
}

fn tokio_throughput(iters: u64) -> Duration {
    in_local_set(async move {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<u64>(CAPACITY);
        let start = Instant::now();
        tokio::task::spawn_local(async move {
            for i in 0..iters {
                tx.send(i).await.unwrap();
            }
        });
        let mut sum = 0u64;
        while let Some(v) = rx.recv().await {
            sum = sum.wrapping_add(v);
        }
        black_box(sum);
        start.elapsed()
    })
}

fn local_pool_throughput(iters: u64) -> Duration {
    let mut pool = LocalPool::new();
    // Room for `CAPACITY - 1` plus one per sender: `CAPACITY` in all.
    let (mut tx, rx) = futures::channel::mpsc::channel::<u64>(CAPACITY - 1);
    let start = Instant::now();
    pool.spawner()
        .spawn_local(async move {
            for i in 0..iters {
                tx.send(i).await.unwrap();
            }
        })
        .expect("LocalPool spawn");
    black_box(pool.run_until(rx.fold(0u64, |sum, v| async move { sum.wrapping_add(v) })));
    start.elapsed()
}

fn channel_throughput(c: &mut Criterion) {
    let mut g = c.benchmark_group("channel_throughput");
    g.bench_function("corun", |b| b.iter_custom(corun_throughput));
    g.bench_function("tokio_LocalSet", |b| b.iter_custom(tokio_throughput));
    g.bench_function("futures_LocalPool", |b| {
        b.iter_custom(local_pool_throughput)
    });
    g.bench_function("corun_future", |b| b.iter_custom(corun_future_throughput));
    g.finish();
}

fn corun_mutex(iters: u64) -> Duration {
    let ex = Executor::new();
    let m = Mutex::new(0u64);
    ex.block_on(|| {
        let start = Instant::now();
        for _ in 0..iters {
            *black_box(&m).lock() += 1;
        }
        start.elapsed()
    })
}

fn local_pool_mutex(iters: u64) -> Duration {
    LocalPool::new().run_until(async move {
        let m = futures::lock::Mutex::new(0u64);
        let start = Instant::now();
        for _ in 0..iters {
            *black_box(&m).lock().await += 1;
        }
        start.elapsed()
    })
}

fn mutex_uncontended(c: &mut Criterion) {
    let mut g = c.benchmark_group("mutex_uncontended");
    g.bench_function("corun", |b| b.iter_custom(corun_mutex));
    g.bench_function("tokio_LocalSet", |b| b.iter_custom(tokio_mutex));
    g.bench_function("futures_LocalPool", |b| b.iter_custom(local_pool_mutex));
    g.finish();
}

criterion_group!(
    benches,
    channel_ping_pong,
    channel_throughput,
    mutex_uncontended
);
criterion_main!(benches);
