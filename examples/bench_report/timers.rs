//! Timers: `n` tasks each sleep a pseudo-random 1–4 ms, all at once, then
//! are joined. Each contender keeps its executor across rounds, so stacks
//! and task memory are reused as in a long-running program. Returns ns per
//! task of wall time above the longest sleep: what the runtime adds to
//! spawning, registering, waking and joining a sleeper.

use std::time::{Duration, Instant};

/// The `i`-th sleep: 1 ms to 4 ms, spread by an integer hash.
fn nap(i: u64) -> Duration {
    let h = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
    Duration::from_micros(1_000 + h % 3_000)
}

/// The longest of the first `n` sleeps.
fn longest(n: u64) -> Duration {
    (0..n).map(nap).max().unwrap_or_default()
}

fn above(t: Instant, n: u64) -> f64 {
    t.elapsed().saturating_sub(longest(n)).as_nanos() as f64 / n as f64
}

/// corun with guarded stacks (the default), or with carved unguarded
/// ones (the `unsafe` opt-in that `million_tasks` uses).
pub fn corun_sleepers(unguarded: bool) -> impl FnMut(u64) -> f64 {
    let b = corun::Executor::builder().stack_size(16 * 1024);
    let ex = if unguarded {
        // SAFETY: each task only sleeps: a few hundred bytes of stack, far
        // within 16 KiB.
        unsafe { b.unguarded_stacks() }.build()
    } else {
        b.build()
    };
    move |n| {
        ex.block_on(|| {
            let t = Instant::now();
            let hs: Vec<_> = (0..n)
                .map(|i| corun::spawn(move || corun::sleep(nap(i))))
                .collect();
            for h in hs {
                h.join().unwrap();
            }
            above(t, n)
        })
    }
}

pub fn tokio_sleepers() -> impl FnMut(u64) -> f64 {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("tokio");
    let local = tokio::task::LocalSet::new();
    move |n| {
        local.block_on(&rt, async move {
            let t = Instant::now();
            let hs: Vec<_> = (0..n)
                .map(|i| tokio::task::spawn_local(tokio::time::sleep(nap(i))))
                .collect();
            for h in hs {
                h.await.unwrap();
            }
            above(t, n)
        })
    }
}

/// may runs its coroutines on its one worker; the joins here park this
/// thread, which costs an OS wake-up per parked join (few: most sleepers
/// are done when joined).
pub fn may_sleepers() -> impl FnMut(u64) -> f64 {
    |n| {
        let t = Instant::now();
        let hs: Vec<_> = (0..n)
            .map(|i| {
                // SAFETY: the body uses no thread-local storage across yields.
                unsafe { may::coroutine::spawn(move || may::coroutine::sleep(nap(i))) }
            })
            .collect();
        for h in hs {
            h.join().unwrap();
        }
        above(t, n)
    }
}
