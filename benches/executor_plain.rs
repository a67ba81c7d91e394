//! Plain `Instant`-timed executor benchmarks, beside criterion's
//! (`benches/executor.rs`): each round measures every case once, corun and
//! its peers interleaved, and the binary prints the median of the rounds
//! and the median per-round ratio to the peer named in brackets.
//!
//! - `spawn_join/one`: spawn a trivial stackful task and join it, one at a
//!   time, from inside `block_on`; peer: tokio `LocalSet` `spawn_local` +
//!   `.await`.
//! - `spawn_join/100k`: spawn 100,000 trivial tasks (handles alive
//!   together), then join each; same peer.
//! - `yield_now`: two tasks calling `yield_now` in turn, per switch; peers:
//!   two bare corosensei coroutines resumed in turn (the floor) and tokio's
//!   `yield_now` on a `LocalSet`.
//!
//! A second table repeats the 100k rows with glibc's heap trimming off
//! (`MALLOC_TRIM_THRESHOLD_`, see `rerun_without_heap_trimming`).
//!
//! Run: `cargo bench --bench executor_plain` (add `-- ROUNDS`, 11 by
//! default).

use corosensei::stack::DefaultStack;
use corosensei::{Coroutine, Yielder};
use corun::Executor;
use std::hint::black_box;
use std::time::Instant;

#[path = "common/plain.rs"]
mod plain;
use plain::{ns, Case};

const ONE_AT_A_TIME: u64 = 200_000;
const MANY: u64 = 100_000;
const SWITCHES: u64 = 1_000_000;

fn tokio_rt() -> (tokio::runtime::Runtime, tokio::task::LocalSet) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a tokio runtime");
    (rt, tokio::task::LocalSet::new())
}

fn corun_one() -> f64 {
    let ex = Executor::new();
    ex.block_on(|| {
        corun::spawn(|| ()).join().unwrap();
        let t = Instant::now();
        for i in 0..ONE_AT_A_TIME {
            black_box(corun::spawn(move || black_box(i)).join().unwrap());
        }
        ns(t, ONE_AT_A_TIME)
    })
}

fn tokio_one() -> f64 {
    let (rt, local) = tokio_rt();
    local.block_on(&rt, async {
        let t = Instant::now();
        for i in 0..ONE_AT_A_TIME {
            black_box(
                tokio::task::spawn_local(async move { black_box(i) })
                    .await
                    .unwrap(),
            );
        }
        ns(t, ONE_AT_A_TIME)
    })
}

thread_local! {
    /// The executor and the tokio runtime the 100k rows reuse round after
    /// round (see `corun_many`).
    static LONG_LIVED: (Executor, tokio::runtime::Runtime, tokio::task::LocalSet) = {
        let (rt, local) = tokio_rt();
        (Executor::new(), rt, local)
    };
}

/// One executor for every round, as a program has: a fresh one per round
/// would grow its run queue and task table from empty each time (a few MB
/// for 100,000 tasks), and those pages' faults cost what the allocator's
/// state left by the other cases in this process makes them cost (glibc
/// moves its mmap and trim thresholds as blocks come and go), which is
/// noise here, not the executor. tokio's runtime and `LocalSet` are reused
/// the same way.
fn corun_many() -> f64 {
    LONG_LIVED.with(|(ex, _, _)| {
        ex.block_on(|| {
            let mut handles = Vec::with_capacity(MANY as usize);
            let t = Instant::now();
            handles.extend((0..MANY).map(|i| corun::spawn(move || black_box(i))));
            for h in handles.drain(..) {
                black_box(h.join().unwrap());
            }
            ns(t, MANY)
        })
    })
}

fn tokio_many() -> f64 {
    LONG_LIVED.with(|(_, rt, local)| {
        local.block_on(rt, async {
            let mut handles = Vec::with_capacity(MANY as usize);
            let t = Instant::now();
            handles
                .extend((0..MANY).map(|i| tokio::task::spawn_local(async move { black_box(i) })));
            for h in handles.drain(..) {
                black_box(h.await.unwrap());
            }
            ns(t, MANY)
        })
    })
}

fn corun_yield() -> f64 {
    let n = SWITCHES / 2;
    let ex = Executor::new();
    let t = Instant::now();
    for _ in 0..2 {
        drop(ex.spawn(move || {
            for _ in 0..n {
                corun::yield_now();
            }
        }));
    }
    ex.run();
    ns(t, SWITCHES)
}

fn tokio_yield() -> f64 {
    let n = SWITCHES / 2;
    let (rt, local) = tokio_rt();
    local.block_on(&rt, async move {
        let t = Instant::now();
        let tasks = [(); 2].map(|_| {
            tokio::task::spawn_local(async move {
                for _ in 0..n {
                    tokio::task::yield_now().await;
                }
            })
        });
        for task in tasks {
            task.await.unwrap();
        }
        ns(t, SWITCHES)
    })
}

fn bare_yield() -> f64 {
    let n = SWITCHES / 2;
    let endless = || {
        Coroutine::with_stack(
            DefaultStack::new(corun::DEFAULT_STACK_SIZE).expect("a stack"),
            |y: &Yielder<(), ()>, ()| loop {
                y.suspend(());
            },
        )
    };
    let (mut a, mut b) = (endless(), endless());
    let t = Instant::now();
    for _ in 0..n {
        black_box(a.resume(()));
        black_box(b.resume(()));
    }
    ns(t, SWITCHES)
}

fn main() {
    // (name, function, index of the peer it is compared with)
    let cases: [Case; 7] = [
        ("spawn_join/one [tokio LocalSet]", tokio_one, 0),
        ("spawn_join/one corun", corun_one, 0),
        ("spawn_join/100k [tokio LocalSet]", tokio_many, 2),
        ("spawn_join/100k corun", corun_many, 2),
        ("yield_now per switch [bare corosensei]", bare_yield, 4),
        ("yield_now per switch tokio LocalSet", tokio_yield, 4),
        ("yield_now per switch corun", corun_yield, 4),
    ];
    plain::run(&cases, 11);
    if std::env::var_os(TRIM_OFF).is_none() {
        rerun_without_heap_trimming();
    }
}

/// Set in the child [`rerun_without_heap_trimming`] starts.
const TRIM_OFF: &str = "MALLOC_TRIM_THRESHOLD_";

/// Runs the 100k rows again in a child whose glibc malloc keeps freed
/// memory instead of giving the top of the heap back to the kernel.
///
/// By default glibc trims the heap once more than 128 KiB is free at its
/// top, so every round's 100,000 freed task cells go back to the kernel,
/// and the next round's spawns fault the pages in again, a page per ~20
/// cells at a few µs each on this VM: the bulk of the default row's time,
/// for tokio and corun alike. jemalloc and mimalloc keep such memory, and
/// so does glibc with this setting; the second table shows what the
/// executors cost once the allocator stops paying for page faults.
fn rerun_without_heap_trimming() {
    let exe = std::env::current_exe().expect("the bench binary's path");
    let status = std::process::Command::new(exe)
        .args(std::env::args().skip(1))
        .env(TRIM_OFF, "4000000000")
        .env("BENCH_ONLY", "100k")
        .status()
        .expect("rerun the bench binary");
    assert!(status.success(), "the rerun without heap trimming failed");
}
