use corun::sync::{
    join_all, oneshot, Event, Mutex, Notify, RecvError, Semaphore, TryAcquireError, TryRecvError,
    WaitGroup,
};
use corun::{sleep, yield_now, Executor, JoinHandle};
use std::cell::Cell;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::pin;
use std::rc::Rc;
use std::task::Context;
use std::time::Duration;

mod common;
use common::{blocked, log, payload_text as panic_message, Log};

// ---- oneshot ----

#[test]
fn oneshot_delivers_one_value() {
    let ex = Executor::new();
    let (tx, rx) = oneshot();
    let h = ex.spawn(move || rx.recv());
    ex.block_on(|| {
        yield_now();
        assert_eq!(blocked(&ex), ["OneshotReceiver::recv"]);
        tx.send(5).unwrap();
        assert_eq!(h.join().unwrap(), Ok(5));
    });
}

#[test]
fn oneshot_sender_dropped_unsent_fails_the_receiver() {
    let ex = Executor::new();
    let (tx, rx) = oneshot::<u8>();
    let h = ex.spawn(move || rx.recv());
    ex.block_on(|| {
        yield_now();
        drop(tx);
        assert_eq!(h.join().unwrap(), Err(RecvError));
    });
}

#[test]
fn oneshot_receiver_dropped_hands_the_value_back() {
    let (tx, rx) = oneshot();
    assert!(!tx.is_closed());
    drop(rx);
    assert!(tx.is_closed());
    assert_eq!(tx.send(String::from("back")), Err(String::from("back")));
}

#[test]
fn oneshot_try_recv_and_future() {
    let (tx, mut rx) = oneshot();
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    tx.send(1).unwrap();
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));

    let ex = Executor::new();
    let (tx, rx) = oneshot();
    let h = ex.spawn_future(rx);
    let _sender = ex.spawn(move || {
        sleep(Duration::from_millis(1));
        tx.send("late").unwrap();
    });
    assert_eq!(ex.block_on(|| h.join().unwrap()), Ok("late"));
}

#[test]
fn oneshot_recv_while_unwinding_does_not_suspend() {
    struct Cleanup(Option<corun::sync::OneshotReceiver<u8>>, Log<String>);
    impl Drop for Cleanup {
        fn drop(&mut self) {
            let r = self.0.take().unwrap().recv();
            self.1.borrow_mut().push(format!("{r:?}"));
        }
    }
    let ex = Executor::new();
    let out = log();
    let (tx, rx) = oneshot::<u8>();
    let o = out.clone();
    let h = ex.spawn(move || {
        let _c = Cleanup(Some(rx), o);
        sleep(Duration::from_secs(60));
    });
    ex.block_on(|| {
        yield_now();
        h.cancel();
        assert!(h.join().unwrap_err().is_cancelled());
    });
    assert_eq!(*out.borrow(), ["Err(RecvError)"]);
    // The receiver is gone: the value comes back.
    assert_eq!(tx.send(3), Err(3));
}

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
    struct Cleanup(Rc<Semaphore>, Log<String>);
    impl Drop for Cleanup {
        fn drop(&mut self) {
            let err = self.0.acquire().unwrap_err();
            self.1
                .borrow_mut()
                .push(format!("{} {err}", err.is_closed()));
        }
    }
    let ex = Executor::new();
    let out = log();
    let sem = Rc::new(Semaphore::new(0));
    let (s, o) = (sem.clone(), out.clone());
    let h = ex.spawn(move || {
        let _c = Cleanup(s, o);
        sleep(Duration::from_secs(60));
    });
    ex.block_on(|| {
        yield_now();
        h.cancel();
        assert!(h.join().unwrap_err().is_cancelled());
    });
    assert_eq!(
        *out.borrow(),
        ["false cannot wait for a permit while the task is unwinding"]
    );
}

#[test]
fn acquire_outside_a_task_panics_naming_the_function() {
    let sem = Semaphore::new(0);
    let err = catch_unwind(AssertUnwindSafe(|| sem.acquire().map(|_| ()))).unwrap_err();
    assert!(panic_message(&*err).contains("corun::sync::Semaphore::acquire called outside"));
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
    let err = catch_unwind(AssertUnwindSafe(|| drop(m.lock()))).unwrap_err();
    assert!(panic_message(&*err).contains("corun::sync::Mutex::lock called outside"));
    assert_eq!(format!("{m:?}"), "Mutex { data: <locked> }");
}

// ---- notify and event ----

#[test]
fn notify_one_before_the_wait_is_kept_as_one_permit() {
    let ex = Executor::new();
    let n = Notify::new();
    n.notify_one();
    n.notify_one(); // at most one permit
    ex.block_on(|| {
        n.wait();
        let r = corun::timeout(Duration::from_millis(2), || n.wait());
        assert!(r.is_err());
    });
}

#[test]
fn notify_one_wakes_waiters_in_arrival_order() {
    let ex = Executor::new();
    let n = Rc::new(Notify::new());
    let got = log();
    let handles: Vec<_> = ["a", "b", "c"]
        .into_iter()
        .map(|name| {
            let (n, got) = (n.clone(), got.clone());
            ex.spawn(move || {
                n.wait();
                got.borrow_mut().push(name);
            })
        })
        .collect();
    ex.block_on(|| {
        yield_now();
        n.notify_one();
        yield_now();
        assert_eq!(*got.borrow(), ["a"]);
        n.notify_waiters();
        join_all(handles);
    });
    assert_eq!(*got.borrow(), ["a", "b", "c"]);
}

#[test]
fn an_unused_notification_is_passed_on_or_kept() {
    let ex = Executor::new();
    let n = Rc::new(Notify::new());
    let spawn_waiter = |n: &Rc<Notify>| {
        let n = n.clone();
        ex.spawn(move || n.wait())
    };
    let (a, b) = (spawn_waiter(&n), spawn_waiter(&n));
    ex.block_on(|| {
        yield_now();
        n.notify_one(); // handed to a
        a.cancel(); // which leaves without using it: b gets it
        assert!(a.join().unwrap_err().is_cancelled());
        b.join().unwrap();

        let c = spawn_waiter(&n);
        yield_now();
        n.notify_one(); // handed to c, cancelled with no one behind it
        c.cancel();
        assert!(c.join().unwrap_err().is_cancelled());
        // The notification became the stored permit.
        n.wait();
    });
}

#[test]
fn notify_waiters_stores_nothing_and_a_cancelled_waiter_passes_nothing_on() {
    let ex = Executor::new();
    let n = Rc::new(Notify::new());
    let n2 = n.clone();
    let a = ex.spawn(move || n2.wait());
    ex.block_on(|| {
        yield_now();
        n.notify_waiters();
        a.cancel();
        assert!(a.join().unwrap_err().is_cancelled());
        let r = corun::timeout(Duration::from_millis(2), || n.wait());
        assert!(r.is_err());
    });
}

#[test]
fn notified_async_from_a_future_task() {
    let ex = Executor::new();
    let n = Rc::new(Notify::new());
    let n2 = n.clone();
    let h = ex.spawn_future(async move {
        n2.notified_async().await;
        "woken"
    });
    ex.block_on(|| {
        yield_now();
        assert!(!h.is_finished());
        n.notify_one();
        assert_eq!(h.join().unwrap(), "woken");
    });
}

#[test]
fn event_wakes_every_waiter_even_if_cleared_before_they_run() {
    let ex = Executor::new();
    let e = Rc::new(Event::new());
    let handles: Vec<_> = (0..3)
        .map(|i| {
            let e = e.clone();
            ex.spawn(move || {
                e.wait();
                i
            })
        })
        .collect();
    let e2 = e.clone();
    let future_waiter = ex.spawn_future(async move { e2.wait_async().await });
    ex.block_on(|| {
        yield_now();
        assert!(!e.is_set());
        e.set();
        e.clear();
        let done: Vec<i32> = join_all(handles).into_iter().map(Result::unwrap).collect();
        assert_eq!(done, [0, 1, 2]);
        future_waiter.join().unwrap();
        // Cleared: a new wait waits for the next set.
        assert!(corun::timeout(Duration::from_millis(2), || e.wait()).is_err());
        e.set();
        e.wait();
    });
}

// ---- wait group and join_all ----

#[test]
fn wait_group_waits_for_every_member_even_a_panicking_one() {
    let ex = Executor::new();
    let wg = WaitGroup::new();
    let finished = Rc::new(Cell::new(0));
    let mut handles = Vec::new();
    for i in 0..3u64 {
        let (wg, finished) = (wg.clone(), finished.clone());
        handles.push(ex.spawn(move || {
            let _member = wg;
            sleep(Duration::from_millis(i));
            finished.set(finished.get() + 1);
            if i == 1 {
                panic!("member failed");
            }
        }));
    }
    assert_eq!(wg.members(), 4);
    ex.block_on(|| wg.wait());
    assert_eq!(finished.get(), 3);
    let results = ex.block_on(|| join_all(handles));
    assert!(results[1].as_ref().unwrap_err().is_panic());
}

#[test]
fn wait_group_wait_async_and_several_waiters() {
    let ex = Executor::new();
    let wg = WaitGroup::new();
    let member = wg.clone();
    let other = wg.clone();
    let a = ex.spawn_future(wg.wait_async());
    let b = ex.spawn(move || other.wait());
    ex.block_on(|| {
        yield_now();
        assert!(!a.is_finished() && !b.is_finished());
        drop(member);
        a.join().unwrap();
        b.join().unwrap();
    });
}

#[test]
fn join_all_returns_results_in_order() {
    let ex = Executor::new();
    let handles = vec![
        ex.spawn(|| {
            sleep(Duration::from_millis(3));
            1
        }),
        ex.spawn(|| panic!("second")),
        ex.spawn(|| 3),
    ];
    let cancelled = ex.spawn(|| {
        sleep(Duration::from_secs(60));
        4
    });
    cancelled.cancel();
    let mut all = handles;
    all.push(cancelled);
    let results = ex.block_on(|| join_all(all));
    assert_eq!(*results[0].as_ref().unwrap(), 1);
    assert_eq!(
        results[1].as_ref().unwrap_err().to_string(),
        "task panicked: second"
    );
    assert_eq!(*results[2].as_ref().unwrap(), 3);
    assert!(results[3].as_ref().unwrap_err().is_cancelled());
}
