//! `sync::shared::Notify`: one stored permit; `notify_one` oldest first,
//! `notify_last` newest first; `notify_waiters` releases the waiters of
//! the moment (futures made before it too) and stores nothing; a waiter
//! that leaves passes its notification on; plain threads and runtime tasks
//! in both directions; the future form; a wait in a future task; and a
//! task that is unwinding never waits.

use corun::sync::shared::Notify;
use corun::{yield_now, Executor};
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Waker};
use std::time::Duration;

mod common;
use common::{blocked, in_cancelled_cleanup, log, push, runtime, Log};

const SHORT: Duration = Duration::from_millis(2);

fn noop() -> Context<'static> {
    Context::from_waker(Waker::noop())
}

#[test]
fn notify_and_its_future_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Notify>();
    send_sync::<corun::sync::shared::Notified<'static>>();
}

#[test]
fn a_notify_with_no_waiter_stores_one_permit_the_next_wait_takes() {
    let n = Notify::default();
    assert!(format!("{n:?}").contains("permit: false"));
    n.notify_one();
    n.notify_one(); // stored already: nothing more
    n.notify_last();
    assert!(format!("{n:?}").contains("permit: true"));
    assert!(n.wait_timeout(SHORT), "the stored permit");
    assert!(format!("{n:?}").contains("permit: false"));
    assert!(!n.wait_timeout(SHORT), "at most one permit was stored");
    // The future form takes it too, at its first poll.
    n.notify_one();
    assert!(pin!(n.notified_async()).poll(&mut noop()).is_ready());
    assert!(!n.wait_timeout(SHORT));
}

#[test]
fn notify_one_wakes_the_oldest_and_notify_last_the_newest() {
    let n = Notify::new();
    let mut cx = noop();
    let mut a = pin!(n.notified());
    let mut b = pin!(n.notified());
    let mut c = pin!(n.notified());
    for f in [a.as_mut(), b.as_mut(), c.as_mut()] {
        assert!(f.poll(&mut cx).is_pending());
    }
    assert!(format!("{n:?}").contains("waiting: 3"));
    n.notify_one();
    assert!(a.as_mut().poll(&mut cx).is_ready());
    assert!(b.as_mut().poll(&mut cx).is_pending());
    assert!(c.as_mut().poll(&mut cx).is_pending());
    n.notify_last();
    assert!(c.as_mut().poll(&mut cx).is_ready());
    assert!(b.as_mut().poll(&mut cx).is_pending());
    n.notify_one();
    assert!(b.as_mut().poll(&mut cx).is_ready());
    // Each was handed over, none stored.
    assert!(format!("{n:?}").contains("permit: false, waiting: 0"));
}

#[test]
fn stackful_tasks_are_woken_in_the_order_they_began_to_wait() {
    let ex = Executor::new();
    let n = Arc::new(Notify::new());
    let woken: Log<&str> = log();
    let hs: Vec<_> = ["first", "second", "third"]
        .into_iter()
        .map(|name| {
            let (n, woken) = (n.clone(), woken.clone());
            ex.spawn(move || {
                n.wait();
                push(&woken, name);
            })
        })
        .collect();
    ex.block_on(|| {
        while blocked(&ex).len() < 3 {
            yield_now();
        }
        assert_eq!(blocked(&ex), ["shared::Notify::wait"; 3]);
        for (notify, expect) in [
            (Notify::notify_last as fn(&Notify), "third"),
            (Notify::notify_one, "first"),
            (Notify::notify_one, "second"),
        ] {
            let before = woken.borrow().len();
            notify(&n);
            while woken.borrow().len() == before {
                yield_now();
            }
            assert_eq!(woken.borrow().last(), Some(&expect));
        }
        corun::sync::join_all(hs);
    });
    assert_eq!(*woken.borrow(), ["third", "first", "second"]);
}

#[test]
fn notify_waiters_releases_the_waiters_of_the_moment_and_stores_nothing() {
    let n = Notify::new();
    let mut cx = noop();
    let mut polled = pin!(n.notified());
    assert!(polled.as_mut().poll(&mut cx).is_pending());
    let mut enabled = pin!(n.notified());
    assert!(!enabled.enable());
    // Made before the call, never polled: released too (tokio's rule).
    let mut made = pin!(n.notified());
    n.notify_waiters();
    let mut later = pin!(n.notified());
    assert!(polled.as_mut().poll(&mut cx).is_ready());
    assert!(enabled.as_mut().poll(&mut cx).is_ready());
    assert!(made.as_mut().poll(&mut cx).is_ready());
    assert!(
        later.as_mut().poll(&mut cx).is_pending(),
        "made after the call"
    );
    assert!(format!("{n:?}").contains("permit: false, waiting: 1"));
    assert!(!n.wait_timeout(SHORT), "nothing was stored");
}

#[test]
fn notify_waiters_releases_every_worker_and_thread_that_waits() {
    let rt = runtime(2);
    let n = Arc::new(Notify::new());
    let tasks: Vec<_> = (0..4)
        .map(|i| {
            let n = n.clone();
            rt.spawn_on(i % 2, move || n.wait())
        })
        .collect();
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let n = n.clone();
            std::thread::spawn(move || n.wait())
        })
        .collect();
    while !format!("{n:?}").contains("waiting: 6") {
        std::thread::yield_now(); // until all six wait
    }
    n.notify_waiters();
    for t in tasks {
        t.join().unwrap();
    }
    for t in threads {
        t.join().unwrap();
    }
    assert!(format!("{n:?}").contains("permit: false, waiting: 0"));
}

#[test]
fn a_dropped_waiter_passes_its_notification_on() {
    let n = Notify::new();
    let mut cx = noop();
    // notify_one's goes to the next oldest.
    {
        let mut b = pin!(n.notified());
        {
            let mut a = pin!(n.notified());
            assert!(a.as_mut().poll(&mut cx).is_pending());
            assert!(b.as_mut().poll(&mut cx).is_pending());
            n.notify_one(); // handed to `a`, which never polls again
        }
        assert!(b.as_mut().poll(&mut cx).is_ready());
    }
    // notify_last's to the next newest.
    {
        let mut a = pin!(n.notified());
        let mut b = pin!(n.notified());
        for f in [a.as_mut(), b.as_mut()] {
            assert!(f.poll(&mut cx).is_pending());
        }
        {
            let mut c = pin!(n.notified());
            assert!(c.as_mut().poll(&mut cx).is_pending());
            n.notify_last();
        }
        assert!(b.as_mut().poll(&mut cx).is_ready());
        assert!(a.as_mut().poll(&mut cx).is_pending());
    }
    // With no one left, back as the stored permit.
    {
        let mut a = pin!(n.notified());
        assert!(!a.enable());
        n.notify_one();
        assert!(format!("{n:?}").contains("permit: false"));
    }
    assert!(format!("{n:?}").contains("permit: true, waiting: 0"));
    assert!(n.wait_timeout(SHORT));
    // What notify_waiters gave is not passed on: it was for those waiting.
    {
        let mut a = pin!(n.notified());
        assert!(a.as_mut().poll(&mut cx).is_pending());
        n.notify_waiters();
    }
    assert!(format!("{n:?}").contains("permit: false, waiting: 0"));
}

#[test]
fn a_cancelled_task_passes_its_notification_to_the_next_waiter() {
    let ex = Executor::new();
    let n = Arc::new(Notify::new());
    let (n1, n2) = (n.clone(), n.clone());
    let first = ex.spawn(move || n1.wait());
    let second = ex.spawn(move || n2.wait());
    ex.block_on(|| {
        while blocked(&ex).len() < 2 {
            yield_now();
        }
        n.notify_one(); // handed to `first`, which has not run since
        first.cancel();
        assert!(first.join().unwrap_err().is_cancelled());
        // Bounded: were the notification lost, `second` would wait for ever.
        for _ in 0..10_000 {
            if second.is_finished() {
                break;
            }
            yield_now();
        }
        assert!(second.is_finished(), "the notification went on");
        second.join().unwrap();
    });
    assert!(format!("{n:?}").contains("permit: false, waiting: 0"));
}

#[test]
fn a_timed_out_wait_leaves_the_queue_and_a_later_notify_is_stored() {
    let rt = runtime(1);
    let n = Arc::new(Notify::new());
    let n2 = n.clone();
    let timed_out = rt.spawn(move || n2.wait_timeout(SHORT)).join().unwrap();
    assert!(!timed_out);
    assert!(!n.wait_timeout(SHORT), "from a plain thread too");
    assert!(format!("{n:?}").contains("permit: false, waiting: 0"));
    n.notify_one();
    let n2 = n.clone();
    assert!(rt.spawn(move || n2.wait_timeout(SHORT)).join().unwrap());
}

#[test]
fn plain_threads_and_runtime_tasks_notify_each_other() {
    let rt = runtime(2);
    let (to_task, to_thread) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
    let rounds = 50;
    let task = {
        let (to_task, to_thread) = (to_task.clone(), to_thread.clone());
        rt.spawn_on(1, move || {
            for _ in 0..rounds {
                to_task.wait();
                to_thread.notify_one();
            }
            "task done"
        })
    };
    let thread = {
        let (to_task, to_thread) = (to_task.clone(), to_thread.clone());
        std::thread::spawn(move || {
            for _ in 0..rounds {
                to_task.notify_one();
                to_thread.wait();
            }
            "thread done"
        })
    };
    assert_eq!(task.join().unwrap(), "task done");
    assert_eq!(thread.join().unwrap(), "thread done");
    for n in [&to_task, &to_thread] {
        assert!(format!("{n:?}").contains("permit: false, waiting: 0"));
    }
}

#[test]
fn async_code_awaits_notified_async() {
    let n = Arc::new(Notify::new());
    let ex = Executor::new();
    let n2 = n.clone();
    let h = ex.spawn_future(async move {
        n2.notified_async().await;
        "notified"
    });
    ex.block_on(|| {
        yield_now();
        assert!(!h.is_finished());
        assert!(format!("{n:?}").contains("waiting: 1"));
        n.notify_one();
        assert_eq!(h.join().unwrap(), "notified");
    });
    // A futures executor on a plain thread, notified from another thread.
    let n2 = n.clone();
    let t = std::thread::spawn(move || {
        while format!("{n2:?}").contains("waiting: 0") {
            std::thread::yield_now(); // until the future waits
        }
        n2.notify_waiters();
    });
    futures::executor::block_on(n.notified());
    t.join().unwrap();
}

#[test]
fn a_blocking_wait_in_a_future_task_panics_saying_what_to_use() {
    let ex = Executor::new();
    let n = Arc::new(Notify::new());
    let n2 = n.clone();
    let h = ex.spawn_future(async move { n2.wait() });
    let err = ex.block_on(|| h.join()).unwrap_err();
    assert!(err.is_panic(), "{err}");
    let text = err.to_string();
    assert!(text.contains("shared::Notify::wait"), "{text}");
    assert!(text.contains("future task"), "{text}");
    assert!(text.contains("notified().await"), "{text}");
    assert!(format!("{n:?}").contains("waiting: 0"), "it left the queue");
    // The timed form's refusal names the timed async form.
    let n3 = n.clone();
    let h = ex.spawn_future(async move { n3.wait_timeout(std::time::Duration::from_secs(1)) });
    let text = ex.block_on(|| h.join()).unwrap_err().to_string();
    assert!(text.contains("shared::Notify::wait_timeout"), "{text}");
    assert!(
        text.contains("timeout_future(limit, notify.notified())"),
        "{text}"
    );
    // With the permit stored it need not wait, so it does not panic.
    n.notify_one();
    let n2 = n.clone();
    let h = ex.spawn_future(async move { n2.wait() });
    ex.block_on(|| h.join()).unwrap();
}

#[test]
fn an_unwinding_task_does_not_wait() {
    let ex = Executor::new();
    let n = Arc::new(Notify::new());
    let out: Log<String> = log();
    let (n2, o) = (n.clone(), out.clone());
    in_cancelled_cleanup(&ex, move || {
        n2.wait();
        push(&o, format!("returned: {n2:?}"));
    });
    assert_eq!(
        *out.borrow(),
        ["returned: shared::Notify { permit: false, waiting: 0 }"]
    );
}
