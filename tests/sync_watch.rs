//! `sync::watch`: one latest value, many receivers that each see a change
//! once; waits that leave (cancelled, timed out, future dropped,
//! unwinding) leave nothing behind; the channel closes from either side.

use corun::sync::watch::{self, error::RecvError};
use corun::{timeout, yield_now, Executor};
use futures::StreamExt;
use std::future::Future;
use std::pin::pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

mod common;
use common::{blocked, in_cancelled_cleanup, log, panic_message, push, Log};

/// Spawns a task that waits for `n` changes on `rx`, logging each value
/// as `"{name} {value}"`, then logs how its last wait ended.
fn spawn_watcher(
    ex: &Executor,
    mut rx: watch::Receiver<i32>,
    name: &str,
    out: &Log<String>,
) -> corun::JoinHandle<()> {
    let (name, out) = (name.to_string(), out.clone());
    ex.spawn(move || loop {
        match rx.changed() {
            Ok(()) => push(&out, format!("{name} {}", *rx.borrow())),
            Err(e) => return push(&out, format!("{name}: {e}")),
        }
    })
}

/// The `waiting` count in a sender's `Debug`: receivers in the queue.
fn waiting(tx: &watch::Sender<i32>) -> String {
    let text = format!("{tx:?}");
    let at = text
        .find("waiting: ")
        .expect("Debug shows the waiting receivers");
    text[at + 9..].trim_end_matches(" }").to_string()
}

/// A waker that counts its wakes.
struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn counting_waker() -> (Arc<CountingWaker>, Waker) {
    let count = Arc::new(CountingWaker(AtomicUsize::new(0)));
    (count.clone(), Waker::from(count))
}

#[test]
fn every_receiver_sees_a_change_once() {
    let ex = Executor::new();
    let (tx, rx) = watch::channel(0);
    let out: Log<String> = log();
    let hs: Vec<_> = ["a", "b", "c"]
        .iter()
        .map(|name| spawn_watcher(&ex, rx.clone(), name, &out))
        .collect();
    drop(rx);
    ex.block_on(|| {
        yield_now();
        assert_eq!(waiting(&tx), "3");
        tx.send(7).unwrap();
        yield_now();
        // Each saw it once and waits again.
        assert_eq!(waiting(&tx), "3");
        drop(tx);
        hs.into_iter().for_each(|h| h.join().unwrap());
    });
    let closed = "watch channel closed: every sender was dropped";
    assert_eq!(
        *out.borrow(),
        [
            "a 7".to_string(),
            "b 7".into(),
            "c 7".into(),
            format!("a: {closed}"),
            format!("b: {closed}"),
            format!("c: {closed}"),
        ]
    );
}

#[test]
fn changed_returns_at_once_on_an_unseen_value_and_suspends_otherwise() {
    let ex = Executor::new();
    let (tx, mut rx) = watch::channel(0);
    tx.send(1).unwrap();
    // Unseen: it returns without suspending, even outside a task.
    rx.changed().unwrap();
    assert!(!rx.has_changed().unwrap());
    let out: Log<String> = log();
    let h = spawn_watcher(&ex, rx, "w", &out);
    ex.block_on(yield_now);
    assert_eq!(blocked(&ex), ["watch::Receiver::changed"]);
    assert!(out.borrow().is_empty());
    // Several sends before it runs: it sees the latest, once.
    tx.send(2).unwrap();
    tx.send(3).unwrap();
    ex.block_on(yield_now);
    assert_eq!(*out.borrow(), ["w 3"]);
    assert_eq!(blocked(&ex), ["watch::Receiver::changed"]);
    drop(tx);
    ex.block_on(|| h.join().unwrap());
}

#[test]
fn changed_returns_the_last_unseen_value_before_the_closed_error() {
    let ex = Executor::new();
    let (tx, mut rx) = watch::channel(0);
    tx.send(1).unwrap();
    drop(tx);
    assert!(rx.has_changed().is_err()); // tokio's rule: closed, seen or not
    ex.block_on(|| {
        assert_eq!(rx.changed(), Ok(()));
        assert_eq!(*rx.borrow(), 1);
        let err = rx.changed().unwrap_err();
        assert!(err.is_closed());
        assert_eq!(rx.changed(), Err(err)); // and so on, without waiting
    });
}

#[test]
fn dropping_the_last_sender_wakes_the_waiters_with_the_error() {
    let ex = Executor::new();
    let (tx, rx) = watch::channel(0);
    let tx2 = tx.clone();
    assert_eq!(tx.sender_count(), 2);
    let out: Log<String> = log();
    let h = spawn_watcher(&ex, rx, "w", &out);
    ex.block_on(|| {
        yield_now();
        drop(tx);
        yield_now();
        // One sender is left: still open.
        assert!(out.borrow().is_empty());
        assert_eq!(tx2.sender_count(), 1);
        tx2.send(5).unwrap();
        drop(tx2);
        h.join().unwrap();
    });
    assert_eq!(
        *out.borrow(),
        ["w 5", "w: watch channel closed: every sender was dropped"]
    );
}

#[test]
fn send_without_receivers_hands_the_value_back_and_stores_nothing() {
    let (tx, rx) = watch::channel(String::from("first"));
    assert_eq!(tx.receiver_count(), 1);
    drop(rx);
    assert!(tx.is_closed());
    let err = tx.send("second".into()).unwrap_err();
    assert_eq!(err.to_string(), "sending on a closed channel");
    assert_eq!(err.into_inner(), "second");
    assert_eq!(*tx.borrow(), "first");
    // send_replace and send_modify store anyway.
    assert_eq!(tx.send_replace("third".into()), "first");
    tx.send_modify(|v| v.push('!'));
    assert_eq!(*tx.borrow(), "third!");
    // A receiver subscribed now has seen the stored value.
    let late = tx.subscribe();
    assert!(!late.has_changed().unwrap());
    assert_eq!(*late.borrow(), "third!");
    assert!(!tx.is_closed());
}

#[test]
fn send_if_modified_false_wakes_nobody_and_true_wakes_everyone() {
    let ex = Executor::new();
    let (tx, rx) = watch::channel(0);
    let out: Log<String> = log();
    let h = spawn_watcher(&ex, rx.clone(), "w", &out);
    ex.block_on(|| {
        yield_now();
        assert!(!tx.send_if_modified(|v| {
            *v = 1; // changed in place, but the closure says "no change"
            false
        }));
        yield_now();
        assert!(out.borrow().is_empty());
        assert_eq!(blocked(&ex), ["watch::Receiver::changed"]);
        assert!(!rx.has_changed().unwrap());
        assert!(tx.send_if_modified(|v| {
            *v += 1;
            true
        }));
        yield_now();
        assert_eq!(*out.borrow(), ["w 2"]);
        assert!(rx.has_changed().unwrap());
        drop(tx);
        h.join().unwrap();
    });
}

#[test]
fn wait_for_checks_the_current_value_first() {
    let ex = Executor::new();
    let (tx, mut rx) = watch::channel(4);
    let got = ex.block_on(|| *rx.wait_for(|v| *v == 4).unwrap());
    assert_eq!(got, 4);
    // Marked seen.
    assert!(!rx.has_changed().unwrap());
    // Even after the sender is gone, a matching value is returned.
    drop(tx);
    assert_eq!(ex.block_on(|| *rx.wait_for(|v| *v == 4).unwrap()), 4);
}

/// Spawns a task that waits on `rx` for a value `pred` accepts, logging
/// each value it looks at.
fn spawn_wait_for(
    ex: &Executor,
    mut rx: watch::Receiver<i32>,
    pred: impl Fn(i32) -> bool + 'static,
) -> (corun::JoinHandle<Result<i32, RecvError>>, Log<i32>) {
    let looked: Log<i32> = log();
    let l = looked.clone();
    let h = ex.spawn(move || {
        rx.wait_for(|v| {
            push(&l, *v);
            pred(*v)
        })
        .map(|v| *v)
    });
    (h, looked)
}

#[test]
fn wait_for_waits_for_a_later_value_that_matches() {
    let ex = Executor::new();
    let (tx, rx) = watch::channel(0);
    let (h, looked) = spawn_wait_for(&ex, rx, |v| v >= 2);
    ex.block_on(|| {
        yield_now();
        assert_eq!(blocked(&ex), ["watch::Receiver::wait_for"]);
        tx.send(1).unwrap();
        yield_now();
        tx.send(2).unwrap();
        assert_eq!(h.join().unwrap(), Ok(2));
    });
    assert_eq!(*looked.borrow(), [0, 1, 2]);
}

#[test]
fn wait_for_fails_when_the_sender_goes_without_a_match() {
    let ex = Executor::new();
    let (tx, rx) = watch::channel(0);
    let (h, looked) = spawn_wait_for(&ex, rx, |v| v > 10);
    ex.block_on(|| {
        yield_now();
        tx.send(3).unwrap();
        drop(tx); // the last value, 3, is still looked at
        let err = h.join().unwrap().unwrap_err();
        assert!(err.is_closed());
    });
    assert_eq!(*looked.borrow(), [0, 3]);
}

#[test]
fn closed_returns_once_the_last_receiver_is_dropped() {
    let ex = Executor::new();
    let (tx, rx) = watch::channel(0);
    let rx2 = tx.subscribe();
    let tx = Rc::new(tx);
    let t = tx.clone();
    let h = ex.spawn(move || t.closed());
    ex.block_on(|| {
        yield_now();
        assert_eq!(blocked(&ex), ["watch::Sender::closed"]);
        drop(rx);
        yield_now();
        assert_eq!(blocked(&ex), ["watch::Sender::closed"]);
        drop(rx2);
        h.join().unwrap();
        assert!(tx.is_closed());
        tx.closed(); // at once now
    });
}

#[test]
fn closed_async_completes_in_a_future_task() {
    let ex = Executor::new();
    let (tx, rx) = watch::channel(0);
    let h = ex.spawn_future(async move {
        tx.closed_async().await;
        tx.receiver_count()
    });
    ex.block_on(|| {
        yield_now();
        drop(rx);
        assert_eq!(h.join().unwrap(), 0);
    });
}

#[test]
fn a_cancelled_waiter_leaves_and_the_others_still_see_the_change() {
    let ex = Executor::new();
    let (tx, rx) = watch::channel(0);
    let out: Log<String> = log();
    let gone = spawn_watcher(&ex, rx.clone(), "gone", &out);
    let stays = spawn_watcher(&ex, rx, "stays", &out);
    ex.block_on(|| {
        yield_now();
        assert_eq!(waiting(&tx), "2");
        gone.cancel();
        assert!(gone.join().unwrap_err().is_cancelled());
        assert_eq!(waiting(&tx), "1");
        tx.send(1).unwrap();
        yield_now();
        drop(tx);
        stays.join().unwrap();
    });
    assert_eq!(
        *out.borrow(),
        [
            "stays 1",
            "stays: watch channel closed: every sender was dropped"
        ]
    );
}

#[test]
fn a_timed_out_wait_leaves_and_a_later_wait_sees_the_change() {
    let ex = Executor::new();
    let (tx, mut rx) = watch::channel(0);
    let tx = Rc::new(tx);
    ex.block_on(|| {
        assert!(timeout(Duration::from_millis(5), || rx.changed()).is_err());
        assert_eq!(waiting(&tx), "0");
        let t = tx.clone();
        let _sender = corun::spawn(move || t.send(1).unwrap());
        rx.changed().unwrap();
        assert_eq!(*rx.borrow(), 1);
    });
}

#[test]
fn a_polled_changed_future_is_woken_and_a_dropped_one_leaves() {
    let (tx, mut rx) = watch::channel(0);
    let (count, waker) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    {
        let mut fut = pin!(rx.changed_async());
        assert!(fut.as_mut().poll(&mut cx).is_pending());
        tx.send(1).unwrap();
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
        assert_eq!(fut.as_mut().poll(&mut cx), Poll::Ready(Ok(())));
        assert_eq!(waiting(&tx), "0");
    }
    {
        let mut fut = pin!(rx.changed_async());
        assert!(fut.as_mut().poll(&mut cx).is_pending());
        assert_eq!(waiting(&tx), "1");
        assert_eq!(format!("{fut:?}"), "watch::Changed { waiting: true }");
    }
    assert_eq!(waiting(&tx), "0");
    tx.send(2).unwrap();
    assert_eq!(count.0.load(Ordering::SeqCst), 1); // the dropped one was not woken
                                                   // The dropped future changed nothing: the value is still unseen.
    assert!(rx.has_changed().unwrap());
    let mut fut = pin!(rx.changed_async());
    assert_eq!(fut.as_mut().poll(&mut cx), Poll::Ready(Ok(())));
}

#[test]
fn a_future_task_waits_with_changed_async_and_wait_for_async() {
    let ex = Executor::new();
    let (tx, mut rx) = watch::channel(0);
    let out: Log<i32> = log();
    let o = out.clone();
    let h = ex.spawn_future(async move {
        while rx.changed_async().await.is_ok() {
            let v = *rx.borrow();
            push(&o, v);
            if v == 2 {
                break;
            }
        }
        let ten = *rx.wait_for_async(|v| *v == 10).await.unwrap();
        push(&o, ten);
        rx.wait_for_async(|v| *v == 99).await.map(|v| *v)
    });
    ex.block_on(|| {
        for v in [1, 2, 5, 10] {
            yield_now();
            tx.send(v).unwrap();
        }
        yield_now();
        drop(tx);
        assert!(h.join().unwrap().unwrap_err().is_closed());
    });
    assert_eq!(*out.borrow(), [1, 2, 10]);
}

#[test]
fn an_unwinding_task_does_not_wait() {
    let ex = Executor::new();
    let out: Log<String> = log();
    let (tx, rx) = watch::channel(0);
    let tx = Rc::new(tx);
    let (t, o, mut r) = (tx.clone(), out.clone(), rx.clone());
    in_cancelled_cleanup(&ex, move || {
        let err = r.changed().unwrap_err();
        push(&o, format!("changed: {} {err}", err.is_closed()));
        let err = r.wait_for(|v| *v > 0).unwrap_err();
        push(&o, format!("wait_for: {err}"));
        t.closed(); // returns at once, with a receiver left
        push(&o, format!("closed returned: {}", t.is_closed()));
    });
    let unwinding = "cannot wait for a change while the task is unwinding";
    assert_eq!(
        *out.borrow(),
        [
            format!("changed: false {unwinding}"),
            format!("wait_for: {unwinding}"),
            "closed returned: false".to_string(),
        ]
    );
    assert_eq!(waiting(&tx), "0");
    // What needs no wait still works while unwinding.
    tx.send(1).unwrap();
    let (o, mut r) = (out.clone(), rx.clone());
    in_cancelled_cleanup(&ex, move || {
        r.changed().unwrap();
        push(&o, format!("saw {}", *r.wait_for(|v| *v == 1).unwrap()));
    });
    assert_eq!(out.borrow().last().unwrap(), "saw 1");
}

#[test]
fn waiting_outside_a_task_panics_naming_the_method() {
    let (tx, mut rx) = watch::channel(0);
    let text = panic_message(|| rx.changed());
    assert!(
        text.contains("corun::sync::watch::Receiver::changed called outside a corun task"),
        "{text}"
    );
    let text = panic_message(|| rx.wait_for(|v| *v > 0).map(|_| ()));
    assert!(
        text.contains("corun::sync::watch::Receiver::wait_for called outside"),
        "{text}"
    );
    let text = panic_message(|| tx.closed());
    assert!(
        text.contains("corun::sync::watch::Sender::closed called outside"),
        "{text}"
    );
    // The failed waits left nothing behind.
    assert_eq!(waiting(&tx), "0");
}

#[test]
fn a_clone_has_seen_what_its_original_has_and_subscribe_sees_the_current() {
    let (tx, mut rx) = watch::channel(0);
    tx.send(1).unwrap();
    let clone_unseen = rx.clone();
    assert!(clone_unseen.has_changed().unwrap());
    rx.borrow_and_update();
    let clone_seen = rx.clone();
    assert!(!clone_seen.has_changed().unwrap());
    assert!(clone_unseen.has_changed().unwrap()); // each keeps its own
    let sub = tx.subscribe();
    assert!(!sub.has_changed().unwrap());
    assert!(sub.same_channel(&rx) && clone_seen.same_channel(&rx));
    assert!(!sub.same_channel(&watch::channel(0).1));
    assert_eq!(tx.receiver_count(), 4);
    drop((clone_unseen, clone_seen, sub));
    assert_eq!(tx.receiver_count(), 1);
}

#[test]
fn mark_changed_and_mark_unchanged_set_what_was_seen() {
    let ex = Executor::new();
    let (tx, mut rx) = watch::channel(0);
    rx.mark_changed();
    assert!(rx.has_changed().unwrap());
    ex.block_on(|| rx.changed().unwrap()); // returns at once
    tx.send(1).unwrap();
    rx.mark_unchanged();
    assert!(!rx.has_changed().unwrap());
    assert_eq!(*rx.borrow(), 1);
    assert_eq!(
        format!("{rx:?}"),
        "watch::Receiver { seen: 1, version: 1, closed: false }"
    );
}

#[test]
fn a_send_while_a_ref_is_held_panics_saying_what_to_do() {
    let ex = Executor::new();
    let (tx, rx) = watch::channel(0);
    let h = ex.spawn(move || {
        let mut other = rx.clone();
        let held = rx.borrow();
        let changed = other.changed(); // the mistake: a Ref held across a wait
        drop(held);
        changed
    });
    let text = panic_message(|| {
        ex.block_on(|| {
            yield_now();
            tx.send(1)
        })
    });
    assert!(
        text.contains(
            "corun::sync::watch::Sender::send: the watch channel's value is still borrowed"
        ),
        "{text}"
    );
    assert!(
        text.contains("drop the Ref returned by watch::Receiver::borrow"),
        "{text}"
    );
    drop(h);
}

#[test]
fn a_receiver_nobody_sends_to_is_reported_as_a_deadlock() {
    let ex = Executor::new();
    let (tx, mut rx) = watch::channel(0);
    let text = panic_message(|| ex.block_on(|| rx.changed()));
    assert!(text.contains("deadlock"), "{text}");
    assert!(
        text.contains("blocked on watch::Receiver::changed"),
        "{text}"
    );
    drop(tx);
}

#[test]
fn the_stream_yields_the_current_value_then_each_latest_one() {
    let ex = Executor::new();
    let (tx, rx) = watch::channel(0);
    let h = ex.spawn_future(rx.into_stream().collect::<Vec<_>>());
    ex.block_on(|| {
        yield_now();
        tx.send(1).unwrap();
        tx.send(2).unwrap(); // not queued: the stream sees 2 only
        yield_now();
        tx.send(3).unwrap();
        drop(tx);
        assert_eq!(h.join().unwrap(), [0, 2, 3]);
    });
}

#[test]
fn the_errors_say_what_happened() {
    let ex = Executor::new();
    let (tx, mut rx) = watch::channel(());
    drop(tx);
    let err: RecvError = ex.block_on(|| rx.changed()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "watch channel closed: every sender was dropped"
    );
    assert_eq!(rx.has_changed(), Err(err));
}
