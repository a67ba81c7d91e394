//! Generators inside tasks may wait: a body that sleeps, awaits or joins
//! suspends the whole task and resumes straight back into the generator,
//! at any delegation depth; and closing a waiting generator unwinds it.

use corun::{Co, Executor, Generator, GeneratorState};
use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

mod common;
use common::{panic_message, payload_message, push, DropCount, Finally, Log, LONG};

#[test]
fn a_generator_body_sleeps_inside_a_task() {
    let ex = Executor::new();
    let v: Vec<u32> = ex.block_on(|| {
        let g = Generator::new(|co| {
            for i in 0..3 {
                corun::sleep(Duration::from_millis(1));
                co.yield_(i);
            }
        });
        g.collect()
    });
    assert_eq!(v, [0, 1, 2]);
}

#[test]
fn a_waiting_generator_lets_other_tasks_run() {
    let ex = Executor::new();
    let log: Log<String> = Rc::default();
    let l = log.clone();
    let other = ex.spawn(move || {
        for i in 0..3 {
            push(&l, format!("other {i}"));
            corun::yield_now();
        }
    });
    let l = log.clone();
    ex.block_on(move || {
        let mut g = Generator::new(|co: &Co<u32>| {
            push(&l, "gen before wait");
            corun::yield_now(); // the task suspends; `other` runs
            push(&l, "gen after wait");
            co.yield_(1);
        });
        assert_eq!(g.start(), GeneratorState::Yielded(1));
        other.join().unwrap();
    });
    assert_eq!(
        *log.borrow(),
        [
            "other 0",
            "gen before wait",
            "other 1",
            "gen after wait",
            "other 2"
        ]
    );
}

#[test]
fn a_generator_body_awaits_and_joins() {
    let ex = Executor::new();
    let (tx, rx) = futures::channel::oneshot::channel::<u32>();
    let sent = ex.spawn(move || {
        corun::sleep(Duration::from_millis(2));
        tx.send(10).unwrap();
    });
    let worker = ex.spawn(|| {
        corun::sleep(Duration::from_millis(1));
        5
    });
    let total = ex.block_on(move || {
        let mut g: Generator<'_, u32, u32, u32> = Generator::new(move |co| {
            let a = corun::await_(rx).unwrap();
            let b = co.yield_(a);
            let c = worker.join().unwrap();
            a + b + c
        });
        assert_eq!(g.start(), GeneratorState::Yielded(10));
        let r = g.send(100).complete().unwrap();
        sent.join().unwrap();
        r
    });
    assert_eq!(total, 115);
}

#[test]
fn a_generator_body_waits_in_a_timeout() {
    let ex = Executor::new();
    let v: Vec<bool> = ex.block_on(|| {
        Generator::new(|co| {
            co.yield_(corun::timeout(LONG, || corun::sleep(Duration::from_millis(1))).is_ok());
            co.yield_(corun::timeout(Duration::from_millis(1), || corun::sleep(LONG)).is_ok());
        })
        .collect()
    });
    assert_eq!(v, [true, false]);
}

#[test]
fn nested_delegates_wait_at_depth() {
    let ex = Executor::new();
    fn level(depth: u32) -> Generator<'static, u32, (), u32> {
        Generator::new(move |co| {
            if depth == 0 {
                corun::sleep(Duration::from_millis(1));
                co.yield_(0);
                corun::yield_now();
                co.yield_(1);
                100
            } else {
                corun::yield_now();
                let r = co.yield_from(level(depth - 1));
                corun::sleep(Duration::from_millis(1));
                co.yield_(depth + 1);
                r + depth
            }
        })
    }
    let (items, ret) = ex.block_on(|| {
        let mut g = level(4);
        let mut items = vec![];
        let mut state = g.start();
        loop {
            match state {
                GeneratorState::Yielded(v) => items.push(v),
                GeneratorState::Complete(r) => break (items, r),
            }
            state = g.send(());
        }
    });
    // Innermost yields first, then each level's own yield on the way out.
    assert_eq!(items, [0, 1, 2, 3, 4, 5]);
    assert_eq!(ret, 100 + 1 + 2 + 3 + 4);
}

#[test]
fn two_tasks_drive_their_own_waiting_generators() {
    let ex = Executor::new();
    let log: Log<String> = Rc::default();
    let mut handles = vec![];
    for name in ["a", "b"] {
        let l = log.clone();
        handles.push(ex.spawn(move || {
            let g = Generator::new(|co| {
                for i in 0..3 {
                    corun::yield_now(); // switches to the other task
                    co.yield_(format!("{name}{i}"));
                }
            });
            for item in g {
                push(&l, item);
            }
        }));
    }
    ex.block_on(|| handles.into_iter().for_each(|h| h.join().unwrap()));
    assert_eq!(*log.borrow(), ["a0", "b0", "a1", "b1", "a2", "b2"]);
}

#[test]
fn generators_borrow_task_locals_while_waiting() {
    let ex = Executor::new();
    let mut counts = vec![0; 3];
    ex.block_on(|| {
        let g = Generator::new(|co| {
            for (i, c) in counts.iter_mut().enumerate() {
                corun::sleep(Duration::from_millis(1));
                *c += i + 1;
                co.yield_(i);
            }
        });
        assert_eq!(g.count(), 3);
    });
    assert_eq!(counts, [1, 2, 3]);
}

#[test]
fn a_waiting_generator_driven_by_a_future_task_panics() {
    // A future task has no stack to suspend, so a generator it drives may
    // not wait.
    let ex = Executor::new();
    let dropped = Rc::new(Cell::new(0));
    let d = dropped.clone();
    let h = ex.spawn_future(async move {
        let mut g: Generator<'_, u32> = Generator::new(move |co| {
            let _d = DropCount(d);
            corun::sleep(Duration::from_millis(1));
            co.yield_(1);
        });
        g.start();
    });
    let e = ex.block_on(|| h.join().unwrap_err());
    let msg = payload_message(e.into_panic());
    assert!(msg.contains("future task, spawn_future"), "{msg}");
    // The generator was closed from its wait: its destructors ran.
    assert_eq!(dropped.get(), 1);
    assert!(ex.tasks().is_empty());
}

#[test]
fn a_waiting_generator_outside_any_executor_panics() {
    let mut g: Generator<'_, u32> = Generator::new(|co| {
        corun::sleep(Duration::from_millis(1));
        co.yield_(1);
    });
    let msg = panic_message(|| g.start());
    assert!(msg.contains("called outside a corun task"), "{msg}");
    assert!(g.is_complete());
}

#[test]
fn a_generator_that_left_its_task_cannot_wait() {
    // Made and started inside a task, resumed after block_on returned.
    let ex = Executor::new();
    let mut g: Generator<'static, u32> = ex.block_on(|| {
        let mut g = Generator::new(|co| {
            co.yield_(1);
            corun::yield_now();
            co.yield_(2);
        });
        assert_eq!(g.start(), GeneratorState::Yielded(1));
        g
    });
    let msg = panic_message(|| g.send(()));
    // yield_now does not look the task up (that keeps it cheap): the
    // generator forwards the yield, and its resumer, outside any task, says so.
    assert!(msg.contains("not in a corun task"), "{msg}");
    // It was closed from that wait: later calls get the ordinary answers.
    assert!(g.is_complete());
    assert_eq!(g.next(), None);
}

#[test]
fn a_value_sent_after_a_wait_outside_a_task_is_dropped_not_leaked() {
    let live = Rc::new(Cell::new(0));
    struct Counted(Rc<Cell<i32>>);
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.set(self.0.get() - 1);
        }
    }
    let made = || {
        live.set(live.get() + 1);
        Counted(live.clone())
    };
    let mut g: Generator<'_, u32, Counted> = Generator::new(|co| {
        drop(co.yield_(1));
        corun::yield_now();
        drop(co.yield_(2));
    });
    g.start();
    let msg = panic_message(|| g.send(made()));
    assert!(msg.contains("the generator was closed"), "{msg}");
    let msg = panic_message(|| g.send(made()));
    assert!(!msg.contains("internal error"), "{msg}");
    drop(g);
    assert_eq!(live.get(), 0, "a sent value was leaked");
}

#[test]
fn each_level_of_a_close_has_its_own_wait_cut_short() {
    use std::panic::{catch_unwind, AssertUnwindSafe};
    let log: Log<&str> = Rc::default();
    let (l1, l2) = (log.clone(), log.clone());
    let mut g: Generator<'_, u32> = Generator::new(move |co| {
        let _root = Finally(l1.clone(), "root finally");
        let l2 = l2.clone();
        let delegated = catch_unwind(AssertUnwindSafe(|| {
            co.yield_from(Generator::new(move |co: &Co<u32>| {
                let _sub = Finally(l2.clone(), "sub finally");
                if catch_unwind(AssertUnwindSafe(|| co.yield_(1))).is_err() {
                    corun::yield_now(); // cut short
                }
            }))
        }));
        if delegated.is_err() {
            corun::yield_now(); // cut short too: the root's own first wait
        }
    });
    g.start();
    assert!(g.try_close().is_ok());
    assert!(g.is_complete());
    assert_eq!(*log.borrow(), ["sub finally", "root finally"]);
}

#[test]
fn a_close_whose_body_waits_outside_a_task_cuts_the_wait_short() {
    use std::panic::{catch_unwind, AssertUnwindSafe};
    let cleaned = Rc::new(Cell::new(false));
    let dropped = Rc::new(Cell::new(0));
    let (c, d) = (cleaned.clone(), dropped.clone());
    let mut g: Generator<'_, u32> = Generator::new(move |co| {
        let _cleanup = DropCount(d);
        if catch_unwind(AssertUnwindSafe(|| co.yield_(1))).is_err() {
            // A handler that waits, driven by a close outside any task.
            corun::yield_now();
            c.set(true); // never reached: the wait is cut by a second close
        }
    });
    g.start();
    assert!(g.try_close().is_ok());
    assert!(g.is_complete());
    assert!(!cleaned.get());
    assert_eq!(dropped.get(), 1, "the body's destructors ran");
    assert_eq!(g.next(), None);
}

#[test]
fn cancelling_a_task_closes_its_waiting_generator() {
    let ex = Executor::new();
    let log: Log<&str> = Rc::default();
    let l = log.clone();
    let h = ex.spawn(move || {
        let _task = Finally(l.clone(), "task");
        let mut g: Generator<'_, u32> = Generator::new(|co| {
            let _gen = Finally(l.clone(), "generator");
            co.yield_(1);
            corun::sleep(LONG); // waits here when cancelled
            co.yield_(2);
        });
        g.start();
        g.send(());
        push(&l, "unreachable");
    });
    let e = ex.block_on(|| {
        corun::yield_now();
        h.cancel();
        h.join().unwrap_err()
    });
    assert!(e.is_cancelled());
    assert_eq!(*log.borrow(), ["generator", "task"]);
    assert!(ex.tasks().is_empty());
}

#[test]
fn cancelling_a_task_closes_waiting_delegates_innermost_first() {
    let ex = Executor::new();
    let log: Log<&str> = Rc::default();
    let l = log.clone();
    let h = ex.spawn(move || {
        let l2 = l.clone();
        let inner: Generator<'static, u32> = Generator::new(move |co| {
            let _n = Finally(l2, "inner");
            co.yield_(1);
            corun::await_(futures::future::pending::<()>());
        });
        let l3 = l.clone();
        let outer: Generator<'static, u32> = Generator::new(move |co| {
            let _n = Finally(l3, "outer");
            co.yield_from(inner);
        });
        let _n = Finally(l.clone(), "task");
        outer.for_each(drop);
    });
    let e = ex.block_on(|| {
        corun::yield_now();
        h.cancel();
        h.join().unwrap_err()
    });
    assert!(e.is_cancelled());
    assert_eq!(*log.borrow(), ["inner", "outer", "task"]);
}

#[test]
fn a_timeout_closes_a_waiting_generator() {
    let ex = Executor::new();
    let log: Log<&str> = Rc::default();
    let l = log.clone();
    let (r, seen) = ex.block_on(move || {
        let mut seen = vec![];
        let r = corun::timeout(Duration::from_millis(3), || {
            let g: Generator<'_, u32> = Generator::new(|co| {
                let _n = Finally(l.clone(), "generator");
                co.yield_(1);
                corun::sleep(LONG);
                co.yield_(2);
            });
            for v in g {
                seen.push(v);
            }
        });
        (r, seen)
    });
    assert!(r.is_err());
    assert_eq!(seen, [1]);
    assert_eq!(*log.borrow(), ["generator"]);
}

#[test]
fn executor_teardown_closes_waiting_generators() {
    let log: Log<&str> = Rc::default();
    {
        let ex = Executor::new();
        let l = log.clone();
        drop(ex.spawn(move || {
            let g: Generator<'_, u32> = Generator::new(|co| {
                let _n = Finally(l.clone(), "generator");
                corun::sleep(LONG);
                co.yield_(1);
            });
            g.for_each(drop);
        }));
        ex.block_on(corun::yield_now);
        assert!(log.borrow().is_empty());
    }
    assert_eq!(*log.borrow(), ["generator"]);
}

/// A generator whose body sleeps between yields, logging its cleanup.
fn slow_counter(log: Log<&'static str>) -> Generator<'static, u32, u32> {
    Generator::new(move |co| {
        let _finally = Finally(log, "generator finally");
        let mut x = co.yield_(0);
        loop {
            corun::sleep(Duration::from_millis(50));
            x = co.yield_(x + 1);
        }
    })
}

#[test]
fn a_timeout_inside_a_generators_wait_closes_the_generator() {
    // Python: asyncio.wait_for throws CancelledError into the generator,
    // which then ends; later sends raise StopIteration.
    let log = common::log();
    let ex = Executor::new();
    let (elapsed, second_send) = ex.block_on(|| {
        let mut g = slow_counter(log.clone());
        g.start();
        let elapsed = corun::timeout(Duration::from_millis(5), || g.send(1)).is_err();
        assert!(g.is_complete());
        let second = panic_message(|| g.send(2));
        (elapsed, second)
    });
    assert!(elapsed);
    assert_eq!(*log.borrow(), ["generator finally"]);
    assert!(
        second_send.contains("is already complete; nothing more may be sent"),
        "{second_send}"
    );
}

#[test]
fn cancelling_a_task_inside_a_generators_wait_closes_the_generator() {
    let log = common::log();
    let ex = Executor::new();
    let task = ex.spawn({
        let log = log.clone();
        move || {
            let mut g = slow_counter(log.clone());
            g.start();
            g.send(1);
            log.borrow_mut().push("not reached");
        }
    });
    let joined = ex.block_on(|| {
        corun::sleep(Duration::from_millis(5));
        task.cancel();
        task.join()
    });
    assert!(joined.unwrap_err().is_cancelled());
    assert_eq!(*log.borrow(), ["generator finally"]);
}

#[test]
fn a_generators_wait_in_a_cancelled_tasks_cleanup_returns_at_once() {
    // The task is unwinding and cannot suspend, so a generator it runs from
    // a destructor cannot either: its waits return at once, as the task's
    // own would (unwinding rule 5), instead of panicking in a destructor.
    struct RunsGenerator(Log<&'static str>);
    impl Drop for RunsGenerator {
        fn drop(&mut self) {
            let mut g = slow_counter(self.0.clone());
            g.start();
            if g.send(1) == GeneratorState::Yielded(2) {
                self.0.borrow_mut().push("cleanup generator went on");
            }
        }
    }
    let log = common::log();
    let ex = Executor::new();
    let task = ex.spawn({
        let log = log.clone();
        move || {
            let _cleanup = RunsGenerator(log);
            corun::sleep(Duration::from_secs(60));
        }
    });
    ex.block_on(|| {
        corun::yield_now();
        task.cancel();
        assert!(task.join().unwrap_err().is_cancelled());
    });
    assert_eq!(
        *log.borrow(),
        ["cleanup generator went on", "generator finally"]
    );
}

/// Waits in its destructor, as cleanup code in a generator may.
struct WaitsOnDrop(corun::sync::Receiver<u8>);

impl Drop for WaitsOnDrop {
    fn drop(&mut self) {
        corun::sleep(Duration::from_millis(1));
        corun::yield_now();
        assert!(self.0.recv().is_err(), "nothing can be waited for now");
    }
}

#[test]
fn a_generator_closed_outside_every_task_whose_destructor_waits_does_not_abort() {
    common::in_child_process(
        "a_generator_closed_outside_every_task_whose_destructor_waits_does_not_abort",
        || {
            let (tx, rx) = corun::sync::channel::<u8>(1);
            let mut g: Generator<'static, u32> = Generator::new(move |co| {
                let _cleanup = WaitsOnDrop(rx);
                loop {
                    co.yield_(1);
                }
            });
            assert_eq!(g.start(), GeneratorState::Yielded(1));
            drop(g); // closed here, outside any executor: the waits return at once
            drop(tx);
        },
    );
}
