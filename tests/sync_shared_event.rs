//! `sync::shared::Event`: a set releases every waiter on every worker and
//! plain thread, even if the flag is cleared before they run; timeouts,
//! the future form, dropped waits and unwinding.

use corun::sync::shared::Event;
use corun::{yield_now, Executor};
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Waker};
use std::time::Duration;

mod common;
use common::{blocked, in_cancelled_cleanup, log, push, runtime, Log};

#[test]
fn a_set_releases_waiters_on_every_worker_and_thread() {
    let rt = runtime(2);
    let stop = Arc::new(Event::new());
    let tasks: Vec<_> = (0..4)
        .map(|i| {
            let stop = stop.clone();
            rt.spawn_on(i % 2, move || stop.wait())
        })
        .collect();
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let stop = stop.clone();
            std::thread::spawn(move || stop.wait())
        })
        .collect();
    while !format!("{stop:?}").contains("waiting: 6") {
        std::thread::yield_now(); // until all six wait
    }
    stop.set();
    for t in tasks {
        t.join().unwrap();
    }
    for t in threads {
        t.join().unwrap();
    }
    assert!(stop.is_set());
}

#[test]
fn waiters_released_by_a_set_return_even_if_the_flag_is_cleared_first() {
    let ex = Executor::new();
    let ev = Arc::new(Event::new());
    let e = ev.clone();
    let waiter = ex.spawn(move || e.wait());
    ex.block_on(|| {
        while blocked(&ex) != ["shared::Event::wait"] {
            yield_now();
        }
        ev.set();
        ev.clear();
        // Bounded: a waiter that missed its release would wait for ever.
        for _ in 0..10_000 {
            if waiter.is_finished() {
                break;
            }
            yield_now();
        }
        assert!(waiter.is_finished(), "the set released the waiter");
        waiter.join().unwrap();
        assert!(!ev.is_set());
        // A wait that begins now waits for the next set.
        assert!(!ev.wait_timeout(Duration::from_millis(2)));
        ev.set();
        assert!(ev.wait_timeout(Duration::from_millis(2)));
    });
}

#[test]
fn a_future_task_waits_and_a_dropped_wait_leaves_the_list() {
    let ev = Arc::new(Event::new());
    let mut cx = Context::from_waker(Waker::noop());
    {
        let mut fut = pin!(ev.wait_async());
        assert!(fut.as_mut().poll(&mut cx).is_pending());
        assert!(format!("{ev:?}").contains("waiting: 1"));
    }
    assert!(format!("{ev:?}").contains("waiting: 0"));
    let ex = Executor::new();
    let e = ev.clone();
    let h = ex.spawn_future(async move {
        e.wait_async().await;
        "released"
    });
    ex.block_on(|| {
        yield_now();
        assert!(!h.is_finished());
        ev.set();
        assert_eq!(h.join().unwrap(), "released");
    });
}

#[test]
fn an_unwinding_task_does_not_wait() {
    let ex = Executor::new();
    let ev = Arc::new(Event::new());
    let out: Log<String> = log();
    let (e, o) = (ev.clone(), out.clone());
    in_cancelled_cleanup(&ex, move || {
        e.wait();
        push(&o, format!("returned, set: {}", e.is_set()));
    });
    assert_eq!(*out.borrow(), ["returned, set: false"]);
    assert!(format!("{ev:?}").contains("waiting: 0"));
}
