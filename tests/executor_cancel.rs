//! Cancellation: unstarted tasks are dropped unrun, suspended ones unwind
//! from where they wait, no stale wake-up reaches them afterwards, and the
//! edge cases (finished, self-cancel, destructors that wait or panic).

use corun::{Executor, JoinError, JoinHandle};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::task::Waker;
use std::time::Duration;

mod common;
use common::{counter, DropCount, Finally, Gate, PanicsInDrop, LONG};

/// Cancels `h` from a task once it is suspended, then joins it.
fn cancel_after_it_waits<T: 'static>(ex: &Executor, h: JoinHandle<T>) -> JoinError {
    ex.block_on(|| {
        corun::yield_now(); // the target runs up to its wait
        h.cancel();
        h.join().err().expect("a cancelled task gives no value")
    })
}

#[test]
fn cancelling_an_unstarted_task_drops_it_unrun() {
    let ex = Executor::new();
    let dropped = counter();
    let ran = Rc::new(Cell::new(false));
    let (guard, r) = (DropCount(dropped.clone()), ran.clone());
    let h = ex.spawn(move || {
        let _guard = guard;
        r.set(true);
    });
    h.cancel();
    // The body is dropped at the task's turn, not inside `cancel`.
    assert_eq!(dropped.get(), 0);
    let e = ex.block_on(|| h.join().unwrap_err());
    assert!(e.is_cancelled());
    assert_eq!(dropped.get(), 1);
    assert!(!ran.get());
    assert!(ex.tasks().is_empty());
}

#[test]
fn cancelling_an_unstarted_try_spawned_task_drops_it_unrun() {
    // try_spawn maps the stack at once; the body is still dropped unrun.
    let ex = Executor::new();
    let dropped = counter();
    let ran = Rc::new(Cell::new(false));
    let (guard, r) = (DropCount(dropped.clone()), ran.clone());
    let h = ex
        .try_spawn(move || {
            let _guard = guard;
            r.set(true);
        })
        .unwrap();
    h.cancel();
    ex.run();
    assert_eq!(dropped.get(), 1);
    assert!(!ran.get());
    assert!(ex.block_on(|| h.join()).unwrap_err().is_cancelled());
}

#[test]
fn cancelling_an_unstarted_future_task_drops_it_unpolled() {
    let ex = Executor::new();
    let dropped = counter();
    let ran = Rc::new(Cell::new(false));
    let (guard, r) = (DropCount(dropped.clone()), ran.clone());
    let h = ex.spawn_future(async move {
        let _guard = guard;
        r.set(true);
    });
    h.cancel();
    ex.run();
    assert!(h.is_finished());
    assert_eq!(dropped.get(), 1);
    assert!(!ran.get());
    let e = ex.block_on(|| h.join().unwrap_err());
    assert!(e.is_cancelled());
}

#[test]
fn cancel_unwinds_a_task_blocked_in_sleep() {
    let ex = Executor::new();
    let dropped = counter();
    let after = Rc::new(Cell::new(false));
    let (guard, a) = (DropCount(dropped.clone()), after.clone());
    let h = ex.spawn(move || {
        let _guard = guard;
        corun::sleep(LONG);
        a.set(true);
    });
    assert!(cancel_after_it_waits(&ex, h).is_cancelled());
    assert_eq!(dropped.get(), 1);
    assert!(!after.get());
    assert!(ex.tasks().is_empty());
}

#[test]
fn cancel_unwinds_a_task_blocked_in_join() {
    let ex = Executor::new();
    let dropped = counter();
    let sleeper = ex.spawn(|| {
        corun::sleep(LONG);
        1
    });
    let sleeper_id = sleeper.id();
    let guard = DropCount(dropped.clone());
    let joiner = ex.spawn(move || {
        let _guard = guard;
        sleeper.join().unwrap()
    });
    assert!(cancel_after_it_waits(&ex, joiner).is_cancelled());
    assert_eq!(dropped.get(), 1);
    // The joined task is untouched: its handle was dropped (detached).
    let tasks = ex.tasks();
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0].id, sleeper_id);
}

#[test]
fn cancel_unwinds_a_task_blocked_in_await() {
    let ex = Executor::new();
    let dropped = counter();
    let (tx, rx) = futures::channel::oneshot::channel::<u32>();
    let guard = DropCount(dropped.clone());
    let h = ex.spawn(move || {
        let _guard = guard;
        corun::await_(rx).unwrap()
    });
    assert!(cancel_after_it_waits(&ex, h).is_cancelled());
    assert_eq!(dropped.get(), 1);
    // The receiver was dropped with the task.
    assert!(tx.is_canceled());
}

#[test]
fn cancel_unwinds_a_future_task_blocked_in_await() {
    let ex = Executor::new();
    let dropped = counter();
    let (tx, rx) = futures::channel::oneshot::channel::<u32>();
    let guard = DropCount(dropped.clone());
    let h = ex.spawn_future(async move {
        let _guard = guard;
        rx.await.unwrap()
    });
    assert!(cancel_after_it_waits(&ex, h).is_cancelled());
    assert_eq!(dropped.get(), 1);
    assert!(tx.is_canceled());
}

#[test]
fn cancel_unwinds_a_task_inside_a_timeout_body() {
    let ex = Executor::new();
    let log = Rc::new(RefCell::new(Vec::new()));
    let l = log.clone();
    let h = ex.spawn(move || {
        let _task = Finally(l.clone(), "task");
        let _ = corun::timeout(LONG, || {
            let _body = Finally(l, "timeout body");
            corun::sleep(LONG);
        });
        unreachable!("cancel does not look like a timeout");
    });
    assert!(cancel_after_it_waits(&ex, h).is_cancelled());
    assert_eq!(*log.borrow(), ["timeout body", "task"]);
}

#[test]
fn cancel_from_outside_the_executor() {
    let ex = Executor::new();
    let dropped = counter();
    let guard = DropCount(dropped.clone());
    let h = ex.spawn(move || {
        let _guard = guard;
        corun::sleep(LONG);
    });
    ex.block_on(corun::yield_now);
    // Requested while nothing runs; it takes effect when the executor runs.
    h.cancel();
    assert_eq!(dropped.get(), 0);
    ex.run();
    assert_eq!(dropped.get(), 1);
    assert!(h.is_finished());
    assert!(ex.block_on(|| h.join()).unwrap_err().is_cancelled());
}

#[test]
fn no_stale_wake_up_after_cancel() {
    let ex = Executor::new();
    // Task 1 sleeps on a short timer; task 2 awaits a future whose waker
    // outlives it. Both are cancelled; then the timer expires and the old
    // waker fires. Neither may run anything or disturb a new task.
    let sleeper = ex.spawn(|| corun::sleep(Duration::from_millis(5)));
    let waker: Rc<RefCell<Option<Waker>>> = Rc::default();
    let polls = counter();
    // A gate never opened: it stays pending and keeps its waker.
    let fut = Gate {
        open: Rc::default(),
        polls: polls.clone(),
        waker: waker.clone(),
    };
    let awaiter = ex.spawn(move || corun::await_(fut));
    ex.block_on(corun::yield_now); // both wait now
    sleeper.cancel();
    awaiter.cancel();
    // Both unwind; their table slots are freed, the awaiter's last, so the
    // next spawned task reuses the awaiter's slot.
    ex.run();
    assert!(ex.tasks().is_empty());
    let old_waker = waker.borrow_mut().take().expect("the future was polled");
    assert_eq!(polls.get(), 1);

    // A new task takes the freed table slot and waits on its own future.
    let new_polls = counter();
    let new_waker: Rc<RefCell<Option<Waker>>> = Rc::default();
    let fut = Gate {
        open: Rc::default(),
        polls: new_polls.clone(),
        waker: new_waker.clone(),
    };
    let newcomer = ex.spawn(move || corun::await_(fut));
    ex.block_on(|| {
        corun::sleep(Duration::from_millis(10)); // past the old timer
        old_waker.wake_by_ref();
        corun::yield_now();
        corun::yield_now();
    });
    assert_eq!(new_polls.get(), 1, "a stale wake reached the new task");
    old_waker.wake();
    newcomer.cancel();
    ex.run();
    assert_eq!(new_polls.get(), 1);
    assert!(ex.tasks().is_empty());
    let (a, b) = ex.block_on(|| (sleeper.join(), awaiter.join()));
    assert!(a.unwrap_err().is_cancelled() && b.unwrap_err().is_cancelled());
}

#[test]
fn cancelling_a_finished_task_is_a_no_op() {
    let ex = Executor::new();
    let h = ex.spawn(|| 5);
    ex.run();
    assert!(h.is_finished());
    h.cancel();
    h.cancel();
    assert_eq!(ex.block_on(|| h.join().unwrap()), 5);

    // Finished but not yet joined, cancelled from inside a task.
    let h = ex.spawn(|| 6);
    let v = ex.block_on(|| {
        corun::yield_now();
        assert!(h.is_finished());
        h.cancel();
        h.join().unwrap()
    });
    assert_eq!(v, 6);
}

#[test]
fn cancelling_twice_is_the_same_as_once() {
    let ex = Executor::new();
    let dropped = counter();
    let guard = DropCount(dropped.clone());
    let h = ex.spawn(move || {
        let _guard = guard;
        corun::sleep(LONG);
    });
    let e = ex.block_on(|| {
        corun::yield_now();
        h.cancel();
        h.cancel();
        h.join().unwrap_err()
    });
    assert!(e.is_cancelled());
    assert_eq!(dropped.get(), 1);
}

#[test]
fn a_task_cancelling_itself_ends_at_its_next_suspension() {
    let ex = Executor::new();
    let cell: Rc<RefCell<Option<JoinHandle<()>>>> = Rc::default();
    let steps = Rc::new(RefCell::new(Vec::new()));
    let dropped = counter();
    let (c, s, d) = (cell.clone(), steps.clone(), dropped.clone());
    let h = ex.spawn(move || {
        let _guard = DropCount(d);
        c.borrow().as_ref().unwrap().cancel();
        s.borrow_mut().push("after cancel"); // still runs: no suspension yet
        corun::yield_now();
        s.borrow_mut().push("after yield");
    });
    *cell.borrow_mut() = Some(h);
    ex.run();
    assert_eq!(*steps.borrow(), ["after cancel"]);
    assert_eq!(dropped.get(), 1, "the guard unwound");
    let h = cell.borrow_mut().take().unwrap();
    assert!(ex.block_on(|| h.join()).unwrap_err().is_cancelled());
}

#[test]
fn a_task_cancelling_itself_without_suspending_completes() {
    let ex = Executor::new();
    let cell: Rc<RefCell<Option<JoinHandle<u32>>>> = Rc::default();
    let c = cell.clone();
    let h = ex.spawn(move || {
        c.borrow().as_ref().unwrap().cancel();
        7
    });
    *cell.borrow_mut() = Some(h);
    ex.run();
    let h = cell.borrow_mut().take().unwrap();
    assert_eq!(ex.block_on(|| h.join()).unwrap(), 7);
}

#[test]
fn a_destructor_that_waits_during_cancel_returns() {
    let ex = Executor::new();
    let log = Rc::new(RefCell::new(Vec::new()));
    struct WaitsInDrop(Rc<RefCell<Vec<&'static str>>>);
    impl Drop for WaitsInDrop {
        fn drop(&mut self) {
            self.0.borrow_mut().push("drop starts");
            // While unwinding, each of these returns at once.
            corun::sleep(LONG);
            corun::sleep(Duration::MAX);
            corun::yield_now();
            self.0.borrow_mut().push("drop ends");
        }
    }
    let l = log.clone();
    let h = ex.spawn(move || {
        let _w = WaitsInDrop(l);
        corun::sleep(LONG);
    });
    assert!(cancel_after_it_waits(&ex, h).is_cancelled());
    assert_eq!(*log.borrow(), ["drop starts", "drop ends"]);
    assert!(ex.tasks().is_empty());
}

#[test]
fn a_join_in_a_destructor_during_cancel_gives_up() {
    let ex = Executor::new();
    let seen: Rc<RefCell<Option<Result<u32, JoinError>>>> = Rc::default();
    struct JoinsInDrop(
        Option<JoinHandle<u32>>,
        Rc<RefCell<Option<Result<u32, JoinError>>>>,
    );
    impl Drop for JoinsInDrop {
        fn drop(&mut self) {
            *self.1.borrow_mut() = Some(self.0.take().unwrap().join());
        }
    }
    let other = ex.spawn(|| {
        corun::sleep(LONG);
        1
    });
    let s = seen.clone();
    let h = ex.spawn(move || {
        let _j = JoinsInDrop(Some(other), s);
        corun::sleep(LONG);
    });
    assert!(cancel_after_it_waits(&ex, h).is_cancelled());
    // The unwinding task cannot wait, so its join reports a cancellation.
    let outcome = seen.borrow_mut().take().unwrap();
    assert!(outcome.unwrap_err().is_cancelled());
}

#[test]
fn a_panicking_destructor_of_an_unstarted_task_gives_a_panic() {
    let ex = Executor::new();
    let p = PanicsInDrop("drop failed");
    let h = ex.spawn(move || drop(p));
    h.cancel();
    let e = ex.block_on(|| h.join().unwrap_err());
    assert!(e.is_panic(), "{e:?}");
    assert_eq!(e.to_string(), "task panicked: drop failed");

    let p = PanicsInDrop("drop failed");
    let h = ex.spawn_future(async move { drop(p) });
    h.cancel();
    let e = ex.block_on(|| h.join().unwrap_err());
    assert_eq!(e.to_string(), "task panicked: drop failed");
    assert!(ex.tasks().is_empty());
}

#[test]
fn a_panicking_destructor_of_a_suspended_future_task_gives_a_panic() {
    let ex = Executor::new();
    let h = ex.spawn_future(async move {
        let _p = PanicsInDrop("future drop failed");
        corun::sleep_future(LONG).await;
    });
    let e = cancel_after_it_waits(&ex, h);
    assert!(e.is_panic());
    assert_eq!(e.to_string(), "task panicked: future drop failed");
}

#[test]
fn a_task_that_panics_after_catching_its_cancel_gives_a_panic() {
    // A stackful body's destructors run during an unwind, where a panic
    // aborts the process (as in any Rust code). A body that catches the
    // unwind and then panics is the stackful case that reports a panic.
    let ex = Executor::new();
    let h = ex.spawn(|| {
        let r = std::panic::catch_unwind(|| corun::sleep(LONG));
        assert!(r.is_err(), "the cancel unwinds out of sleep");
        panic!("cleanup failed");
    });
    let e = cancel_after_it_waits(&ex, h);
    assert!(e.is_panic());
    assert_eq!(e.to_string(), "task panicked: cleanup failed");
    assert!(ex.tasks().is_empty());
}

#[test]
fn a_task_that_ignores_its_cancel_goes_on() {
    // Cancellation is a request: a body that catches the unwind keeps
    // running and can still finish with a value.
    let ex = Executor::new();
    let h = ex.spawn(|| {
        let r = std::panic::catch_unwind(|| corun::sleep(LONG));
        corun::sleep(Duration::from_millis(1));
        if r.is_err() {
            "ignored"
        } else {
            "slept"
        }
    });
    let v = ex.block_on(|| {
        corun::yield_now();
        h.cancel();
        h.join()
    });
    assert_eq!(v.unwrap(), "ignored");
}

#[test]
fn a_task_that_catches_its_cancellation_and_returns_keeps_its_value() {
    // asyncio: a task that suppresses CancelledError and returns a value
    // completes with that value, whether or not its handler awaits.
    let ex = Executor::new();
    let no_wait = ex.spawn(|| {
        let caught = std::panic::catch_unwind(|| corun::sleep(LONG)).is_err();
        if caught {
            "caught, no wait"
        } else {
            "slept"
        }
    });
    let waits = ex.spawn(|| {
        let caught = std::panic::catch_unwind(|| corun::sleep(LONG)).is_err();
        corun::sleep(Duration::from_millis(2));
        if caught {
            "caught, then waited"
        } else {
            "slept"
        }
    });
    let (a, b) = ex.block_on(|| {
        corun::yield_now();
        no_wait.cancel();
        waits.cancel();
        (no_wait.join(), waits.join())
    });
    assert_eq!(a.unwrap(), "caught, no wait");
    assert_eq!(b.unwrap(), "caught, then waited");
}
