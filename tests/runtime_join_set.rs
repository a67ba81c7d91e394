//! `runtime::JoinSet`: results in the order the tasks end, wherever they
//! ran; panics and cancellations as `JoinError`s; dropping the set cancels
//! its tasks; detached tasks never answer for the set; the non-waiting
//! and async forms.

use corun::runtime::JoinSet;
use corun::sync::mpsc::{oneshot, OneshotSender};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

mod common;
use common::runtime;

/// Spawns a task into `set` that returns `value` once told to.
fn gated(set: &mut JoinSet<u32>, rt: &corun::Runtime, value: u32) -> OneshotSender<()> {
    let (go, wait) = oneshot::<()>();
    set.spawn(rt, move || {
        wait.recv().unwrap();
        value
    });
    go
}

#[test]
fn results_come_in_the_order_the_tasks_end() {
    let rt = runtime(2);
    let mut set = JoinSet::new();
    let gates: Vec<_> = (0..4).map(|v| gated(&mut set, &rt, v)).collect();
    assert_eq!(set.len(), 4);
    assert!(set.try_join_next().is_none(), "nothing has ended");
    let mut order = Vec::new();
    for (i, gate) in gates.into_iter().enumerate().rev() {
        gate.send(()).unwrap();
        order.push(set.join_next().unwrap().unwrap());
        assert_eq!(set.len(), i);
    }
    assert_eq!(order, [3, 2, 1, 0]);
    assert!(set.join_next().is_none());
    assert!(set.is_empty());
}

#[test]
fn panics_and_cancellations_come_back_as_errors() {
    let rt = runtime(2);
    let mut set = JoinSet::new();
    set.spawn(&rt, || -> u32 { panic!("boom") });
    let results = {
        let gate = gated(&mut set, &rt, 7);
        let first = set.join_next().unwrap();
        assert!(first.unwrap_err().is_panic());
        set.cancel_all();
        drop(gate);
        set.join_all()
    };
    assert_eq!(results.len(), 1);
    assert!(results[0].as_ref().unwrap_err().is_cancelled());
}

#[test]
fn dropping_the_set_cancels_its_tasks() {
    let rt = runtime(1);
    let cleaned = Arc::new(AtomicUsize::new(0));
    struct Cleanup(Arc<AtomicUsize>);
    impl Drop for Cleanup {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let (ended_tx, ended) = corun::sync::mpsc::unbounded_channel::<()>();
    {
        let mut set = JoinSet::new();
        for _ in 0..3 {
            let (c, e) = (Cleanup(cleaned.clone()), ended_tx.clone());
            set.spawn(&rt, move || {
                let _c = c;
                let _e = e; // dropped with the task: the channel sees it go
                corun::sleep(std::time::Duration::from_secs(3600));
            });
        }
    }
    drop(ended_tx);
    assert!(ended.recv().is_err(), "every task ended");
    assert_eq!(cleaned.load(Ordering::SeqCst), 3, "their destructors ran");
}

#[test]
fn detached_tasks_never_answer_for_the_set() {
    let rt = runtime(2);
    let mut set = JoinSet::new();
    let old = gated(&mut set, &rt, 1);
    set.detach_all();
    assert!(set.is_empty());
    let new = gated(&mut set, &rt, 2);
    old.send(()).unwrap(); // the detached one ends first
    new.send(()).unwrap();
    assert_eq!(set.join_next().unwrap().unwrap(), 2);
    assert!(set.join_next().is_none());
}

#[test]
fn a_runtime_task_and_a_future_task_can_join_the_set() {
    let rt = Arc::new(runtime(2));
    let r = rt.clone();
    // Inside a task on a worker: only that task waits.
    let total = rt.spawn_on(0, move || {
        let mut set = JoinSet::new();
        for v in 1..=10u32 {
            set.spawn_on(&r, 1, move || v);
        }
        set.join_all().into_iter().map(Result::unwrap).sum::<u32>()
    });
    assert_eq!(total.join().unwrap(), 55);
    // In async code on a local executor.
    let ex = corun::Executor::new();
    let mut set = JoinSet::new();
    set.spawn(&rt, || 5u32);
    let h = ex.spawn_future(async move { set.join_next_async().await.unwrap().unwrap() });
    assert_eq!(ex.block_on(|| h.join().unwrap()), 5);
}
