//! `sync::shared::watch`: the latest value for every worker and thread; a
//! change wakes every waiter; the end after the last sender, with an
//! unseen value first; values handed back without receivers; the future
//! form, dropped waits and unwinding.

use corun::sync::shared::watch;
use corun::{yield_now, Executor};
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Waker};

mod common;
use common::{in_cancelled_cleanup, log, push, runtime, Log};

#[test]
fn every_worker_and_thread_follows_the_latest_value() {
    let rt = runtime(2);
    let (tx, rx) = watch::channel(0u32);
    let follow = |mut rx: watch::Receiver<u32>| {
        move || {
            let mut last = 0;
            while rx.changed().is_ok() {
                let v = *rx.borrow_and_update();
                assert!(v > last, "values only move forward: {v} after {last}");
                last = v;
            }
            last
        }
    };
    let tasks: Vec<_> = (0..2).map(|w| rt.spawn_on(w, follow(rx.clone()))).collect();
    let thread = std::thread::spawn(follow(rx.clone()));
    drop(rx);
    for v in 1..=100 {
        tx.send(v).unwrap();
    }
    drop(tx); // the end: each follower's loop stops after the last value
    for t in tasks {
        assert_eq!(t.join().unwrap(), 100);
    }
    assert_eq!(thread.join().unwrap(), 100);
}

#[test]
fn sends_without_receivers_and_what_each_receiver_has_seen() {
    let (tx, mut rx) = watch::channel("a");
    assert_eq!(rx.has_changed(), Ok(false));
    tx.send("b").unwrap();
    let mut clone = rx.clone(); // has seen what rx has: not "b"
    let fresh = tx.subscribe(); // has seen "b"
    assert_eq!(
        (rx.has_changed(), clone.has_changed()),
        (Ok(true), Ok(true))
    );
    assert_eq!(fresh.has_changed(), Ok(false));
    assert_eq!(*rx.borrow_and_update(), "b");
    assert_eq!(rx.has_changed(), Ok(false));
    assert!(rx.same_channel(&clone));
    drop((rx, fresh));
    clone.borrow_and_update();
    drop(clone);
    assert!(tx.is_closed());
    assert_eq!(tx.send("c").unwrap_err().into_inner(), "c");
    assert_eq!(tx.send_replace("d"), "b", "send_replace stores anyway");
    tx.send_modify(|v| *v = "e");
    assert_eq!(*tx.borrow(), "e");
}

#[test]
fn the_last_sender_ends_the_channel_after_an_unseen_value() {
    let (tx, mut rx) = watch::channel(0);
    let tx2 = tx.clone();
    tx.send(1).unwrap();
    drop(tx);
    assert_eq!(rx.has_changed(), Ok(true), "a sender is left");
    drop(tx2);
    assert!(rx.has_changed().is_err());
    assert_eq!(rx.changed(), Ok(()), "the unseen value first");
    assert!(rx.changed().unwrap_err().is_closed());
}

#[test]
fn a_future_task_waits_and_a_dropped_wait_leaves() {
    let (tx, mut rx) = watch::channel(0);
    let mut cx = Context::from_waker(Waker::noop());
    {
        let mut fut = pin!(rx.changed_async());
        assert!(fut.as_mut().poll(&mut cx).is_pending());
        assert!(format!("{tx:?}").contains("waiting: 1"));
    }
    assert!(format!("{tx:?}").contains("waiting: 0"));
    let ex = Executor::new();
    let h = ex.spawn_future(async move {
        rx.changed_async().await.unwrap();
        let v = *rx.borrow();
        v
    });
    ex.block_on(|| {
        yield_now();
        assert!(!h.is_finished());
        tx.send(5).unwrap();
        assert_eq!(h.join().unwrap(), 5);
    });
}

#[test]
fn an_unwinding_task_does_not_wait() {
    let ex = Executor::new();
    let (tx, mut rx) = watch::channel(0);
    let out: Log<String> = log();
    let o = out.clone();
    in_cancelled_cleanup(&ex, move || {
        push(&o, rx.changed().unwrap_err().to_string());
    });
    assert_eq!(
        *out.borrow(),
        ["cannot wait for a change while the task is unwinding"]
    );
    assert!(format!("{tx:?}").contains("waiting: 0"));
}

#[test]
fn the_stream_yields_the_current_value_then_each_change_then_ends() {
    use futures::StreamExt;
    let (tx, rx) = watch::channel(0u32);
    let mut stream = rx.into_stream();
    // Polled on a plain thread's executor, woken from another thread.
    let first = futures::executor::block_on(stream.next());
    assert_eq!(first, Some(0), "the current value comes first");
    let sender = std::thread::spawn(move || {
        tx.send(1).unwrap();
        tx
    });
    assert_eq!(futures::executor::block_on(stream.next()), Some(1));
    let tx = sender.join().unwrap();
    // Two stores between polls: only the latest is yielded.
    tx.send(2).unwrap();
    tx.send(3).unwrap();
    assert_eq!(futures::executor::block_on(stream.next()), Some(3));
    assert!(!futures::stream::FusedStream::is_terminated(&stream));
    drop(tx); // nothing unseen is left: the stream is over
    assert!(futures::stream::FusedStream::is_terminated(&stream));
    assert_eq!(futures::executor::block_on(stream.next()), None);
    assert!(futures::stream::FusedStream::is_terminated(&stream));
}

#[test]
fn a_changes_stream_skips_the_current_value_and_gives_the_receiver_back() {
    use futures::StreamExt;
    let (tx, rx) = watch::channel("old");
    let mut changes = rx.clone().into_changes_stream();
    let ex = Executor::new();
    let got = ex.block_on(|| {
        let h = corun::spawn_future(async move {
            let v = changes.next().await;
            (v, changes.into_inner())
        });
        yield_now(); // it waits: "old" was marked seen
        assert!(!h.is_finished());
        tx.send("new").unwrap();
        h.join().unwrap()
    });
    let (v, mut back) = got;
    assert_eq!(v, Some("new"));
    // The receiver given back has seen "new", and still follows the channel.
    assert!(!back.has_changed().unwrap());
    tx.send("newer").unwrap();
    back.changed().unwrap();
    assert_eq!(*back.borrow(), "newer");
    // mark_changed makes the current value unseen again.
    let mut other = rx;
    other.mark_changed();
    assert!(other.has_changed().unwrap());
    other.mark_unchanged();
    assert!(!other.has_changed().unwrap());
}

#[test]
fn a_dropped_stream_leaves_the_queue() {
    use futures::StreamExt;
    let (tx, rx) = watch::channel(0u8);
    let mut stream = rx.into_changes_stream();
    {
        let next = pin!(stream.next());
        let mut cx = Context::from_waker(Waker::noop());
        assert!(next.poll(&mut cx).is_pending());
    }
    drop(stream);
    // No receiver is left: the send hands the value back.
    assert_eq!(tx.send(5).unwrap_err().0, 5);
}
