//! Structured concurrency: `corun::scope`.

use corun::{scope, sleep, spawn, yield_now, Executor};
use std::cell::{Cell, RefCell};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::time::Duration;

mod common;
use common::{DropCount, LONG};

#[test]
fn scoped_tasks_borrow_locals_and_are_joined_before_scope_returns() {
    let ex = Executor::new();
    let mut counts = vec![0u32; 4];
    let shared = RefCell::new(Vec::new());
    // Deadlines from one instant, so the order cannot depend on how fast
    // the tasks were started (a busy machine can delay a start by more
    // than the 1 ms between them).
    let base = std::time::Instant::now() + Duration::from_millis(2);
    let value = ex.block_on(|| {
        scope(|s| {
            for (i, c) in counts.iter_mut().enumerate() {
                let shared = &shared;
                s.spawn(move || {
                    corun::sleep_until(base + Duration::from_millis(4 - i as u64));
                    *c += 1;
                    shared.borrow_mut().push(i);
                });
            }
            "body done"
        })
    });
    assert_eq!(value, "body done");
    assert_eq!(counts, [1, 1, 1, 1]);
    assert_eq!(
        *shared.borrow(),
        [3, 2, 1, 0],
        "they ran concurrently, shortest sleep first"
    );
    assert!(ex.tasks().is_empty());
}

#[test]
fn scoped_join_gives_values_and_the_body_waits_meanwhile() {
    let ex = Executor::new();
    let base = 10;
    let total = ex.block_on(|| {
        scope(|s| {
            let a = s.spawn(|| {
                sleep(Duration::from_millis(2));
                base + 1
            });
            let b = s.spawn(|| base + 2);
            a.join().unwrap() + b.join().unwrap()
        })
    });
    assert_eq!(total, 23);
}

#[test]
fn scoped_tasks_interleave_with_other_executor_tasks() {
    let ex = Executor::new();
    let log = RefCell::new(Vec::new());
    ex.block_on(|| {
        let outside = spawn(|| {
            for _ in 0..3 {
                yield_now();
            }
            7
        });
        scope(|s| {
            s.spawn(|| {
                for i in 0..3 {
                    log.borrow_mut().push(i);
                    yield_now();
                }
            });
        });
        assert_eq!(outside.join().unwrap(), 7);
    });
    assert_eq!(*log.borrow(), [0, 1, 2]);
}

#[test]
fn a_scoped_task_that_keeps_yielding_does_not_starve_the_executor() {
    let ex = Executor::new();
    let outside_ran = Cell::new(false);
    ex.block_on(|| {
        let flag = Rc::new(Cell::new(false));
        let f = flag.clone();
        let outside = spawn(move || f.set(true));
        scope(|s| {
            s.spawn(|| {
                // Spins on yield until the outside task has run.
                for _ in 0..1_000 {
                    if flag.get() {
                        outside_ran.set(true);
                        return;
                    }
                    yield_now();
                }
            });
        });
        outside.join().unwrap();
    });
    assert!(
        outside_ran.get(),
        "the scoped task saw the outside task run"
    );
}

#[test]
fn a_panic_cancels_the_others_then_propagates() {
    let ex = Executor::new();
    let dropped = Cell::new(0);
    let err = ex
        .block_on(|| {
            catch_unwind(AssertUnwindSafe(|| {
                scope(|s| {
                    s.spawn(|| {
                        let _g = DropCount(&dropped);
                        sleep(Duration::from_secs(60));
                    });
                    s.spawn(|| {
                        let _g = DropCount(&dropped);
                        sleep(Duration::from_secs(60));
                    });
                    s.spawn(|| {
                        sleep(Duration::from_millis(1));
                        panic!("child failed");
                    });
                    let _g = DropCount(&dropped);
                    sleep(Duration::from_secs(60));
                })
            }))
        })
        .unwrap_err();
    assert_eq!(*err.downcast_ref::<&str>().unwrap(), "child failed");
    assert_eq!(dropped.get(), 3, "both siblings and the body unwound");
    assert!(ex.tasks().is_empty());
}

#[test]
fn a_cancelled_scoped_task_reports_cancelled() {
    let ex = Executor::new();
    ex.block_on(|| {
        scope(|s| {
            let h = s.spawn(|| sleep(Duration::from_secs(60)));
            yield_now();
            h.cancel();
            assert!(h.join().unwrap_err().is_cancelled());
        })
    });
}

#[test]
fn nested_spawn_through_a_scope_clone_and_nested_scopes() {
    let ex = Executor::new();
    let hits = Cell::new(0);
    ex.block_on(|| {
        scope(|s| {
            let s2 = s.clone();
            let hits = &hits;
            s.spawn(move || {
                s2.spawn(move || hits.set(hits.get() + 1));
                scope(|inner| {
                    inner.spawn(|| hits.set(hits.get() + 10));
                });
            });
        })
    });
    assert_eq!(hits.get(), 11);
}

#[test]
fn dropping_the_executor_closes_scoped_tasks_of_a_suspended_owner() {
    let dropped = Cell::new(0);
    let ex = Executor::new();
    let r = ex.block_on(|| {
        corun::timeout(Duration::from_millis(5), || {
            scope(|s| {
                s.spawn(|| {
                    let _g = DropCount(&dropped);
                    sleep(Duration::from_secs(60));
                });
                let _g = DropCount(&dropped);
                sleep(Duration::from_secs(60));
            })
        })
    });
    assert!(r.is_err());
    assert_eq!(
        dropped.get(),
        2,
        "the timeout unwound the scope and its task"
    );
    assert!(ex.tasks().is_empty());
}

#[test]
#[should_panic(expected = "corun::scope called outside a corun task")]
fn scope_outside_a_task_panics() {
    scope(|_| ());
}

#[test]
fn a_scoped_task_that_catches_its_cancellation_may_wait_in_its_cleanup() {
    let ex = Executor::new();
    let ticks = Cell::new(0);
    let (joined, ticked) = ex.block_on(|| {
        corun::scope(|s| {
            let stubborn = s.spawn(|| {
                let caught = std::panic::catch_unwind(|| corun::sleep(LONG)).is_err();
                corun::sleep(Duration::from_millis(5));
                caught
            });
            let ticker = s.spawn(|| {
                for _ in 0..10 {
                    corun::sleep(Duration::from_millis(1));
                    ticks.set(ticks.get() + 1);
                }
            });
            corun::yield_now();
            stubborn.cancel();
            let joined = stubborn.join();
            ticker.join().unwrap();
            (joined, ticks.get())
        })
    });
    assert!(
        joined.unwrap(),
        "the task caught its cancellation and returned"
    );
    assert_eq!(ticked, 10);
}

#[test]
fn a_scope_body_that_catches_a_siblings_panic_may_sleep_after_it() {
    let ex = Executor::new();
    let outcome = ex.block_on(|| {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            corun::scope(|s| {
                s.spawn(|| {
                    corun::yield_now();
                    panic!("sibling fails");
                });
                let caught = std::panic::catch_unwind(|| corun::sleep(LONG)).is_err();
                corun::sleep(Duration::from_millis(2));
                caught
            })
        }))
    });
    let payload = outcome.expect_err("the sibling's panic is re-raised by scope");
    assert_eq!(common::payload_message(payload), "sibling fails");
}

#[test]
fn a_scope_opened_in_a_cancelled_tasks_cleanup_runs_every_task() {
    common::in_child_process(
        "a_scope_opened_in_a_cancelled_tasks_cleanup_runs_every_task",
        || {
            struct ScopeInDrop(Rc<RefCell<Vec<&'static str>>>);
            impl Drop for ScopeInDrop {
                fn drop(&mut self) {
                    let log = &self.0;
                    scope(|s| {
                        s.spawn(|| {
                            sleep(Duration::from_millis(4));
                            log.borrow_mut().push("slow scoped task");
                        });
                        s.spawn(|| {
                            sleep(Duration::from_millis(1));
                            log.borrow_mut().push("fast scoped task");
                        });
                    });
                    log.borrow_mut().push("scope returned");
                }
            }
            let log = Rc::new(RefCell::new(Vec::new()));
            let ex = Executor::new();
            let task = ex.spawn({
                let log = log.clone();
                move || {
                    let _cleanup = ScopeInDrop(log);
                    sleep(LONG);
                }
            });
            ex.block_on(|| {
                yield_now();
                task.cancel();
                assert!(task.join().unwrap_err().is_cancelled());
            });
            assert_eq!(
                *log.borrow(),
                ["fast scoped task", "slow scoped task", "scope returned"]
            );
        },
    );
}

#[test]
fn a_scoped_tasks_destructor_may_spawn_while_its_timed_out_scope_closes() {
    common::in_child_process(
        "a_scoped_tasks_destructor_may_spawn_while_its_timed_out_scope_closes",
        || {
            struct SpawnsCleanup<'a>(corun::Scope<'a>, Rc<Cell<bool>>);
            impl Drop for SpawnsCleanup<'_> {
                fn drop(&mut self) {
                    let ran = self.1.clone();
                    let cleanup = self.0.spawn(move || ran.set(true));
                    // Its scope is closing: the task never runs, and says so.
                    assert!(cleanup.join().unwrap_err().is_cancelled());
                }
            }
            let ran = Rc::new(Cell::new(false));
            let ex = Executor::new();
            let outcome = ex.block_on(|| {
                corun::timeout(Duration::from_millis(5), || {
                    scope(|s| {
                        let (s2, ran) = (s.clone(), ran.clone());
                        s.spawn(move || {
                            let _cleanup = SpawnsCleanup(s2, ran);
                            sleep(Duration::from_secs(3600));
                        });
                    })
                })
            });
            assert!(outcome.is_err(), "the timeout ended the scope");
            assert!(!ran.get());
        },
    );
}
