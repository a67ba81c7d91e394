//! Channels (`channel`, `unbounded_channel`): order and backpressure,
//! disconnection from either end, waiters served in arrival order and
//! cancelled ones leaving the queue, the `Stream`/`Sink` and async views, and
//! the panics of blocking waits where no task can suspend.

use corun::sync::{
    channel, unbounded_channel, Receiver, RecvError, SendError, TryRecvError, TrySendError,
};
use corun::{spawn, yield_now, Executor};
use futures::{SinkExt, StreamExt};
use std::future::Future;
use std::pin::pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

mod common;
use common::{blocked, log, panic_message, payload_message, Log};

#[test]
fn values_arrive_in_order_bounded_and_unbounded() {
    let ex = Executor::new();
    for (tx, rx) in [channel(3), unbounded_channel()] {
        let _producer = ex.spawn(move || {
            for i in 0..100 {
                tx.send(i).unwrap();
            }
        });
        let got: Vec<i32> = ex.block_on(|| rx.iter().collect());
        assert_eq!(got, (0..100).collect::<Vec<_>>());
    }
}

#[test]
fn bounded_sender_suspends_until_the_receiver_takes() {
    let ex = Executor::new();
    let (tx, rx) = channel(2);
    let sent = log();
    let s = sent.clone();
    let producer = ex.spawn(move || {
        for i in 0..5 {
            tx.send(i).unwrap();
            s.borrow_mut().push(i);
        }
    });
    ex.block_on(|| {
        yield_now();
        // Two values fit; the third send waits for room.
        assert_eq!(*sent.borrow(), [0, 1]);
        assert_eq!(rx.len(), 2);
        assert_eq!(blocked(&ex), ["Sender::send"]);
        assert_eq!(rx.recv(), Ok(0));
        yield_now();
        // One value taken, one more sent, and the producer waits again.
        assert_eq!(*sent.borrow(), [0, 1, 2]);
        assert_eq!(rx.len(), 2);
        assert!(!producer.is_finished());
        let rest: Vec<i32> = rx.iter().collect();
        assert_eq!(rest, [1, 2, 3, 4]);
    });
    assert!(producer.is_finished());
}

#[test]
fn receiver_dropped_hands_the_value_back() {
    let (tx, rx) = channel(1);
    drop(rx);
    assert!(tx.is_closed());
    let SendError(v) = tx.send(String::from("kept")).unwrap_err();
    assert_eq!(v, "kept");
    match tx.try_send(String::from("also kept")) {
        Err(TrySendError::Closed(v)) => assert_eq!(v, "also kept"),
        other => panic!("expected Closed, got {other:?}"),
    }
}

#[test]
fn a_waiting_sender_gets_its_value_back_when_the_receiver_goes() {
    let ex = Executor::new();
    let (tx, rx) = channel(1);
    tx.try_send(1).unwrap();
    let sender = ex.spawn(move || tx.send(2));
    ex.block_on(|| {
        yield_now();
        assert_eq!(blocked(&ex), ["Sender::send"]);
        drop(rx);
        assert_eq!(sender.join().unwrap().unwrap_err().0, 2);
    });
}

#[test]
fn receiving_drains_what_remains_after_every_sender_is_gone() {
    let ex = Executor::new();
    let (tx, rx) = channel(4);
    let tx2 = tx.clone();
    tx.send(1).unwrap();
    tx2.send(2).unwrap();
    drop(tx);
    assert!(!rx.is_closed());
    drop(tx2);
    assert!(rx.is_closed());
    ex.block_on(|| {
        assert_eq!(rx.recv(), Ok(1));
        assert_eq!(rx.try_recv(), Ok(2));
        assert_eq!(rx.recv(), Err(RecvError));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    });
}

#[test]
fn a_waiting_receiver_wakes_with_an_error_when_the_last_sender_goes() {
    let ex = Executor::new();
    let (tx, rx) = channel::<u8>(1);
    let receiver = ex.spawn(move || rx.recv());
    ex.block_on(|| {
        yield_now();
        assert_eq!(blocked(&ex), ["Receiver::recv"]);
        drop(tx);
        assert_eq!(receiver.join().unwrap(), Err(RecvError));
    });
}

#[test]
fn close_refuses_new_values_but_keeps_the_sent_ones() {
    let (tx, rx) = unbounded_channel();
    tx.send(1).unwrap();
    rx.close();
    assert!(tx.is_closed());
    assert_eq!(tx.send(2).unwrap_err().0, 2);
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
}

#[test]
fn dropping_the_receiver_drops_unread_values() {
    let (tx, rx) = channel(4);
    let value = Rc::new(());
    tx.send(value.clone()).unwrap();
    tx.send(value.clone()).unwrap();
    assert_eq!(Rc::strong_count(&value), 3);
    drop(rx);
    assert_eq!(Rc::strong_count(&value), 1);
}

#[test]
fn try_send_reports_full_and_try_recv_empty() {
    let (tx, rx) = channel(1);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    tx.try_send(1).unwrap();
    let err = tx.try_send(2).unwrap_err();
    assert!(err.is_full());
    assert_eq!(err.into_inner(), 2);
    assert_eq!(tx.capacity(), Some(1));
}

#[test]
fn zero_capacity_is_refused() {
    assert!(panic_message(|| channel::<u8>(0)).contains("corun::sync::channel"));
}

#[test]
fn waiting_receivers_are_served_in_arrival_order() {
    let ex = Executor::new();
    let (tx, rx) = channel(8);
    let rx = Rc::new(rx);
    let got = log();
    let handles: Vec<_> = ["a", "b", "c"]
        .into_iter()
        .map(|name| {
            let (rx, got) = (rx.clone(), got.clone());
            ex.spawn(move || {
                let v = rx.recv().unwrap();
                got.borrow_mut().push((name, v));
            })
        })
        .collect();
    ex.block_on(|| {
        yield_now();
        for i in 0..3 {
            tx.send(i).unwrap();
        }
        corun::sync::join_all(handles);
    });
    assert_eq!(*got.borrow(), [("a", 0), ("b", 1), ("c", 2)]);
}

#[test]
fn a_cancelled_receiver_leaves_the_queue() {
    let ex = Executor::new();
    let (tx, rx) = channel(8);
    let rx = Rc::new(rx);
    let spawn_recv = |rx: &Rc<Receiver<i32>>| {
        let rx = rx.clone();
        ex.spawn(move || rx.recv().unwrap())
    };
    let (a, b, c) = (spawn_recv(&rx), spawn_recv(&rx), spawn_recv(&rx));
    ex.block_on(|| {
        yield_now();
        b.cancel();
        assert!(b.join().unwrap_err().is_cancelled());
        // No stale entry of b's is left to swallow a value.
        tx.send(1).unwrap();
        tx.send(2).unwrap();
        assert_eq!(a.join().unwrap(), 1);
        assert_eq!(c.join().unwrap(), 2);
        assert!(rx.is_empty());
    });
}

#[test]
fn a_value_handed_to_a_cancelled_receiver_goes_to_the_next() {
    let ex = Executor::new();
    let (tx, rx) = channel(8);
    let rx = Rc::new(rx);
    let (r1, r2) = (rx.clone(), rx.clone());
    let a = ex.spawn(move || r1.recv().unwrap());
    let b = ex.spawn(move || r2.recv().unwrap());
    ex.block_on(|| {
        yield_now();
        // The value is handed to a, which is cancelled before it runs.
        tx.send(1).unwrap();
        a.cancel();
        assert!(a.join().unwrap_err().is_cancelled());
        assert_eq!(b.join().unwrap(), 1);
    });
}

#[test]
fn a_value_handed_to_a_cancelled_receiver_goes_back_to_the_front() {
    let ex = Executor::new();
    let (tx, rx) = channel(8);
    let rx = Rc::new(rx);
    let r = rx.clone();
    let a = ex.spawn(move || r.recv().unwrap());
    ex.block_on(|| {
        yield_now();
        tx.send(1).unwrap(); // handed to a
        tx.send(2).unwrap(); // queued
        a.cancel();
        assert!(a.join().unwrap_err().is_cancelled());
        assert_eq!(rx.try_recv(), Ok(1));
        assert_eq!(rx.try_recv(), Ok(2));
    });
}

#[test]
fn a_timed_out_receive_leaves_no_stale_entry() {
    let ex = Executor::new();
    let (tx, rx) = channel(1);
    ex.block_on(|| {
        let r = corun::timeout(Duration::from_millis(5), || rx.recv());
        assert!(r.is_err());
        tx.send(7).unwrap();
        assert_eq!(rx.len(), 1);
        assert_eq!(rx.recv(), Ok(7));
    });
}

#[test]
fn waiting_senders_are_served_in_arrival_order_and_cancelled_ones_leave() {
    let ex = Executor::new();
    let (tx, rx) = channel(1);
    tx.try_send(0).unwrap();
    let senders: Vec<_> = (1..=3)
        .map(|i| {
            let tx = tx.clone();
            ex.spawn(move || tx.send(i).unwrap())
        })
        .collect();
    drop(tx);
    ex.block_on(|| {
        yield_now();
        senders[1].cancel();
        let got: Vec<i32> = rx.iter().collect();
        assert_eq!(got, [0, 1, 3]);
    });
    let results = ex.block_on(|| corun::sync::join_all(senders));
    assert!(results[0].is_ok());
    assert!(results[1].as_ref().unwrap_err().is_cancelled());
    assert!(results[2].is_ok());
}

#[test]
fn room_handed_to_a_cancelled_sender_goes_to_the_next() {
    let ex = Executor::new();
    let (tx, rx) = channel(1);
    tx.try_send(0).unwrap();
    let (t1, t2) = (tx.clone(), tx.clone());
    let s1 = ex.spawn(move || t1.send(1).unwrap());
    let s2 = ex.spawn(move || t2.send(2).unwrap());
    ex.block_on(|| {
        yield_now();
        // Taking 0 hands its slot to s1, which is cancelled before it runs.
        assert_eq!(rx.recv(), Ok(0));
        // No barging: the slot is s1's, not a newcomer's.
        assert!(tx.try_send(99).unwrap_err().is_full());
        s1.cancel();
        assert!(s1.join().unwrap_err().is_cancelled());
        s2.join().unwrap();
        assert_eq!(rx.try_recv(), Ok(2));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    });
}

#[test]
fn a_future_task_streams_from_the_receiver() {
    let ex = Executor::new();
    let (tx, mut rx) = channel(2);
    let consumer = ex.spawn_future(async move {
        let mut got = Vec::new();
        while let Some(v) = rx.next().await {
            got.push(v);
        }
        got
    });
    let _producer = ex.spawn(move || {
        for i in 0..10 {
            tx.send(i).unwrap();
        }
    });
    assert_eq!(
        ex.block_on(|| consumer.join().unwrap()),
        (0..10).collect::<Vec<_>>()
    );
}

#[test]
fn a_future_task_sinks_into_the_sender_with_backpressure() {
    let ex = Executor::new();
    let (mut tx, rx) = channel(1);
    let sent = log();
    let s = sent.clone();
    let producer = ex.spawn_future(async move {
        for i in 0..4 {
            SinkExt::send(&mut tx, i).await.unwrap();
            s.borrow_mut().push(i);
        }
        let mut more = futures::stream::iter([10, 11].map(Ok));
        tx.send_all(&mut more).await.unwrap();
    });
    ex.block_on(|| {
        yield_now();
        // The first value filled the channel; the second waits in poll_ready.
        assert_eq!(*sent.borrow(), [0]);
        assert_eq!(blocked(&ex).len(), 1);
        assert!(!producer.is_finished());
        let got: Vec<i32> = rx.iter().collect();
        assert_eq!(got, [0, 1, 2, 3, 10, 11]);
    });
    assert!(producer.is_finished());
}

/// A capacity-1 channel, full, whose `Sink` waited in `poll_ready` in a
/// `select!` that a timer won: the Sink's place in the queue for room is
/// left behind.
fn abandon_a_sink_send(tx: &mut corun::sync::Sender<i32>) {
    use futures::FutureExt;
    corun::await_(async {
        futures::select! {
            _ = SinkExt::send(tx, 2).fuse() => panic!("there was no room"),
            _ = corun::time::sleep_future(Duration::from_millis(5)).fuse() => {}
        }
    });
}

#[test]
fn a_sink_send_abandoned_by_a_timeout_holds_back_no_room_once_its_sender_goes_on() {
    let ex = Executor::new();
    ex.block_on(|| {
        let (mut tx, rx) = channel::<i32>(1);
        // The sender's own try_send gives the stale place up.
        tx.try_send(1).unwrap();
        abandon_a_sink_send(&mut tx);
        assert_eq!(rx.try_recv(), Ok(1));
        tx.try_send(3).unwrap();
        assert_eq!(rx.try_recv(), Ok(3));
        // So does its blocking send, which then does not wait.
        tx.try_send(4).unwrap();
        abandon_a_sink_send(&mut tx);
        assert_eq!(rx.try_recv(), Ok(4));
        tx.send(5).unwrap();
        assert_eq!(rx.try_recv(), Ok(5));
        // A flush gives it up too, so another sender finds the room.
        tx.try_send(6).unwrap();
        abandon_a_sink_send(&mut tx);
        assert_eq!(rx.try_recv(), Ok(6));
        corun::await_(tx.flush()).unwrap();
        tx.clone().try_send(7).unwrap();
        assert_eq!(rx.try_recv(), Ok(7));
    });
}

#[test]
fn a_slot_the_sink_reserved_is_its_senders_next_send() {
    use futures::Sink;
    let (mut tx, rx) = channel::<i32>(1);
    let waker = futures::task::noop_waker();
    let mut cx = Context::from_waker(&waker);
    assert!(std::pin::Pin::new(&mut tx).poll_ready(&mut cx).is_ready());
    // The slot is the sink's: another sender finds none.
    assert!(matches!(
        tx.clone().try_send(1),
        Err(corun::sync::TrySendError::Full(1))
    ));
    tx.try_send(2).unwrap(); // uses it
    assert_eq!(rx.try_recv(), Ok(2));
    tx.clone().try_send(3).unwrap(); // nothing is held any more
    assert_eq!(rx.try_recv(), Ok(3));
}

#[test]
fn sink_close_disconnects_the_sender() {
    let ex = Executor::new();
    let (mut tx, rx) = channel::<i32>(1);
    let keep = tx.clone();
    ex.block_on(|| {
        corun::await_(tx.close()).unwrap();
        assert_eq!(tx.send(1).unwrap_err().0, 1);
        assert!(!rx.is_closed()); // `keep` is still connected
        drop(keep);
        assert_eq!(rx.recv(), Err(RecvError));
    });
}

#[test]
fn send_async_and_recv_async_work_between_future_tasks() {
    let ex = Executor::new();
    let (tx, rx) = channel(1);
    let producer = ex.spawn_future(async move {
        for i in 0..5 {
            tx.send_async(i).await.unwrap();
        }
    });
    let consumer = ex.spawn_future(async move {
        let mut got = Vec::new();
        while let Ok(v) = rx.recv_async().await {
            got.push(v);
        }
        got
    });
    ex.block_on(|| {
        producer.join().unwrap();
        assert_eq!(consumer.join().unwrap(), [0, 1, 2, 3, 4]);
    });
}

#[test]
fn a_dropped_recv_future_gives_its_value_back() {
    let (tx, rx) = unbounded_channel();
    let waker = futures::task::noop_waker();
    let mut cx = Context::from_waker(&waker);
    {
        let mut first = pin!(rx.recv_async());
        assert!(first.as_mut().poll(&mut cx).is_pending());
        tx.send(1).unwrap(); // handed to `first`, which never takes it
    }
    assert_eq!(rx.try_recv(), Ok(1));
    // A pending future that is dropped leaves no entry behind either.
    assert!(futures::FutureExt::now_or_never(rx.recv_async()).is_none());
    tx.send(2).unwrap();
    assert_eq!(rx.len(), 1);
}

#[test]
fn a_dropped_send_future_gives_its_place_to_the_next() {
    let (tx, rx) = channel(1);
    tx.try_send(0).unwrap();
    let waker = futures::task::noop_waker();
    let mut cx = Context::from_waker(&waker);
    let mut first = Box::pin(tx.send_async(1));
    let mut second = Box::pin(tx.send_async(2));
    assert!(first.as_mut().poll(&mut cx).is_pending());
    assert!(second.as_mut().poll(&mut cx).is_pending());
    assert_eq!(rx.try_recv(), Ok(0)); // the slot is handed to `first`
    drop(first);
    assert_eq!(second.as_mut().poll(&mut cx), Poll::Ready(Ok(())));
    assert_eq!(rx.try_recv(), Ok(2));
}

#[test]
fn waiting_outside_a_task_panics_naming_the_function() {
    let (tx, rx) = channel::<u8>(1);
    assert!(panic_message(|| rx.recv()).contains("corun::sync::Receiver::recv called outside"));
    tx.try_send(1).unwrap();
    assert!(panic_message(|| tx.send(2)).contains("corun::sync::Sender::send called outside"));
    // Nothing was left queued by the failed waits.
    assert_eq!(rx.try_recv(), Ok(1));
    assert!(tx.try_send(3).is_ok());
}

#[test]
fn blocking_recv_in_a_future_task_panics_pointing_to_recv_async() {
    let ex = Executor::new();
    let (_tx, rx) = channel::<u8>(1);
    let h = ex.spawn_future(async move { rx.recv() });
    let err = ex.block_on(|| h.join()).unwrap_err();
    let msg = payload_message(err.into_panic());
    assert!(msg.contains("Receiver::recv"), "{msg}");
    assert!(msg.contains("future task"), "{msg}");
}

#[test]
fn waits_in_destructors_of_a_cancelled_task_do_not_suspend() {
    struct Cleanup {
        rx: Receiver<u8>,
        tx: corun::sync::Sender<u8>,
        out: Log<String>,
    }
    impl Drop for Cleanup {
        fn drop(&mut self) {
            // Both would have to wait: they fail at once instead.
            let r = self.rx.recv();
            let s = self.tx.send(9);
            self.out
                .borrow_mut()
                .push(format!("{r:?} {:?}", s.map_err(|e| e.0)));
        }
    }
    let ex = Executor::new();
    let out = log();
    let (_keep_tx, rx) = channel(1);
    let (tx, _keep_rx) = channel(1);
    tx.try_send(0).unwrap();
    let o = out.clone();
    let h = ex.spawn(move || {
        let _c = Cleanup { rx, tx, out: o };
        corun::sleep(Duration::from_secs(60));
    });
    ex.block_on(|| {
        yield_now();
        h.cancel();
        assert!(h.join().unwrap_err().is_cancelled());
    });
    assert_eq!(*out.borrow(), ["Err(RecvError) Err(9)"]);
}

#[test]
fn a_generator_inside_a_task_can_receive() {
    let ex = Executor::new();
    let (tx, rx) = channel(1);
    let _producer = ex.spawn(move || {
        for i in 0..3 {
            tx.send(i).unwrap();
        }
    });
    let got = ex.block_on(|| {
        let evens = corun::Generator::<i32>::new(|co| {
            for v in &rx {
                co.yield_(v * 2);
            }
        });
        evens.collect::<Vec<_>>()
    });
    assert_eq!(got, [0, 2, 4]);
}

#[test]
fn into_iter_receives_from_detached_tasks_until_closed() {
    let ex = Executor::new();
    let (tx, rx) = unbounded_channel();
    let got = ex.block_on(|| {
        for i in 0..3 {
            let tx = tx.clone();
            drop(spawn(move || tx.send(i).unwrap())); // detached
        }
        drop(tx);
        let mut got: Vec<i32> = rx.into_iter().collect();
        got.sort();
        got
    });
    assert_eq!(got, [0, 1, 2]);
}

#[test]
fn a_value_handed_to_a_receive_that_times_out_at_once_is_not_lost() {
    let ex = Executor::new();
    let (tx, rx) = channel(1);
    ex.block_on(|| {
        let _sender = spawn(move || {
            // Blocks the whole executor past the receiver's deadline, then
            // hands it a value: the receiver wakes both handed a value and
            // timed out.
            std::thread::sleep(Duration::from_millis(20));
            tx.send(1).unwrap();
        });
        let r = corun::timeout(Duration::from_millis(1), || rx.recv());
        assert!(r.is_err());
        // The timed-out receive put the value back.
        assert_eq!(rx.try_recv(), Ok(1));
    });
}

#[test]
fn dropping_the_executor_with_blocked_tasks_loses_and_leaks_nothing() {
    let value = Rc::new(());
    let (tx, rx) = channel(1);
    let (full_tx, full_rx) = channel(1);
    full_tx.try_send(value.clone()).unwrap();
    {
        let ex = Executor::new();
        let rx = Rc::new(rx);
        let r = rx.clone();
        let _receiver = ex.spawn(move || r.recv());
        let v = value.clone();
        let _sender = ex.spawn(move || full_tx.send(v));
        ex.block_on(|| {
            yield_now();
            tx.send(value.clone()).unwrap(); // handed to the receiver, unread
            assert_eq!(Rc::strong_count(&value), 4);
        });
        drop(ex);
        // The handed value went back to the channel; the blocked send's
        // value went down with its task.
        assert_eq!(rx.len(), 1);
        assert_eq!(Rc::strong_count(&value), 3);
    }
    drop(full_rx);
    assert_eq!(Rc::strong_count(&value), 1);
}

#[test]
fn a_value_handed_back_by_a_cancelled_receive_after_close_is_still_received() {
    for close_by_receiver in [false, true] {
        let ex = Executor::new();
        let (tx, rx) = channel::<u32>(4);
        let rx = Rc::new(rx);
        let first = {
            let rx = rx.clone();
            ex.spawn(move || rx.recv())
        };
        let second = {
            let rx = rx.clone();
            ex.spawn(move || rx.iter().collect::<Vec<_>>())
        };
        let (first, second) = ex.block_on(|| {
            yield_now(); // both receives wait, `first` at the front
            tx.send(1).unwrap(); // handed to `first`
            if close_by_receiver {
                rx.close();
            } else {
                drop(tx);
            }
            first.cancel(); // it leaves, and the value goes back
            (first.join(), second.join().unwrap())
        });
        assert!(first.unwrap_err().is_cancelled());
        assert_eq!(second, [1], "closed by the receiver: {close_by_receiver}");
        assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    }
}

#[test]
fn recv_timeout_gives_a_value_that_comes_in_time_none_after_it_and_the_close() {
    let ex = Executor::new();
    ex.block_on(|| {
        let (tx, rx) = channel::<i32>(1);
        let sender = spawn(move || {
            corun::sleep(Duration::from_millis(5));
            tx.send(1).unwrap();
            // Gone once the receiver has timed out twice more.
            corun::sleep(Duration::from_millis(50));
        });
        assert_eq!(rx.recv_timeout(Duration::from_secs(60)), Ok(Some(1)));
        assert_eq!(rx.recv_timeout(Duration::from_millis(1)), Ok(None));
        sender.detach();
        assert_eq!(rx.recv_timeout(Duration::from_secs(60)), Err(RecvError));
    });
}
