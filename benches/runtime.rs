//! Runtime benchmarks: corun's runtime, `Pool` and `sync::mpsc` against
//! their peers, each measure running corun and the peers interleaved in
//! one process (A, B, A, B, ...) and reporting medians and ratios, since
//! absolute speed drifts from run to run here (shared/BENCHMARKING.md).
//! A plain timed harness: criterion's would hide the thread wake-ups these
//! measures are about. Waking a parked thread costs this VM tens of µs;
//! the spawn + join and ping-pong figures include it.
//!
//! Measures:
//!
//! - `map_speedup`: a CPU-bound map (trial-division primality of every
//!   number below 300,000): sequential, `Pool::map` on every core (a
//!   `Pool::new` pool, pinned as by default, and one of unpinned workers),
//!   rayon's `par_iter`.
//! - `map_per_item`: `Pool::map(0..1_000_000, |x| x + 1)` on both pools
//!   against rayon's `into_par_iter().map(..).collect()`, and the same
//!   map as a single job (`map_chunked`), which shows what the guided
//!   map's jobs cost on their own; ns per item.
//! - `cross_core_messages`: one producer thread sends 1,000,000 `u64`
//!   through a channel of capacity 1024 to a receiver on another thread:
//!   corun's `mpsc` into a task on a worker, against crossbeam-channel
//!   into a thread; ns per message.
//! - `spawn_join`: from a plain thread, `rt.spawn(|| 1).join()` against
//!   tokio multi-thread `spawn` + `block_on(handle)` and `std::thread`
//!   spawn + join; µs per round trip.
//! - `ping_pong`: two tasks on two workers bounce a value through two
//!   channels of capacity 1: corun `mpsc` between runtime tasks against
//!   tokio multi-thread tasks with `tokio::sync::mpsc`; µs per round trip.
//! - `uneven`: 16 CPU-bound tasks of very uneven length (every fourth
//!   spins 24 ms, the others 2 ms): `Runtime::spawn` (idle workers take
//!   unstarted tasks) against `spawn_on` round-robin (no balancing, as
//!   glommio and monoio do), beside the ideal (total work / cores).
//!
//! Run: `cargo bench --bench runtime` (or `-- NAME` for the measures whose
//! name contains NAME, such as `-- cross_core`)

use rayon::prelude::*;
use std::hint::black_box;
use std::time::{Duration, Instant};

#[path = "common/order.rs"]
mod order;

const ROUNDS: usize = 12;

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(|a, b| a.partial_cmp(b).unwrap());
    xs[xs.len() / 2]
}

/// Runs every contender once per round, in a fresh order each round
/// (`common/order.rs` says why), and returns the median time of each
/// (seconds).
fn interleaved(contenders: &mut [(&str, &mut dyn FnMut() -> Duration)]) -> Vec<f64> {
    let mut times = vec![Vec::new(); contenders.len()];
    let mut shuffle = order::Shuffle::new(contenders.len());
    for _ in 0..ROUNDS {
        for &i in shuffle.next_round() {
            times[i].push((contenders[i].1)().as_secs_f64());
        }
    }
    times.into_iter().map(median).collect()
}

fn timed(f: impl FnOnce()) -> Duration {
    let start = Instant::now();
    f();
    start.elapsed()
}

fn is_prime(n: u64) -> bool {
    n >= 2
        && (2..)
            .take_while(|d| d * d <= n)
            .all(|d| !n.is_multiple_of(d))
}

fn spin(d: Duration) {
    let start = Instant::now();
    while start.elapsed() < d {
        std::hint::spin_loop();
    }
}

/// The lengths of the `uneven` tasks.
fn uneven_lengths() -> Vec<Duration> {
    (0..16)
        .map(|i| Duration::from_millis(if i % 4 == 0 { 24 } else { 2 }))
        .collect()
}

fn report(title: &str, unit: &str, scale: f64, names: &[&str], medians: &[f64]) {
    println!("\n{title}");
    for (name, t) in names.iter().zip(medians) {
        println!(
            "  {name:<34} {:>10.2} {unit}   ({:.2}x the first)",
            t * scale,
            t / medians[0]
        );
    }
}

/// `messages` values from this thread into a task on `rt` through a corun
/// channel of capacity 1024.
fn stream_into_task(rt: &corun::Runtime, messages: u64) -> Duration {
    let (tx, rx) = corun::sync::mpsc::channel::<u64>(1024);
    let receiver = rt.spawn(move || rx.iter().sum::<u64>());
    timed(|| {
        for i in 0..messages {
            tx.send(i).unwrap();
        }
        drop(tx);
        black_box(receiver.join().unwrap());
    })
}

fn main() {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let rt = corun::Runtime::new().expect("a runtime");
    let tokio_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores)
        .build()
        .expect("a tokio runtime");
    println!("{cores} cores; medians of {ROUNDS} interleaved rounds");
    // `cargo bench --bench runtime -- NAME` runs only the measures whose
    // name contains NAME (cargo passes `--bench` itself).
    let only = std::env::args().skip(1).find(|a| !a.starts_with("--"));
    let workers = rt.workers();
    let wanted = |name: &str| only.as_deref().is_none_or(|o| name.contains(o));

    let own_pool = corun::Pool::new(cores).expect("a pool");
    let unpinned = corun::Pool::builder()
        .pin_cores(false)
        .build()
        .expect("a pool");
    if wanted("map_speedup") {
        const PRIMES_BELOW: u64 = 300_000;
        let medians = interleaved(&mut [
            ("sequential", &mut || {
                timed(|| {
                    black_box((0..PRIMES_BELOW).filter(|&n| is_prime(n)).count());
                })
            }),
            ("Pool::map", &mut || {
                timed(|| {
                    black_box(own_pool.map(0..PRIMES_BELOW, is_prime));
                })
            }),
            ("rayon par_iter", &mut || {
                timed(|| {
                    let v: Vec<bool> = (0..PRIMES_BELOW).into_par_iter().map(is_prime).collect();
                    black_box(v);
                })
            }),
            ("Pool::map, unpinned", &mut || {
                timed(|| {
                    black_box(unpinned.map(0..PRIMES_BELOW, is_prime));
                })
            }),
        ]);
        report(
            "map_speedup: primality of 0..300,000",
            "ms",
            1e3,
            &[
                "sequential",
                "Pool::map",
                "rayon par_iter",
                "Pool::map, unpinned workers",
            ],
            &medians,
        );
        println!(
            "  speedup: Pool::map {:.2}x (unpinned {:.2}x), rayon {:.2}x on {cores} cores",
            medians[0] / medians[1],
            medians[0] / medians[3],
            medians[0] / medians[2]
        );
    }

    if wanted("map_per_item") {
        const ITEMS: u64 = 1_000_000;
        let per_item = 1e9 / ITEMS as f64;
        let medians = interleaved(&mut [
            ("rayon", &mut || {
                timed(|| {
                    let v: Vec<u64> = (0..ITEMS).into_par_iter().map(|x| x + 1).collect();
                    black_box(v);
                })
            }),
            ("Pool::map", &mut || {
                timed(|| {
                    black_box(own_pool.map(0..ITEMS, |x| x + 1));
                })
            }),
            ("Pool::map, unpinned", &mut || {
                timed(|| {
                    black_box(unpinned.map(0..ITEMS, |x| x + 1));
                })
            }),
            // What the jobs themselves cost: the same map as one job.
            ("Pool::map_chunked, one chunk", &mut || {
                timed(|| {
                    black_box(own_pool.map_chunked(0..ITEMS, ITEMS as usize, |x| x + 1));
                })
            }),
        ]);
        report(
            "map_per_item: 0..1,000,000, |x| x + 1 (ratios: to rayon)",
            "ns/item",
            per_item,
            &[
                "rayon into_par_iter",
                "Pool::map",
                "Pool::map, unpinned workers",
                "Pool::map_chunked, one chunk",
            ],
            &medians,
        );
    }

    if wanted("cross_core_messages") {
        const MESSAGES: u64 = 1_000_000;
        let per_message = 1e9 / MESSAGES as f64;
        let unpinned = corun::Runtime::builder()
            .pin_cores(false)
            .build()
            .expect("a runtime");
        let medians = interleaved(&mut [
            ("corun mpsc -> task", &mut || {
                stream_into_task(&rt, MESSAGES)
            }),
            ("corun, unpinned workers", &mut || {
                stream_into_task(&unpinned, MESSAGES)
            }),
            ("crossbeam -> thread", &mut || {
                let (tx, rx) = crossbeam_channel::bounded::<u64>(1024);
                let receiver = std::thread::spawn(move || rx.iter().sum::<u64>());
                timed(|| {
                    for i in 0..MESSAGES {
                        tx.send(i).unwrap();
                    }
                    drop(tx);
                    black_box(receiver.join().unwrap());
                })
            }),
        ]);
        report(
            "cross_core_messages: one producer thread, capacity 1024",
            "ns/msg",
            per_message,
            &[
                "corun mpsc -> task on a worker",
                "corun, the same on unpinned workers",
                "crossbeam-channel -> thread",
            ],
            &medians,
        );
    }

    if wanted("spawn_join") {
        const SPAWNS: usize = 2_000;
        let per_spawn = 1e6 / SPAWNS as f64;
        let medians = interleaved(&mut [
            ("corun", &mut || {
                timed(|| {
                    for _ in 0..SPAWNS {
                        black_box(rt.spawn(|| 1).join().unwrap());
                    }
                })
            }),
            ("tokio", &mut || {
                timed(|| {
                    for _ in 0..SPAWNS {
                        let h = tokio_rt.spawn(async { 1 });
                        black_box(tokio_rt.block_on(h).unwrap());
                    }
                })
            }),
            ("std::thread", &mut || {
                timed(|| {
                    for _ in 0..SPAWNS / 10 {
                        black_box(std::thread::spawn(|| 1).join().unwrap());
                    }
                })
                .mul_f64(10.0)
            }),
        ]);
        report(
            "spawn_join: from a plain thread (includes a thread wake-up)",
            "µs",
            per_spawn,
            &[
                "corun Runtime::spawn + join",
                "tokio multi-thread spawn + wait",
                "std::thread spawn + join",
            ],
            &medians,
        );
    }

    if wanted("ping_pong") {
        const ROUND_TRIPS: u64 = 5_000;
        let per_trip = 1e6 / ROUND_TRIPS as f64;
        let medians = interleaved(&mut [
            ("corun", &mut || {
                let (ping_tx, ping_rx) = corun::sync::mpsc::channel::<u64>(1);
                let (pong_tx, pong_rx) = corun::sync::mpsc::channel::<u64>(1);
                let echo = rt.spawn_on(1 % workers, move || {
                    for v in ping_rx.iter() {
                        pong_tx.send(v).unwrap();
                    }
                });
                let t = rt.spawn_on(0, move || {
                    timed(|| {
                        for i in 0..ROUND_TRIPS {
                            ping_tx.send(i).unwrap();
                            black_box(pong_rx.recv().unwrap());
                        }
                    })
                });
                let t = t.join().unwrap();
                echo.join().unwrap();
                t
            }),
            ("tokio", &mut || {
                let (ping_tx, mut ping_rx) = tokio::sync::mpsc::channel::<u64>(1);
                let (pong_tx, mut pong_rx) = tokio::sync::mpsc::channel::<u64>(1);
                let echo = tokio_rt.spawn(async move {
                    while let Some(v) = ping_rx.recv().await {
                        pong_tx.send(v).await.unwrap();
                    }
                });
                let t = tokio_rt.spawn(async move {
                    let start = Instant::now();
                    for i in 0..ROUND_TRIPS {
                        ping_tx.send(i).await.unwrap();
                        black_box(pong_rx.recv().await.unwrap());
                    }
                    start.elapsed()
                });
                let t = tokio_rt.block_on(t).unwrap();
                tokio_rt.block_on(echo).unwrap();
                t
            }),
        ]);
        report(
            "ping_pong: two tasks on two workers, channels of capacity 1",
            "µs/trip",
            per_trip,
            &[
                "corun mpsc, runtime tasks",
                "tokio multi-thread, tokio mpsc",
            ],
            &medians,
        );
    }

    if wanted("uneven") {
        let lengths = uneven_lengths();
        let total: Duration = lengths.iter().sum();
        let medians = interleaved(&mut [
            ("spawn", &mut || {
                timed(|| {
                    let hs: Vec<_> = lengths.iter().map(|&d| rt.spawn(move || spin(d))).collect();
                    hs.into_iter().for_each(|h| h.join().unwrap());
                })
            }),
            ("spawn_on round-robin", &mut || {
                timed(|| {
                    let hs: Vec<_> = lengths
                        .iter()
                        .enumerate()
                        .map(|(i, &d)| rt.spawn_on(i % workers, move || spin(d)))
                        .collect();
                    hs.into_iter().for_each(|h| h.join().unwrap());
                })
            }),
        ]);
        report(
            "uneven: 16 tasks, every fourth 12x longer",
            "ms",
            1e3,
            &[
                "Runtime::spawn (idle workers take unstarted tasks)",
                "spawn_on round-robin (no balancing)",
            ],
            &medians,
        );
        println!(
            "  ideal (total / workers): {:.2} ms",
            total.as_secs_f64() * 1e3 / workers as f64
        );
    }
}
