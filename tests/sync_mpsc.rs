//! Cross-thread channels and the cross-thread oneshot: plain threads,
//! runtime tasks, executor tasks, futures; closing and errors; a stress run.

mod common;

use common::{panic_message, runtime as rt};
use corun::sync::mpsc::{channel, oneshot, unbounded_channel, Receiver, Sender};
use corun::sync::{RecvError, SendError, TryRecvError, TrySendError};
use std::time::Duration;

#[test]
fn plain_threads_send_and_receive_in_order() {
    let (tx, rx) = channel(4);
    let t = std::thread::spawn(move || {
        for i in 0..1000 {
            tx.send(i).unwrap();
        }
    });
    let got: Vec<i32> = rx.iter().collect();
    assert_eq!(got, (0..1000).collect::<Vec<_>>());
    t.join().unwrap();
}

#[test]
fn try_ops_never_wait_and_say_why() {
    let (tx, rx) = channel(1);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    tx.try_send(1).unwrap();
    assert!(matches!(tx.try_send(2), Err(TrySendError::Full(2))));
    assert_eq!(tx.capacity(), Some(1));
    assert_eq!(rx.len(), 1);
    assert_eq!(rx.try_recv(), Ok(1));
    drop(tx);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    assert_eq!(rx.recv(), Err(RecvError));
}

#[test]
fn a_send_on_a_closed_channel_hands_the_value_back() {
    let (tx, rx) = unbounded_channel();
    drop(rx);
    assert!(tx.is_closed());
    assert_eq!(
        tx.send(String::from("kept")).unwrap_err().into_inner(),
        "kept"
    );
    let (tx, rx) = channel(1);
    tx.send(1).unwrap();
    let waiting = std::thread::spawn(move || tx.send(2).unwrap_err().into_inner());
    std::thread::sleep(Duration::from_millis(20));
    rx.close();
    assert_eq!(waiting.join().unwrap(), 2);
    // Values queued before the close are still received.
    assert_eq!(rx.recv(), Ok(1));
    assert_eq!(rx.recv(), Err(RecvError));
}

#[test]
fn zero_capacity_panics_with_what_to_do() {
    let msg = panic_message(|| channel::<u8>(0));
    assert!(msg.contains("unbounded_channel"), "{msg}");
}

#[test]
fn a_capacity_too_large_to_allocate_panics_with_what_to_do() {
    // Allocated at once, 1 << 40 slots would abort the process.
    for capacity in [corun::sync::mpsc::MAX_CAPACITY + 1, 1 << 40, usize::MAX] {
        let msg = panic_message(|| channel::<u8>(capacity));
        assert!(
            msg.contains("MAX_CAPACITY") && msg.contains("unbounded_channel"),
            "{msg}"
        );
    }
}

#[test]
fn a_receiving_task_suspends_and_its_worker_runs_others() {
    let rt = rt(1);
    let (tx, rx) = channel::<u32>(8);
    let receiver = rt.spawn_on(0, move || rx.iter().sum::<u32>());
    // The only worker is free while the receiver waits.
    assert_eq!(rt.spawn_on(0, || 5).join().unwrap(), 5);
    for i in 0..100 {
        tx.send(i).unwrap();
    }
    drop(tx);
    assert_eq!(receiver.join().unwrap(), 4950);
}

#[test]
fn tasks_on_two_workers_ping_pong() {
    let rt = rt(2);
    let (to_b, from_a) = channel::<u32>(1);
    let (to_a, from_b) = channel::<u32>(1);
    let b = rt.spawn_on(1, move || {
        for v in from_a.iter() {
            to_a.send(v + 1).unwrap();
        }
    });
    let a = rt.spawn_on(0, move || {
        let mut v = 0;
        for _ in 0..1000 {
            to_b.send(v).unwrap();
            v = from_b.recv().unwrap();
        }
        v
    });
    assert_eq!(a.join().unwrap(), 1000);
    b.join().unwrap();
}

#[test]
fn a_sending_task_waits_for_room_suspending_only_itself() {
    let rt = rt(1);
    let (tx, rx) = channel::<u32>(2);
    let sender = rt.spawn_on(0, move || {
        for i in 0..50 {
            tx.send(i).unwrap();
        }
    });
    assert_eq!(rt.spawn_on(0, || "free").join().unwrap(), "free");
    let got: Vec<u32> = rx.iter().collect();
    assert_eq!(got, (0..50).collect::<Vec<_>>());
    sender.join().unwrap();
}

/// A sink whose channel (capacity 4) is full, holding 0..4, with 100
/// parked by a flush that was polled once and is never polled again.
fn full_channel_and_a_parked_sink() -> (Sender<u32>, Sender<u32>, Receiver<u32>) {
    use futures::task::noop_waker;
    use futures::Sink;
    use std::pin::Pin;
    use std::task::Context;

    let (tx, rx) = channel::<u32>(4);
    let mut sink = tx.clone();
    for i in 0..4 {
        tx.try_send(i).unwrap();
    }
    let waker = noop_waker();
    Pin::new(&mut sink).start_send(100).unwrap();
    assert!(Pin::new(&mut sink)
        .poll_flush(&mut Context::from_waker(&waker))
        .is_pending());
    (tx, sink, rx)
}

#[test]
fn a_sink_that_stopped_flushing_still_delivers_its_item_in_order_at_the_next_pop() {
    use futures::task::noop_waker;
    use futures::Sink;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    let (tx, mut sink, rx) = full_channel_and_a_parked_sink();
    // The pop that makes room queues the parked item, though its sink is
    // never polled: the next free slot went to it, not to a newcomer.
    assert_eq!(rx.recv(), Ok(0));
    assert_eq!(rx.len(), 4);
    assert!(matches!(tx.try_send(4), Err(TrySendError::Full(4))));
    assert_eq!(rx.recv(), Ok(1));
    assert_eq!(rx.recv(), Ok(2));
    // It holds nothing back once queued: the other senders take the room.
    tx.try_send(5).unwrap();
    tx.try_send(6).unwrap();
    assert!(matches!(tx.try_send(7), Err(TrySendError::Full(7))));
    // Polled again, the sink finds its item sent.
    let waker = noop_waker();
    let mut cx = Context::from_waker(&waker);
    assert_eq!(Pin::new(&mut sink).poll_flush(&mut cx), Poll::Ready(Ok(())));
    drop((tx, sink));
    assert_eq!(rx.iter().collect::<Vec<_>>(), [3, 100, 5, 6]);
}

#[test]
fn a_sinks_parked_item_outlives_its_sender_and_a_close_drops_it_with_an_error() {
    use futures::task::noop_waker;
    use futures::Sink;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    // Dropped with its item parked, the sender loses nothing.
    let (tx, sink, rx) = full_channel_and_a_parked_sink();
    drop((tx, sink));
    assert_eq!(rx.iter().collect::<Vec<_>>(), [0, 1, 2, 3, 100]);

    // The receiver closes while the item is parked: the flush says so.
    let (tx, mut sink, rx) = full_channel_and_a_parked_sink();
    rx.close();
    let waker = noop_waker();
    let mut cx = Context::from_waker(&waker);
    assert_eq!(
        Pin::new(&mut sink).poll_flush(&mut cx),
        Poll::Ready(Err(SendError(())))
    );
    drop(tx);
    assert_eq!(rx.iter().collect::<Vec<_>>(), [0, 1, 2, 3]);

    // Queued first and then closed: the flush reports it sent.
    let (_tx, mut sink, rx) = full_channel_and_a_parked_sink();
    assert_eq!(rx.recv(), Ok(0));
    rx.close();
    assert_eq!(Pin::new(&mut sink).poll_flush(&mut cx), Poll::Ready(Ok(())));
}

#[test]
fn a_sink_send_abandoned_by_a_timeout_does_not_wedge_the_channel() {
    use futures::{FutureExt, SinkExt};
    let ex = corun::Executor::new();
    let got = ex.block_on(|| {
        let (mut tx, rx) = channel::<u32>(1);
        tx.try_send(1).unwrap();
        corun::await_(async {
            futures::select! {
                _ = SinkExt::send(&mut tx, 2).fuse() => panic!("there was no room"),
                _ = corun::time::sleep_future(Duration::from_millis(10)).fuse() => {}
            }
        });
        let mut got = vec![rx.recv().unwrap(), rx.recv().unwrap()];
        // The same sender and a clone both go on.
        tx.send(3).unwrap();
        got.push(rx.recv().unwrap());
        tx.clone().send(4).unwrap();
        got.push(rx.recv().unwrap());
        got
    });
    assert_eq!(got, [1, 2, 3, 4]);
}

#[test]
fn a_sender_waiting_behind_an_abandoned_sink_is_woken_by_the_room_for_it() {
    let (tx, sink, rx) = full_channel_and_a_parked_sink();
    // A thread waits behind the parked item, whose sink is never polled.
    let blocked = {
        let tx = tx.clone();
        std::thread::spawn(move || tx.send(200))
    };
    std::thread::sleep(Duration::from_millis(20)); // it waits by now
    let mut got = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !blocked.is_finished() {
        assert!(
            std::time::Instant::now() < deadline,
            "the waiting sender was never woken"
        );
        if let Ok(v) = rx.try_recv() {
            got.push(v);
        } else {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    blocked.join().unwrap().unwrap();
    drop((tx, sink));
    got.extend(rx.iter());
    assert_eq!(got, [0, 1, 2, 3, 100, 200]);
}

#[test]
fn futures_stream_sink_and_executor_tasks() {
    use futures::{SinkExt, StreamExt};
    let (mut tx, rx) = channel::<u32>(2);
    let t = std::thread::spawn(move || {
        futures::executor::block_on(async {
            for i in 0..10 {
                tx.feed(i).await.unwrap();
            }
            // `feed` may leave the last item in the sender: flush it.
            tx.close().await.unwrap();
        })
    });
    let ex = corun::Executor::new();
    let h = ex.spawn_future(rx.collect::<Vec<u32>>());
    assert_eq!(
        ex.block_on(|| h.join().unwrap()),
        (0..10).collect::<Vec<_>>()
    );
    t.join().unwrap();

    let (tx, rx) = unbounded_channel();
    let ex = corun::Executor::new();
    let t = std::thread::spawn(move || tx.send(3).unwrap());
    assert_eq!(ex.block_on(|| rx.recv()), Ok(3));
    assert_eq!(futures::executor::block_on(rx.recv_async()), Err(RecvError));
    t.join().unwrap();
}

#[test]
fn recv_timeout_in_a_thread_and_in_a_task() {
    let (tx, rx) = channel::<u8>(1);
    assert_eq!(rx.recv_timeout(Duration::from_millis(5)), Ok(None));
    tx.send(1).unwrap();
    assert_eq!(rx.recv_timeout(Duration::from_millis(5)), Ok(Some(1)));
    let rt = rt(1);
    let h = rt.spawn(move || {
        let first = rx.recv_timeout(Duration::from_millis(5));
        let second = rx.recv_timeout(Duration::from_secs(60));
        (first, second)
    });
    std::thread::sleep(Duration::from_millis(30));
    tx.send(2).unwrap();
    assert_eq!(h.join().unwrap(), (Ok(None), Ok(Some(2))));
}

#[test]
fn a_cancelled_receiving_task_unwinds_and_the_channel_closes() {
    let rt = rt(1);
    let (tx, rx) = channel::<u8>(1);
    let (started, has_started) = std::sync::mpsc::channel();
    let h = rt.spawn(move || {
        started.send(()).unwrap();
        rx.recv()
    });
    // Started: a task cancelled before it starts never runs, and its
    // closure (the receiver) is dropped when its worker reaches it.
    has_started.recv().unwrap();
    h.cancel();
    assert!(h.join().unwrap_err().is_cancelled());
    // The receiver was dropped when its task unwound.
    assert!(tx.send(1).is_err());
}

#[test]
fn oneshot_across_threads_tasks_and_futures() {
    let (tx, rx) = oneshot();
    std::thread::spawn(move || tx.send(5).unwrap());
    assert_eq!(rx.recv(), Ok(5));

    let rt = rt(2);
    let (tx, rx) = oneshot::<&str>();
    let waiter = rt.spawn_on(0, move || rx.recv());
    rt.spawn_on(1, move || tx.send("across").unwrap())
        .join()
        .unwrap();
    assert_eq!(waiter.join().unwrap(), Ok("across"));

    let (tx, mut rx) = oneshot::<u8>();
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    drop(tx);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    assert_eq!(futures::executor::block_on(rx), Err(RecvError));

    let (tx, rx) = oneshot::<u8>();
    drop(rx);
    assert!(tx.is_closed());
    assert_eq!(tx.send(9), Err(9));
}

/// 4 producer threads × N messages into receiver tasks on other workers;
/// every message arrives exactly once (sum and xor checksums), some channels
/// closed early by their receiver.
#[test]
fn stress_producers_into_tasks_on_other_workers() {
    const PRODUCERS: u64 = 4;
    let per_producer: u64 = if cfg!(debug_assertions) {
        250_000
    } else {
        1_000_000
    };
    let rt = rt(2);
    let mut receivers = Vec::new();
    let mut producers = Vec::new();
    for p in 0..PRODUCERS {
        let (tx, rx) = if p % 2 == 0 {
            channel(256)
        } else {
            unbounded_channel()
        };
        // Producer 3's receiver closes after a while: its producer stops
        // when a send fails and reports how many went through.
        let stop_after = (p == 3).then_some(per_producer / 3);
        receivers.push(rt.spawn_on((p % 2) as usize, move || {
            let (mut n, mut sum, mut xor) = (0u64, 0u64, 0u64);
            for v in rx.iter() {
                n += 1;
                sum = sum.wrapping_add(v);
                xor ^= v;
                if Some(n) == stop_after {
                    rx.close();
                }
            }
            (n, sum, xor)
        }));
        producers.push(std::thread::spawn(move || {
            let mut sent = Vec::new();
            for i in 0..per_producer {
                let v = p << 40 | i;
                if tx.send(v).is_err() {
                    break;
                }
                sent.push(v);
            }
            sent
        }));
    }
    for (p, (producer, receiver)) in producers.into_iter().zip(receivers).enumerate() {
        let sent = producer.join().unwrap();
        let (n, sum, xor) = receiver.join().unwrap();
        assert_eq!(n, sent.len() as u64, "producer {p}");
        assert_eq!(sum, sent.iter().fold(0u64, |a, v| a.wrapping_add(*v)));
        assert_eq!(xor, sent.iter().fold(0, |a, v| a ^ v));
        if p == 3 {
            // Values queued before the close are still received.
            assert!(n >= per_producer / 3);
        } else {
            assert_eq!(n, per_producer);
        }
    }
}

mod model {
    //! Random sequences of non-waiting operations against a `VecDeque`.
    use corun::sync::mpsc::channel;
    use corun::sync::{TryRecvError, TrySendError};
    use proptest::prelude::*;
    use std::collections::VecDeque;

    #[derive(Debug, Clone)]
    enum Op {
        Send(u8),
        Recv,
        Clone,
        DropSender,
        Close,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => any::<u8>().prop_map(Op::Send),
            4 => Just(Op::Recv),
            1 => Just(Op::Clone),
            1 => Just(Op::DropSender),
            1 => Just(Op::Close),
        ]
    }

    proptest! {
        #[test]
        fn try_ops_match_a_queue(cap in 1usize..5, ops in proptest::collection::vec(op(), 1..60)) {
            let (tx, rx) = channel::<u8>(cap);
            let mut senders = vec![tx];
            let mut model: VecDeque<u8> = VecDeque::new();
            let mut closed = false;
            for op in ops {
                match op {
                    Op::Send(v) => {
                        let Some(tx) = senders.last() else { continue };
                        match tx.try_send(v) {
                            Ok(()) => {
                                prop_assert!(!closed && model.len() < cap);
                                model.push_back(v);
                            }
                            Err(TrySendError::Full(back)) => {
                                prop_assert!(!closed && model.len() == cap);
                                prop_assert_eq!(back, v);
                            }
                            Err(TrySendError::Closed(back)) => {
                                prop_assert!(closed);
                                prop_assert_eq!(back, v);
                            }
                        }
                    }
                    Op::Recv => match rx.try_recv() {
                        Ok(v) => prop_assert_eq!(Some(v), model.pop_front()),
                        Err(TryRecvError::Empty) => {
                            prop_assert!(model.is_empty() && !closed && !senders.is_empty());
                        }
                        Err(TryRecvError::Closed) => {
                            prop_assert!(model.is_empty() && (closed || senders.is_empty()));
                        }
                    },
                    Op::Clone => {
                        if let Some(tx) = senders.last() {
                            senders.push(tx.clone());
                        }
                    }
                    Op::DropSender => {
                        senders.pop();
                    }
                    Op::Close => {
                        rx.close();
                        closed = true;
                    }
                }
                prop_assert_eq!(rx.len(), model.len());
            }
        }
    }
}
