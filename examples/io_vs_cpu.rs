//! The seed texts' exercise: "threads for waiting, processes for
//! computing". Two workloads, each run four ways, in one table:
//!
//! - computing: the primes below 400,000 by trial division, in 8 jobs;
//! - waiting: 200 waits of 20 ms each.
//!
//! In CPython, threads speed up the waiting but not the computing (the
//! GIL), and asyncio coroutines are the same as threads for both; only
//! processes speed up computing. In Rust there is no GIL: OS threads speed
//! up both, at one stack and one kernel thread each. corun's coroutines on
//! one executor speed up waiting at a few KiB per task; a runtime with one
//! executor per core speeds up both.
//!
//! Run: `cargo run --release --example io_vs_cpu`
use std::time::{Duration, Instant};

const LIMIT: u64 = 400_000;
const JOBS: u64 = 8;
const WAITS: usize = 200;
const WAIT: Duration = Duration::from_millis(20);

fn is_prime(n: u64) -> bool {
    n >= 2
        && (2..)
            .take_while(|d| d * d <= n)
            .all(|d| !n.is_multiple_of(d))
}

/// The primes in job `i`'s share of `0..LIMIT`.
fn cpu_job(i: u64) -> u64 {
    let (lo, hi) = (i * LIMIT / JOBS, (i + 1) * LIMIT / JOBS);
    (lo..hi).filter(|&n| is_prime(n)).count() as u64
}

fn timed(f: impl FnOnce() -> u64) -> (Duration, u64) {
    let start = Instant::now();
    let v = f();
    (start.elapsed(), v)
}

fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let rt = corun::Runtime::new()?;
    let ex = corun::Executor::new();

    let cpu = [
        timed(|| (0..JOBS).map(cpu_job).sum()),
        timed(|| {
            let threads: Vec<_> = (0..JOBS)
                .map(|i| std::thread::spawn(move || cpu_job(i)))
                .collect();
            threads.into_iter().map(|t| t.join().unwrap()).sum()
        }),
        timed(|| {
            ex.block_on(|| {
                let tasks: Vec<_> = (0..JOBS)
                    .map(|i| corun::spawn(move || cpu_job(i)))
                    .collect();
                tasks.into_iter().map(|t| t.join().unwrap()).sum()
            })
        }),
        timed(|| {
            let tasks: Vec<_> = (0..JOBS).map(|i| rt.spawn(move || cpu_job(i))).collect();
            tasks.into_iter().map(|t| t.join().unwrap()).sum()
        }),
    ];
    let io = [
        timed(|| {
            (0..WAITS).for_each(|_| std::thread::sleep(WAIT));
            WAITS as u64
        }),
        timed(|| {
            let threads: Vec<_> = (0..WAITS)
                .map(|_| std::thread::spawn(|| std::thread::sleep(WAIT)))
                .collect();
            threads.into_iter().map(|t| t.join().unwrap()).count() as u64
        }),
        timed(|| {
            ex.block_on(|| {
                let tasks: Vec<_> = (0..WAITS)
                    .map(|_| corun::spawn(|| corun::sleep(WAIT)))
                    .collect();
                tasks.into_iter().map(|t| t.join().unwrap()).count() as u64
            })
        }),
        timed(|| {
            let tasks: Vec<_> = (0..WAITS)
                .map(|_| rt.spawn(|| corun::sleep(WAIT)))
                .collect();
            tasks.into_iter().map(|t| t.join().unwrap()).count() as u64
        }),
    ];
    for (_, primes) in &cpu {
        assert_eq!(*primes, 33_860, "primes below 400,000");
    }

    let ways = [
        "sequential",
        "OS threads",
        "coroutines, one executor",
        &format!("Runtime, {} workers", rt.workers()),
    ];
    println!("| way | primes < 400,000 in {JOBS} jobs | {WAITS} waits of 20 ms |");
    println!("| --- | ---: | ---: |");
    for (way, ((c, _), (w, _))) in ways.iter().zip(cpu.iter().zip(&io)) {
        println!(
            "| {way} | {:.1} ms ({:.2}x) | {:.1} ms ({:.0}x) |",
            ms(*c),
            ms(cpu[0].0) / ms(*c),
            ms(*w),
            ms(io[0].0) / ms(*w)
        );
    }
    println!();
    println!("Python's rule: threads (or asyncio) for waiting, processes for computing.");
    println!("corun: coroutines for waiting (one executor is enough); a Runtime for both,");
    println!("with one executor per core and no pickling between them.");
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
