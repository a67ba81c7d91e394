//! `sync::Condvar`: a wait unlocks its mutex and locks it again; one
//! notification wakes the oldest waiter, and is passed on if that waiter
//! leaves; none is kept without a waiter; timeouts, `wait_while`, the
//! future form, unwinding and misuse.

use corun::sync::{join_all, Condvar, Mutex};
use corun::{yield_now, Executor, JoinHandle};
use std::future::Future;
use std::pin::pin;
use std::rc::Rc;
use std::task::{Context, Waker};
use std::time::Duration;

mod common;
use common::{blocked, in_cancelled_cleanup, log, panic_message, push, Log, LONG};

type Shared = Rc<(Mutex<u32>, Condvar)>;

fn shared() -> Shared {
    Rc::new((Mutex::new(0), Condvar::new()))
}

/// A task that waits once on the condvar, then logs its name.
fn waiter(
    ex: &Executor,
    s: &Shared,
    name: &'static str,
    out: &Log<&'static str>,
) -> JoinHandle<()> {
    let (s, out) = (s.clone(), out.clone());
    ex.spawn(move || {
        let (m, cv) = &*s;
        let guard = cv.wait(m.lock());
        push(&out, name);
        drop(guard);
    })
}

#[test]
fn notify_one_wakes_the_oldest_and_notify_all_the_rest() {
    let ex = Executor::new();
    let s = shared();
    let out = log();
    let hs: Vec<_> = ["a", "b", "c"].map(|n| waiter(&ex, &s, n, &out)).into();
    ex.block_on(|| {
        yield_now();
        assert_eq!(blocked(&ex), ["Condvar::wait"; 3]);
        assert_eq!(s.1.waiting(), 3);
        s.1.notify_one();
        yield_now();
        assert_eq!(*out.borrow(), ["a"]);
        assert_eq!(blocked(&ex), ["Condvar::wait"; 2]);
        s.1.notify_all();
        join_all(hs);
    });
    assert_eq!(*out.borrow(), ["a", "b", "c"]);
}

#[test]
fn a_notification_without_a_waiter_is_not_kept() {
    let ex = Executor::new();
    let s = shared();
    let out = log();
    s.1.notify_one();
    s.1.notify_all();
    let h = waiter(&ex, &s, "w", &out);
    ex.block_on(|| {
        yield_now();
        assert_eq!(blocked(&ex), ["Condvar::wait"]);
        s.1.notify_one();
        h.join().unwrap();
    });
    assert_eq!(*out.borrow(), ["w"]);
}

#[test]
fn a_notification_handed_to_a_waiter_that_leaves_goes_to_the_next() {
    let ex = Executor::new();
    let s = shared();
    let out = log();
    let first = waiter(&ex, &s, "first", &out);
    let second = waiter(&ex, &s, "second", &out);
    ex.block_on(|| {
        yield_now();
        s.1.notify_one(); // handed to `first`, which has not run yet
        first.cancel();
        assert!(first.join().unwrap_err().is_cancelled());
        second.join().unwrap();
    });
    assert_eq!(*out.borrow(), ["second"]);
}

#[test]
fn a_wait_unlocks_while_it_waits_and_returns_locked() {
    let ex = Executor::new();
    let s = shared();
    let s2 = s.clone();
    let h = ex.spawn(move || {
        let (m, cv) = &*s2;
        let guard = cv.wait_while(m.lock(), |n| *n < 3);
        assert!(m.is_locked(), "the guard it returns holds the lock");
        *guard
    });
    ex.block_on(|| {
        for _ in 0..3 {
            yield_now();
            *s.0.try_lock().expect("unlocked while it waits") += 1;
            s.1.notify_one();
        }
        assert_eq!(h.join().unwrap(), 3);
        // Already false: returns at once, never unlocking.
        let guard = s.1.wait_while(s.0.lock(), |n| *n < 3);
        assert_eq!(*guard, 3);
    });
}

#[test]
fn wait_timeout_says_whether_the_time_ran_out() {
    let ex = Executor::new();
    let s = shared();
    let s2 = s.clone();
    let notified = ex.spawn(move || s2.1.wait_timeout(s2.0.lock(), LONG).1);
    ex.block_on(|| {
        let (guard, timed_out) = s.1.wait_timeout(s.0.lock(), Duration::from_millis(2));
        assert!(timed_out);
        assert!(s.0.is_locked());
        drop(guard);
        assert_eq!(s.1.waiting(), 1, "only the other task waits now");
        s.1.notify_one();
        assert!(!notified.join().unwrap());
    });
}

#[test]
fn wait_async_from_a_future_task_and_a_dropped_wait_passes_its_notification_on() {
    let ex = Executor::new();
    let s = shared();
    let out = log();
    let s2 = s.clone();
    let h = ex.spawn_future(async move {
        let (m, cv) = &*s2;
        let guard = cv.wait_async(m.lock_async().await).await;
        *guard
    });
    ex.block_on(|| {
        yield_now();
        assert!(
            !s.0.is_locked(),
            "the future unlocked when it began to wait"
        );
        *s.0.lock() = 9;
        s.1.notify_all();
        assert_eq!(h.join().unwrap(), 9);
    });
    let w = waiter(&ex, &s, "stackful", &out);
    ex.block_on(|| {
        yield_now();
        let mut cx = Context::from_waker(Waker::noop());
        {
            // Queued behind the stackful waiter; both are notified, then
            // this one is dropped with its notification unused.
            let mut fut = pin!(s.1.wait_async(s.0.lock()));
            assert!(fut.as_mut().poll(&mut cx).is_pending());
            assert_eq!(s.1.waiting(), 2);
        }
        assert_eq!(s.1.waiting(), 1);
        s.1.notify_one();
        w.join().unwrap();
    });
    assert_eq!(*out.borrow(), ["stackful"]);
}

#[test]
fn an_unwinding_task_gets_its_guard_back_at_once() {
    let ex = Executor::new();
    let s = shared();
    let out: Log<String> = log();
    let (s2, o) = (s.clone(), out.clone());
    in_cancelled_cleanup(&ex, move || {
        let (m, cv) = &*s2;
        let guard = cv.wait(m.try_lock().unwrap());
        push(&o, format!("back, locked: {}", m.is_locked()));
        let guard = cv.wait_while(guard, |_| true); // cannot loop for ever
        drop(guard);
    });
    assert_eq!(*out.borrow(), ["back, locked: true"]);
    assert_eq!(s.1.waiting(), 0);
}

#[test]
fn waiting_outside_a_task_panics_naming_the_method() {
    let s = shared();
    let msg = panic_message(|| drop(s.1.wait(s.0.try_lock().unwrap())));
    assert!(msg.contains("corun::sync::Condvar::wait"), "{msg}");
    assert!(!s.0.is_locked(), "the guard went with the panic");
}
