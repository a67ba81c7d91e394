//! Locks: `Semaphore` (permits granted in arrival order, a big head blocking
//! small ones, permits handed to cancelled waiters passed on, close, async
//! acquire) and `Mutex` (a guard held across suspension, handed to the oldest
//! waiter, no barging), and their panics outside a task.

use corun::sync::{join_all, Mutex, Semaphore, TryAcquireError};
use corun::{sleep, yield_now, Executor, JoinHandle};
use std::future::Future;
use std::pin::pin;
use std::rc::Rc;
use std::task::Context;
use std::time::Duration;

mod common;
use common::{blocked, in_cancelled_cleanup, log, panic_message, push, Log};

// ---- semaphore ----

/// Spawns a task that takes `n` permits, logs `name` and keeps them for good,
/// so the log shows the order in which permits were granted.
fn spawn_acquirer(
    ex: &Executor,
    sem: &Rc<Semaphore>,
    n: usize,
    name: &'static str,
    got: &Log<&'static str>,
) -> JoinHandle<()> {
    let (sem, got) = (sem.clone(), got.clone());
    ex.spawn(move || {
        let permit = sem.acquire_many(n).unwrap();
        got.borrow_mut().push(name);
        permit.forget();
    })
}

#[test]
fn semaphore_serves_in_arrival_order_and_a_big_head_blocks_small_ones() {
    let ex = Executor::new();
    let sem = Rc::new(Semaphore::new(0));
    let got = log();
    let handles = vec![
        spawn_acquirer(&ex, &sem, 1, "a1", &got),
        spawn_acquirer(&ex, &sem, 3, "b3", &got),
        spawn_acquirer(&ex, &sem, 1, "c1", &got),
    ];
    ex.block_on(|| {
        yield_now();
        assert_eq!(blocked(&ex), ["Semaphore::acquire"; 3]);
        sem.add_permits(2);
        yield_now();
        // a1 took one; b3 needs 3 and blocks c1 although one permit is free.
        assert_eq!(*got.borrow(), ["a1"]);
        assert_eq!(sem.available_permits(), 1);
        assert_eq!(sem.try_acquire().unwrap_err(), TryAcquireError::NoPermits);
        sem.add_permits(3);
        join_all(handles);
    });
    assert_eq!(*got.borrow(), ["a1", "b3", "c1"]);
    assert_eq!(sem.available_permits(), 0);
}

#[test]
fn a_cancelled_big_waiter_at_the_head_unblocks_the_ones_behind() {
    let ex = Executor::new();
    let sem = Rc::new(Semaphore::new(1));
    let got = log();
    let big = spawn_acquirer(&ex, &sem, 5, "big", &got);
    let small = spawn_acquirer(&ex, &sem, 1, "small", &got);
    ex.block_on(|| {
        yield_now();
        assert_eq!(*got.borrow(), Vec::<&str>::new());
        big.cancel();
        assert!(big.join().unwrap_err().is_cancelled());
        small.join().unwrap();
    });
    assert_eq!(*got.borrow(), ["small"]);
}

#[test]
fn permits_handed_to_a_cancelled_waiter_go_to_the_next() {
    let ex = Executor::new();
    let sem = Rc::new(Semaphore::new(1));
    let got = log();
    ex.block_on(|| {
        let held = sem.acquire().unwrap();
        let a = spawn_acquirer(&ex, &sem, 1, "a", &got);
        let b = spawn_acquirer(&ex, &sem, 1, "b", &got);
        yield_now();
        drop(held); // handed to a, which is cancelled before it runs
        assert_eq!(sem.available_permits(), 0);
        a.cancel();
        assert!(a.join().unwrap_err().is_cancelled());
        b.join().unwrap();
    });
    assert_eq!(*got.borrow(), ["b"]);
}

#[test]
fn closing_the_semaphore_fails_waiters_and_later_acquires() {
    let ex = Executor::new();
    let sem = Rc::new(Semaphore::new(0));
    let s = sem.clone();
    let waiter = ex.spawn(move || s.acquire().map(|p| p.num_permits()));
    ex.block_on(|| {
        yield_now();
        sem.close();
        let err = waiter.join().unwrap().unwrap_err();
        assert!(err.is_closed());
        assert_eq!(err.to_string(), "semaphore closed");
        assert!(sem.acquire().unwrap_err().is_closed());
    });
    assert_eq!(sem.try_acquire().unwrap_err(), TryAcquireError::Closed);
}

#[test]
fn permits_go_back_on_drop_and_forget_keeps_them() {
    let sem = Semaphore::new(3);
    let p = sem.try_acquire_many(2).unwrap();
    assert_eq!(sem.available_permits(), 1);
    drop(p);
    assert_eq!(sem.available_permits(), 3);
    sem.try_acquire().unwrap().forget();
    assert_eq!(sem.available_permits(), 2);
}

#[test]
fn semaphore_acquire_async_from_a_future_task() {
    let ex = Executor::new();
    let sem = Rc::new(Semaphore::new(0));
    let s = sem.clone();
    let h = ex.spawn_future(async move { s.acquire_many_async(2).await.unwrap().num_permits() });
    ex.block_on(|| {
        yield_now();
        sem.add_permits(1);
        yield_now();
        assert!(!h.is_finished());
        sem.add_permits(1);
        assert_eq!(h.join().unwrap(), 2);
    });
    assert_eq!(sem.available_permits(), 2);
}

#[test]
fn a_dropped_acquire_future_returns_the_permits_handed_to_it() {
    let sem = Semaphore::new(0);
    let waker = futures::task::noop_waker();
    let mut cx = Context::from_waker(&waker);
    {
        let mut fut = pin!(sem.acquire_many_async(2));
        assert!(fut.as_mut().poll(&mut cx).is_pending());
        sem.add_permits(2); // handed to the future
        assert_eq!(sem.available_permits(), 0);
    }
    assert_eq!(sem.available_permits(), 2);
}

#[test]
fn acquire_while_unwinding_fails_without_suspending() {
    let ex = Executor::new();
    let out: Log<String> = log();
    let sem = Rc::new(Semaphore::new(0));
    let (s, o) = (sem.clone(), out.clone());
    in_cancelled_cleanup(&ex, move || {
        let err = s.acquire().unwrap_err();
        push(&o, format!("{} {err}", err.is_closed()));
    });
    assert_eq!(
        *out.borrow(),
        ["false cannot wait for a permit while the task is unwinding"]
    );
}

#[test]
fn acquire_outside_a_task_panics_naming_the_function() {
    let sem = Semaphore::new(0);
    assert!(panic_message(|| sem.acquire().map(|_| ()))
        .contains("corun::sync::Semaphore::acquire called outside"));
    // The failed wait left nothing queued.
    sem.add_permits(1);
    assert!(sem.try_acquire().is_ok());
}

// ---- mutex ----

#[test]
fn mutex_guard_is_held_across_suspension_and_handed_over_in_order() {
    let ex = Executor::new();
    let m = Rc::new(Mutex::new(Vec::new()));
    let handles: Vec<_> = (0..3)
        .map(|i| {
            let m = m.clone();
            ex.spawn(move || {
                let mut g = m.lock();
                g.push(i);
                sleep(Duration::from_millis(1));
                g.push(i);
            })
        })
        .collect();
    ex.block_on(|| join_all(handles));
    assert_eq!(*m.try_lock().unwrap(), [0, 0, 1, 1, 2, 2]);
}

#[test]
fn unlock_hands_the_lock_to_the_oldest_waiter_no_barging() {
    let ex = Executor::new();
    let m = Rc::new(Mutex::new(0));
    let got = log();
    ex.block_on(|| {
        let guard = m.lock();
        let waiter = {
            let (m, got) = (m.clone(), got.clone());
            ex.spawn(move || {
                *m.lock() += 1;
                got.borrow_mut().push("waiter");
            })
        };
        yield_now();
        assert_eq!(blocked(&ex), ["Mutex::lock"]);
        drop(guard);
        // Handed to the waiter, which has not run yet: no one else gets in.
        assert!(m.is_locked());
        assert!(m.try_lock().is_err());
        waiter.join().unwrap();
        assert_eq!(*m.try_lock().unwrap(), 1);
    });
}

#[test]
fn the_lock_handed_to_a_cancelled_waiter_goes_to_the_next() {
    let ex = Executor::new();
    let m = Rc::new(Mutex::new(Vec::new()));
    ex.block_on(|| {
        let guard = m.lock();
        let spawn_locker = |name: &'static str| {
            let m = m.clone();
            ex.spawn(move || m.lock().push(name))
        };
        let (a, b, c) = (spawn_locker("a"), spawn_locker("b"), spawn_locker("c"));
        yield_now();
        b.cancel(); // leaves the queue while waiting
        drop(guard); // handed to a
        a.cancel(); // ...which is cancelled before it runs
        assert!(a.join().unwrap_err().is_cancelled());
        assert!(b.join().unwrap_err().is_cancelled());
        c.join().unwrap();
    });
    assert!(!m.is_locked());
    assert_eq!(*m.try_lock().unwrap(), ["c"]);
}

#[test]
fn a_cancelled_holder_unlocks() {
    let ex = Executor::new();
    let m = Rc::new(Mutex::new(0));
    let m2 = m.clone();
    let holder = ex.spawn(move || {
        let _g = m2.lock();
        sleep(Duration::from_secs(60));
    });
    ex.block_on(|| {
        yield_now();
        assert!(m.is_locked());
        holder.cancel();
        assert!(holder.join().unwrap_err().is_cancelled());
        *m.lock() += 1;
    });
    assert_eq!(Rc::try_unwrap(m).unwrap().into_inner(), 1);
}

#[test]
fn lock_async_timeout_and_get_mut() {
    let ex = Executor::new();
    let m = Rc::new(Mutex::new(1));
    let m2 = m.clone();
    let h = ex.spawn_future(async move {
        let mut g = m2.lock_async().await;
        *g *= 10;
    });
    ex.block_on(|| {
        let g = m.lock();
        yield_now();
        // A lock that times out leaves the queue.
        let r = corun::timeout(Duration::from_millis(2), || *m.lock());
        assert!(r.is_err());
        drop(g);
        h.join().unwrap();
    });
    let mut m = Rc::try_unwrap(m).unwrap();
    *m.get_mut() += 1;
    assert_eq!(format!("{m:?}"), "Mutex { data: 11 }");
}

#[test]
fn lock_outside_a_task_panics_naming_the_function() {
    let m = Mutex::new(0);
    let _g = m.try_lock().unwrap();
    assert!(panic_message(|| drop(m.lock())).contains("corun::sync::Mutex::lock called outside"));
    assert_eq!(format!("{m:?}"), "Mutex { data: <locked> }");
}
