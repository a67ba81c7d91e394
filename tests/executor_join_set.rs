//! `JoinSet`: results in the order tasks finish, cancellation of what is
//! left, and the misuse paths.

use corun::sync::{channel, oneshot, OneshotSender};
use corun::task::{JoinSet, TaskId};
use corun::Executor;
use futures::StreamExt;
use std::cell::Cell;
use std::rc::Rc;

mod common;
use common::{in_child_process, log, panic_message, Finally, LONG};

/// Spawns one task per name into `set`; each returns its name once its
/// gate is opened. Returns the gates, in the same order.
fn gated(set: &mut JoinSet<&'static str>, names: &[&'static str]) -> Vec<OneshotSender<()>> {
    names
        .iter()
        .map(|&name| {
            let (open, gate) = oneshot::<()>();
            set.spawn(move || {
                gate.recv().unwrap();
                name
            });
            open
        })
        .collect()
}

#[test]
fn results_come_in_the_order_the_tasks_finish() {
    let ex = Executor::new();
    let order = ex.block_on(|| {
        let mut set = JoinSet::new();
        let mut gates = gated(&mut set, &["a", "b", "c"]);
        assert_eq!(set.len(), 3);
        let mut order = Vec::new();
        // Opened c, a, b: each result is taken before the next gate opens.
        for i in [2, 0, 0] {
            gates.remove(i).send(()).unwrap();
            order.push(set.join_next().unwrap().unwrap());
        }
        assert!(set.is_empty());
        assert!(
            set.join_next().is_none(),
            "an empty set has nothing to wait for"
        );
        order
    });
    assert_eq!(order, ["c", "a", "b"]);
}

#[test]
fn ids_match_what_spawn_returned() {
    let ex = Executor::new();
    ex.block_on(|| {
        let mut set = JoinSet::new();
        let ids: Vec<TaskId> = (0..5u32).map(|i| set.spawn(move || i)).collect();
        let mut seen = Vec::new();
        while let Some((id, r)) = set.join_next_with_id() {
            let i = r.unwrap();
            assert_eq!(id, ids[i as usize], "task {i} came back under another id");
            seen.push(i);
        }
        seen.sort();
        assert_eq!(seen, [0, 1, 2, 3, 4]);
    });
}

#[test]
fn a_panicking_task_is_its_own_error_and_the_others_still_come() {
    let ex = Executor::new();
    let (panics, values) = ex.block_on(|| {
        let mut set = JoinSet::new();
        for i in 0..6u32 {
            set.spawn(move || {
                if i % 3 == 0 {
                    panic!("job {i} failed");
                }
                i
            });
        }
        let (mut panics, mut values) = (Vec::new(), Vec::new());
        while let Some(r) = set.join_next() {
            match r {
                Ok(v) => values.push(v),
                Err(e) => {
                    assert!(e.is_panic(), "{e}");
                    panics.push(common::payload_message(e.into_panic()));
                }
            }
        }
        panics.sort();
        values.sort();
        (panics, values)
    });
    assert_eq!(panics, ["job 0 failed", "job 3 failed"]);
    assert_eq!(values, [1, 2, 4, 5]);
}

#[test]
fn dropping_the_set_cancels_its_tasks_and_their_destructors_run() {
    let ex = Executor::new();
    let cleanups = log::<&str>();
    let c = cleanups.clone();
    ex.block_on(move || {
        let mut set = JoinSet::new();
        for name in ["x", "y"] {
            let c = c.clone();
            set.spawn(move || {
                let _cleanup = Finally(c, name);
                corun::sleep(LONG);
            });
        }
        corun::yield_now(); // both start and wait
        drop(set);
    });
    ex.run();
    let mut done = cleanups.borrow().clone();
    done.sort();
    assert_eq!(done, ["x", "y"]);
}

#[test]
fn cancel_all_leaves_a_finished_result_and_reports_the_rest_cancelled() {
    let ex = Executor::new();
    ex.block_on(|| {
        let mut set = JoinSet::new();
        set.spawn(|| 1);
        corun::yield_now(); // the first finishes
        set.spawn(|| {
            corun::sleep(LONG);
            2
        });
        set.spawn(|| 3); // never starts
        set.cancel_all();
        let (mut values, mut cancelled) = (Vec::new(), 0);
        while let Some(r) = set.join_next() {
            match r {
                Ok(v) => values.push(v),
                Err(e) => {
                    assert!(e.is_cancelled(), "{e}");
                    cancelled += 1;
                }
            }
        }
        assert_eq!((values, cancelled), (vec![1], 2));
    });
}

#[test]
fn shutdown_waits_until_every_task_has_unwound() {
    let ex = Executor::new();
    let cleanups = log::<&str>();
    let c = cleanups.clone();
    let seen_at_shutdown = ex.block_on(move || {
        let mut set = JoinSet::new();
        for name in ["p", "q", "r"] {
            let c = c.clone();
            set.spawn(move || {
                let _cleanup = Finally(c, name);
                corun::sleep(LONG);
            });
        }
        corun::yield_now();
        set.shutdown();
        assert!(set.is_empty());
        c.borrow().len()
    });
    assert_eq!(
        seen_at_shutdown, 3,
        "shutdown returned before the tasks unwound"
    );
    assert_eq!(cleanups.borrow().len(), 3);
}

#[test]
fn detach_all_lets_the_tasks_run_on() {
    let ex = Executor::new();
    let finished = Rc::new(Cell::new(0));
    let f = finished.clone();
    ex.block_on(move || {
        let mut set = JoinSet::new();
        for _ in 0..3 {
            let f = f.clone();
            set.spawn(move || {
                corun::yield_now();
                f.set(f.get() + 1);
            });
        }
        set.detach_all();
        assert!(set.is_empty());
    });
    ex.run();
    assert_eq!(finished.get(), 3);
}

#[test]
fn tasks_spawned_from_outside_are_inserted_and_taken_without_waiting() {
    let ex = Executor::new();
    let mut set = JoinSet::new();
    for i in 1..=3u32 {
        set.spawn_on(&ex, move || i * 10);
    }
    // Nothing has run yet: nothing to take, and no wait from a plain thread.
    assert!(set.try_join_next().is_none());
    ex.run();
    let mut got: Vec<u32> =
        std::iter::from_fn(|| set.try_join_next().map(Result::unwrap)).collect();
    got.sort();
    assert_eq!(got, [10, 20, 30]);
    assert!(set.is_empty());
}

#[test]
fn a_wait_outside_a_task_panics_with_what_to_do() {
    let ex = Executor::new();
    let (_tx, rx) = channel::<u32>(1);
    let mut set = JoinSet::new();
    set.spawn_on(&ex, move || rx.recv().unwrap_or(0));
    let text = panic_message(|| set.join_next());
    assert!(text.contains("JoinSet::join_next"), "{text}");
    assert!(text.contains("block_on"), "{text}");
}

#[test]
fn a_future_task_awaits_the_set_and_it_is_a_stream() {
    let ex = Executor::new();
    let got = ex.block_on(|| {
        let sum = corun::spawn_future(async {
            let mut set = JoinSet::new();
            for i in 1..=4u64 {
                set.spawn_future(async move { i });
            }
            let first = set.join_next_async().await.unwrap().unwrap();
            let rest: Vec<u64> = set.map(Result::unwrap).collect().await;
            first + rest.iter().sum::<u64>()
        });
        sum.join().unwrap()
    });
    assert_eq!(got, 10);
}

#[test]
fn a_waiting_joiner_shows_what_it_waits_on_and_a_stuck_set_is_a_deadlock() {
    let ex = Executor::new();
    let (tx, rx) = channel::<u32>(1);
    let joiner = ex.spawn(move || {
        let mut set = JoinSet::new();
        set.spawn(move || rx.recv().unwrap_or(0));
        set.join_next()
    });
    ex.block_on(corun::yield_now);
    assert!(common::blocked(&ex).contains(&"JoinSet::join_next"));
    let text = panic_message(|| ex.block_on(|| joiner.join()));
    assert!(text.contains("deadlock"), "{text}");
    drop(tx);
}

#[test]
fn a_joiner_cancelled_while_it_waits_cancels_the_set() {
    let ex = Executor::new();
    let cleanups = log::<&str>();
    let c = cleanups.clone();
    let joiner = ex.spawn(move || {
        let mut set = JoinSet::new();
        set.spawn(move || {
            let _cleanup = Finally(c, "member");
            corun::sleep(LONG);
        });
        set.join_next();
        unreachable!("the joiner was cancelled");
    });
    ex.block_on(corun::yield_now);
    joiner.cancel();
    ex.run();
    assert_eq!(*cleanups.borrow(), ["member"]);
}

#[test]
fn shutdown_in_the_cleanup_of_a_cancelled_task_does_not_abort() {
    // While the task unwinds, shutdown cannot wait; it cancels and returns.
    in_child_process(
        "shutdown_in_the_cleanup_of_a_cancelled_task_does_not_abort",
        || {
            struct ShutsDown(JoinSet<()>);
            impl Drop for ShutsDown {
                fn drop(&mut self) {
                    self.0.shutdown();
                }
            }
            let ex = Executor::new();
            let cleanups = log::<&str>();
            let c = cleanups.clone();
            let owner = ex.spawn(move || {
                let mut set = JoinSet::new();
                set.spawn(move || {
                    let _cleanup = Finally(c, "member");
                    corun::sleep(LONG);
                });
                let _guard = ShutsDown(set);
                corun::sleep(LONG);
            });
            ex.block_on(corun::yield_now);
            owner.cancel();
            ex.run();
            assert!(ex.block_on(|| owner_cancelled(owner)));
            assert_eq!(*cleanups.borrow(), ["member"]);
        },
    );
}

fn owner_cancelled(owner: corun::JoinHandle<()>) -> bool {
    owner.join().is_err_and(|e| e.is_cancelled())
}

#[test]
fn ten_thousand_tasks_all_come_back() {
    let ex = Executor::new();
    let total = ex.block_on(|| {
        let mut set = JoinSet::new();
        for i in 0..10_000u64 {
            set.spawn(move || {
                corun::yield_now();
                i
            });
        }
        let mut total = 0;
        while let Some(r) = set.join_next() {
            total += r.unwrap();
        }
        total
    });
    assert_eq!(total, (0..10_000u64).sum());
}

#[test]
fn a_member_looked_at_from_its_own_destructor_is_not_lost() {
    // A member cancelled before it starts drops its closure; a capture's
    // destructor that looks at the set then must not take the member's
    // result away before it is stored, nor lose it.
    struct Probe(Rc<std::cell::RefCell<JoinSet<u32>>>, Rc<Cell<Option<bool>>>);
    impl Drop for Probe {
        fn drop(&mut self) {
            if let Ok(mut set) = self.0.try_borrow_mut() {
                self.1.set(Some(set.try_join_next().is_some()));
            }
        }
    }
    let ex = Executor::new();
    let set = Rc::new(std::cell::RefCell::new(JoinSet::new()));
    let looked = Rc::new(Cell::new(None));
    let probe = Probe(set.clone(), looked.clone());
    set.borrow_mut().spawn_on(&ex, move || {
        let _probe = &probe;
        7
    });
    set.borrow().cancel_all();
    ex.run();
    assert_eq!(looked.get(), Some(false), "the outcome was not stored yet");
    let outcome = set.borrow_mut().try_join_next();
    assert!(
        outcome
            .as_ref()
            .is_some_and(|r| r.as_ref().is_err_and(|e| e.is_cancelled())),
        "the cancelled member's result was lost: {outcome:?}"
    );
    assert!(set.borrow().is_empty());
}
