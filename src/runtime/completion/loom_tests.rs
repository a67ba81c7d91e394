//! loom models of cross-thread join completion: the shipped `Completion`
//! and `JoinHandle::join`, which blocks its thread on a loom condition
//! variable through `wait_here`.

use super::*;
use crate::loom::model::{bounded, LeakOnPanic};
use crate::loom::Arc;
use crate::runtime::JoinHandle;
use crate::sync::wait_here::wait;
use loom::thread;
use std::future::poll_fn;

// A joiner on another thread always gets the outcome. The mutant (joiner
// woken before the outcome is stored) leaves it asleep: loom reports it.
#[test]
fn loom_join_completes_across_threads() {
    bounded().check(|| {
        let shared = LeakOnPanic::new(Arc::new(Completion::<u32>::new()));
        let completion = shared.get();
        let worker = {
            let completion = completion.clone();
            thread::spawn(move || assert!(completion.complete(Ok(5))))
        };
        let handle = JoinHandle::new(completion.clone(), 0);
        assert_eq!(handle.join().unwrap(), 5);
        worker.join().unwrap();
    });
}

// A cancel request always reaches the watcher waiting for it, and an
// outcome stored first makes the request a no-op.
#[test]
fn loom_cancel_request_reaches_the_watcher() {
    bounded().check(|| {
        let shared = LeakOnPanic::new(Arc::new(Completion::<u32>::new()));
        let completion = shared.get();
        assert!(completion.mark_started());
        let canceller = {
            let completion = completion.clone();
            thread::spawn(move || completion.request_cancel())
        };
        wait(
            poll_fn(|cx| {
                if completion.poll_cancel(cx) {
                    Poll::Ready(())
                } else {
                    Poll::Pending
                }
            }),
            "model",
        )
        .unwrap();
        assert!(completion.complete(Err(JoinError::cancelled())));
        assert!(!completion.complete(Ok(1)), "stored exactly once");
        canceller.join().unwrap();
    });
}

// A cancel racing the job's start: either the job starts and the outcome
// stays the task's to store, or it never runs and the handle already
// holds "cancelled". Never both, never neither.
#[test]
fn loom_cancel_before_start_resolves_the_handle_at_once() {
    bounded().check(|| {
        let shared = LeakOnPanic::new(Arc::new(Completion::<u32>::new()));
        let completion = shared.get();
        let canceller = {
            let completion = completion.clone();
            thread::spawn(move || completion.request_cancel())
        };
        if completion.mark_started() {
            canceller.join().unwrap();
            assert!(
                completion.complete(Ok(1)),
                "the started task stores its outcome"
            );
        } else {
            assert!(
                completion.is_finished(),
                "an unstarted cancel resolves at once"
            );
            assert!(!completion.complete(Ok(1)));
            canceller.join().unwrap();
        }
    });
}

// Two waiters of one shared result (an `AsyncResult` waited on from two
// threads) both wake; exactly one of them takes the outcome.
#[test]
fn loom_every_waiter_of_a_shared_result_wakes() {
    bounded().check(|| {
        let shared = LeakOnPanic::new(Arc::new(Completion::<u32>::new()));
        let completion = shared.get();
        let waiters: Vec<_> = (0..2)
            .map(|_| {
                let completion = completion.clone();
                thread::spawn(move || {
                    wait(poll_fn(|cx| completion.poll_finished(cx)), "model").unwrap();
                    completion.take()
                })
            })
            .collect();
        assert!(completion.complete(Ok(5)));
        let taken: Vec<_> = waiters
            .into_iter()
            .filter_map(|w| w.join().unwrap())
            .collect();
        assert_eq!(taken.len(), 1, "the outcome is taken exactly once");
        assert_eq!(taken[0].as_ref().ok(), Some(&5));
    });
}
