//! loom models of the shared broadcast channel: the shipped channel on
//! loom threads, a waiting receiver blocking its thread on a loom
//! condition variable.

use super::{channel, RecvError};
use crate::loom::model::bounded;
use loom::thread;

// One thread sends two values and drops the sender while another receives
// until the end: however the sends, the drop and the waits interleave, the
// receiver gets both values in order, then `Closed`. The mutant (the value
// queued, nobody who waits told) leaves it asleep.
#[test]
fn loom_broadcast_values_and_the_end_are_never_missed() {
    bounded().check(|| {
        let (tx, mut rx) = channel::<u8>(2);
        let receiver = thread::spawn(move || {
            let mut got = Vec::new();
            let end = loop {
                match rx.recv() {
                    Ok(v) => got.push(v),
                    Err(e) => break e,
                }
            };
            (got, end)
        });
        let sender = thread::spawn(move || {
            tx.send(1).unwrap();
            tx.send(2).unwrap();
        });
        sender.join().unwrap();
        assert_eq!(receiver.join().unwrap(), (vec![1, 2], RecvError::Closed));
    });
}
