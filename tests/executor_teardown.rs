//! Dropping an executor: every suspended task unwinds, unstarted ones are
//! dropped unrun, destructors that wait or panic do not take the process
//! down, and nothing leaks.

use corun::{Executor, JoinError, JoinHandle};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

mod common;
use common::{is_child, run_child, DropCount, PanicsInDrop, LONG};

#[test]
fn drop_unwinds_suspended_tasks_and_drops_unstarted_ones() {
    let unwound = Rc::new(Cell::new(0));
    let unstarted_dropped = Rc::new(Cell::new(0));
    let unstarted_ran = Rc::new(Cell::new(false));
    let (tx, rx) = futures::channel::oneshot::channel::<()>();
    let handles: Vec<JoinHandle<()>>;
    {
        let ex = Executor::new();
        let mut hs = Vec::new();
        // Suspended in each kind of wait.
        let g = DropCount(unwound.clone());
        hs.push(ex.spawn(move || {
            let _g = g;
            corun::sleep(LONG);
        }));
        let g = DropCount(unwound.clone());
        hs.push(ex.spawn(move || {
            let _g = g;
            corun::sleep(Duration::MAX);
        }));
        let g = DropCount(unwound.clone());
        hs.push(ex.spawn(move || {
            let _g = g;
            corun::await_(rx).unwrap();
        }));
        let g = DropCount(unwound.clone());
        let target = ex.spawn(|| corun::sleep(LONG));
        hs.push(ex.spawn(move || {
            let _g = g;
            target.join().unwrap();
        }));
        let g = DropCount(unwound.clone());
        hs.push(ex.spawn(move || {
            let _g = g;
            let _ = corun::timeout(LONG, || corun::sleep(LONG));
        }));
        let g = DropCount(unwound.clone());
        hs.push(ex.spawn_future(async move {
            let _g = g;
            corun::sleep_future(LONG).await;
        }));
        ex.block_on(corun::yield_now);
        assert_eq!(unwound.get(), 0);
        // Spawned after the last run: never started.
        for _ in 0..3 {
            let (g, r) = (DropCount(unstarted_dropped.clone()), unstarted_ran.clone());
            hs.push(ex.spawn(move || {
                let _g = g;
                r.set(true);
            }));
        }
        let (g, r) = (DropCount(unstarted_dropped.clone()), unstarted_ran.clone());
        hs.push(ex.spawn_future(async move {
            let _g = g;
            r.set(true);
        }));
        handles = hs;
    }
    assert_eq!(unwound.get(), 6);
    assert_eq!(unstarted_dropped.get(), 4);
    assert!(!unstarted_ran.get());
    assert!(tx.is_canceled());
    // The handles outlive their executor and report the cancellation.
    for h in handles {
        assert!(h.is_finished());
        let outcome: Result<(), JoinError> = futures::executor::block_on(h);
        assert!(outcome.unwrap_err().is_cancelled());
    }
}

#[test]
fn a_destructor_that_waits_during_teardown_returns() {
    let log = Rc::new(RefCell::new(Vec::new()));
    struct WaitsInDrop(Rc<RefCell<Vec<&'static str>>>);
    impl Drop for WaitsInDrop {
        fn drop(&mut self) {
            self.0.borrow_mut().push("drop starts");
            corun::sleep(LONG);
            corun::sleep(Duration::MAX);
            corun::sleep_until(std::time::Instant::now() + LONG);
            corun::yield_now();
            self.0.borrow_mut().push("drop ends");
        }
    }
    {
        let ex = Executor::new();
        let other = ex.spawn(|| corun::sleep(LONG));
        let l = log.clone();
        drop(ex.spawn(move || {
            let _w = WaitsInDrop(l);
            // A join in the destructor's unwinding task gives up too.
            struct JoinsInDrop(Option<JoinHandle<()>>);
            impl Drop for JoinsInDrop {
                fn drop(&mut self) {
                    let e = self.0.take().unwrap().join().unwrap_err();
                    assert!(e.is_cancelled());
                }
            }
            let _j = JoinsInDrop(Some(other));
            corun::sleep(LONG);
        }));
        ex.block_on(corun::yield_now);
    }
    assert_eq!(*log.borrow(), ["drop starts", "drop ends"]);
}

#[test]
fn a_destructor_that_spawns_during_teardown() {
    // A task spawned from a destructor during teardown is itself torn
    // down: dropped unrun.
    let late = Rc::new(Cell::new(0));
    let late_ran = Rc::new(Cell::new(false));
    struct SpawnsInDrop(Rc<Cell<usize>>, Rc<Cell<bool>>);
    impl Drop for SpawnsInDrop {
        fn drop(&mut self) {
            let (g, r) = (DropCount(self.0.clone()), self.1.clone());
            drop(corun::spawn(move || {
                let _g = g;
                r.set(true);
            }));
        }
    }
    {
        let ex = Executor::new();
        let s = SpawnsInDrop(late.clone(), late_ran.clone());
        drop(ex.spawn(move || {
            let _s = s;
            corun::sleep(LONG);
        }));
        ex.block_on(corun::yield_now);
    }
    assert_eq!(late.get(), 1);
    assert!(!late_ran.get());
}

#[test]
fn a_panicking_destructor_during_teardown_is_reported() {
    let name = "a_panicking_destructor_during_teardown_is_reported";
    if !is_child(name) {
        let out = run_child(name);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "child failed: {}\n{stderr}",
            out.status
        );
        assert!(stderr.contains("unstarted drop failed"), "{stderr}");
        assert!(stderr.contains("future drop failed"), "{stderr}");
        assert!(stderr.contains("caught cancel then failed"), "{stderr}");
        assert!(stderr.contains("child done"), "{stderr}");
        return;
    }
    let others = Rc::new(Cell::new(0));
    let handles;
    {
        let ex = Executor::new();
        let g = DropCount(others.clone());
        let before = ex.spawn(move || {
            let _g = g;
            corun::sleep(LONG);
        });
        let future = ex.spawn_future(async {
            let _p = PanicsInDrop("future drop failed");
            corun::sleep_future(LONG).await;
        });
        // A stackful body that catches its unwind and then panics: its
        // destructors do not run during an unwind, so no abort.
        let stubborn = ex.spawn(|| {
            let r = std::panic::catch_unwind(|| corun::sleep(LONG));
            assert!(r.is_err());
            panic!("caught cancel then failed");
        });
        let g = DropCount(others.clone());
        let after = ex.spawn(move || {
            let _g = g;
            corun::sleep(LONG);
        });
        ex.block_on(corun::yield_now);
        // Spawned after the last run: dropped unrun at teardown.
        let p = PanicsInDrop("unstarted drop failed");
        let unstarted = ex.spawn(move || drop(p));
        handles = (before, unstarted, future, stubborn, after);
    }
    assert_eq!(others.get(), 2, "tasks around the panicking ones unwound");
    let outcome = |h: JoinHandle<()>| futures::executor::block_on(h).unwrap_err();
    assert!(outcome(handles.0).is_cancelled());
    assert!(outcome(handles.1).is_panic());
    assert!(outcome(handles.2).is_panic());
    assert!(outcome(handles.3).is_panic());
    assert!(outcome(handles.4).is_cancelled());
    eprintln!("child done");
}

#[test]
fn an_executor_dropped_inside_another_executors_task() {
    let inner_unwound = Rc::new(Cell::new(0));
    let outer = Executor::new();
    let u = inner_unwound.clone();
    let v = outer.block_on(move || {
        let inner = Executor::new();
        let g = DropCount(u.clone());
        drop(inner.spawn(move || {
            let _g = g;
            corun::sleep(LONG);
        }));
        let g = DropCount(u);
        drop(inner.spawn(move || drop(g))); // never started
                                            // Tearing `inner` down runs its tasks' destructors from here...
        drop(inner);
        // ...and leaves this task on its own executor, able to wait.
        corun::sleep(Duration::from_millis(1));
        corun::spawn(|| 4).join().unwrap()
    });
    assert_eq!(v, 4);
    assert_eq!(inner_unwound.get(), 2);
}

#[test]
fn wakers_outliving_their_executor_are_harmless() {
    let waker: Rc<RefCell<Option<std::task::Waker>>> = Rc::default();
    {
        let ex = Executor::new();
        let w = waker.clone();
        drop(ex.spawn_future(futures::future::poll_fn(move |cx| {
            *w.borrow_mut() = Some(cx.waker().clone());
            std::task::Poll::<()>::Pending
        })));
        ex.block_on(corun::yield_now);
    }
    let waker = waker.borrow_mut().take().expect("the future was polled");
    waker.wake_by_ref();
    // From another thread, too.
    std::thread::spawn(move || waker.wake()).join().unwrap();
}

#[test]
fn nothing_leaks() {
    let probe = Rc::new(());
    let handle_probe = Rc::new(());
    {
        let ex = Executor::new();
        let keep = |p: &Rc<()>| p.clone();
        // Finished, sleeping, joining, awaiting, yielding, unstarted, future,
        // detached and joined: each holds a clone of `probe`.
        let p = keep(&probe);
        let done = ex.spawn(move || drop(p));
        let p = keep(&probe);
        let sleeper = ex.spawn(move || {
            let _p = p;
            corun::sleep(LONG);
        });
        let p = keep(&probe);
        let hp = keep(&handle_probe);
        drop(ex.spawn(move || {
            let _p = p;
            let _hp = hp;
            sleeper.join().unwrap();
        }));
        let p = keep(&probe);
        let (tx, rx) = futures::channel::oneshot::channel::<Rc<()>>();
        drop(ex.spawn(move || {
            let _p = p;
            corun::await_(rx).unwrap();
        }));
        let p = keep(&probe);
        drop(ex.spawn(move || loop {
            let _p = p.clone();
            corun::yield_now();
        }));
        let p = keep(&probe);
        let fut = ex.spawn_future(async move {
            let _p = p;
            corun::sleep_future(LONG).await;
        });
        // A task that owns its own handle: a reference cycle broken by
        // teardown.
        let cell: Rc<RefCell<Option<JoinHandle<()>>>> = Rc::default();
        let (c, p) = (cell.clone(), keep(&probe));
        let selfish = ex.spawn(move || {
            let _p = p;
            let _me = c.borrow_mut().take();
            corun::sleep(LONG);
        });
        *cell.borrow_mut() = Some(selfish);
        ex.block_on(|| {
            corun::yield_now();
            corun::yield_now();
        });
        assert!(done.is_finished());
        let p = keep(&probe);
        drop(ex.spawn(move || drop(p))); // unstarted
        drop((tx, fut, done));
        assert!(Rc::strong_count(&probe) > 1);
    }
    assert_eq!(Rc::strong_count(&probe), 1);
    assert_eq!(Rc::strong_count(&handle_probe), 1);
}

#[test]
fn a_new_executor_after_teardown_works() {
    for round in 0..3 {
        let count = Rc::new(Cell::new(0));
        {
            let ex = Executor::new();
            for _ in 0..50 {
                let g = DropCount(count.clone());
                drop(ex.spawn(move || {
                    let _g = g;
                    corun::sleep(LONG);
                }));
            }
            assert_eq!(ex.block_on(|| round), round);
        }
        assert_eq!(count.get(), 50);
    }
}

/// Runs a fresh executor's `block_on` (whose body really sleeps) when
/// dropped, and records its value.
struct RunsAnExecutor(Rc<Cell<u32>>);

impl Drop for RunsAnExecutor {
    fn drop(&mut self) {
        let inner = Executor::new();
        self.0.set(inner.block_on(|| {
            corun::sleep(Duration::from_millis(1));
            7
        }));
    }
}

#[test]
fn a_fresh_executors_block_on_runs_in_the_cleanup_of_a_cancelled_or_torn_down_task() {
    common::in_child_process(
        "a_fresh_executors_block_on_runs_in_the_cleanup_of_a_cancelled_or_torn_down_task",
        || {
            let got = Rc::new(Cell::new(0));
            let ex = Executor::new();
            let g = got.clone();
            common::in_cancelled_cleanup(&ex, move || drop(RunsAnExecutor(g)));
            assert_eq!(got.replace(0), 7, "in a cancelled task's cleanup");
            let guard = RunsAnExecutor(got.clone());
            drop(ex.spawn(move || {
                let _guard = guard;
                corun::sleep(LONG);
            }));
            ex.block_on(corun::yield_now);
            drop(ex);
            assert_eq!(got.get(), 7, "in a task's cleanup at executor teardown");
        },
    );
}

/// A task that catches its cancellation and waits again, every time: the
/// executor's drop tries twice, then gives up on it with a warning naming
/// the task; its join says cancelled (it does not stay "running" for ever).
#[test]
fn a_task_that_keeps_ignoring_cancellation_is_abandoned_with_a_warning() {
    const NAME: &str = "a_task_that_keeps_ignoring_cancellation_is_abandoned_with_a_warning";
    let stderr = common::child_stderr(NAME, || {
        let drops = common::counter();
        let ex = Executor::new();
        let d = drops.clone();
        let stubborn: JoinHandle<()> = ex.spawn(move || {
            let _guard = DropCount(d);
            loop {
                let _ = std::panic::catch_unwind(|| corun::sleep(LONG));
            }
        });
        ex.block_on(corun::yield_now);
        drop(ex);
        assert!(stubborn.is_finished());
        assert!(stubborn.join().unwrap_err().is_cancelled());
        assert_eq!(drops.get(), 0, "its stack was leaked, not run on");
    });
    if let Some(stderr) = stderr {
        assert!(
            stderr.contains("caught its cancellation and waited again"),
            "{stderr}"
        );
        assert!(
            stderr.contains("executor_teardown.rs"),
            "names where it was spawned: {stderr}"
        );
    }
}
