//! A user's own loom model over corun's cross-thread types: under
//! `--cfg loom`, `corun::sync::mpsc` takes its locks and condition variables
//! from loom, so loom explores every interleaving of this program's threads
//! and would report a lost message or a deadlock.
//!
//! Run: `RUSTFLAGS="--cfg loom" cargo test --release --test loom_user_model`
#![cfg(loom)]

use corun::sync::mpsc::{channel, oneshot};
use loom::thread;

#[test]
fn a_request_reply_protocol_between_two_threads() {
    loom::model(|| {
        let (requests, incoming) = channel::<(u32, corun::sync::mpsc::OneshotSender<u32>)>(1);
        let server = thread::spawn(move || {
            for (n, reply) in incoming.iter() {
                let _ = reply.send(n * 2);
            }
        });
        let (reply, answer) = oneshot();
        requests.send((21, reply)).unwrap();
        assert_eq!(answer.recv(), Ok(42));
        drop(requests); // the server's loop ends
        server.join().unwrap();
    });
}
