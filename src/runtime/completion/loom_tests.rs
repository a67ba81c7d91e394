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
