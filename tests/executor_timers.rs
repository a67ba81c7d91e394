//! Time: `sleep`, `sleep_until`, `interval`, `timeout`, `sleep_future`, and
//! an idle executor parking in the OS instead of spinning.

use corun::{Elapsed, Executor};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::task::Waker;
use std::time::{Duration, Instant};

mod common;
use common::{DropCount, Finally, Gate, LONG};

#[test]
fn sleep_waits_at_least_its_duration() {
    let ex = Executor::new();
    let start = Instant::now();
    ex.block_on(|| corun::sleep(Duration::from_millis(5)));
    assert!(start.elapsed() >= Duration::from_millis(5));
    // Zero and past deadlines return without waiting for a timer.
    ex.block_on(|| {
        corun::sleep(Duration::ZERO);
        corun::sleep_until(Instant::now() - Duration::from_millis(1));
    });
    assert!(ex.tasks().is_empty());
}

#[test]
fn sleep_until_reaches_its_deadline() {
    let ex = Executor::new();
    let deadline = Instant::now() + Duration::from_millis(4);
    ex.block_on(|| corun::sleep_until(deadline));
    assert!(Instant::now() >= deadline);
}

#[test]
fn sleepers_wake_in_deadline_order() {
    let ex = Executor::new();
    let order = Rc::new(RefCell::new(Vec::new()));
    // Deadlines fixed up front, so the order cannot depend on how fast the
    // tasks were started.
    let base = Instant::now() + Duration::from_millis(5);
    for ms in [3_u64, 1, 2] {
        let o = order.clone();
        drop(ex.spawn(move || {
            corun::sleep_until(base + Duration::from_millis(ms));
            o.borrow_mut().push(ms);
        }));
    }
    ex.run();
    assert_eq!(*order.borrow(), [1, 2, 3]);
}

#[test]
fn equal_deadlines_wake_in_the_order_they_were_set() {
    let ex = Executor::new();
    let order = Rc::new(RefCell::new(Vec::new()));
    let deadline = Instant::now() + Duration::from_millis(2);
    for i in 0..5 {
        let o = order.clone();
        drop(ex.spawn(move || {
            corun::sleep_until(deadline);
            o.borrow_mut().push(i);
        }));
    }
    ex.run();
    assert_eq!(*order.borrow(), [0, 1, 2, 3, 4]);
}

#[test]
fn sleeping_task_lets_others_run() {
    let ex = Executor::new();
    let ticks = Rc::new(Cell::new(0));
    let t = ticks.clone();
    let busy = ex.spawn(move || {
        for _ in 0..10 {
            t.set(t.get() + 1);
            corun::yield_now();
        }
    });
    let seen = ex.block_on(|| {
        corun::sleep(Duration::from_millis(5));
        ticks.get()
    });
    assert_eq!(seen, 10);
    assert!(busy.is_finished());
}

#[test]
fn interval_ticks_are_spaced_by_the_period() {
    let ex = Executor::new();
    let period = Duration::from_millis(2);
    let ticks = ex.block_on(|| {
        let mut clock = corun::interval(period);
        assert_eq!(clock.period(), period);
        (0..4).map(|_| clock.tick()).collect::<Vec<_>>()
    });
    // Ticks are on the period grid; a tick can only be skipped (never
    // bunched) if the thread was descheduled, so allow multiples.
    for pair in ticks.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(gap >= period, "{gap:?}");
        assert_eq!(gap.as_nanos() % period.as_nanos(), 0, "{gap:?}");
    }
}

#[test]
fn interval_skips_missed_ticks_instead_of_bunching() {
    let ex = Executor::new();
    let period = Duration::from_millis(4);
    ex.block_on(|| {
        let mut clock = corun::interval(period);
        let first = clock.tick();
        // Hog the thread for several periods: the task misses ticks.
        std::thread::sleep(period * 3 + period / 2);
        let busy_end = Instant::now();
        let late = clock.tick();
        assert_eq!(late - first, period, "the late tick fires at once");
        let next = clock.tick();
        // The missed ticks were skipped: the next one is due after the busy
        // spell ended, still on the period grid.
        assert!(next > busy_end);
        assert_eq!((next - first).as_nanos() % period.as_nanos(), 0);
    });
}

#[test]
fn an_interval_longer_than_the_clock_ticks_once_then_waits_for_ever() {
    let ex = Executor::new();
    for period in [Duration::MAX, Duration::from_secs(u64::MAX / 2)] {
        let second = ex.block_on(|| {
            let mut clock = corun::interval(period);
            clock.tick();
            corun::timeout(Duration::from_millis(5), || clock.tick())
        });
        assert!(second.is_err(), "{period:?}: the second tick came");
    }
}

#[test]
fn interval_of_zero_panics() {
    let err = std::panic::catch_unwind(|| corun::interval(Duration::ZERO)).unwrap_err();
    let msg = err.downcast_ref::<&str>().copied().unwrap_or_default();
    assert_eq!(msg, "corun::interval: the period must not be zero");
}

#[test]
fn timeout_ok_when_the_body_finishes_first() {
    let ex = Executor::new();
    let r = ex.block_on(|| {
        corun::timeout(LONG, || {
            corun::sleep(Duration::from_millis(1));
            5
        })
    });
    assert_eq!(r, Ok(5));
    // A body that never waits is not checked against the clock.
    assert_eq!(ex.block_on(|| corun::timeout(Duration::MAX, || 6)), Ok(6));
    assert!(ex.tasks().is_empty());
}

#[test]
fn timeout_elapses_and_unwinds_the_body() {
    let ex = Executor::new();
    let dropped = Rc::new(Cell::new(0));
    let reached_end = Cell::new(false);
    let d = dropped.clone();
    let r = ex.block_on(|| {
        corun::timeout(Duration::from_millis(5), || {
            let _guard = DropCount(d);
            corun::sleep(LONG);
            reached_end.set(true);
        })
    });
    let elapsed: Elapsed = r.unwrap_err();
    assert_eq!(elapsed.to_string(), "deadline has elapsed");
    assert_eq!(dropped.get(), 1);
    assert!(!reached_end.get());
    assert!(ex.tasks().is_empty());
}

#[test]
fn timeout_body_borrows_locals() {
    let ex = Executor::new();
    let mut steps = Vec::new();
    let label = String::from("step");
    let r = ex.block_on(|| {
        corun::timeout(Duration::from_millis(20), || loop {
            steps.push(label.clone());
            corun::sleep(Duration::from_millis(1));
        })
    });
    assert!(r.is_err());
    assert!(!steps.is_empty());
    assert!(steps.iter().all(|s| s == "step"));
}

#[test]
fn nested_timeout_inner_shorter() {
    let ex = Executor::new();
    let dropped = Rc::new(Cell::new(0));
    let (d1, d2) = (dropped.clone(), dropped.clone());
    let r = ex.block_on(|| {
        corun::timeout(LONG, || {
            let _outer = DropCount(d1);
            let inner = corun::timeout(Duration::from_millis(3), || {
                let _inner = DropCount(d2);
                corun::sleep(LONG);
            });
            // Only the inner body unwound; the outer goes on normally.
            (inner.is_err(), dropped.get())
        })
    });
    assert_eq!(r, Ok((true, 1)));
    assert_eq!(dropped.get(), 2);
}

#[test]
fn nested_timeout_outer_shorter() {
    let ex = Executor::new();
    let log = Rc::new(RefCell::new(Vec::new()));
    let (l1, l2) = (log.clone(), log.clone());
    let r = ex.block_on(|| {
        corun::timeout(Duration::from_millis(3), || {
            let _outer = Finally(l1, "outer");
            let inner = corun::timeout(LONG, || {
                let _inner = Finally(l2, "inner");
                corun::sleep(LONG);
            });
            unreachable!("the outer deadline unwinds the inner body: {inner:?}");
        })
    });
    assert!(r.is_err());
    // Innermost first, like any unwind.
    assert_eq!(*log.borrow(), ["inner", "outer"]);
}

#[test]
fn timeout_propagates_a_panic_in_its_body() {
    let ex = Executor::new();
    let msg = ex.block_on(|| {
        let caught = std::panic::catch_unwind(|| {
            corun::timeout(LONG, || -> u32 {
                corun::sleep(Duration::from_millis(1));
                panic!("body failed")
            })
        });
        *caught.unwrap_err().downcast::<&str>().unwrap()
    });
    assert_eq!(msg, "body failed");
}

#[test]
fn finished_timeout_leaves_no_stale_wake_up() {
    let ex = Executor::new();
    let open = Rc::new(Cell::new(false));
    let polls = Rc::new(Cell::new(0));
    let waker: Rc<RefCell<Option<Waker>>> = Rc::default();
    let gate = Gate {
        open: open.clone(),
        polls: polls.clone(),
        waker: waker.clone(),
    };
    let (o, w) = (open.clone(), waker.clone());
    // Opens the gate well after the timeout's deadline has passed.
    let opener = ex.spawn(move || {
        corun::sleep(Duration::from_millis(30));
        o.set(true);
        w.borrow_mut().take().unwrap().wake();
    });
    ex.block_on(|| {
        assert_eq!(corun::timeout(Duration::from_millis(5), || 1), Ok(1));
        // If the finished timeout's timer still woke this task at 5 ms, the
        // gate would be polled a third time.
        corun::await_(gate);
        opener.join().unwrap();
    });
    assert_eq!(polls.get(), 2);
}

#[test]
fn sleep_future_in_a_future_task() {
    let ex = Executor::new();
    let start = Instant::now();
    let h = ex.spawn_future(async {
        corun::sleep_future(Duration::from_millis(3)).await;
        corun::sleep_future(Duration::ZERO).await;
        "slept"
    });
    assert_eq!(ex.block_on(|| h.join().unwrap()), "slept");
    assert!(start.elapsed() >= Duration::from_millis(3));
}

#[test]
fn dropped_sleep_future_removes_its_timer() {
    let ex = Executor::new();
    let open = Rc::new(Cell::new(false));
    let polls = Rc::new(Cell::new(0));
    let waker: Rc<RefCell<Option<Waker>>> = Rc::default();
    let gate = Gate {
        open: open.clone(),
        polls: polls.clone(),
        waker: waker.clone(),
    };
    let h = ex.spawn_future(async move {
        let short = corun::sleep_future(Duration::from_millis(1));
        let long = corun::sleep_future(Duration::from_millis(10));
        let winner =
            match futures::future::select(std::pin::pin!(short), std::pin::pin!(long)).await {
                futures::future::Either::Left(_) => "short",
                futures::future::Either::Right(_) => "long",
            };
        // `long` was dropped while pending. Had its timer stayed, it would
        // wake this task at 10 ms and poll the gate once more.
        gate.await;
        winner
    });
    let (o, w) = (open.clone(), waker.clone());
    drop(ex.spawn(move || {
        corun::sleep(Duration::from_millis(40));
        o.set(true);
        w.borrow_mut().take().unwrap().wake();
    }));
    ex.run();
    assert_eq!(ex.block_on(|| h.join().unwrap()), "short");
    assert_eq!(polls.get(), 2);
}

#[test]
fn sleep_future_awaited_inside_a_stackful_task() {
    let ex = Executor::new();
    let start = Instant::now();
    ex.block_on(|| corun::await_(corun::sleep_future(Duration::from_millis(2))));
    assert!(start.elapsed() >= Duration::from_millis(2));
}

fn thread_cpu_time() -> Duration {
    // SAFETY: getrusage only writes the struct we pass; zeroed is a valid
    // `rusage` (plain integers).
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        assert_eq!(libc::getrusage(libc::RUSAGE_THREAD, &mut usage), 0);
        usage
    };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

#[test]
fn an_idle_executor_parks_without_spinning() {
    let ex = Executor::new();
    let sleeper = ex.spawn(|| corun::sleep(Duration::from_secs(1)));
    let before = thread_cpu_time();
    ex.block_on(|| sleeper.join().unwrap());
    let cpu = thread_cpu_time() - before;
    // A resource bound, not a speed test: a spinning loop would burn the
    // whole second; parking in epoll costs next to nothing.
    assert!(
        cpu < Duration::from_millis(10),
        "{cpu:?} of CPU for 1 s idle"
    );
}

#[test]
fn a_zero_sleep_yields_to_the_other_tasks() {
    // asyncio.sleep(0) yields; a loop of them must not starve the others.
    let ex = Executor::new();
    let other_ran = Rc::new(Cell::new(false));
    let spins = ex.block_on(|| {
        let flag = other_ran.clone();
        let _other = corun::spawn(move || flag.set(true));
        let mut spins = 0;
        while !other_ran.get() && spins < 1000 {
            corun::sleep(Duration::ZERO);
            spins += 1;
        }
        spins
    });
    assert!(
        other_ran.get(),
        "the other task never ran in {spins} zero sleeps"
    );
    assert_eq!(spins, 1);
}

#[test]
fn a_sleep_until_a_past_deadline_yields_too() {
    let ex = Executor::new();
    let other_ran = Rc::new(Cell::new(false));
    ex.block_on(|| {
        let flag = other_ran.clone();
        let _other = corun::spawn(move || flag.set(true));
        corun::sleep_until(Instant::now() - Duration::from_millis(1));
        assert!(other_ran.get());
    });
}

#[test]
fn sleep_future_of_duration_max_never_completes_and_does_not_panic() {
    let ex = Executor::new();
    let r = ex.block_on(|| {
        corun::timeout(Duration::from_millis(2), || {
            corun::await_(corun::time::sleep_future(Duration::MAX))
        })
    });
    assert!(r.is_err());
}

/// Sleeps shorter than a millisecond, and deadlines between two, take the
/// executor's finer timer: none may end before its deadline, in any mix
/// (several pending at once, one cancelled by a timeout, a wake by another
/// task in between), and the executor stays usable after.
#[test]
fn sub_millisecond_sleeps_never_end_early() {
    let ex = Executor::new();
    let early = Rc::new(Cell::new(0usize));
    let handles: Vec<_> = (0..4u64)
        .map(|t| {
            let early = early.clone();
            ex.spawn(move || {
                for i in 0..50u64 {
                    let d = Duration::from_micros(10 + (i * 37 + t * 101) % 1_900);
                    let deadline = Instant::now() + d;
                    corun::sleep(d);
                    if Instant::now() < deadline {
                        early.set(early.get() + 1);
                    }
                }
            })
        })
        .collect();
    // A timeout shorter than its body's sleep: the sleep's timer goes, the
    // timeout's fires, and neither ends early.
    let start = Instant::now();
    let r = ex.block_on(|| {
        corun::timeout(Duration::from_micros(300), || {
            corun::sleep(Duration::from_micros(900))
        })
    });
    assert!(r.is_err(), "the timeout must elapse first");
    assert!(start.elapsed() >= Duration::from_micros(300));
    ex.block_on(|| {
        for h in handles {
            h.join().unwrap();
        }
    });
    assert_eq!(early.get(), 0, "sleeps that ended before their deadline");
    let start = Instant::now();
    ex.block_on(|| corun::sleep(Duration::from_micros(150)));
    assert!(start.elapsed() >= Duration::from_micros(150));
}

/// Each executor's finer timer is a file descriptor: dropping the executor
/// closes it. In a child process, where no other test opens descriptors
/// meanwhile.
#[test]
fn executors_leave_no_descriptor_behind() {
    common::in_child_process("executors_leave_no_descriptor_behind", || {
        let open = || std::fs::read_dir("/proc/self/fd").unwrap().count();
        // One executor first, so that lazily opened process-wide
        // descriptors are counted in the baseline.
        drop(Executor::new());
        let before = open();
        for _ in 0..50 {
            let ex = Executor::new();
            ex.block_on(|| corun::sleep(Duration::from_micros(50)));
        }
        assert_eq!(open(), before, "descriptors left open");
    });
}

/// A `block_on` body that polls a flag with `yield_now` must not starve the
/// timers: the executor's budget of turns between looks at the clock
/// counts the body's own turns too.
#[test]
fn a_block_on_body_yielding_in_a_loop_lets_timers_fire() {
    let ex = Executor::new();
    let fired = Rc::new(Cell::new(false));
    let f = fired.clone();
    let sleeper = ex.spawn(move || {
        corun::sleep(Duration::from_millis(1));
        f.set(true);
    });
    let yields = ex.block_on(|| {
        let mut yields = 0u64;
        while !fired.get() {
            corun::yield_now();
            yields += 1;
            // Far more yields than a millisecond holds: a starved timer.
            assert!(yields < 20_000_000, "the timer never fired");
        }
        sleeper.join().unwrap();
        yields
    });
    assert!(yields > 0);
}

#[test]
fn timeout_at_shares_a_deadline_and_a_passed_one_allows_no_wait() {
    let ex = Executor::new();
    ex.block_on(|| {
        let past = Instant::now();
        // Runs until its first wait, and no further.
        assert_eq!(corun::time::timeout_at(past, || 5), Ok(5));
        let r = corun::time::timeout_at(past, || corun::sleep(Duration::from_millis(1)));
        assert!(r.is_err());
    });
}

#[test]
fn missed_ticks_burst_delay_or_skip() {
    use corun::time::{interval, MissedTickBehavior};
    // A period long enough that the first ticks, made one after the
    // other, are never late themselves, even on a loaded machine.
    let period = Duration::from_millis(20);
    let busy = Duration::from_millis(100);
    let ex = Executor::new();
    ex.block_on(|| {
        let mut skip = interval(period);
        assert_eq!(skip.missed_tick_behavior(), MissedTickBehavior::Skip);
        let mut burst = interval(period);
        burst.set_missed_tick_behavior(MissedTickBehavior::Burst);
        let mut delay = interval(period);
        delay.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let firsts = [skip.tick(), burst.tick(), delay.tick()];
        std::thread::sleep(busy); // the task is busy past several ticks
        let lates = [skip.tick(), burst.tick(), delay.tick()];
        let after = [skip.tick(), burst.tick(), delay.tick()];
        // Each late tick says when it was due: for Skip and Burst one period
        // after the first; for Delay a period after the first fired.
        assert_eq!(lates[0], firsts[0] + period);
        assert_eq!(lates[1], firsts[1] + period);
        assert!(lates[2] >= firsts[2] + period);
        // Burst: the next missed tick, back to back.
        assert_eq!(after[1], firsts[1] + 2 * period);
        // Skip: the next point of the schedule after the busy spell.
        let since = after[0] - firsts[0];
        assert!(since >= busy, "{since:?}");
        assert_eq!(since.as_nanos() % period.as_nanos(), 0, "{since:?}");
        // Delay: a whole period after the late tick fired, off the schedule.
        assert!(
            after[2] - lates[2] >= busy - period,
            "{:?}",
            after[2] - lates[2]
        );
    });
}

#[test]
fn reset_starts_the_schedule_again() {
    let ex = Executor::new();
    ex.block_on(|| {
        let period = Duration::from_millis(50);
        let mut clock = corun::time::interval(period);
        clock.tick();
        let before = Instant::now();
        clock.reset_immediately();
        assert!(clock.tick() >= before, "due now, not a period on");
        let at = Instant::now() + Duration::from_millis(1);
        clock.reset_at(at);
        assert_eq!(clock.tick(), at);
        let before = Instant::now();
        clock.reset();
        assert!(clock.tick() >= before + period);
        let start = Instant::now() + Duration::from_millis(1);
        assert_eq!(corun::time::interval_at(start, period).tick(), start);
    });
}

#[test]
fn timeout_future_polls_the_future_first_and_gives_up_at_its_deadline() {
    use corun::time::{timeout_at_future, timeout_future};
    let ex = Executor::new();
    let h = ex.spawn_future(async {
        let past = Instant::now();
        let ready_in_time = timeout_at_future(past, async { 1 }).await;
        let never = timeout_at_future(past, std::future::pending::<()>()).await;
        let slow = timeout_future(Duration::from_millis(2), corun::time::sleep_future(LONG)).await;
        let wrapped = timeout_future(LONG, async { 2 });
        (
            ready_in_time,
            never.is_err(),
            slow.is_err(),
            wrapped.into_inner().await,
        )
    });
    assert_eq!(ex.block_on(|| h.join().unwrap()), (Ok(1), true, true, 2));
}
