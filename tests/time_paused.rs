//! A paused clock (`corun::time::pause`, `advance`, `resume`, `now`,
//! `ExecutorBuilder::start_paused`): virtual time that stands still while
//! tasks are ready and jumps to the next deadline when none is.
//!
//! Every figure checked here is virtual time, which is exact; a clock that
//! failed to jump would hang the test (each sleeps for hours or years)
//! rather than make it flaky.

use corun::time::{self, MissedTickBehavior};
use corun::{Elapsed, Executor};
use std::cell::RefCell;
use std::io::Read;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::time::{Duration, Instant};

const HOUR: Duration = Duration::from_secs(3600);

fn paused() -> Executor {
    Executor::builder().start_paused(true).build()
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(s) => *s,
        Err(p) => p
            .downcast_ref::<&str>()
            .map_or(String::new(), |s| s.to_string()),
    }
}

#[test]
fn a_paused_clock_jumps_to_each_deadline_exactly() {
    let ex = paused();
    let (slept, year) = ex.block_on(|| {
        assert!(time::is_paused());
        let start = time::now();
        corun::sleep(HOUR);
        let slept = time::now() - start;
        corun::sleep(Duration::from_secs(365 * 24 * 3600));
        (slept, time::now() - start)
    });
    assert_eq!(slept, HOUR);
    assert_eq!(year, Duration::from_secs(365 * 24 * 3600) + HOUR);
}

#[test]
fn sleepers_finish_in_deadline_order_whatever_the_spawn_order() {
    let ex = paused();
    let order = Rc::new(RefCell::new(Vec::new()));
    ex.block_on(|| {
        let start = time::now();
        let handles: Vec<_> = [5u64, 1, 4, 2, 3]
            .into_iter()
            .map(|mins| {
                let order = order.clone();
                corun::spawn(move || {
                    corun::sleep(Duration::from_secs(60 * mins));
                    order.borrow_mut().push((mins, time::now() - start));
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
    });
    let order = order.borrow();
    let expected: Vec<_> = (1..=5u64)
        .map(|m| (m, Duration::from_secs(60 * m)))
        .collect();
    assert_eq!(*order, expected);
}

#[test]
fn time_stands_still_while_any_task_is_ready() {
    let ex = paused();
    let seen = ex.block_on(|| {
        let sleeper = corun::spawn(|| corun::sleep(Duration::from_millis(1)));
        let start = time::now();
        let mut moved = 0;
        for _ in 0..1000 {
            corun::yield_now(); // always a task ready: no jump
            if time::now() != start {
                moved += 1;
            }
        }
        assert!(!sleeper.is_finished());
        sleeper.join().unwrap();
        (moved, time::now() - start)
    });
    assert_eq!(seen, (0, Duration::from_millis(1)));
}

#[test]
fn timeout_expires_at_its_virtual_deadline() {
    let ex = paused();
    let (r, took): (Result<(), Elapsed>, Duration) = ex.block_on(|| {
        let start = time::now();
        let r = time::timeout(Duration::from_secs(30), || {
            corun::sleep(Duration::from_secs(60))
        });
        (r, time::now() - start)
    });
    assert!(r.is_err());
    assert_eq!(took, Duration::from_secs(30));
    // And one that the body beats returns its value at the body's time.
    let (r, took) = ex.block_on(|| {
        let start = time::now();
        let r = time::timeout(HOUR, || {
            corun::sleep(Duration::from_secs(5));
            7
        });
        (r, time::now() - start)
    });
    assert_eq!(r.unwrap(), 7);
    assert_eq!(took, Duration::from_secs(5));
}

#[test]
fn interval_ticks_land_on_its_grid() {
    let ex = paused();
    let ticks = ex.block_on(|| {
        let start = time::now();
        let mut clock = time::interval(Duration::from_secs(10));
        clock.set_missed_tick_behavior(MissedTickBehavior::Burst);
        (0..5).map(|_| clock.tick() - start).collect::<Vec<_>>()
    });
    let expected: Vec<_> = (0..5).map(|i| Duration::from_secs(10 * i)).collect();
    assert_eq!(ticks, expected);
}

#[test]
fn advance_fires_what_is_due_and_lets_it_run() {
    let ex = Executor::new();
    ex.block_on(|| {
        time::pause();
        let h = corun::spawn(|| {
            corun::sleep(Duration::from_secs(10));
            time::now()
        });
        corun::yield_now();
        let start = time::now();
        time::advance(Duration::from_secs(9));
        assert!(!h.is_finished(), "one second early");
        time::advance(Duration::from_secs(1));
        assert!(h.is_finished(), "advance lets the woken task run");
        assert_eq!(h.join().unwrap() - start, Duration::from_secs(10));
    });
}

#[test]
fn future_tasks_sleep_on_the_paused_clock() {
    let ex = paused();
    let took = ex.block_on(|| {
        let start = time::now();
        let h = corun::spawn_future(async move {
            time::sleep_future(HOUR).await;
            time::timeout_future(Duration::from_secs(1), std::future::pending::<()>())
                .await
                .unwrap_err();
            time::now() - start
        });
        h.join().unwrap()
    });
    assert_eq!(took, HOUR + Duration::from_secs(1));
}

#[test]
fn socket_timeouts_follow_the_paused_clock() {
    let ex = paused();
    let (err, took) = ex.block_on(|| {
        let listener = corun::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let mut client = corun::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (_server, _) = listener.accept().unwrap();
        client.set_read_timeout(Some(HOUR)).unwrap();
        let start = time::now();
        let mut buf = [0u8; 8];
        let err = client.read(&mut buf).unwrap_err();
        (err.kind(), time::now() - start)
    });
    assert!(
        matches!(
            err,
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
        "{err:?}"
    );
    assert_eq!(took, HOUR);
}

#[test]
fn resume_runs_on_from_the_frozen_instant_and_never_goes_back() {
    let ex = Executor::new();
    ex.block_on(|| {
        time::pause();
        let before = time::now();
        time::advance(HOUR);
        let frozen = time::now();
        assert_eq!(frozen - before, HOUR);
        time::resume();
        assert!(!time::is_paused());
        let after = time::now();
        assert!(after >= frozen, "the clock went back on resume");
        // It runs again: a real sleep still ends.
        corun::sleep(Duration::from_millis(1));
        assert!(time::now() > after);
    });
}

#[test]
fn the_real_time_a_pause_lasted_is_not_counted_after_resume() {
    let ex = Executor::new();
    ex.block_on(|| {
        time::pause();
        let t0 = time::now();
        std::thread::sleep(Duration::from_millis(80)); // real time, while paused
        time::advance(Duration::from_millis(50));
        let real_before = Instant::now();
        time::resume();
        let ran = time::now() - t0;
        let real_since = real_before.elapsed();
        // 50 ms advanced, plus only the real time since the resume: the
        // 80 ms slept while paused are not counted (tokio's rule).
        assert!(ran >= Duration::from_millis(50), "{ran:?}");
        assert!(
            ran <= Duration::from_millis(50) + real_since,
            "{ran:?} {real_since:?}"
        );
    });
}

#[test]
fn outside_every_executor_now_is_the_real_clock() {
    let a = Instant::now();
    let b = time::now();
    let c = Instant::now();
    assert!(a <= b && b <= c);
    assert!(!time::is_paused());
}

#[test]
fn misuse_is_a_clear_panic() {
    let err = catch_unwind(time::pause).unwrap_err();
    assert!(panic_message(err).contains("corun::time::pause"));

    let ex = Executor::new();
    let err = catch_unwind(AssertUnwindSafe(|| ex.block_on(|| time::advance(HOUR)))).unwrap_err();
    let msg = panic_message(err);
    assert!(
        msg.contains("not paused") && msg.contains("pause()"),
        "{msg}"
    );
    // The executor is still usable after the refusal.
    assert_eq!(ex.block_on(|| 1 + 1), 2);
}

#[test]
fn a_paused_deadlock_is_still_reported() {
    let ex = paused();
    let err = catch_unwind(AssertUnwindSafe(|| {
        ex.block_on(|| {
            let (_tx, rx) = corun::sync::channel::<u32>(1);
            corun::sleep(Duration::from_secs(5)); // a jump first
            rx.recv()
        })
    }))
    .unwrap_err();
    assert!(panic_message(err).contains("deadlock"));
}

#[test]
fn each_runtime_worker_may_pause_its_own_clock() {
    let rt = corun::Runtime::builder().workers(2).build().unwrap();
    let took = rt.run_on_all(|_| {
        time::pause();
        let start = time::now();
        corun::sleep(HOUR);
        time::now() - start
    });
    assert_eq!(took, [HOUR, HOUR]);
}

#[test]
fn a_runtime_may_start_every_worker_paused() {
    let rt = corun::Runtime::builder()
        .workers(2)
        .start_paused(true)
        .build()
        .unwrap();
    let took = rt.run_on_all(|_| {
        assert!(time::is_paused());
        let start = time::now();
        let r = time::timeout(HOUR, || corun::sleep(2 * HOUR));
        (r.is_err(), time::now() - start)
    });
    assert_eq!(took, [(true, HOUR), (true, HOUR)]);
}

#[test]
fn tick_async_is_cancel_safe_and_follows_the_grid() {
    use std::future::Future;
    use std::pin::pin;
    use std::task::{Context, Waker};
    let ex = paused();
    let ticks = ex.block_on(|| {
        let h = corun::spawn_future(async {
            let start = time::now();
            let mut clock = time::interval(Duration::from_secs(10));
            let mut at = vec![clock.tick_async().await - start];
            {
                // A tick future polled once and dropped takes no tick.
                let early = pin!(clock.tick_async());
                let mut cx = Context::from_waker(Waker::noop());
                assert!(early.poll(&mut cx).is_pending());
            }
            at.push(clock.tick_async().await - start);
            corun::task::yield_now_future().await;
            at.push(clock.tick_async().await - start);
            at
        });
        h.join().unwrap()
    });
    let expected: Vec<_> = [0, 10, 20].map(Duration::from_secs).into();
    assert_eq!(ticks, expected);
}
