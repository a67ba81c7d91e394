//! loom models of remote wakes and of the idle word (`idle.rs`) together,
//! over the shipped `Remote::push` (rule 1) and the shipped `IdleWord`: the OS wake-up is a loom
//! `Mutex<bool>` and `Condvar` behind the `Unblock` trait, standing in for
//! `mio::Waker`. The executor's side is the core loop's order: drain,
//! rule 2, block, rule 3 (the loop itself runs coroutines, which loom
//! cannot). A lost wake-up is an executor blocked with an item queued and
//! nobody left to unblock it: loom reports the deadlock.

use super::*;
use crate::executor::idle::BeforeIdle;
use crate::loom::model::{bounded, LeakOnPanic};
use crate::loom::{Condvar, Mutex};
use loom::thread;

/// Stands in for mio: a wake that lands before the block is kept (as
/// mio's eventfd stays readable), and the block consumes it.
#[derive(Default)]
struct Driver {
    woken: Mutex<bool>,
    cv: Condvar,
}

impl Driver {
    fn block(&self) {
        let mut woken = self.woken.lock().unwrap();
        while !*woken {
            woken = self.cv.wait(woken).unwrap();
        }
        *woken = false;
    }
}

impl Unblock for Arc<Driver> {
    fn unblock(&self) {
        *self.woken.lock().unwrap() = true;
        self.cv.notify_one();
    }
}

/// The executor's side: drain, and block only while items are missing.
fn run_executor(remote: &Remote, driver: &Driver, expected: usize) -> Vec<RemoteKey> {
    let mut got = Vec::new();
    loop {
        while let Some(key) = remote.pop() {
            got.push(key);
        }
        if got.len() >= expected {
            got.sort_unstable();
            return got;
        }
        if remote.idle.transition_to_idle() == BeforeIdle::Block {
            driver.block();
            remote.idle.transition_from_idle();
        }
    }
}

fn model(wakers: &'static [&'static [RemoteKey]]) {
    let driver = Arc::new(Driver::default());
    let shared = LeakOnPanic::new((Arc::new(Remote::new(driver.clone())), driver));
    let (remote, driver) = shared.get();
    let threads: Vec<_> = wakers
        .iter()
        .map(|keys| {
            let remote = remote.clone();
            thread::spawn(move || keys.iter().for_each(|&key| remote.push(key)))
        })
        .collect();
    let expected: Vec<RemoteKey> = {
        let mut all: Vec<RemoteKey> = wakers.iter().flat_map(|k| k.iter().copied()).collect();
        all.sort_unstable();
        all
    };
    assert_eq!(run_executor(remote, driver, expected.len()), expected);
    threads.into_iter().for_each(|t| t.join().unwrap());
}

// The mutant `remote_push` (`push` notifies before it pushes) lets the
// executor drain an empty queue and block after the notification; the
// mutant `idle_notify` (a load and a store for rule 1's swap) lets it go
// idle between them. loom reports both. Exhaustive.
#[test]
fn loom_remote_push_from_one_thread_is_never_lost() {
    loom::model(|| model(&[&[(0, 1)]]));
}

// Exhaustive. The second wake can land at every point of the executor's
// handshake, including between the CAS and the reset of rule 2.
#[test]
fn loom_remote_back_to_back_pushes_are_never_lost() {
    loom::model(|| model(&[&[(0, 1), (1, 2)]]));
}

// Three threads: exhaustive is out of reach; the preemption bound CI uses.
#[test]
fn loom_remote_pushes_from_two_threads_are_never_lost() {
    bounded().check(|| model(&[&[(0, 1)], &[(1, 2)]]));
}
