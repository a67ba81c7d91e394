//! Echo over loopback TCP: corun against tokio `current_thread` and may
//! (one worker) as servers, all driven by the same client. The servers and
//! the client live in `benches/common/echo.rs`, which the bench report
//! (`examples/bench_report`) shares.
//!
//! Each server runs on one thread pinned to core 0; the client is a plain
//! mio loop on a thread pinned to core 1. The client opens 100 connections
//! and keeps one 100-byte message in flight on each: it sends, waits for
//! the whole echo, records the round trip, and sends again. `corun_spin`
//! is corun with `spin_before_park` (50 µs): its thread polls before it
//! sleeps, so the client's sends rarely have to wake it. Reported:
//! messages per second and p50/p99 round-trip latency. Servers are measured
//! in turn, interleaved, [`RUNS`] times; the table gives medians and the
//! ratio of corun's throughput to each peer's (see shared/BENCHMARKING.md:
//! only same-process ratios mean much here).
//!
//! ```text
//! cargo bench --bench net
//! ```

#[path = "common/echo.rs"]
mod echo;

const ROUNDS: usize = 400; // per connection and run
const RUNS: usize = 5;

fn main() {
    // `cargo bench` passes `--bench`; any other argument is ignored.
    // `NET_BENCH_SERVERS=corun,tokio` measures a subset (for profiling).
    let chosen = std::env::var("NET_BENCH_SERVERS").unwrap_or_default();
    let kinds: Vec<&str> = echo::SERVERS
        .into_iter()
        .filter(|k| chosen.is_empty() || chosen.split(',').any(|c| c == *k))
        .collect();
    let results = echo::measure(&kinds, ROUNDS, RUNS);
    println!(
        "echo, {} connections, {}-byte messages, loopback, server on one core; \
         medians of {RUNS} interleaved runs",
        echo::CONNS,
        echo::MSG
    );
    println!("| server | msgs/s | p50 µs | p99 µs | first's throughput ÷ this |");
    println!("| --- | --- | --- | --- | --- |");
    let first_rate = results[0].msgs_per_sec; // the first chosen
    for (kind, r) in kinds.iter().zip(&results) {
        println!(
            "| {kind} | {:.0} | {:.0} | {:.0} | {:.2} |",
            r.msgs_per_sec,
            r.p50_us,
            r.p99_us,
            first_rate / r.msgs_per_sec
        );
    }
}
