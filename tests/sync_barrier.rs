//! `sync::Barrier`: rounds pass together with one leader, are reusable, and
//! a waiter that leaves (cancelled, timed out, future dropped, unwinding)
//! no longer counts; abort and reset fail the waiters.

use corun::sync::{join_all, Barrier, BarrierWaitResult};
use corun::{timeout, yield_now, Executor};
use std::future::Future;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

mod common;
use common::{blocked, in_cancelled_cleanup, log, panic_message, push, Log};

/// Spawns `n` tasks that wait at `b`, each logging its arrival and its
/// release; returns their results.
fn spawn_waiters(
    ex: &Executor,
    b: &Rc<Barrier>,
    n: usize,
    out: &Log<String>,
) -> Vec<corun::JoinHandle<BarrierWaitResult>> {
    (0..n)
        .map(|i| {
            let (b, out) = (b.clone(), out.clone());
            ex.spawn(move || {
                push(&out, format!("arrive {i}"));
                let r = b.wait().unwrap();
                push(&out, format!("pass {i}"));
                r
            })
        })
        .collect()
}

#[test]
fn a_round_passes_when_the_last_party_arrives_with_one_leader() {
    let ex = Executor::new();
    let b = Rc::new(Barrier::new(3));
    let out: Log<String> = log();
    let hs = spawn_waiters(&ex, &b, 3, &out);
    let results: Vec<BarrierWaitResult> =
        ex.block_on(|| join_all(hs).into_iter().map(Result::unwrap).collect());
    // Nobody passed before everyone arrived.
    assert_eq!(
        out.borrow()[..3],
        ["arrive 0", "arrive 1", "arrive 2"].map(String::from)
    );
    assert_eq!(results.iter().filter(|r| r.is_leader()).count(), 1);
    assert!(results[2].is_leader());
    let indices: Vec<usize> = results.iter().map(|r| r.index()).collect();
    assert_eq!(indices, [0, 1, 2]);
    assert_eq!(b.n_waiting(), 0);
}

#[test]
fn the_barrier_is_reusable_round_after_round() {
    let ex = Executor::new();
    let b = Rc::new(Barrier::new(2));
    let hs: Vec<_> = (0..2)
        .map(|_| {
            let b = b.clone();
            ex.spawn(move || {
                (0..5)
                    .map(|_| b.wait().unwrap().is_leader() as u32)
                    .sum::<u32>()
            })
        })
        .collect();
    let leads: u32 = ex.block_on(|| join_all(hs).into_iter().map(Result::unwrap).sum());
    assert_eq!(leads, 5); // one leader in each of the five rounds
}

#[test]
fn a_cancelled_waiter_leaves_its_round() {
    let ex = Executor::new();
    let b = Rc::new(Barrier::new(3));
    let out: Log<String> = log();
    let mut first = spawn_waiters(&ex, &b, 2, &out).into_iter();
    let (gone, stays) = (first.next().unwrap(), first.next().unwrap());
    ex.block_on(|| {
        yield_now();
        assert_eq!(b.n_waiting(), 2);
        gone.cancel();
        assert!(gone.join().unwrap_err().is_cancelled());
        assert_eq!(b.n_waiting(), 1);
    });
    // Two more are needed now, not one.
    let more = spawn_waiters(&ex, &b, 1, &out).pop().unwrap();
    ex.block_on(yield_now);
    assert_eq!(b.n_waiting(), 2);
    assert_eq!(blocked(&ex), ["Barrier::wait", "Barrier::wait"]);
    let last = spawn_waiters(&ex, &b, 1, &out).pop().unwrap();
    let passed = ex.block_on(|| [last, stays, more].map(|h| h.join().unwrap()));
    assert_eq!(passed.map(|r| r.is_leader()), [true, false, false]);
    // The one that left has no place: the round's indices are 0..3, once each.
    assert_eq!(passed.map(|r| r.index()), [2, 0, 1]);
}

#[test]
fn a_timed_out_waiter_leaves_its_round() {
    let ex = Executor::new();
    let b = Barrier::new(2);
    ex.block_on(|| {
        assert!(timeout(Duration::from_millis(5), || b.wait()).is_err());
        assert_eq!(b.n_waiting(), 0);
    });
}

#[test]
fn abort_fails_the_waiters_and_later_waits_until_reset() {
    let ex = Executor::new();
    let b = Rc::new(Barrier::new(3));
    let b2 = b.clone();
    let waiter = ex.spawn(move || b2.wait());
    ex.block_on(|| {
        yield_now();
        b.abort();
        assert!(waiter.join().unwrap().unwrap_err().is_broken());
        assert!(b.is_broken());
        assert!(b.wait().unwrap_err().is_broken());
        b.reset();
        assert!(!b.is_broken());
    });
    // Mended: a full round passes again.
    let out: Log<String> = log();
    let hs = spawn_waiters(&ex, &b, 3, &out);
    ex.block_on(|| assert_eq!(join_all(hs).into_iter().filter(|r| r.is_ok()).count(), 3));
}

#[test]
fn reset_fails_the_current_waiters_and_starts_a_new_round() {
    let ex = Executor::new();
    let b = Rc::new(Barrier::new(2));
    let b2 = b.clone();
    let waiter = ex.spawn(move || b2.wait());
    ex.block_on(|| {
        yield_now();
        b.reset();
        let err = waiter.join().unwrap().unwrap_err();
        assert!(err.is_broken());
        assert_eq!(err.to_string(), "barrier broken (aborted or reset)");
        assert!(!b.is_broken());
        assert_eq!(b.n_waiting(), 0);
    });
}

#[test]
fn one_party_passes_at_once_and_zero_parties_is_refused() {
    let ex = Executor::new();
    let b = Barrier::new(1);
    let r = ex.block_on(|| b.wait().unwrap());
    assert_eq!((r.index(), r.is_leader()), (0, true));
    assert!(panic_message(|| Barrier::new(0)).contains("at least one party"));
}

#[test]
fn future_and_stackful_tasks_share_a_round() {
    let ex = Executor::new();
    let b = Rc::new(Barrier::new(3));
    let (b1, b2) = (b.clone(), b.clone());
    let f = ex.spawn_future(async move { b1.wait_async().await.unwrap() });
    let s = ex.spawn(move || b2.wait().unwrap());
    let me = ex.block_on(|| {
        yield_now();
        b.wait().unwrap()
    });
    assert!(me.is_leader());
    ex.block_on(|| {
        assert!(!f.join().unwrap().is_leader());
        assert!(!s.join().unwrap().is_leader());
    });
}

#[test]
fn a_dropped_wait_future_leaves_its_round() {
    let b = Barrier::new(2);
    let waker = futures::task::noop_waker();
    let mut cx = Context::from_waker(&waker);
    {
        let mut fut = Box::pin(b.wait_async());
        assert!(fut.as_mut().poll(&mut cx).is_pending());
        assert_eq!(b.n_waiting(), 1);
    }
    assert_eq!(b.n_waiting(), 0);
    // A future that was released and then dropped unread owes nothing.
    let mut fut = Box::pin(b.wait_async());
    assert!(fut.as_mut().poll(&mut cx).is_pending());
    let mut leader = Box::pin(b.wait_async());
    match leader.as_mut().poll(&mut cx) {
        Poll::Ready(r) => assert!(r.unwrap().is_leader()),
        Poll::Pending => panic!("the second arrival passes the round"),
    }
    drop(fut);
    assert_eq!(b.n_waiting(), 0);
}

#[test]
fn an_unwinding_task_does_not_wait_and_does_not_count() {
    let ex = Executor::new();
    let out: Log<String> = log();
    let b = Rc::new(Barrier::new(2));
    let (b2, o) = (b.clone(), out.clone());
    in_cancelled_cleanup(&ex, move || {
        let err = b2.wait().unwrap_err();
        push(&o, format!("{} {err}", err.is_broken()));
    });
    assert_eq!(
        *out.borrow(),
        ["false cannot wait at a barrier while the task is unwinding"]
    );
    assert_eq!(b.n_waiting(), 0);
}

#[test]
fn an_unwinding_task_whose_arrival_completes_the_round_passes_it() {
    let ex = Executor::new();
    let b = Rc::new(Barrier::new(2));
    let (b1, b2) = (b.clone(), b.clone());
    let waiter = ex.spawn(move || b1.wait().unwrap().index());
    let led = Rc::new(std::cell::Cell::new(false));
    let l = led.clone();
    in_cancelled_cleanup(&ex, move || l.set(b2.wait().unwrap().is_leader()));
    assert!(led.get());
    ex.block_on(|| assert_eq!(waiter.join().unwrap(), 0));
}

#[test]
fn a_round_that_can_never_fill_is_reported_as_a_deadlock() {
    let ex = Executor::new();
    let b = Rc::new(Barrier::new(3));
    let b2 = b.clone();
    let _lonely = ex.spawn(move || b2.wait());
    let text = panic_message(|| ex.block_on(|| b.wait()));
    assert!(text.contains("deadlock"), "{text}");
    assert!(text.contains("blocked on Barrier::wait"), "{text}");
}

#[test]
fn waiting_outside_a_task_panics_naming_the_function() {
    let b = Barrier::new(2);
    assert!(panic_message(|| b.wait()).contains("corun::sync::Barrier::wait called outside"));
    // The failed wait left nothing behind.
    assert_eq!(b.n_waiting(), 0);
    assert_eq!(
        format!("{b:?}"),
        "Barrier { parties: 2, waiting: 0, broken: false }"
    );
}

#[test]
fn wait_timeout_leaves_the_round_and_does_not_break_it() {
    let ex = Executor::new();
    let b = Rc::new(Barrier::new(2));
    ex.block_on(|| {
        let e = b.wait_timeout(Duration::from_millis(2)).unwrap_err();
        assert!(e.is_timed_out() && !e.is_broken(), "{e}");
        assert_eq!(b.n_waiting(), 0);
        assert!(!b.is_broken());
        let b2 = b.clone();
        let other = corun::spawn(move || b2.wait_timeout(Duration::from_secs(60)).unwrap().index());
        yield_now(); // the other task arrives first
        let me = b.wait_timeout(Duration::from_secs(60)).unwrap();
        assert_eq!((me.index(), me.is_leader()), (1, true));
        assert_eq!(other.join().unwrap(), 0);
    });
}
