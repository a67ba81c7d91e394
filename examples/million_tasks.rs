//! Go's headline, on one thread: a great many stackful tasks suspended at
//! once, each on its own (unguarded, carved) stack, then woken and joined.
//! Prints the time per task of each phase and the resident memory each
//! suspended task costs.
//!
//! ```text
//! cargo run --release --example million_tasks              # 10,000 tasks
//! cargo run --release --example million_tasks -- 1000000   # a million
//! CORUN_TASKS=100000 cargo run --release --example million_tasks
//! ```
//!
//! The default is small so that CI's run of every example, and its run of
//! every example under valgrind, stay quick; CI also runs it at 100,000.
//! A million tasks take about 4.4 GB of resident memory, 4.41 KiB a task:
//! one page of stack each and the task's cell (and 68 GiB of address
//! space, reserved but untouched); guarded stacks could not go this far (`vm.max_map_count` allows about 32,700 of them).

use corun::sync::Event;
use corun::Executor;
use std::rc::Rc;
use std::time::Instant;

/// Each task's stack. Only what a task touches becomes resident (a page or
/// two here); a size above valgrind's `--max-stackframe` keeps memcheck
/// seeing each switch as a switch.
const STACK: usize = 64 * 1024;

/// Resident set size of this process, in KiB (`VmRSS` in `/proc/self/status`).
fn rss_kib() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/self/status")
}

fn tasks_wanted() -> usize {
    std::env::args()
        .nth(1)
        .or_else(|| std::env::var("CORUN_TASKS").ok())
        .map(|s| s.replace(['_', ','], "").parse().expect("a task count"))
        .unwrap_or(10_000)
}

fn main() {
    let n = tasks_wanted();
    // SAFETY: every task body below only waits on an event and returns a
    // number: a few hundred bytes of stack, far within 64 KiB.
    let ex = unsafe { Executor::builder().stack_size(STACK).unguarded_stacks() }.build();
    let go = Rc::new(Event::new());
    // Settle the executor's own allocations before the baseline.
    ex.block_on(corun::yield_now);
    let before = rss_kib();

    let (spawned, suspended_rss, woken, sum) = ex.block_on(|| {
        let t = Instant::now();
        let handles: Vec<_> = (0..n)
            .map(|i| {
                let go = go.clone();
                corun::spawn(move || {
                    go.wait();
                    i as u64
                })
            })
            .collect();
        // Every task spawned above runs up to its wait before this returns.
        corun::yield_now();
        let spawned = t.elapsed();
        let suspended_rss = rss_kib();
        assert_eq!(ex.tasks().len(), n + 1, "every task waits");

        let t = Instant::now();
        go.set();
        let sum: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
        (spawned, suspended_rss, t.elapsed(), sum)
    });
    assert_eq!(sum, (n as u64) * (n as u64).saturating_sub(1) / 2);

    let per = |d: std::time::Duration| d.as_nanos() as f64 / n.max(1) as f64;
    let rss_per_task = suspended_rss.saturating_sub(before) as f64 / n.max(1) as f64;
    println!(
        "{n} stackful tasks on {} KiB unguarded stacks",
        STACK / 1024
    );
    println!(
        "  spawn + run to the first wait: {:.1} ms ({:.0} ns a task)",
        spawned.as_secs_f64() * 1e3,
        per(spawned)
    );
    println!(
        "  all suspended at once: RSS {before} KiB -> {suspended_rss} KiB, {rss_per_task:.2} KiB a task"
    );
    println!(
        "  wake + finish + join:          {:.1} ms ({:.0} ns a task)",
        woken.as_secs_f64() * 1e3,
        per(woken)
    );
}
