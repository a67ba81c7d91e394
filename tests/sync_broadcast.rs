//! `sync::broadcast`: every receiver takes every value once, in order; a
//! full queue drops its oldest value and the receivers behind say they
//! lagged; values go as soon as everyone has taken them; the channel
//! closes both ways; waits leave without taking anything.

use corun::sync::broadcast::{self, RecvError, TryRecvError};
use corun::{timeout, yield_now, Executor};
use std::future::Future;
use std::pin::pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

mod common;
use common::{blocked, in_cancelled_cleanup, log, panic_message, Log};

#[test]
fn every_receiver_takes_every_value_sent_after_it_was_made() {
    let (tx, mut first) = broadcast::channel(8);
    tx.send(1).unwrap();
    let mut late = tx.subscribe();
    assert_eq!(tx.send(2).unwrap(), 2);
    tx.send(3).unwrap();
    let drain = |rx: &mut broadcast::Receiver<i32>| {
        std::iter::from_fn(|| rx.try_recv().ok()).collect::<Vec<_>>()
    };
    assert_eq!(drain(&mut first), [1, 2, 3]);
    assert_eq!(drain(&mut late), [2, 3]);
    let mut fresh = late.resubscribe();
    tx.send(4).unwrap();
    assert_eq!((fresh.len(), late.len()), (1, 1));
    assert_eq!(drain(&mut fresh), [4]);
    assert!(fresh.is_empty());
    assert_eq!(tx.receiver_count(), 3);
}

#[test]
fn a_full_queue_drops_the_oldest_and_the_receiver_behind_lags() {
    let (tx, mut slow) = broadcast::channel(2);
    let mut fast = tx.subscribe();
    for i in 1..=5 {
        tx.send(i).unwrap();
        assert_eq!(fast.try_recv(), Ok(i)); // keeps up
    }
    assert_eq!(tx.len(), 2, "the queue holds what the slow one has left");
    assert_eq!(slow.try_recv(), Err(TryRecvError::Lagged(3)));
    assert_eq!(slow.try_recv(), Ok(4));
    assert_eq!(slow.try_recv(), Ok(5));
    assert_eq!(slow.try_recv(), Err(TryRecvError::Empty));
    assert!(tx.is_empty());
}

#[test]
fn a_value_goes_once_every_receiver_took_it_or_left() {
    let (tx, mut a) = broadcast::channel(8);
    let mut b = tx.subscribe();
    let value = Rc::new(());
    tx.send(value.clone()).unwrap();
    let from_a = a.try_recv().unwrap();
    assert_eq!(
        Rc::strong_count(&value),
        3,
        "ours, a's clone, the queued one"
    );
    let from_b = b.try_recv().unwrap(); // the last: takes the queued one itself
    assert_eq!(Rc::strong_count(&value), 3);
    assert!(tx.is_empty());
    drop((from_a, from_b));
    tx.send(value.clone()).unwrap();
    drop(b); // b never takes it: it is owed to a alone now
    drop(a.try_recv().unwrap());
    assert!(tx.is_empty());
    assert_eq!(Rc::strong_count(&value), 1);
}

#[test]
fn the_channel_closes_for_receivers_after_the_last_sender_and_hands_values_back_without_receivers()
{
    let ex = Executor::new();
    let (tx, mut rx) = broadcast::channel(4);
    let tx2 = tx.clone();
    assert_eq!(tx.sender_count(), 2);
    let mut waiting = tx.subscribe();
    let waiter = ex.spawn(move || waiting.recv());
    ex.block_on(|| {
        yield_now();
        tx.send("last").unwrap();
        drop(tx);
        assert!(!rx.is_closed(), "a clone still sends");
        drop(tx2);
        assert!(rx.is_closed());
        assert_eq!(waiter.join().unwrap(), Ok("last"));
        assert_eq!(rx.recv(), Ok("last"));
        assert_eq!(rx.recv(), Err(RecvError::Closed));
    });
    let (tx, rx) = broadcast::channel(4);
    drop(rx);
    assert_eq!(tx.send(vec![1]).unwrap_err().into_inner(), [1]);
}

#[test]
fn recv_suspends_only_its_task_and_waiters_that_leave_take_nothing() {
    let ex = Executor::new();
    let (tx, rx) = broadcast::channel(4);
    let out: Log<String> = log();
    let mut gone = rx.resubscribe();
    let cancelled = ex.spawn(move || gone.recv());
    let mut stays = rx;
    let o = out.clone();
    let staying = ex.spawn(move || {
        while let Ok(v) = stays.recv() {
            o.borrow_mut().push(v);
        }
    });
    ex.block_on(|| {
        yield_now();
        assert_eq!(blocked(&ex), ["broadcast::Receiver::recv"; 2]);
        cancelled.cancel();
        assert!(cancelled.join().unwrap_err().is_cancelled());
        let mut timed = tx.subscribe();
        assert!(timeout(Duration::from_millis(2), || timed.recv()).is_err());
        tx.send("a".to_string()).unwrap();
        assert_eq!(timed.try_recv().as_deref(), Ok("a"), "still owed to it");
        tx.send("b".to_string()).unwrap();
        drop(tx);
        staying.join().unwrap();
    });
    assert_eq!(*out.borrow(), ["a", "b"]);
}

#[test]
fn a_dropped_recv_future_takes_nothing_and_a_future_task_receives() {
    let (tx, mut rx) = broadcast::channel(4);
    let mut cx = Context::from_waker(Waker::noop());
    {
        let mut fut = pin!(rx.recv_async());
        assert!(fut.as_mut().poll(&mut cx).is_pending());
    }
    tx.send(1).unwrap();
    assert_eq!(rx.try_recv(), Ok(1));

    let ex = Executor::new();
    let h = ex.spawn_future(async move {
        let mut got = Vec::new();
        while let Ok(v) = rx.recv_async().await {
            got.push(v);
        }
        got
    });
    ex.block_on(|| {
        yield_now();
        for v in [2, 3] {
            tx.send(v).unwrap();
            yield_now();
        }
        drop(tx);
        assert_eq!(h.join().unwrap(), [2, 3]);
    });
    let (tx, mut rx) = broadcast::channel(1);
    tx.send(1).unwrap();
    tx.send(2).unwrap();
    let mut fut = pin!(rx.recv_async());
    assert_eq!(
        fut.as_mut().poll(&mut cx),
        Poll::Ready(Err(RecvError::Lagged(1)))
    );
}

#[test]
fn an_unwinding_receiver_fails_instead_of_waiting() {
    let ex = Executor::new();
    let (tx, mut rx) = broadcast::channel::<u8>(4);
    let out: Log<String> = log();
    let o = out.clone();
    in_cancelled_cleanup(&ex, move || {
        o.borrow_mut().push(rx.recv().unwrap_err().to_string());
    });
    assert_eq!(
        *out.borrow(),
        ["cannot wait for a value while the task is unwinding"]
    );
    assert_eq!(tx.receiver_count(), 0, "the receiver went with the task");
}

#[test]
fn misuse_panics_say_what_to_do() {
    let msg = panic_message(|| broadcast::channel::<u8>(0));
    assert!(msg.contains("the capacity must be at least 1"), "{msg}");
    let (_tx, mut rx) = broadcast::channel::<u8>(1);
    let msg = panic_message(|| rx.recv());
    assert!(
        msg.contains("corun::sync::broadcast::Receiver::recv"),
        "{msg}"
    );
}

#[test]
fn the_receiver_as_a_stream_says_where_it_lagged_and_ends() {
    use futures::StreamExt;
    let ex = Executor::new();
    let (tx, rx) = broadcast::channel(2);
    for i in 1..=4 {
        tx.send(i).unwrap(); // 1 and 2 are dropped: the stream lagged by 2
    }
    let h = ex.spawn_future(rx.collect::<Vec<_>>());
    ex.block_on(|| {
        yield_now();
        tx.send(5).unwrap();
        drop(tx);
        assert_eq!(
            h.join().unwrap(),
            [Err(RecvError::Lagged(2)), Ok(3), Ok(4), Ok(5)]
        );
    });
}
