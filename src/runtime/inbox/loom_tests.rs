//! loom models of the inbox (rules 1 to 3 and 5): the shipped `Inbox`, a sender
//! on another thread, and a dispatcher that blocks its thread through the
//! shipped `wait_here` (a loom condition variable) while no job is there.

use super::*;
use crate::loom::model::{bounded, LeakOnPanic};
use crate::loom::{Arc, AtomicUsize, Ordering};
use crate::sync::wait_here::wait;
use loom::thread;
use std::future::poll_fn;

/// The model's jobs: closures.
type Job = Box<dyn FnOnce() + Send>;

/// Waits until a job may be there or the inbox closes, as the dispatcher
/// does.
fn next_wake(inbox: &Inbox<Job>) -> Wake {
    wait(poll_fn(|cx| inbox.poll_wait(cx)), "model").unwrap()
}

fn counting_job(ran: &Arc<AtomicUsize>) -> Job {
    let ran = ran.clone();
    Box::new(move || {
        ran.fetch_add(1, Ordering::SeqCst);
    })
}

fn run(job: Job) {
    job();
}

// A job pushed from another thread is always taken: the dispatcher never
// sleeps while one waits. The mutant (waker taken before the push) loses
// the wake-up: loom reports the dispatcher's thread blocked forever.
#[test]
fn loom_inbox_push_is_never_missed() {
    bounded().check(|| {
        let shared =
            LeakOnPanic::new((Arc::new(Inbox::<Job>::new()), Arc::new(AtomicUsize::new(0))));
        let (inbox, ran) = shared.get();
        let sender = {
            let (inbox, ran) = (inbox.clone(), ran.clone());
            thread::spawn(move || {
                assert!(inbox.push((), |()| counting_job(&ran)).is_ok());
            })
        };
        assert!(matches!(next_wake(inbox), Wake::Look), "not closing");
        run(inbox.take().expect("a job is there"));
        assert_eq!(ran.load(Ordering::SeqCst), 1);
        sender.join().unwrap();
    });
}

// Closing races a push: a job accepted before the close is handed out
// before the deadline is; one refused comes back to its sender.
#[test]
fn loom_inbox_close_hands_out_every_accepted_job() {
    bounded().check(|| {
        let shared =
            LeakOnPanic::new((Arc::new(Inbox::<Job>::new()), Arc::new(AtomicUsize::new(0))));
        let (inbox, ran) = shared.get();
        let sender = {
            let (inbox, ran) = (inbox.clone(), ran.clone());
            thread::spawn(move || inbox.push((), |()| counting_job(&ran)).is_ok())
        };
        let closer = {
            let inbox = inbox.clone();
            thread::spawn(move || inbox.close(Instant::now()))
        };
        while let Wake::Look = next_wake(inbox) {
            run(inbox.take().expect("a job is there"));
        }
        let accepted = sender.join().unwrap();
        closer.join().unwrap();
        assert_eq!(ran.load(Ordering::SeqCst), usize::from(accepted));
    });
}
