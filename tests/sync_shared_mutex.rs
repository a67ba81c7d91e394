//! `sync::shared::Mutex`: a guard held across waits while tasks on the
//! same worker keep running; arrival order; no poisoning; `try_lock`; the
//! future form; a plain thread that blocks.

use corun::sync::shared::Mutex;
use corun::{yield_now, Executor};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

mod common;
use common::{log, push, runtime, Log};

#[test]
fn a_guard_held_across_a_wait_blocks_only_the_waiters() {
    let rt = runtime(1);
    let m = Arc::new(Mutex::new(0u32));
    let other_ran = Arc::new(AtomicBool::new(false));
    let (m1, o1) = (m.clone(), other_ran.clone());
    let holder = rt.spawn_on(0, move || {
        let mut g = m1.lock();
        while !o1.load(Ordering::SeqCst) {
            corun::sleep(Duration::from_millis(1)); // holds it across waits
        }
        *g += 1;
    });
    let m2 = m.clone();
    let waiter = rt.spawn_on(0, move || *m2.lock() += 10);
    // A task on the same worker that never locks still runs meanwhile.
    let o2 = other_ran.clone();
    rt.spawn_on(0, move || o2.store(true, Ordering::SeqCst))
        .join()
        .unwrap();
    holder.join().unwrap();
    waiter.join().unwrap();
    let m3 = m.clone();
    let from_thread = std::thread::spawn(move || *m3.lock() += 100);
    from_thread.join().unwrap();
    assert_eq!(*m.lock(), 111);
}

#[test]
fn waiters_get_the_lock_in_arrival_order() {
    let ex = Executor::new();
    let m = Arc::new(Mutex::new(()));
    let out: Log<&str> = log();
    let held = m.try_lock().unwrap();
    let hs: Vec<_> = ["a", "b", "c"]
        .into_iter()
        .map(|name| {
            let (m, out) = (m.clone(), out.clone());
            ex.spawn(move || {
                let _g = m.lock();
                push(&out, name);
                yield_now();
            })
        })
        .collect();
    ex.block_on(|| {
        yield_now();
        assert!(m.try_lock().is_err(), "held, and others wait");
        drop(held);
        corun::sync::join_all(hs);
    });
    assert_eq!(*out.borrow(), ["a", "b", "c"]);
}

#[test]
fn a_panicking_holder_does_not_poison_it() {
    let rt = runtime(1);
    let m = Arc::new(Mutex::new(vec![1]));
    let m1 = m.clone();
    let r = rt
        .spawn(move || {
            let mut g = m1.lock();
            g.push(2);
            panic!("while holding it");
        })
        .join();
    assert!(r.unwrap_err().is_panic());
    assert_eq!(*m.lock(), [1, 2], "the value as the panic left it");
    assert_eq!(format!("{m:?}"), "shared::Mutex { data: [1, 2] }");
}

#[test]
fn a_future_task_locks_with_lock_async() {
    let ex = Executor::new();
    let m = Arc::new(Mutex::new(1));
    let held = m.try_lock().unwrap();
    let m1 = m.clone();
    let h = ex.spawn_future(async move {
        let mut g = m1.lock_async().await;
        *g *= 5;
        *g
    });
    ex.block_on(|| {
        yield_now();
        assert!(!h.is_finished());
        drop(held);
        assert_eq!(h.join().unwrap(), 5);
    });
    let m = Arc::try_unwrap(m).ok().unwrap();
    assert_eq!(m.into_inner(), 5);
}
