//! Python's master/worker examples, on corun's runtime: `Process(target=..)`
//! becomes `rt.spawn`, `Pool.apply_async` and `Pool.map` keep their names,
//! and nothing is pickled: arguments and results are moved between threads.
//!
//! ```python
//! from multiprocessing import Process, Pool
//! def calc_square(numbers):
//!     for n in numbers: print('square', n * n)
//! def calc_quad(numbers):
//!     for n in numbers: print('quad', n * n * n * n)
//! p1 = Process(target=calc_square, args=(arr,)); p2 = Process(target=calc_quad, args=(arr,))
//! p1.start(); p2.start(); p1.join(); p2.join()
//! with Pool(4) as pool:
//!     print(pool.apply_async(f, (10,)).get(timeout=1))
//!     print(sum(pool.map(count_primes, segments)))
//! ```
//!
//! Run: `cargo run --release --example master_worker`
use corun::Runtime;
use std::time::{Duration, Instant};

fn calc_square(numbers: &[u64]) -> Vec<String> {
    numbers
        .iter()
        .map(|n| format!("square {}", n * n))
        .collect()
}

fn calc_quad(numbers: &[u64]) -> Vec<String> {
    numbers
        .iter()
        .map(|n| format!("quad {}", n * n * n * n))
        .collect()
}

const LIMIT: u64 = 10_000_000;
const SEGMENT: u64 = 100_000;

/// The primes up to `sqrt(LIMIT)`: the divisors to try.
fn base_primes() -> Vec<u64> {
    let root = (LIMIT as f64).sqrt() as u64 + 1;
    let mut primes: Vec<u64> = Vec::new();
    for n in 2..=root {
        if is_prime(n, &primes) {
            primes.push(n);
        }
    }
    primes
}

/// Trial division by the primes in `base` (CPU-bound on purpose: the
/// workload Python's multiprocessing examples time).
fn is_prime(n: u64, base: &[u64]) -> bool {
    n >= 2
        && base
            .iter()
            .take_while(|&&p| p * p <= n)
            .all(|&p| !n.is_multiple_of(p))
}

/// Primes in `[lo, hi)`.
fn count_primes_in(lo: u64, hi: u64, base: &[u64]) -> u64 {
    (lo..hi).filter(|&n| is_prime(n, base)).count() as u64
}

fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    // One line per panic instead of a backtrace: a job below fails on purpose.
    std::panic::set_hook(Box::new(|info| eprintln!("(a job panicked: {info})")));
    let rt = Runtime::new()?;
    println!(
        "runtime: {} workers, pinned to {:?}",
        rt.workers(),
        rt.pinned_cores()
    );

    println!("\n== Process(target=calc_square) and Process(target=calc_quad)");
    let arr = vec![2, 3, 8, 9];
    let a = arr.clone();
    let p1 = rt.spawn(move || calc_square(&a));
    let p2 = rt.spawn(move || calc_quad(&arr));
    for line in p1.join()?.into_iter().chain(p2.join()?) {
        println!("{line}");
    }

    println!("\n== Pool.apply_async");
    let pool = rt.pool(); // or Pool::new(n)?, with workers of its own
    let ar = pool.apply_async(|| {
        corun::sleep(Duration::from_millis(10)); // a job may wait, too
        10 * 10
    });
    println!(
        "apply_async(f, 10).get(timeout=1) -> {}",
        ar.get_timeout(Duration::from_secs(1))?
    );
    let failing = pool.apply_async(|| -> u64 { panic!("a job that fails") });
    println!(
        "a failing job comes back as its own error: {}",
        failing.get().unwrap_err()
    );

    println!("\n== primes below {LIMIT}: sequential, then Pool::map");
    let segments: Vec<(u64, u64)> = (0..LIMIT.div_ceil(SEGMENT))
        .map(|i| (i * SEGMENT, ((i + 1) * SEGMENT).min(LIMIT)))
        .collect();
    let base = std::sync::Arc::new(base_primes());

    let start = Instant::now();
    let sequential: u64 = segments
        .iter()
        .map(|&(lo, hi)| count_primes_in(lo, hi, &base))
        .sum();
    let t_seq = start.elapsed();

    let start = Instant::now();
    let b = base.clone();
    let counts = pool.map(segments, move |(lo, hi)| count_primes_in(lo, hi, &b));
    let parallel: u64 = counts.iter().sum();
    let t_pool = start.elapsed();

    assert_eq!(sequential, 664_579);
    assert_eq!(parallel, sequential);
    println!("sequential: {sequential} primes in {t_seq:.2?}");
    println!(
        "Pool::map on {} workers: {parallel} primes in {t_pool:.2?} ({:.2}x)",
        pool.workers(),
        t_seq.as_secs_f64() / t_pool.as_secs_f64()
    );
    pool.close();
    pool.join();
    Ok(())
}
