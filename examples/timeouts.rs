//! Sleep, timeout and cancel: the three ways a task stops waiting; then
//! the same waits on a paused clock, as a test would run them.
//!
//! Run: `cargo run --release --example timeouts`
use corun::{sleep, spawn, timeout, Executor};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

/// Logs when it is dropped: Python's `finally`.
struct Finally(&'static str, Rc<RefCell<Vec<String>>>);

impl Drop for Finally {
    fn drop(&mut self) {
        self.1.borrow_mut().push(format!("{}: cleaned up", self.0));
    }
}

fn main() {
    let ex = Executor::new();
    let log = Rc::new(RefCell::new(Vec::new()));
    let started = Instant::now();

    ex.block_on(|| {
        // 1. sleep: three tasks sleep different times and wake in order.
        let handles: Vec<_> = [30u64, 10, 20]
            .into_iter()
            .map(|ms| {
                let log = log.clone();
                spawn(move || {
                    sleep(Duration::from_millis(ms));
                    log.borrow_mut().push(format!("slept {ms} ms"));
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }

        // 2. timeout: a slow body is unwound when time runs out, and its
        //    destructors run; a fast one finishes normally. The body may
        //    borrow locals.
        let attempts = std::cell::Cell::new(0);
        let slow = timeout(Duration::from_millis(15), || {
            let _f = Finally("slow body", log.clone());
            loop {
                attempts.set(attempts.get() + 1);
                sleep(Duration::from_millis(4));
            }
        });
        assert!(slow.is_err());
        log.borrow_mut().push(format!(
            "slow body timed out after {} attempts",
            attempts.get()
        ));
        let fast = timeout(Duration::from_millis(50), || {
            sleep(Duration::from_millis(1));
            "fast result"
        });
        assert_eq!(fast, Ok("fast result"));
        log.borrow_mut().push("fast body finished in time".into());

        // Nested: the inner deadline fires first.
        let nested = timeout(Duration::from_millis(40), || {
            timeout(Duration::from_millis(5), || sleep(Duration::from_secs(10)))
        });
        assert_eq!(nested.map(|inner| inner.is_err()), Ok(true));
        log.borrow_mut()
            .push("inner timeout fired inside the outer one".into());

        // 3. cancel: the task unwinds where it waits; join reports it.
        let l = log.clone();
        let worker = spawn(move || {
            let _f = Finally("worker", l);
            sleep(Duration::from_secs(3600));
        });
        sleep(Duration::from_millis(1));
        worker.cancel();
        let err = worker.join().unwrap_err();
        assert!(err.is_cancelled());
        log.borrow_mut().push(format!("worker: {err}"));
    });

    for line in log.borrow().iter() {
        println!("{line}");
    }
    let expected_start = [
        "slept 10 ms",
        "slept 20 ms",
        "slept 30 ms",
        "slow body: cleaned up",
    ];
    // The sleeps start one after another: on a slow machine (valgrind in
    // CI) their ends may come in another order, so they are compared as a set.
    let mut start = log.borrow()[..4].to_vec();
    start[..3].sort_by_key(|line| line.len() * 1000 + line.as_bytes()[6] as usize);
    assert_eq!(start, expected_start);
    assert!(log
        .borrow()
        .iter()
        .any(|l| l == "worker: task was cancelled"));
    let elapsed = started.elapsed();
    println!("total {elapsed:?}");
    assert!(
        elapsed < Duration::from_secs(5),
        "nothing waited for its full sleep"
    );

    // 4. The same waits on a paused clock, as a test runs them: a retry
    // loop backing off from 1 s to 512 s takes no real time, and its
    // schedule is exact (time jumps to each deadline when no task is ready).
    let test_ex = Executor::builder().start_paused(true).build();
    let schedule = test_ex.block_on(|| {
        let start = corun::time::now();
        let mut delay = Duration::from_secs(1);
        let mut retries = Vec::new();
        for _ in 0..10 {
            sleep(delay);
            retries.push((corun::time::now() - start).as_secs());
            delay *= 2;
        }
        retries
    });
    println!("paused clock: retries at {schedule:?} s of virtual time");
    assert_eq!(schedule, [1, 3, 7, 15, 31, 63, 127, 255, 511, 1023]);
}
