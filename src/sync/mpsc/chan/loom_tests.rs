//! loom models of the cross-thread channel's state: the shipped `Sender`,
//! `Receiver` and oneshot on loom threads, each waiting side blocking its
//! thread on a loom condition variable (what a user's own model sees).

use crate::loom::model::{bounded, LeakOnPanic};
use crate::sync::mpsc::{channel, oneshot};
use crate::sync::RecvError;
use loom::thread;

// Two values through room for one: the sender waits for room, the receiver
// for values, and neither sleeps through the other's step. The mutant
// (receiver woken before the value is queued) loses a wake-up.
#[test]
fn loom_channel_values_and_room_are_never_missed() {
    bounded().check(|| {
        let (tx, rx) = channel::<u8>(1);
        let rx = LeakOnPanic::new(rx);
        let sender = thread::spawn(move || {
            tx.send(1).unwrap();
            tx.send(2).unwrap();
        });
        assert_eq!(rx.get().recv(), Ok(1));
        assert_eq!(rx.get().recv(), Ok(2));
        assert_eq!(rx.get().recv(), Err(RecvError));
        sender.join().unwrap();
    });
}

// The receiver goes away while a sender waits for room: the sender wakes
// and gets its value back.
#[test]
fn loom_channel_close_wakes_a_waiting_sender() {
    bounded().check(|| {
        let (tx, rx) = channel::<u8>(1);
        let tx = LeakOnPanic::new(tx);
        tx.get().send(1).unwrap();
        let receiver = thread::spawn(move || drop(rx));
        assert_eq!(tx.get().send(2).unwrap_err().into_inner(), 2);
        receiver.join().unwrap();
    });
}

// A Sink parks its value in a full channel and is dropped at once, never
// flushing: the receiver's pop, racing the park, still queues it (rule 6),
// and the receiver sees both values, in order, then the end.
#[test]
fn loom_channel_a_parked_sink_value_is_never_stranded() {
    use futures::Sink;
    bounded().check(|| {
        let (tx, rx) = channel::<u8>(1);
        let rx = LeakOnPanic::new(rx);
        tx.try_send(1).unwrap();
        let sender = thread::spawn(move || {
            let mut tx = tx;
            std::pin::Pin::new(&mut tx).start_send(2).unwrap();
        });
        assert_eq!(rx.get().recv(), Ok(1));
        assert_eq!(rx.get().recv(), Ok(2));
        assert_eq!(rx.get().recv(), Err(RecvError));
        sender.join().unwrap();
    });
}

// A oneshot across threads: the value, or the sender's absence, always
// reaches the receiver.
#[test]
fn loom_oneshot_is_never_lost() {
    bounded().check(|| {
        let (tx, rx) = oneshot::<u8>();
        let sender = thread::spawn(move || tx.send(7).unwrap());
        assert_eq!(rx.recv(), Ok(7));
        sender.join().unwrap();
        let (tx, rx) = oneshot::<u8>();
        let dropper = thread::spawn(move || drop(tx));
        assert_eq!(rx.recv(), Err(RecvError));
        dropper.join().unwrap();
    });
}
