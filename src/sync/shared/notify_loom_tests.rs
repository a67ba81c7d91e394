//! loom models of the shared `Notify`: the shipped type on loom threads,
//! each waiter blocking its thread on a loom condition variable.

use super::Notify;
use crate::loom::model::bounded;
use loom::thread;
use std::sync::Arc;

// A thread waits while another calls `notify_one`: whichever comes first
// (the permit stored, or the waiter queued), the waiter always returns and
// nothing is left stored. The mutant (the notification handed over, the
// waiter never woken) leaves it asleep.
#[test]
fn loom_notify_one_releases_a_waiter() {
    bounded().check(|| {
        let notify = Arc::new(Notify::new());
        let n = notify.clone();
        let waiter = thread::spawn(move || n.wait());
        notify.notify_one();
        waiter.join().unwrap();
        assert!(format!("{notify:?}").contains("permit: false"));
    });
}

// Two threads wait and the main one notifies them one at a time, each
// time waiting for an answer: both return, however the waits and the
// notifications interleave (a permit stored early is taken by one waiter
// only; one handed to a queued waiter is not stored as well).
#[test]
fn loom_two_notify_ones_release_two_waiters_in_turn() {
    bounded().check(|| {
        let notify = Arc::new(Notify::new());
        let done = Arc::new(Notify::new());
        let waiters: Vec<_> = (0..2)
            .map(|_| {
                let (n, d) = (notify.clone(), done.clone());
                thread::spawn(move || {
                    n.wait();
                    d.notify_one();
                })
            })
            .collect();
        for _ in 0..2 {
            notify.notify_one();
            done.wait();
        }
        for w in waiters {
            w.join().unwrap();
        }
    });
}
