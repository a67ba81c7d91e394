//! Signals: `oneshot` values, `Notify` (a stored permit, arrival order,
//! notifications passed on or kept), `Event`, and waiting on a group
//! (`WaitGroup`, `join_all`).

use corun::sync::{join_all, oneshot, Event, Notify, RecvError, TryRecvError, WaitGroup};
use corun::{sleep, yield_now, Executor};
use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

mod common;
use common::{blocked, log, Log};

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
fn notify_last_wakes_the_newest_and_passes_on_to_the_newest() {
    let ex = Executor::new();
    let n = Rc::new(Notify::new());
    let got = log();
    let spawn_waiter = |name: &'static str| {
        let (n, got) = (n.clone(), got.clone());
        ex.spawn(move || {
            n.wait();
            got.borrow_mut().push(name);
        })
    };
    let (a, b, c) = (spawn_waiter("a"), spawn_waiter("b"), spawn_waiter("c"));
    ex.block_on(|| {
        yield_now(); // a, b, c wait in that order
        n.notify_last(); // handed to c
        c.cancel(); // which leaves without using it: the newest left, b, gets it
        assert!(c.join().unwrap_err().is_cancelled());
        b.join().unwrap();
        assert_eq!(*got.borrow(), ["b"]);
        n.notify_last();
        a.join().unwrap();
        // With no one waiting, notify_last stores the permit too.
        n.notify_last();
        n.wait();
    });
    assert_eq!(*got.borrow(), ["b", "a"]);
}

#[test]
fn wait_timeout_says_whether_a_notification_came_and_loses_none() {
    let ex = Executor::new();
    let n = Rc::new(Notify::new());
    ex.block_on(|| {
        assert!(!n.wait_timeout(Duration::from_millis(1)));
        let n2 = n.clone();
        let waiter = corun::spawn(move || n2.wait_timeout(Duration::from_secs(60)));
        yield_now();
        n.notify_one();
        assert!(waiter.join().unwrap());
        // A timed-out waiter left the queue: this notification is stored.
        assert!(!n.wait_timeout(Duration::from_millis(1)));
        n.notify_one();
        assert!(n.wait_timeout(Duration::ZERO));
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
