//! "Is this coroutine being unwound?" is a question about the coroutine, not
//! the thread: fresh generators, executors and tasks used from a destructor
//! during an unrelated panic or a close behave as anywhere else, while the
//! coroutine that is itself unwinding cannot suspend.

use corun::{Executor, Generator, GeneratorState};
use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::time::{Duration, Instant};

mod common;
use common::in_child_process;
use common::panic_message;

/// Collects a fresh generator's values when dropped.
struct UsesGenerator(Rc<RefCell<Vec<u32>>>);

impl Drop for UsesGenerator {
    fn drop(&mut self) {
        let values: Vec<u32> = Generator::new(|co| {
            co.yield_(1);
            co.yield_(2);
        })
        .collect();
        self.0.borrow_mut().extend(values);
    }
}

#[test]
fn a_fresh_generator_runs_in_a_drop_during_an_unrelated_panic() {
    in_child_process(
        "a_fresh_generator_runs_in_a_drop_during_an_unrelated_panic",
        || {
            let seen = Rc::new(RefCell::new(Vec::new()));
            let r = catch_unwind(AssertUnwindSafe(|| {
                let _g = UsesGenerator(seen.clone());
                panic!("unrelated");
            }));
            assert!(r.is_err());
            assert_eq!(*seen.borrow(), [1, 2]);
        },
    );
}

#[test]
fn a_finally_reached_by_close_iterates_a_fresh_generator() {
    // Python:
    //     def outer():
    //         try: yield 0
    //         finally: print("finally sees", list(inner()))
    //     g = outer(); next(g); g.close(); print("close -> ok")
    in_child_process(
        "a_finally_reached_by_close_iterates_a_fresh_generator",
        || {
            let seen = Rc::new(RefCell::new(Vec::new()));
            let mut outer: Generator<'_, u32> = Generator::new({
                let seen = seen.clone();
                move |co| {
                    let _finally = UsesGenerator(seen);
                    co.yield_(0u32);
                }
            });
            assert_eq!(outer.start(), GeneratorState::Yielded(0));
            outer.close();
            assert!(outer.is_complete());
            assert_eq!(*seen.borrow(), [1, 2]);
        },
    );
}

#[test]
fn the_same_finally_reached_by_a_normal_return_works_too() {
    let seen = Rc::new(RefCell::new(Vec::new()));
    let outer = Generator::new({
        let seen = seen.clone();
        move |co| {
            let _finally = UsesGenerator(seen);
            co.yield_(0u32);
        }
    });
    assert_eq!(outer.collect::<Vec<_>>(), [0]);
    assert_eq!(*seen.borrow(), [1, 2]);
}

#[test]
fn a_generator_yielding_from_its_own_destructor_during_close_still_panics() {
    // The coroutine that is itself unwinding cannot suspend: Python raises
    // RuntimeError("generator ignored GeneratorExit") there.
    in_child_process(
        "a_generator_yielding_from_its_own_destructor_during_close_still_panics",
        || {
            let message = Rc::new(RefCell::new(String::new()));
            struct YieldsInDrop<'c>(&'c corun::Co<u32>, Rc<RefCell<String>>);
            impl Drop for YieldsInDrop<'_> {
                fn drop(&mut self) {
                    let co = self.0;
                    *self.1.borrow_mut() = panic_message(|| co.yield_(9));
                }
            }
            let mut g = Generator::new({
                let message = message.clone();
                move |co| {
                    let _guard = YieldsInDrop(co, message);
                    co.yield_(1);
                }
            });
            g.start();
            g.close();
            assert!(
                message
                    .borrow()
                    .contains("while the generator is unwinding"),
                "{}",
                message.borrow()
            );
        },
    );
}

/// Runs an executor from a destructor.
struct RunsExecutor(Rc<RefCell<Vec<String>>>);

impl Drop for RunsExecutor {
    fn drop(&mut self) {
        let ex = Executor::new();
        let started = Instant::now();
        ex.block_on(|| corun::sleep(Duration::from_millis(30)));
        let slept = started.elapsed() >= Duration::from_millis(30);
        let got = ex.block_on(|| {
            let (tx, rx) = corun::sync::channel(1);
            let sender = corun::spawn(move || {
                corun::sleep(Duration::from_millis(1));
                tx.send(7u32).unwrap();
            });
            let got = rx.recv();
            sender.join().unwrap();
            got
        });
        self.0
            .borrow_mut()
            .push(format!("slept the whole time: {slept}, received: {got:?}"));
    }
}

#[test]
fn an_executor_made_in_a_drop_during_a_panic_waits_for_real() {
    in_child_process(
        "an_executor_made_in_a_drop_during_a_panic_waits_for_real",
        || {
            let log = Rc::new(RefCell::new(Vec::new()));
            let r = catch_unwind(AssertUnwindSafe(|| {
                let _g = RunsExecutor(log.clone());
                panic!("unrelated");
            }));
            assert!(r.is_err());
            assert_eq!(
                *log.borrow(),
                ["slept the whole time: true, received: Ok(7)"]
            );
        },
    );
}

#[test]
fn an_executor_made_in_a_finally_reached_by_close_waits_for_real() {
    in_child_process(
        "an_executor_made_in_a_finally_reached_by_close_waits_for_real",
        || {
            let log = Rc::new(RefCell::new(Vec::new()));
            let mut g: Generator<'_, ()> = Generator::new({
                let log = log.clone();
                move |co| {
                    let _finally = RunsExecutor(log);
                    co.yield_(());
                }
            });
            g.start();
            g.close();
            assert_eq!(
                *log.borrow(),
                ["slept the whole time: true, received: Ok(7)"]
            );
        },
    );
}

#[test]
fn an_executor_in_a_thread_local_tears_down_at_thread_exit() {
    in_child_process(
        "an_executor_in_a_thread_local_tears_down_at_thread_exit",
        || {
            use std::sync::atomic::{AtomicBool, Ordering};
            use std::sync::Arc;
            thread_local! {
                static EX: Executor = Executor::new();
            }
            struct SetsOnDrop(Arc<AtomicBool>);
            impl Drop for SetsOnDrop {
                fn drop(&mut self) {
                    // Waits and spawns in teardown must not touch destroyed
                    // thread-locals either.
                    corun::sleep(Duration::from_secs(60));
                    self.0.store(true, Ordering::SeqCst);
                }
            }
            let dropped = Arc::new(AtomicBool::new(false));
            let flag = dropped.clone();
            std::thread::spawn(move || {
                EX.with(|ex| {
                    let _h = ex.spawn(move || {
                        let _guard = SetsOnDrop(flag);
                        corun::sleep(Duration::from_secs(60));
                    });
                    ex.block_on(corun::yield_now);
                });
            })
            .join()
            .unwrap();
            assert!(
                dropped.load(Ordering::SeqCst),
                "the suspended task's guard ran"
            );
        },
    );
}

#[test]
fn block_on_from_a_drop_the_executor_runs_between_tasks_panics_clearly() {
    struct BlocksOnDrop(Rc<Executor>, Rc<RefCell<String>>);
    impl Drop for BlocksOnDrop {
        fn drop(&mut self) {
            let ex = self.0.clone();
            *self.1.borrow_mut() = panic_message(|| ex.block_on(|| ()));
        }
    }
    let ex = Rc::new(Executor::new());
    let message = Rc::new(RefCell::new(String::new()));
    drop(ex.spawn({
        let (ex, message) = (ex.clone(), message.clone());
        move || BlocksOnDrop(ex, message)
    }));
    let value = ex.block_on(|| {
        corun::yield_now();
        corun::yield_now();
        5
    });
    assert_eq!(value, 5);
    assert!(
        message.borrow().contains("re-entrant"),
        "{}",
        message.borrow()
    );
}

#[test]
fn block_on_inside_a_generator_keeps_the_future_task_message_and_closes_cleanly() {
    let stderr = in_child_process(
        "block_on_inside_a_generator_keeps_the_future_task_message_and_closes_cleanly",
        || {
            let mut g: Generator<'_, String> = Generator::new(|co| {
                let ex = Executor::new();
                let misused = ex.spawn_future(async {
                    corun::sleep(Duration::from_millis(1));
                });
                let err = ex.block_on(|| misused.join()).unwrap_err();
                co.yield_(common::payload_message(err.into_panic()));
                co.yield_("not reached".to_string());
            });
            let GeneratorState::Yielded(text) = g.start() else {
                panic!("the body yields the message")
            };
            assert!(text.contains("future task"), "{text}");
            drop(g);
        },
    );
    assert!(!stderr.contains("ignored close"), "{stderr}");
}
