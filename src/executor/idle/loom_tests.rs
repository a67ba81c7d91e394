//! loom models of the idle/notify handshake together with the remote queue
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
use crate::loom::{Arc, Condvar, Mutex};
use concurrent_queue::ConcurrentQueue;
use loom::thread;

/// The three transitions, so the harness can also run a broken copy.
trait Handshake: Send + Sync + 'static {
    fn new() -> Self;
    fn notify(&self) -> AfterNotify;
    fn to_idle(&self) -> BeforeIdle;
    fn from_idle(&self);
}

impl Handshake for IdleWord {
    fn new() -> Self {
        IdleWord::new()
    }
    fn notify(&self) -> AfterNotify {
        self.transition_notify()
    }
    fn to_idle(&self) -> BeforeIdle {
        self.transition_to_idle()
    }
    fn from_idle(&self) {
        self.transition_from_idle()
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
    idle: H,
    driver: Driver,
}

impl<H: Handshake> Shared<H> {
    fn new() -> Arc<Self> {
        Arc::new(Shared {
            queue: ConcurrentQueue::unbounded(),
            idle: H::new(),
            driver: Driver {
                woken: Mutex::new(false),
                cv: Condvar::new(),
            },
        })
    }

    /// `Remote::push`.
    fn wake(&self, item: u32) {
        self.queue.push(item).unwrap();
        if self.idle.notify() == AfterNotify::Unblock {
            self.driver.unblock();
        }
    }

    /// The executor's loop around `Core::poll_events(None)`: drain, and
    /// go idle only while items are still missing.
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
            match self.idle.to_idle() {
                BeforeIdle::Block => {
                    self.driver.block();
                    self.idle.from_idle();
                }
                BeforeIdle::Skip => {}
            }
        }
    }
}

/// Holds the model thread's `Arc`, and leaks it if dropped while unwinding
/// from loom's deadlock report: loom's runtime is gone by then, and touching
/// it from a destructor turns the report into an abort (tokio-rs/loom#291).
struct LeakOnPanic<T>(Option<T>);

impl<T> LeakOnPanic<T> {
    fn get(&self) -> &T {
        self.0.as_ref().unwrap()
    }
}

impl<T> Drop for LeakOnPanic<T> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            std::mem::forget(self.0.take());
        }
    }
}

/// `items.len()` notifier threads, one item each; the executor runs on the
/// model's main thread and must receive every item exactly once.
fn wakers_model<H: Handshake>(items: &'static [u32]) {
    let shared = LeakOnPanic(Some(Shared::<H>::new()));
    let shared = shared.get();
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
    let shared = LeakOnPanic(Some(Shared::<H>::new()));
    let shared = shared.get();
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

// Exhaustive.
#[test]
fn loom_one_notifier_is_never_lost() {
    loom::model(|| wakers_model::<IdleWord>(&[1]));
}

// Three threads: exhaustive is out of reach, three preemptions take ~9 s
// in release (four: ~45 s, five: ~3 min; all pass).
#[test]
fn loom_two_notifiers_are_never_lost() {
    bounded(3).check(|| wakers_model::<IdleWord>(&[1, 2]));
}

// Exhaustive. The second wake can land at every point of the executor's
// handshake, including between the CAS and the reset of rule 2.
#[test]
fn loom_back_to_back_wakes_are_never_lost() {
    loom::model(|| one_waker_model::<IdleWord>(&[1, 2]));
}

// A variant of the handshake with a plain `store(EMPTY)` in rule 2's or
// rule 3's reset loses a wake-up: loom finds the interleaving (a second push
// and notification landing between the CAS and the reset, so the notifier
// leaves the wake to an executor whose drain is not ordered after that
// push) and reports a deadlock. That regression model is not kept as a
// `should_panic` test: when loom unwinds from its deadlock report, dropping
// the model's loom objects touches loom's torn-down runtime and aborts the
// whole test binary (tokio-rs/loom#291), which would make CI flaky.
