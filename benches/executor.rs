//! Executor benchmarks: corun against its peers, each group measuring corun
//! and the peers in the same process, one right after another, so that their
//! ratio is meaningful on a machine whose absolute speed drifts from run to
//! run (see shared/BENCHMARKING.md). Every figure is per task or per switch.
//!
//! Groups:
//!
//! - `spawn_run_complete`: spawn a trivial stackful task and run it to
//!   completion, in batches of [`BATCH`] (spawn the batch, then run until
//!   every task is done). `corun` detaches its handles and calls
//!   `Executor::run`; `corun_join` spawns and joins them inside `block_on`.
//!   Peers: futures `LocalPool` (`spawn_local`, detached, then `run`), tokio
//!   current-thread runtime with a `LocalSet` (`spawn_local` + `await`), and
//!   may with one worker (`spawn` + `join`, timed inside a driver coroutine
//!   so that no OS thread wake-up is measured).
//! - `spawn_join_one` / `spawn_join_100k`: spawn + run + join a trivial
//!   stackful task one at a time, and 100,000 spawned (handles alive
//!   together) then each joined; peer: tokio `LocalSet` (`spawn_local` +
//!   `.await`). `benches/executor_plain.rs` times the same shapes in a
//!   plain binary.
//! - `yield_ping_pong`: two tasks that each call `yield_now` N times, so the
//!   executor alternates between them; per switch. Peers: tokio `LocalSet`
//!   (`tokio::task::yield_now`, runtime without drivers), may with one worker
//!   (`coroutine::yield_now`), and the floor: two bare corosensei coroutines
//!   resumed in turn.
//! - `spawn_future`: spawn a ready `async` block as a stackless task and run
//!   it, in batches of [`BATCH`]. Peers: futures `LocalPool` and tokio
//!   `LocalSet` as above.
//!
//! Run (short):
//!
//! ```text
//! cargo bench --bench executor -- --warm-up-time 1 --measurement-time 3
//! ```
//!
//! Add a filter such as `yield_ping_pong` after `--` to run one group.

use corosensei::stack::DefaultStack;
use corosensei::{Coroutine, Yielder};
use criterion::{criterion_group, criterion_main, Criterion};
use futures::executor::LocalPool;
use futures::task::LocalSpawnExt;
use std::hint::black_box;
use std::sync::Once;
use std::time::{Duration, Instant};

use corun::Executor;

/// Tasks spawned before the executor is run in the spawn groups.
const BATCH: u64 = 1000;

/// Splits `iters` operations into batches of at most [`BATCH`].
fn batches(iters: u64) -> impl Iterator<Item = usize> {
    let full = iters / BATCH;
    let rest = iters % BATCH;
    (0..full)
        .map(|_| BATCH as usize)
        .chain((rest > 0).then_some(rest as usize))
}

/// Scales a time measured for `done` operations to `iters` operations.
fn scale(elapsed: Duration, done: u64, iters: u64) -> Duration {
    elapsed.mul_f64(iters as f64 / done as f64)
}

/// may's scheduler reads its settings once, when first used: one worker, so
/// that it runs single-threaded like the others.
fn may_init() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        may::config().set_workers(1);
    });
}

/// Runs `f` in a may coroutine and returns what it returns. Timing inside `f`
/// keeps the OS thread wake-up of the final `join` out of the figure.
fn in_may<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    may_init();
    // SAFETY: `f` uses no thread-local storage and does not block the worker
    // thread (may's requirements for spawn); it only spawns, joins and yields
    // may coroutines.
    let driver = unsafe { may::coroutine::spawn(f) };
    driver.join().expect("the may driver coroutine panicked")
}

fn tokio_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a tokio runtime")
}

fn corun_spawn_detached(iters: u64) -> Duration {
    let ex = Executor::new();
    // One task first, so the stack pool holds a stack before timing.
    drop(ex.spawn(|| ()));
    ex.run();
    let start = Instant::now();
    for n in batches(iters) {
        for _ in 0..n {
            drop(ex.spawn(|| black_box(())));
        }
        ex.run();
    }
    start.elapsed()
}

fn corun_spawn_join(iters: u64) -> Duration {
    let ex = Executor::new();
    ex.block_on(|| corun::spawn(|| ()).join().unwrap());
    ex.block_on(|| {
        let mut handles = Vec::with_capacity(BATCH as usize);
        let start = Instant::now();
        for n in batches(iters) {
            handles.extend((0..n).map(|_| corun::spawn(|| black_box(()))));
            for h in handles.drain(..) {
                h.join().unwrap();
            }
        }
        start.elapsed()
    })
}

fn corun_spawn_future(iters: u64) -> Duration {
    let ex = Executor::new();
    let start = Instant::now();
    for n in batches(iters) {
        for _ in 0..n {
            drop(ex.spawn_future(async { black_box(()) }));
        }
        ex.run();
    }
    start.elapsed()
}

fn local_pool_spawn(iters: u64) -> Duration {
    let mut pool = LocalPool::new();
    let spawner = pool.spawner();
    let start = Instant::now();
    for n in batches(iters) {
        for _ in 0..n {
            spawner
                .spawn_local(async { black_box(()) })
                .expect("LocalPool spawn");
        }
        pool.run();
    }
    start.elapsed()
}

fn tokio_spawn_await(iters: u64) -> Duration {
    let rt = tokio_runtime();
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, async {
        let mut handles = Vec::with_capacity(BATCH as usize);
        let start = Instant::now();
        for n in batches(iters) {
            handles.extend((0..n).map(|_| tokio::task::spawn_local(async { black_box(()) })));
            for h in handles.drain(..) {
                h.await.unwrap();
            }
        }
        start.elapsed()
    })
}

fn may_spawn_join(iters: u64) -> Duration {
    in_may(move || {
        let mut handles = Vec::with_capacity(BATCH as usize);
        let start = Instant::now();
        for n in batches(iters) {
            // SAFETY: as in `in_may`: the body is empty.
            handles.extend((0..n).map(|_| unsafe { may::coroutine::spawn(|| black_box(())) }));
            for h in handles.drain(..) {
                h.join().unwrap();
            }
        }
        start.elapsed()
    })
}

/// Tasks alive together in the `spawn_join_100k` group.
const MANY: u64 = 100_000;

fn corun_join_one(iters: u64) -> Duration {
    let ex = Executor::new();
    ex.block_on(|| {
        corun::spawn(|| ()).join().unwrap();
        let start = Instant::now();
        for _ in 0..iters {
            corun::spawn(|| black_box(())).join().unwrap();
        }
        start.elapsed()
    })
}

fn tokio_await_one(iters: u64) -> Duration {
    let rt = tokio_runtime();
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, async {
        let start = Instant::now();
        for _ in 0..iters {
            tokio::task::spawn_local(async { black_box(()) })
                .await
                .unwrap();
        }
        start.elapsed()
    })
}

/// Rounds of [`MANY`] tasks for `iters` tasks (at least one round).
fn rounds_of_many(iters: u64) -> u64 {
    (iters / MANY).max(1)
}

fn corun_join_many(iters: u64) -> Duration {
    let rounds = rounds_of_many(iters);
    let ex = Executor::new();
    let elapsed = ex.block_on(|| {
        let mut handles = Vec::with_capacity(MANY as usize);
        let start = Instant::now();
        for _ in 0..rounds {
            handles.extend((0..MANY).map(|_| corun::spawn(|| black_box(()))));
            for h in handles.drain(..) {
                h.join().unwrap();
            }
        }
        start.elapsed()
    });
    scale(elapsed, rounds * MANY, iters)
}

fn tokio_await_many(iters: u64) -> Duration {
    let rounds = rounds_of_many(iters);
    let rt = tokio_runtime();
    let local = tokio::task::LocalSet::new();
    let elapsed = local.block_on(&rt, async {
        let mut handles = Vec::with_capacity(MANY as usize);
        let start = Instant::now();
        for _ in 0..rounds {
            handles.extend((0..MANY).map(|_| tokio::task::spawn_local(async { black_box(()) })));
            for h in handles.drain(..) {
                h.await.unwrap();
            }
        }
        start.elapsed()
    });
    scale(elapsed, rounds * MANY, iters)
}

/// Spawn + run + join one task at a time, and 100,000 spawned then each
/// joined, against tokio's `LocalSet`.
fn spawn_join_shapes(c: &mut Criterion) {
    let mut g = c.benchmark_group("spawn_join_one");
    g.bench_function("corun", |b| b.iter_custom(corun_join_one));
    g.bench_function("tokio_LocalSet", |b| b.iter_custom(tokio_await_one));
    g.finish();
    let mut g = c.benchmark_group("spawn_join_100k");
    g.sample_size(10);
    g.bench_function("corun", |b| b.iter_custom(corun_join_many));
    g.bench_function("tokio_LocalSet", |b| b.iter_custom(tokio_await_many));
    g.finish();
}

fn spawn_run_complete(c: &mut Criterion) {
    let mut g = c.benchmark_group("spawn_run_complete");
    g.bench_function("corun", |b| b.iter_custom(corun_spawn_detached));
    g.bench_function("futures_LocalPool", |b| b.iter_custom(local_pool_spawn));
    g.bench_function("corun_join", |b| b.iter_custom(corun_spawn_join));
    g.bench_function("tokio_LocalSet", |b| b.iter_custom(tokio_spawn_await));
    g.bench_function("may", |b| b.iter_custom(may_spawn_join));
    g.finish();
}

/// Switches per task for `iters` switches in all (at least one each).
fn per_task(iters: u64) -> u64 {
    iters.div_ceil(2).max(1)
}

fn corun_ping_pong(iters: u64) -> Duration {
    let n = per_task(iters);
    let ex = Executor::new();
    let start = Instant::now();
    for _ in 0..2 {
        drop(ex.spawn(move || {
            for _ in 0..n {
                corun::yield_now();
            }
        }));
    }
    ex.run();
    scale(start.elapsed(), 2 * n, iters)
}

fn tokio_ping_pong(iters: u64) -> Duration {
    let n = per_task(iters);
    let rt = tokio_runtime();
    let local = tokio::task::LocalSet::new();
    let elapsed = local.block_on(&rt, async move {
        let start = Instant::now();
        let tasks = [(); 2].map(|_| {
            tokio::task::spawn_local(async move {
                for _ in 0..n {
                    tokio::task::yield_now().await;
                }
            })
        });
        for t in tasks {
            t.await.unwrap();
        }
        start.elapsed()
    });
    scale(elapsed, 2 * n, iters)
}

fn may_ping_pong(iters: u64) -> Duration {
    let n = per_task(iters);
    let elapsed = in_may(move || {
        let start = Instant::now();
        let tasks = [(); 2].map(|_| {
            // SAFETY: as in `in_may`: the body only yields.
            unsafe {
                may::coroutine::spawn(move || {
                    for _ in 0..n {
                        may::coroutine::yield_now();
                    }
                })
            }
        });
        for t in tasks {
            t.join().unwrap();
        }
        start.elapsed()
    });
    scale(elapsed, 2 * n, iters)
}

fn corosensei_ping_pong(iters: u64) -> Duration {
    let n = per_task(iters);
    let endless = || {
        Coroutine::with_stack(
            DefaultStack::new(corun::DEFAULT_STACK_SIZE).expect("a stack"),
            |y: &Yielder<(), ()>, ()| loop {
                y.suspend(());
            },
        )
    };
    let (mut a, mut b) = (endless(), endless());
    let start = Instant::now();
    for _ in 0..n {
        black_box(a.resume(()));
        black_box(b.resume(()));
    }
    scale(start.elapsed(), 2 * n, iters)
}

fn yield_ping_pong(c: &mut Criterion) {
    let mut g = c.benchmark_group("yield_ping_pong");
    g.bench_function("corun", |b| b.iter_custom(corun_ping_pong));
    g.bench_function("corosensei_bare", |b| b.iter_custom(corosensei_ping_pong));
    g.bench_function("tokio_LocalSet", |b| b.iter_custom(tokio_ping_pong));
    g.bench_function("may", |b| b.iter_custom(may_ping_pong));
    g.finish();
}

/// Tasks per round of the `JoinSet` benchmark: each yields once, so the
/// results come back after every task has run, as `as_completed` loops see
/// them.
const SET: u64 = 1_000;

fn corun_join_set(iters: u64) -> Duration {
    let rounds = (iters / SET).max(1);
    let ex = Executor::new();
    let elapsed = ex.block_on(|| {
        let start = Instant::now();
        for _ in 0..rounds {
            let mut set = corun::task::JoinSet::new();
            for i in 0..SET {
                set.spawn(move || {
                    corun::yield_now();
                    black_box(i)
                });
            }
            while let Some(r) = set.join_next() {
                black_box(r.unwrap());
            }
        }
        start.elapsed()
    });
    scale(elapsed, rounds * SET, iters)
}

fn tokio_join_set(iters: u64) -> Duration {
    let rounds = (iters / SET).max(1);
    let rt = tokio_runtime();
    let local = tokio::task::LocalSet::new();
    let elapsed = local.block_on(&rt, async {
        let start = Instant::now();
        for _ in 0..rounds {
            let mut set = tokio::task::JoinSet::new();
            for i in 0..SET {
                set.spawn_local(async move {
                    tokio::task::yield_now().await;
                    black_box(i)
                });
            }
            while let Some(r) = set.join_next().await {
                black_box(r.unwrap());
            }
        }
        start.elapsed()
    });
    scale(elapsed, rounds * SET, iters)
}

/// Spawn into a set, yield once, take every result as it finishes: per
/// task, against tokio's `JoinSet` on a `LocalSet`.
fn join_set(c: &mut Criterion) {
    let mut g = c.benchmark_group("join_set_1k");
    g.bench_function("corun", |b| b.iter_custom(corun_join_set));
    g.bench_function("tokio_JoinSet", |b| b.iter_custom(tokio_join_set));
    g.finish();
}

fn spawn_future(c: &mut Criterion) {
    let mut g = c.benchmark_group("spawn_future");
    g.bench_function("corun", |b| b.iter_custom(corun_spawn_future));
    g.bench_function("futures_LocalPool", |b| b.iter_custom(local_pool_spawn));
    g.bench_function("tokio_LocalSet", |b| b.iter_custom(tokio_spawn_await));
    g.finish();
}

criterion_group!(
    benches,
    spawn_run_complete,
    spawn_join_shapes,
    yield_ping_pong,
    spawn_future,
    join_set
);
criterion_main!(benches);
