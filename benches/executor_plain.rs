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

fn corun_many() -> f64 {
    let ex = Executor::new();
    ex.block_on(|| {
        let mut handles = Vec::with_capacity(MANY as usize);
        let t = Instant::now();
        handles.extend((0..MANY).map(|i| corun::spawn(move || black_box(i))));
        for h in handles.drain(..) {
            black_box(h.join().unwrap());
        }
        ns(t, MANY)
    })
}

fn tokio_many() -> f64 {
    let (rt, local) = tokio_rt();
    local.block_on(&rt, async {
        let mut handles = Vec::with_capacity(MANY as usize);
        let t = Instant::now();
        handles.extend((0..MANY).map(|i| tokio::task::spawn_local(async move { black_box(i) })));
        for h in handles.drain(..) {
            black_box(h.await.unwrap());
        }
        ns(t, MANY)
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
}
