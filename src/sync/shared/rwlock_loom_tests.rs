//! loom models of the shared `RwLock`: the shipped lock on loom threads,
//! each waiter blocking its thread on a loom condition variable.

use super::RwLock;
use crate::loom::model::bounded;
use crate::loom::{AtomicUsize, Ordering};
use loom::thread;
use std::sync::Arc;

/// Two fields a writer sets one after the other, with a scheduling point
/// between them: a reader let in beside the writer could see them differ.
/// Relaxed, so only the lock's own hand-off orders them for the reader.
struct Pair {
    a: AtomicUsize,
    b: AtomicUsize,
}

// One thread writes both fields while another reads them: the reader sees
// the old pair or the new one, never half of each, and whichever waits is
// woken, so both finish. The mutant (a writer that takes one permit, as a
// reader does) lets them in at once, which the lock reports.
#[test]
fn loom_rwlock_a_writer_excludes_a_reader_and_both_finish() {
    bounded().check(|| {
        let lock = Arc::new(RwLock::new(Pair {
            a: AtomicUsize::new(0),
            b: AtomicUsize::new(0),
        }));
        let reader = {
            let lock = lock.clone();
            thread::spawn(move || {
                let pair = lock.read();
                let a = pair.a.load(Ordering::Relaxed);
                let b = pair.b.load(Ordering::Relaxed);
                assert_eq!(a, b, "a reader saw a write half done");
                a
            })
        };
        {
            let pair = lock.write();
            pair.a.store(1, Ordering::Relaxed);
            pair.b.store(1, Ordering::Relaxed);
        }
        let seen = reader.join().unwrap();
        assert!(seen <= 1);
        let pair = lock.try_read().expect("nobody holds it or waits");
        assert_eq!(pair.b.load(Ordering::Relaxed), 1);
    });
}

// A writer downgrades while another thread waits to read: the reader gets
// in beside the downgraded guard and sees the whole write.
#[test]
fn loom_rwlock_downgrade_lets_a_waiting_reader_in() {
    bounded().check(|| {
        let lock = Arc::new(RwLock::new(Pair {
            a: AtomicUsize::new(0),
            b: AtomicUsize::new(0),
        }));
        let w = lock.write();
        w.a.store(1, Ordering::Relaxed);
        let reader = {
            let lock = lock.clone();
            thread::spawn(move || {
                let pair = lock.read();
                (
                    pair.a.load(Ordering::Relaxed),
                    pair.b.load(Ordering::Relaxed),
                )
            })
        };
        w.b.store(1, Ordering::Relaxed);
        let r = w.downgrade();
        // Held until the reader is done: it must get in beside this guard.
        assert_eq!(reader.join().unwrap(), (1, 1));
        drop(r);
        assert!(lock.try_write().is_ok());
    });
}
