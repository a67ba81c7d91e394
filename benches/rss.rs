//! Resident memory per suspended stackful task: spawns [`TASKS`] tasks that
//! each write [`TOUCH`] bytes of their stack and then sleep, and reads the
//! process's RSS (`/proc/self/statm`) before and after. The same for may
//! coroutines (one worker), measured in the same process afterwards.
//!
//! Not a criterion bench: it prints one line per runtime.
//!
//! ```text
//! cargo bench --bench rss
//! ```

use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Suspended tasks per measurement.
const TASKS: usize = 10_000;

/// Stack bytes each task writes before it suspends.
const TOUCH: usize = 1024;

/// Long enough that no task wakes while we measure.
const NAP: Duration = Duration::from_secs(3600);

/// Resident set size of this process, in KiB.
fn rss_kib() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("/proc/self/statm");
    let resident: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|f| f.parse().ok())
        .expect("statm's second field");
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize;
    resident * page / 1024
}

/// Writes `TOUCH` bytes of the current stack and keeps them live until
/// `wait` returns, so they stay part of the suspended frame.
#[inline(never)]
fn touch_stack_then(wait: impl FnOnce()) {
    let mut buf = [0u8; TOUCH];
    for (i, b) in buf.iter_mut().enumerate() {
        // SAFETY: `b` is a valid, exclusive reference into `buf`.
        unsafe { std::ptr::write_volatile(b, i as u8) };
    }
    wait();
    black_box(&mut buf);
}

fn report(who: &str, before: usize, after: usize) {
    let per_task = (after.saturating_sub(before)) as f64 / TASKS as f64;
    println!(
        "{who}: {TASKS} suspended tasks, RSS {before} KiB -> {after} KiB: {per_task:.2} KiB per task"
    );
}

fn corun_rss() {
    let ex = corun::Executor::new();
    // Settle the executor's own allocations before the baseline.
    ex.block_on(corun::yield_now);
    let before = rss_kib();
    ex.block_on(|| {
        for _ in 0..TASKS {
            drop(corun::spawn(|| touch_stack_then(|| corun::sleep(NAP))));
        }
        // Every task spawned above runs (and suspends) before this returns.
        corun::yield_now();
    });
    let after = rss_kib();
    assert_eq!(ex.tasks().len(), TASKS, "every task should be asleep");
    report("corun", before, after);
}

fn may_rss() {
    may::config().set_workers(1);
    let asleep = Arc::new(AtomicUsize::new(0));
    // Start the scheduler before the baseline.
    // SAFETY: the body is empty.
    unsafe { may::coroutine::spawn(|| ()) }.join().unwrap();
    let before = rss_kib();
    let mut handles = Vec::with_capacity(TASKS);
    for _ in 0..TASKS {
        let asleep = asleep.clone();
        // SAFETY: the body uses no thread-local storage and blocks no thread;
        // it only sleeps with may's own sleep.
        handles.push(unsafe {
            may::coroutine::spawn(move || {
                touch_stack_then(|| {
                    asleep.fetch_add(1, Ordering::SeqCst);
                    may::coroutine::sleep(NAP);
                })
            })
        });
    }
    while asleep.load(Ordering::SeqCst) < TASKS {
        std::thread::sleep(Duration::from_millis(5));
    }
    // The last coroutine counts itself just before it suspends.
    std::thread::sleep(Duration::from_millis(50));
    let after = rss_kib();
    report("may", before, after);
    // The coroutines sleep for an hour: the process exits without them.
    std::mem::forget(handles);
}

fn main() {
    // `cargo bench` passes `--bench`; a filter that names neither runtime
    // skips this target, like criterion would.
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let wants = |name: &str| filter.is_empty() || filter.iter().any(|f| name.contains(f.as_str()));
    if wants("rss_corun") {
        corun_rss();
    }
    if wants("rss_may") {
        may_rss();
    }
}
