//! The harness of the plain `Instant`-timed benchmarks
//! (`benches/generator_plain.rs`, `benches/executor_plain.rs`, which
//! include this file with `#[path]`): every round measures each case once,
//! corun and its peers interleaved in a fresh order (`order.rs`), and the binary prints the median of the
//! rounds and the median per-round ratio to each case's peer (same-process
//! ratios are what mean much on a shared VM: shared/BENCHMARKING.md).

use std::time::Instant;

#[path = "order.rs"]
mod order;

/// (name, measure returning ns per operation, index of the peer case).
pub type Case = (&'static str, fn() -> f64, usize);

/// ns per operation of `n` operations started at `t`.
pub fn ns(t: Instant, n: u64) -> f64 {
    t.elapsed().as_nanos() as f64 / n as f64
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Runs `cases` for the rounds given as the first numeric argument
/// (`default_rounds` without one) and prints the table. `BENCH_ONLY=text`
/// runs and prints only the cases whose names contain it (for callgrind,
/// and a case's rerun under other settings).
pub fn run(cases: &[Case], default_rounds: usize) {
    let rounds: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(default_rounds);
    let only = std::env::var("BENCH_ONLY").ok();
    let width = cases.iter().map(|c| c.0.len()).max().unwrap_or(0);
    let mut times = vec![Vec::new(); cases.len()];
    let mut ratios = vec![Vec::new(); cases.len()];
    let mut shuffle = order::Shuffle::new(cases.len());
    for _ in 0..rounds {
        let mut round = vec![1.0; cases.len()];
        for &i in shuffle.next_round() {
            let c = &cases[i];
            if only.as_ref().is_none_or(|o| c.0.contains(o.as_str())) {
                round[i] = (c.1)();
            }
        }
        for (i, c) in cases.iter().enumerate() {
            times[i].push(round[i]);
            ratios[i].push(round[i] / round[c.2]);
        }
    }
    let settings = match std::env::var("MALLOC_TRIM_THRESHOLD_") {
        Ok(v) => format!(", MALLOC_TRIM_THRESHOLD_={v}"),
        Err(_) => String::new(),
    };
    println!("{rounds} rounds{settings}, medians (ratio: median of per-round ratios to the peer)");
    for (i, c) in cases.iter().enumerate() {
        if !only.as_ref().is_none_or(|o| c.0.contains(o.as_str())) {
            continue;
        }
        println!(
            "{:width$} {:8.2} ns   {:5.2}x",
            c.0,
            median(&mut times[i]),
            median(&mut ratios[i])
        );
    }
}
