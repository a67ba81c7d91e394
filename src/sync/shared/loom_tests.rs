//! loom models of the shared semaphore: the shipped `Semaphore` on loom
//! threads, each waiter blocking its thread on a loom condition variable.

use super::{watch, Barrier, Event, Semaphore};
use crate::loom::model::bounded;
use crate::loom::{AtomicUsize, Ordering};
use loom::thread;
use std::sync::Arc;

// Two threads take the one permit in turn: never both inside, and the one
// that waits is always woken by the other's release. The mutant (permits
// handed over without a wake) leaves the waiter asleep for good.
#[test]
fn loom_semaphore_permits_are_exclusive_and_never_missed() {
    bounded().check(|| {
        let sem = Arc::new(Semaphore::new(1));
        let inside = Arc::new(AtomicUsize::new(0));
        let other = {
            let (sem, inside) = (sem.clone(), inside.clone());
            thread::spawn(move || {
                let _permit = sem.acquire().unwrap();
                assert_eq!(inside.fetch_add(1, Ordering::SeqCst), 0);
                inside.fetch_sub(1, Ordering::SeqCst);
            })
        };
        {
            let _permit = sem.acquire().unwrap();
            assert_eq!(inside.fetch_add(1, Ordering::SeqCst), 0);
            inside.fetch_sub(1, Ordering::SeqCst);
        }
        other.join().unwrap();
        assert_eq!(sem.available_permits(), 1);
    });
}

// A close while another thread waits wakes it with the error.
#[test]
fn loom_semaphore_close_wakes_a_waiter() {
    bounded().check(|| {
        let sem = Arc::new(Semaphore::new(0));
        let s = sem.clone();
        let waiter = thread::spawn(move || s.acquire().map(|p| p.num_permits()));
        sem.close();
        assert!(waiter.join().unwrap().unwrap_err().is_closed());
    });
}

// A thread waits for the event while another sets it: the waiter always
// returns. The mutant (the flag goes up, nobody is told) leaves it asleep.
#[test]
fn loom_event_set_releases_a_waiter() {
    bounded().check(|| {
        let event = Arc::new(Event::new());
        let e = event.clone();
        let waiter = thread::spawn(move || e.wait());
        event.set();
        waiter.join().unwrap();
        assert!(event.is_set());
    });
}

// Two threads meet at a barrier of two: both pass, exactly one leads. The
// mutant (the last arrival does not wake the others) leaves one asleep.
#[test]
fn loom_barrier_round_passes_with_one_leader() {
    bounded().check(|| {
        let barrier = Arc::new(Barrier::new(2));
        let b = barrier.clone();
        let other = thread::spawn(move || b.wait().unwrap().is_leader());
        let me = barrier.wait().unwrap().is_leader();
        assert!(me ^ other.join().unwrap());
    });
}

// A thread waits for a change while another sends one, then drops the
// sender: the waiter sees the value, then the end. The mutant (the value
// is stored, nobody told) leaves it asleep.
#[test]
fn loom_watch_a_change_and_the_end_are_never_missed() {
    bounded().check(|| {
        let (tx, mut rx) = watch::channel(0u8);
        let waiter = thread::spawn(move || {
            rx.changed().unwrap();
            let seen = *rx.borrow();
            (seen, rx.changed().is_err())
        });
        tx.send(1).unwrap();
        drop(tx);
        assert_eq!(waiter.join().unwrap(), (1, true));
    });
}
