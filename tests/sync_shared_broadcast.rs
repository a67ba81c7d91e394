//! `sync::shared::broadcast`: every receiver takes every value sent after
//! it subscribed, once, in order, on runtime workers and plain threads at
//! once; a full queue drops its oldest value and the receivers behind say
//! by how much they lagged; values go as soon as everyone has taken them;
//! the channel closes both ways; waits that leave take nothing; the future
//! and `Stream` forms woken from other threads; unwinding; and a stress of
//! several sending threads.

use corun::sync::shared::broadcast::{self, RecvError, TryRecvError};
use corun::{timeout, yield_now, Executor};
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

mod common;
use common::{blocked, in_cancelled_cleanup, log, panic_message, push, runtime, Log};

const SHORT: Duration = Duration::from_millis(2);

fn noop() -> Context<'static> {
    Context::from_waker(Waker::noop())
}

/// Everything `rx` holds now.
fn drain<T: Clone>(rx: &mut broadcast::Receiver<T>) -> Vec<T> {
    std::iter::from_fn(|| rx.try_recv().ok()).collect()
}

/// What `recv` gives until the end: each value, and each lag as how many
/// values it skipped.
fn recv_all<T: Clone>(mut rx: broadcast::Receiver<T>) -> (Vec<T>, Vec<u64>) {
    let (mut got, mut lags) = (Vec::new(), Vec::new());
    loop {
        match rx.recv() {
            Ok(v) => got.push(v),
            Err(RecvError::Lagged(n)) => lags.push(n),
            Err(RecvError::Closed) => return (got, lags),
            Err(e) => panic!("unexpected {e}"),
        }
    }
}

#[test]
fn the_halves_and_the_future_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<broadcast::Sender<Vec<u8>>>();
    send_sync::<broadcast::Receiver<Vec<u8>>>();
    send_sync::<broadcast::Recv<'static, Vec<u8>>>();
}

#[test]
fn every_receiver_on_workers_and_threads_takes_every_value_once_in_order() {
    let rt = runtime(2);
    let (tx, rx) = broadcast::channel(256);
    let tasks: Vec<_> = (0..2)
        .map(|w| {
            let rx = tx.subscribe();
            rt.spawn_on(w, move || recv_all(rx))
        })
        .collect();
    let thread = std::thread::spawn(move || recv_all(rx));
    let sender = std::thread::spawn(move || {
        for v in 1..=200u32 {
            assert_eq!(tx.send(v).unwrap(), 3);
        }
    });
    sender.join().unwrap();
    let expect: Vec<u32> = (1..=200).collect();
    for t in tasks {
        assert_eq!(t.join().unwrap(), (expect.clone(), vec![]));
    }
    assert_eq!(thread.join().unwrap(), (expect, vec![]));
}

#[test]
fn a_receiver_takes_only_the_values_sent_after_it_was_made() {
    let (tx, mut first) = broadcast::channel(8);
    tx.send(1).unwrap();
    let mut late = tx.subscribe();
    assert_eq!(tx.send(2).unwrap(), 2);
    tx.send(3).unwrap();
    assert_eq!(drain(&mut first), [1, 2, 3]);
    assert_eq!((late.len(), tx.len()), (2, 2));
    assert_eq!(drain(&mut late), [2, 3]);
    let mut fresh = late.resubscribe();
    assert!(fresh.same_channel(&late));
    tx.send(4).unwrap();
    assert_eq!((fresh.len(), late.len()), (1, 1));
    assert_eq!(drain(&mut fresh), [4]);
    assert!(fresh.is_empty());
    assert_eq!(tx.receiver_count(), 3);
    let tx2 = tx.clone();
    assert!(tx2.same_channel(&tx));
    assert_eq!(tx.sender_count(), 2);
    drop(fresh);
    assert_eq!(tx2.receiver_count(), 2);
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
    assert_eq!(slow.len(), 2, "values it lagged past are not counted");
    assert_eq!(slow.try_recv(), Err(TryRecvError::Lagged(3)));
    assert_eq!(slow.try_recv(), Ok(4));
    assert_eq!(slow.try_recv(), Ok(5));
    assert_eq!(slow.try_recv(), Err(TryRecvError::Empty));
    assert!(tx.is_empty());

    // The blocking form on another thread: the lag, then the oldest kept.
    for i in 6..=9 {
        tx.send(i).unwrap();
    }
    drop((tx, fast));
    let on_thread = std::thread::spawn(move || recv_all(slow));
    assert_eq!(on_thread.join().unwrap(), (vec![8, 9], vec![2]));
}

#[test]
fn a_value_goes_once_every_receiver_took_it_or_left() {
    let (tx, mut a) = broadcast::channel(8);
    let mut b = tx.subscribe();
    let value = Arc::new(());
    tx.send(value.clone()).unwrap();
    let from_a = a.try_recv().unwrap();
    assert_eq!(
        Arc::strong_count(&value),
        3,
        "ours, a's clone, the queued one"
    );
    let from_b = b.try_recv().unwrap(); // the last: takes the queued one itself
    assert_eq!(Arc::strong_count(&value), 3);
    assert!(tx.is_empty());
    drop((from_a, from_b));
    tx.send(value.clone()).unwrap();
    drop(b); // b never takes it: it is owed to a alone now
    drop(a.try_recv().unwrap());
    assert!(tx.is_empty());
    assert_eq!(Arc::strong_count(&value), 1);
    tx.send(value.clone()).unwrap();
    drop(a); // the last receiver leaves: the value goes with it
    assert!(tx.is_empty());
    assert_eq!(Arc::strong_count(&value), 1);
}

#[test]
fn the_last_sender_closes_after_the_queued_values_and_no_receiver_hands_values_back() {
    let rt = runtime(2);
    let (tx, mut rx) = broadcast::channel(4);
    let tx2 = tx.clone();
    let waiting = tx.subscribe();
    // A task on a worker waits; the senders go on other threads.
    let waiter = rt.spawn_on(1, move || recv_all(waiting));
    std::thread::spawn(move || {
        tx.send("a").unwrap();
        tx.send("b").unwrap();
    })
    .join()
    .unwrap();
    assert!(!rx.is_closed(), "a clone still sends");
    std::thread::spawn(move || drop(tx2)).join().unwrap();
    assert!(rx.is_closed());
    assert_eq!(waiter.join().unwrap(), (vec!["a", "b"], vec![]));
    assert_eq!(rx.len(), 2, "closed, with values left to take");
    assert_eq!(rx.try_recv(), Ok("a"));
    assert_eq!(rx.recv(), Ok("b"));
    assert_eq!(rx.recv(), Err(RecvError::Closed));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));

    let (tx, rx) = broadcast::channel(4);
    drop(rx);
    assert_eq!(tx.receiver_count(), 0);
    assert_eq!(tx.send(vec![1]).unwrap_err().into_inner(), [1]);
    assert!(tx.is_empty(), "nothing was queued");
}

#[test]
fn try_recv_says_empty_lagged_and_closed() {
    let (tx, mut rx) = broadcast::channel::<u8>(1);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    tx.send(1).unwrap();
    tx.send(2).unwrap();
    assert_eq!(rx.try_recv(), Err(TryRecvError::Lagged(1)));
    assert_eq!(rx.try_recv(), Ok(2));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    drop(tx);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    assert_eq!(
        TryRecvError::Lagged(4).to_string(),
        "the receiver lagged behind and missed 4 values"
    );
}

#[test]
fn waits_that_are_cancelled_time_out_or_are_dropped_leave_and_take_nothing() {
    let ex = Executor::new();
    let (tx, rx) = broadcast::channel(4);
    let out: Log<String> = log();
    let mut gone = rx.resubscribe();
    let cancelled = ex.spawn(move || gone.recv());
    let mut stays = rx;
    let o = out.clone();
    let staying = ex.spawn(move || {
        while let Ok(v) = stays.recv() {
            push(&o, v);
        }
    });
    ex.block_on(|| {
        while blocked(&ex).len() < 2 {
            yield_now();
        }
        assert_eq!(blocked(&ex), ["shared::broadcast::Receiver::recv"; 2]);
        assert!(format!("{tx:?}").contains("waiting: 2"));
        cancelled.cancel();
        assert!(cancelled.join().unwrap_err().is_cancelled());
        assert!(format!("{tx:?}").contains("receivers: 1, waiting: 1"));
        let mut timed = tx.subscribe();
        assert!(timeout(SHORT, || timed.recv()).is_err());
        assert!(
            format!("{tx:?}").contains("waiting: 1"),
            "the timed one left"
        );
        tx.send("a".to_string()).unwrap();
        assert_eq!(timed.try_recv().as_deref(), Ok("a"), "still owed to it");
        tx.send("b".to_string()).unwrap();
        drop(tx);
        staying.join().unwrap();
    });
    assert_eq!(*out.borrow(), ["a", "b"]);

    // A dropped future leaves the queue, and the value is still taken.
    let (tx, mut rx) = broadcast::channel(4);
    {
        let mut fut = pin!(rx.recv_async());
        assert!(fut.as_mut().poll(&mut noop()).is_pending());
        assert!(format!("{tx:?}").contains("waiting: 1"));
    }
    assert!(format!("{tx:?}").contains("waiting: 0"));
    tx.send(1).unwrap();
    assert_eq!(rx.try_recv(), Ok(1));
}

#[test]
fn recv_async_in_a_future_task_and_in_block_on_is_woken_from_another_thread() {
    let rt = runtime(2);
    let (tx, mut rx) = broadcast::channel(4);
    let mut other = tx.subscribe();
    let on_worker = rt.spawn_on(0, move || {
        corun::spawn_future(async move {
            let mut got = Vec::new();
            while let Ok(v) = rx.recv_async().await {
                got.push(v);
            }
            got
        })
        .join()
        .unwrap()
    });
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let sender = std::thread::spawn(move || {
        ready_rx.recv().unwrap(); // block_on below waits by now, or soon
        for v in [1, 2, 3] {
            tx.send(v).unwrap();
        }
    });
    let first = futures::executor::block_on(async {
        let mut fut = pin!(other.recv_async());
        // Pending first: the value must come through a wake.
        assert!(
            std::future::poll_fn(|cx| Poll::Ready(fut.as_mut().poll(cx)))
                .await
                .is_pending()
        );
        ready_tx.send(()).unwrap();
        fut.await
    });
    assert_eq!(first, Ok(1));
    sender.join().unwrap();
    assert_eq!(drain(&mut other), [2, 3]);
    assert_eq!(on_worker.join().unwrap(), [1, 2, 3]);
}

#[test]
fn the_receiver_as_a_stream_says_where_it_lagged_and_ends() {
    use futures::StreamExt;
    let (tx, rx) = broadcast::channel(2);
    for i in 1..=4 {
        tx.send(i).unwrap(); // 1 and 2 are dropped: the stream lagged by 2
    }
    let rt = runtime(2);
    let h = rt.spawn_on(1, move || {
        corun::spawn_future(rx.collect::<Vec<_>>()).join()
    });
    std::thread::spawn(move || {
        // Once the stream has taken what is queued and waits: a send
        // before would push out 3 as well.
        while format!("{tx:?}").contains("waiting: 0") {
            std::thread::yield_now();
        }
        tx.send(5).unwrap();
    });
    assert_eq!(
        h.join().unwrap().unwrap(),
        [Err(RecvError::Lagged(2)), Ok(3), Ok(4), Ok(5)]
    );

    // Dropped while it waits, the stream leaves the queue.
    let (tx, mut rx) = broadcast::channel::<u8>(2);
    assert!(rx.poll_next_unpin(&mut noop()).is_pending());
    assert!(format!("{tx:?}").contains("waiting: 1"));
    drop(rx);
    assert!(format!("{tx:?}").contains("waiting: 0"));
}

#[test]
fn an_unwinding_receiver_fails_instead_of_waiting() {
    let ex = Executor::new();
    let (tx, mut rx) = broadcast::channel::<u8>(4);
    let out: Log<String> = log();
    let o = out.clone();
    in_cancelled_cleanup(&ex, move || {
        push(&o, rx.recv().unwrap_err().to_string());
    });
    assert_eq!(
        *out.borrow(),
        ["cannot wait for a value while the task is unwinding"]
    );
    assert_eq!(tx.receiver_count(), 0, "the receiver went with the task");
    assert!(format!("{tx:?}").contains("waiting: 0"));
}

#[test]
fn misuse_panics_say_what_to_do() {
    let msg = panic_message(|| broadcast::channel::<u8>(0));
    assert!(msg.contains("the capacity must be at least 1"), "{msg}");
    let ex = Executor::new();
    let (_tx, mut rx) = broadcast::channel::<u8>(1);
    let h = ex.spawn_future(async move { rx.recv() });
    let err = ex.block_on(|| h.join()).unwrap_err();
    assert!(err.is_panic(), "{err}");
    let text = err.to_string();
    assert!(text.contains("shared::broadcast::Receiver::recv"), "{text}");
    assert!(text.contains("future task"), "{text}");
    assert!(text.contains("recv_async().await"), "{text}");
}

/// Senders' values as (sender, index), so each receiver can check the
/// order of each sender's values.
type Tagged = (u32, u32);

/// Checks one receiver's take of a stress run: each sender's values in
/// order, none twice, and every value sent either taken or counted in a
/// lag.
fn check_take(got: &[Tagged], lags: &[u64], senders: u32, per_sender: u32) {
    let mut next = vec![0u32; senders as usize];
    for &(s, i) in got {
        assert!(
            i >= next[s as usize],
            "sender {s}: {i} after {}",
            next[s as usize]
        );
        next[s as usize] = i + 1;
    }
    let lagged: u64 = lags.iter().sum();
    assert_eq!(got.len() as u64 + lagged, u64::from(senders * per_sender));
}

#[test]
fn stress_several_sending_threads_and_receivers_on_workers_lose_and_duplicate_nothing() {
    const SENDERS: u32 = 2;
    const PER_SENDER: u32 = 5_000;
    let rt = runtime(2);
    for capacity in [(SENDERS * PER_SENDER) as usize, 4] {
        let (tx, rx) = broadcast::channel::<Tagged>(capacity);
        let on_workers: Vec<_> = (0..4)
            .map(|r| {
                let rx = tx.subscribe();
                rt.spawn_on(r % 2, move || recv_all(rx))
            })
            .collect();
        let on_thread = std::thread::spawn(move || recv_all(rx));
        let senders: Vec<_> = (0..SENDERS)
            .map(|s| {
                let tx = tx.clone();
                std::thread::spawn(move || {
                    for i in 0..PER_SENDER {
                        assert_eq!(tx.send((s, i)).unwrap(), 5);
                    }
                })
            })
            .collect();
        drop(tx);
        for s in senders {
            s.join().unwrap();
        }
        let mut takes: Vec<_> = on_workers.into_iter().map(|h| h.join().unwrap()).collect();
        takes.push(on_thread.join().unwrap());
        for (got, lags) in takes {
            check_take(&got, &lags, SENDERS, PER_SENDER);
            if capacity as u32 >= SENDERS * PER_SENDER {
                assert!(lags.is_empty(), "room for every value: no lag");
                let mut sorted = got.clone();
                sorted.sort_unstable();
                let all: Vec<Tagged> = (0..SENDERS)
                    .flat_map(|s| (0..PER_SENDER).map(move |i| (s, i)))
                    .collect();
                assert_eq!(sorted, all, "every value once");
                let sum: u64 = got
                    .iter()
                    .map(|&(s, i)| u64::from(s * PER_SENDER + i))
                    .sum();
                let n = u64::from(SENDERS * PER_SENDER);
                assert_eq!(sum, n * (n - 1) / 2);
            }
        }
    }
}
