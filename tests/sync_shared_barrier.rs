//! `sync::shared::Barrier`: rounds across runtime workers and plain
//! threads, one leader and the indices `0..parties` a round; a waiter that
//! leaves no longer counts; abort and reset; unwinding; the future form.

use corun::sync::shared::Barrier;
use corun::{yield_now, Executor};
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Waker};

mod common;
use common::{in_cancelled_cleanup, log, push, runtime, Log};

#[test]
fn rounds_pass_across_workers_and_threads_with_indices_and_one_leader() {
    let rt = runtime(2);
    const ROUNDS: usize = 5;
    let barrier = Arc::new(Barrier::new(3));
    let run = {
        let barrier = barrier.clone();
        move || {
            (0..ROUNDS)
                .map(|_| barrier.wait().unwrap())
                .map(|r| (r.index(), r.is_leader()))
                .collect::<Vec<_>>()
        }
    };
    let tasks: Vec<_> = (0..2).map(|w| rt.spawn_on(w, run.clone())).collect();
    let thread = std::thread::spawn(run);
    let mut all: Vec<Vec<(usize, bool)>> = tasks.into_iter().map(|t| t.join().unwrap()).collect();
    all.push(thread.join().unwrap());
    for round in 0..ROUNDS {
        let mut of_round: Vec<(usize, bool)> = all.iter().map(|each| each[round]).collect();
        of_round.sort();
        assert_eq!(
            of_round,
            [(0, false), (1, false), (2, true)],
            "round {round}"
        );
    }
}

#[test]
fn a_waiter_that_leaves_no_longer_counts() {
    let barrier = Barrier::new(2);
    let mut cx = Context::from_waker(Waker::noop());
    {
        let mut fut = pin!(barrier.wait_async());
        assert!(fut.as_mut().poll(&mut cx).is_pending());
        assert_eq!(barrier.n_waiting(), 1);
    }
    assert_eq!(barrier.n_waiting(), 0);
    // The round still needs two: a first arrival waits.
    let mut fut = pin!(barrier.wait_async());
    assert!(fut.as_mut().poll(&mut cx).is_pending());
    let second = barrier.wait().unwrap(); // passes the round: it never waits
    assert!(second.is_leader());
    match fut.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(r) => assert_eq!(r.unwrap().index(), 0),
        std::task::Poll::Pending => panic!("the round passed"),
    }
}

#[test]
fn abort_fails_waiters_and_later_waits_until_reset() {
    let barrier = Arc::new(Barrier::new(2));
    let b = barrier.clone();
    let waiter = std::thread::spawn(move || b.wait());
    while barrier.n_waiting() == 0 {
        std::thread::yield_now();
    }
    barrier.abort();
    assert!(waiter.join().unwrap().unwrap_err().is_broken());
    assert!(barrier.is_broken());
    assert!(barrier.wait().unwrap_err().is_broken());
    barrier.reset();
    assert!(!barrier.is_broken());
    let b = barrier.clone();
    let waiter = std::thread::spawn(move || b.wait().map(|r| r.is_leader()));
    assert!(barrier.wait().is_ok());
    assert!(waiter.join().unwrap().is_ok());
}

#[test]
fn a_future_task_waits_and_an_unwinding_task_fails_and_leaves() {
    let ex = Executor::new();
    let barrier = Arc::new(Barrier::new(2));
    let b = barrier.clone();
    let h = ex.spawn_future(async move { b.wait_async().await.unwrap().index() });
    ex.block_on(|| {
        yield_now();
        assert_eq!(barrier.n_waiting(), 1);
        assert!(barrier.wait().unwrap().is_leader());
        assert_eq!(h.join().unwrap(), 0);
    });
    let out: Log<String> = log();
    let (b, o) = (barrier.clone(), out.clone());
    in_cancelled_cleanup(&ex, move || {
        let err = b.wait().unwrap_err();
        push(&o, format!("{} {err}", err.is_broken()));
    });
    assert_eq!(
        *out.borrow(),
        ["false cannot wait at a barrier while the task is unwinding"]
    );
    assert_eq!(barrier.n_waiting(), 0);
}

#[test]
fn a_timed_out_waiter_leaves_its_round_which_still_passes() {
    use std::time::Duration;
    let barrier = Arc::new(Barrier::new(2));
    // Alone at the barrier: the wait runs out and leaves the round.
    let e = barrier.wait_timeout(Duration::from_millis(2)).unwrap_err();
    assert!(e.is_timed_out() && !e.is_broken(), "{e}");
    assert_eq!(barrier.n_waiting(), 0);
    assert!(!barrier.is_broken());
    // The same in a runtime task (where it suspends instead of blocking).
    let rt = runtime(1);
    let b = barrier.clone();
    let timed_out = rt
        .spawn(move || {
            b.wait_timeout(Duration::from_millis(2))
                .unwrap_err()
                .is_timed_out()
        })
        .join()
        .unwrap();
    assert!(timed_out);
    assert_eq!(barrier.n_waiting(), 0);
    // A full round within the limit passes, indices 0 and 1, one leader.
    let b = barrier.clone();
    let other = std::thread::spawn(move || b.wait_timeout(Duration::from_secs(60)).unwrap());
    let me = barrier.wait_timeout(Duration::from_secs(60)).unwrap();
    let other = other.join().unwrap();
    let mut indices = [me.index(), other.index()];
    indices.sort();
    assert_eq!(indices, [0, 1]);
    assert!(me.is_leader() != other.is_leader());
}
