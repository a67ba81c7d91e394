//! loom models of the park/notify handshake together with the remote queue
//! it guards: a waker pushes onto a `ConcurrentQueue` and follows rule 1
//! (`Remote::push`); the executor drains, follows rule 2, blocks in its
//! driver and follows rule 3 (`Core::poll_events`).
//!
//! The queue is the real `concurrent-queue`, built on loom's atomics by its
//! `loom` feature, so the models see the queue's own (weak) orderings: the
//! handshake, not the queue, has to make a push visible to the drain. The
//! driver (mio's poller and `mio::Waker`) is a loom `Mutex<bool>` and
//! `Condvar`. An executor that blocks while an item waits in the queue and
//! nobody is left to unblock it is a lost wake-up: loom reports the deadlock.

use super::*;
use concurrent_queue::ConcurrentQueue;
use loom::sync::{Arc, Condvar, Mutex};
use loom::thread;

/// The three transitions, so the harness can also run a broken copy.
trait Handshake: Send + Sync + 'static {
    fn new() -> Self;
    fn notify(&self) -> Notify;
    fn park(&self) -> Park;
    fn unpark(&self);
}

impl Handshake for ParkState {
    fn new() -> Self {
        ParkState::new()
    }
    fn notify(&self) -> Notify {
        self.transition_notify()
    }
    fn park(&self) -> Park {
        self.transition_park()
    }
    fn unpark(&self) {
        self.transition_unpark()
    }
}

/// Stands in for mio: `unblock` is `Waker::wake`, `block` a `poll` with no
/// timeout. A wake that lands before the block is kept (as mio's eventfd
/// stays readable), and the block consumes it.
struct Driver {
    woken: Mutex<bool>,
    cv: Condvar,
}

impl Driver {
    fn unblock(&self) {
        *self.woken.lock().unwrap() = true;
        self.cv.notify_one();
    }

    fn block(&self) {
        let mut woken = self.woken.lock().unwrap();
        while !*woken {
            woken = self.cv.wait(woken).unwrap();
        }
        *woken = false;
    }
}

struct Shared<H> {
    queue: ConcurrentQueue<u32>,
    park: H,
    driver: Driver,
}

impl<H: Handshake> Shared<H> {
    fn new() -> Arc<Self> {
        Arc::new(Shared {
            queue: ConcurrentQueue::unbounded(),
            park: H::new(),
            driver: Driver {
                woken: Mutex::new(false),
                cv: Condvar::new(),
            },
        })
    }

    /// `Remote::push`.
    fn wake(&self, item: u32) {
        self.queue.push(item).unwrap();
        if self.park.notify() == Notify::Unblock {
            self.driver.unblock();
        }
    }

    /// The executor's loop around `Core::poll_events(None)`: drain, and
    /// park only while items are still missing.
    fn run_executor(&self, expected: usize) -> Vec<u32> {
        let mut got = Vec::new();
        loop {
            while let Ok(item) = self.queue.pop() {
                got.push(item);
            }
            if got.len() >= expected {
                got.sort_unstable();
                return got;
            }
            match self.park.park() {
                Park::Block => {
                    self.driver.block();
                    self.park.unpark();
                }
                Park::Skip => {}
            }
        }
    }
}

/// `items.len()` notifier threads, one item each; the executor runs on the
/// model's main thread and must receive every item exactly once.
fn wakers_model<H: Handshake>(items: &'static [u32]) {
    let shared = Shared::<H>::new();
    let notifiers: Vec<_> = items
        .iter()
        .map(|&item| {
            let shared = shared.clone();
            thread::spawn(move || shared.wake(item))
        })
        .collect();
    assert_eq!(shared.run_executor(items.len()), items);
    for notifier in notifiers {
        notifier.join().unwrap();
    }
}

/// One notifier thread pushing `items` one after the other.
fn one_waker_model<H: Handshake>(items: &'static [u32]) {
    let shared = Shared::<H>::new();
    let notifier = {
        let shared = shared.clone();
        thread::spawn(move || {
            for &item in items {
                shared.wake(item);
            }
        })
    };
    assert_eq!(shared.run_executor(items.len()), items);
    notifier.join().unwrap();
}

fn bounded(preemptions: usize) -> loom::model::Builder {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(preemptions);
    builder
}

#[test]
fn loom_one_notifier_is_never_lost() {
    loom::model(|| wakers_model::<ParkState>(&[1]));
}

#[test]
fn loom_two_notifiers_are_never_lost() {
    bounded(3).check(|| wakers_model::<ParkState>(&[1, 2]));
}

#[test]
fn loom_back_to_back_wakes_are_never_lost() {
    bounded(3).check(|| one_waker_model::<ParkState>(&[1, 2]));
}

/// `ParkState` with the bug rule 2 warns about: the `Skip` path resets the
/// word with a plain store.
struct StoreOnSkip {
    word: crate::loom::AtomicU8,
}

impl Handshake for StoreOnSkip {
    fn new() -> Self {
        StoreOnSkip {
            word: crate::loom::AtomicU8::new(EMPTY),
        }
    }
    fn notify(&self) -> Notify {
        match self.word.swap(NOTIFIED, Ordering::AcqRel) {
            PARKED => Notify::Unblock,
            _ => Notify::Nothing,
        }
    }
    fn park(&self) -> Park {
        match self
            .word
            .compare_exchange(EMPTY, PARKED, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => Park::Block,
            Err(_) => {
                self.word.store(EMPTY, Ordering::Release);
                Park::Skip
            }
        }
    }
    fn unpark(&self) {
        self.word.swap(EMPTY, Ordering::AcqRel);
    }
}

/// The lost wake-up the swap prevents. The first notification makes the
/// CAS fail; the second notifier pushes and swaps in `NOTIFIED` between the
/// CAS and the reset, so it sees `NOTIFIED` and leaves the wake to the
/// executor. The plain store reads nothing, so nothing orders that push
/// before the drain: the drain may miss it, the next CAS succeeds and the
/// executor blocks with the item in the queue and no one left to unblock it.
#[test]
#[should_panic(expected = "deadlock")]
fn loom_store_on_skip_loses_a_wake() {
    bounded(3).check(|| wakers_model::<StoreOnSkip>(&[1, 2]));
}
