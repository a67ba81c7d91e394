//! loom model of a worker's shutdown: the runtime closes the inbox while a
//! task's `Finish` guard leaves the load on another thread; the dispatcher
//! (blocking its thread here) learns the close, then waits for the load to
//! reach zero, and must never sleep through the last task's end.

use super::*;
use crate::loom::model::{bounded, LeakOnPanic};
use crate::runtime::inbox::Wake;
use crate::sync::wait_here::wait;
use loom::thread;
use std::future::poll_fn;
use std::time::Instant;

// The mutant (`leave` wakes the dispatcher before the count drops) loses
// the last wake-up: loom reports the dispatcher blocked forever.
#[test]
fn loom_shutdown_sees_the_last_task_end() {
    bounded().check(|| {
        let shared = LeakOnPanic::new(Arc::new(WorkerShared::new()));
        let worker = shared.get();
        let finish = Finish::enter(Arc::new(Completion::<()>::new()), worker.clone());
        let task = thread::spawn(move || drop(finish));
        let closer = {
            let worker = worker.clone();
            thread::spawn(move || worker.inbox.close(Instant::now()))
        };
        // Nudges ("look around") may come first; then the close.
        while let Wake::Look = wait(poll_fn(|cx| worker.inbox.poll_wait(cx)), "model").unwrap() {
            assert!(worker.inbox.take().is_none(), "no job was pushed");
        }
        wait(poll_fn(|cx| poll_drained(worker, cx)), "model").unwrap();
        assert_eq!(worker.load(), 0);
        task.join().unwrap();
        closer.join().unwrap();
    });
}
