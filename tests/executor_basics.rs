//! The executor's basics: spawning, joining, `block_on` and `run`, the
//! misuse panics of the task-only functions, join errors, detaching, panics in
//! tasks, futures interop and the fairness of `yield_now`.

use corun::{Executor, JoinError, TaskKind, TaskState};
use futures::task::LocalSpawnExt;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

mod common;
use common::{panic_message, payload_message, push, Log, PanicsInDrop};

#[test]
fn spawn_then_join_from_block_on() {
    let ex = Executor::new();
    let h = ex.spawn(|| {
        corun::sleep(Duration::from_millis(2));
        42
    });
    assert!(!h.is_finished());
    let v = ex.block_on(|| h.join().unwrap());
    assert_eq!(v, 42);
}

#[test]
fn free_spawn_inside_tasks_and_ids_are_distinct() {
    let ex = Executor::new();
    let total = ex.block_on(|| {
        let a = corun::spawn(|| 1);
        let b = corun::spawn(|| corun::spawn(|| 2).join().unwrap());
        assert_ne!(a.id(), b.id());
        a.join().unwrap() + b.join().unwrap()
    });
    assert_eq!(total, 3);
    assert!(ex.tasks().is_empty());
}

#[test]
fn block_on_returns_while_other_tasks_live() {
    let ex = Executor::new();
    let sleeper = ex.spawn(|| corun::sleep(Duration::from_secs(3600)));
    // block_on ends with its own closure even though `sleeper` never ends.
    assert_eq!(ex.block_on(|| 7), 7);
    assert!(!sleeper.is_finished());
    let tasks = ex.tasks();
    assert_eq!(tasks.len(), 1, "{}", ex.dump());
    assert_eq!(tasks[0].id, sleeper.id());
    assert_eq!(tasks[0].kind, TaskKind::Stackful);
    assert_eq!(tasks[0].state, TaskState::Blocked { on: "sleep" });
    assert!(ex.dump().contains("blocked on sleep"), "{}", ex.dump());
    // The executor can be used again, and the sleeper is still there.
    assert_eq!(ex.block_on(|| 8), 8);
    assert_eq!(ex.tasks().len(), 1);
}

#[test]
fn block_on_closure_borrows_locals() {
    let ex = Executor::new();
    let mut local = vec![1, 2];
    let borrowed = String::from("borrowed");
    let len = ex.block_on(|| {
        corun::yield_now();
        local.push(3);
        corun::sleep(Duration::from_millis(1));
        borrowed.len()
    });
    assert_eq!(local, [1, 2, 3]);
    assert_eq!(len, 8);
}

#[test]
fn block_on_shows_as_a_running_task() {
    let ex = Executor::new();
    let tasks = ex.block_on(|| ex.tasks());
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0].kind, TaskKind::BlockOn);
    assert_eq!(tasks[0].state, TaskState::Running);
    assert!(ex.tasks().is_empty());
}

#[test]
fn block_on_propagates_a_panic_and_the_executor_goes_on() {
    let ex = Executor::new();
    let msg = panic_message(|| ex.block_on(|| panic!("main failed")));
    assert_eq!(msg, "main failed");
    assert_eq!(ex.block_on(|| 5), 5);
    assert!(ex.tasks().is_empty());
}

#[test]
fn nested_block_on_or_run_in_a_task_panics() {
    let ex = Executor::new();
    let other = Executor::new();
    let (same, run, foreign) = ex.block_on(|| {
        (
            panic_message(|| ex.block_on(|| ())),
            panic_message(|| ex.run()),
            panic_message(|| other.block_on(|| ())),
        )
    });
    let expected = "Executor::block_on called from inside a corun task";
    assert!(same.starts_with(expected), "{same}");
    assert!(foreign.starts_with(expected), "{foreign}");
    assert!(same.contains("JoinHandle::join"), "{same}");
    assert!(
        run.starts_with("Executor::run called from inside a corun task"),
        "{run}"
    );
    // Spawned tasks are refused the same way.
    let h = ex.spawn(move || other.block_on(|| ()));
    let err = ex.block_on(|| h.join()).unwrap_err();
    assert!(err.to_string().contains("called from inside a corun task"));
}

#[test]
fn task_only_functions_panic_outside_a_task() {
    fn outside<T>(name: &str, f: impl FnOnce() -> T) {
        let msg = panic_message(f);
        assert!(
            msg.starts_with(&format!("{name} called outside a corun task")),
            "{name}: {msg}"
        );
    }
    let d = Duration::from_millis(1);
    outside("corun::spawn", || corun::spawn(|| ()));
    outside("corun::spawn_future", || corun::spawn_future(async {}));
    outside("corun::yield_now", corun::yield_now);
    // A finite `sleep` currently names `sleep_until` (which it calls) in its
    // message, so only the common part is checked for it.
    outside("corun::sleep", || corun::sleep(Duration::MAX));
    let msg = panic_message(|| corun::sleep(d));
    assert!(msg.contains("corun::sleep"), "{msg}");
    assert!(msg.contains("called outside a corun task"), "{msg}");
    outside("corun::sleep_until", || {
        corun::sleep_until(std::time::Instant::now())
    });
    outside("corun::timeout", || corun::timeout(d, || ()));
    outside("corun::await_", || corun::await_(async {}));
    outside("corun::Sleep::poll", || {
        futures::executor::block_on(corun::sleep_future(d))
    });
    // Outside any executor, and with one that is not running.
    let ex = Executor::new();
    let h = ex.spawn(|| 1);
    outside("JoinHandle::join", || h.join());
    // The executor is still fine afterwards.
    ex.run();
    assert!(ex.tasks().is_empty());
}

#[test]
fn a_task_joining_itself_panics() {
    let ex = Executor::new();
    // The task finds its own handle in this cell when it starts.
    let cell: Rc<RefCell<Option<corun::JoinHandle<()>>>> = Rc::new(RefCell::new(None));
    let seen = Rc::new(RefCell::new(String::new()));
    let (c, s) = (cell.clone(), seen.clone());
    let h = ex.spawn(move || {
        let me = c.borrow_mut().take().expect("handle stored before start");
        *s.borrow_mut() = panic_message(|| me.join());
    });
    *cell.borrow_mut() = Some(h);
    ex.run();
    let msg = seen.borrow();
    assert!(
        msg.starts_with("JoinHandle::join: a task cannot join itself"),
        "{msg}"
    );
    assert!(ex.tasks().is_empty());
}

#[test]
fn dropping_a_handle_detaches_the_task() {
    let ex = Executor::new();
    let done = Rc::new(Cell::new(false));
    let d = done.clone();
    drop(ex.spawn(move || {
        corun::sleep(Duration::from_millis(2));
        corun::yield_now();
        d.set(true);
    }));
    ex.run();
    assert!(done.get());
    assert!(ex.tasks().is_empty());
}

#[test]
fn join_error_for_str_and_string_panics() {
    let ex = Executor::new();
    let a = ex.spawn(|| -> u32 { panic!("boom") });
    let b = ex.spawn(|| -> u32 { panic!("boom {}", 42) });
    let c = ex.spawn(|| -> u32 { std::panic::panic_any(7_u8) });
    let (a, b, c) = ex.block_on(|| (a.join(), b.join(), c.join()));
    let a = a.unwrap_err();
    assert!(a.is_panic() && !a.is_cancelled() && a.stack_error().is_none());
    assert_eq!(a.to_string(), "task panicked: boom");
    assert_eq!(format!("{a:?}"), r#"JoinError::Panicked("boom")"#);
    assert_eq!(payload_message(a.into_panic()), "boom");

    let b = b.unwrap_err();
    assert_eq!(b.to_string(), "task panicked: boom 42");
    assert_eq!(format!("{b:?}"), r#"JoinError::Panicked("boom 42")"#);
    assert_eq!(payload_message(b.try_into_panic().unwrap()), "boom 42");

    let c = c.unwrap_err();
    assert_eq!(c.to_string(), "task panicked");
    assert_eq!(format!("{c:?}"), "JoinError::Panicked(..)");
    assert_eq!(*c.into_panic().downcast::<u8>().unwrap(), 7);
}

#[test]
fn join_error_for_cancel() {
    let ex = Executor::new();
    let h = ex.spawn(|| corun::sleep(Duration::from_secs(3600)));
    let e: JoinError = ex.block_on(|| {
        corun::yield_now();
        h.cancel();
        h.join().unwrap_err()
    });
    assert!(e.is_cancelled() && !e.is_panic() && e.stack_error().is_none());
    assert_eq!(e.to_string(), "task was cancelled");
    assert_eq!(format!("{e:?}"), "JoinError::Cancelled");
    let e = e.try_into_panic().unwrap_err();
    assert!(e.is_cancelled());
    let msg = panic_message(|| e.into_panic());
    assert!(
        msg.starts_with("JoinError::into_panic on an error that is not a panic"),
        "{msg}"
    );
    assert!(msg.contains("task was cancelled"), "{msg}");
}

#[test]
fn a_panicking_task_is_contained() {
    let ex = Executor::new();
    let log: Log<String> = Rc::default();
    let l = log.clone();
    let bad = ex.spawn(move || {
        push(&l, "bad starts");
        corun::yield_now();
        panic!("bad task")
    });
    let l = log.clone();
    let good = ex.spawn(move || {
        push(&l, "good starts");
        corun::yield_now();
        corun::yield_now();
        push(&l, "good ends");
        3
    });
    let (bad, good) = ex.block_on(|| (bad.join(), good.join()));
    assert!(bad.unwrap_err().is_panic());
    assert_eq!(good.unwrap(), 3);
    assert_eq!(*log.borrow(), ["bad starts", "good starts", "good ends"]);
    assert!(ex.tasks().is_empty());
    assert_eq!(ex.block_on(|| 1), 1);
}

#[test]
fn local_spawn_ext_on_executor() {
    // Library code generic over a spawner, handed `&Executor`.
    fn spawn_two<S: LocalSpawnExt>(
        spawner: S,
        hits: Rc<Cell<u32>>,
    ) -> futures::future::RemoteHandle<u32> {
        spawner
            .spawn_local(async move {
                corun::sleep_future(Duration::from_millis(1)).await;
                hits.set(hits.get() + 1);
            })
            .unwrap();
        spawner.spawn_local_with_handle(async { 5 }).unwrap()
    }
    let ex = Executor::new();
    let hits = Rc::new(Cell::new(0));
    let remote = spawn_two(&ex, hits.clone());
    let v = ex.block_on(|| corun::await_(remote));
    ex.run();
    assert_eq!(v, 5);
    assert_eq!(hits.get(), 1);
    assert!(ex.tasks().is_empty());
}

#[test]
fn join_handle_is_a_future() {
    let ex = Executor::new();
    let stackful = ex.spawn(|| {
        corun::sleep(Duration::from_millis(2));
        20
    });
    let future = ex.spawn_future(async { 1 });
    let panicky = ex.spawn(|| -> u32 { panic!("inside") });
    let outer = ex.spawn_future(async move {
        let a = stackful.await.unwrap();
        let b = future.await.unwrap();
        let e = panicky.await.unwrap_err();
        (a + b, e.to_string())
    });
    let (sum, e) = ex.block_on(|| corun::await_(outer)).unwrap();
    assert_eq!(sum, 21);
    assert_eq!(e, "task panicked: inside");
}

#[test]
fn join_handle_polled_then_dropped_leaves_the_task_alone() {
    let ex = Executor::new();
    let h = ex.spawn(|| {
        corun::sleep(Duration::from_millis(2));
        9
    });
    // Poll the handle once (it registers a waker), then drop it: the task
    // must still finish and nothing must reach the dropped poller.
    let polled_first = ex.block_on(|| {
        match corun::await_(futures::future::select(h, futures::future::ready(0))) {
            futures::future::Either::Left(_) => false,
            // `h` was polled (pending) before `ready` won; drop it here.
            futures::future::Either::Right((_, h)) => !h.is_finished(),
        }
    });
    assert!(polled_first);
    ex.run();
    assert!(ex.tasks().is_empty());
}

#[test]
fn spawn_future_on_the_executor_and_from_a_task() {
    let ex = Executor::new();
    let a = ex.spawn_future(async {
        corun::sleep_future(Duration::from_millis(1)).await;
        "a"
    });
    let v = ex.block_on(|| {
        let b = corun::spawn_future(async { "b" });
        let c = corun::spawn_future(async { panic!("future panicked") });
        let ce: Result<(), JoinError> = c.join();
        assert_eq!(
            ce.unwrap_err().to_string(),
            "task panicked: future panicked"
        );
        // A handle is also a Future a stackful task can await_.
        format!("{}{}", corun::await_(a).unwrap(), b.join().unwrap())
    });
    assert_eq!(v, "ab");
    assert!(ex.tasks().is_empty());
}

#[test]
fn run_returns_when_every_task_ended() {
    let ex = Executor::new();
    ex.run(); // nothing to do: returns at once
    let count = Rc::new(Cell::new(0));
    for i in 0..5 {
        let c = count.clone();
        drop(ex.spawn(move || {
            corun::sleep(Duration::from_millis(i));
            let c2 = c.clone();
            corun::spawn(move || c2.set(c2.get() + 1)).join().unwrap();
            c.set(c.get() + 1);
        }));
    }
    let c = count.clone();
    drop(ex.spawn_future(async move {
        corun::sleep_future(Duration::from_millis(3)).await;
        c.set(c.get() + 1);
    }));
    ex.run();
    assert_eq!(count.get(), 11);
    assert!(ex.tasks().is_empty());
}

#[test]
fn yield_now_round_robin_is_fifo() {
    let ex = Executor::new();
    let log: Log<String> = Rc::default();
    for name in ["a", "b", "c"] {
        let l = log.clone();
        drop(ex.spawn(move || {
            for i in 0..3 {
                push(&l, format!("{name}{i}"));
                corun::yield_now();
            }
        }));
    }
    ex.run();
    assert_eq!(
        *log.borrow(),
        ["a0", "b0", "c0", "a1", "b1", "c1", "a2", "b2", "c2"]
    );
}

#[test]
fn yield_now_lets_a_spawned_task_run_first() {
    let ex = Executor::new();
    let log: Log<String> = Rc::default();
    let l = log.clone();
    ex.block_on(move || {
        let l2 = l.clone();
        let h = corun::spawn(move || push(&l2, "spawned"));
        push(&l, "before yield");
        corun::yield_now();
        push(&l, "after yield");
        h.join().unwrap();
    });
    assert_eq!(*log.borrow(), ["before yield", "spawned", "after yield"]);
}

#[test]
fn builder_stack_size_is_used() {
    let ex = Executor::builder().stack_size(512 * 1024).build();
    // Recursion that needs well over the default 64 KiB stack (it would
    // overflow and abort there) and well under 512 KiB.
    fn deep(n: u32) -> u32 {
        let pad = std::hint::black_box([n as u8; 512]);
        if n == 0 {
            pad[0] as u32
        } else {
            deep(n - 1) + (pad[1] as u32 & 1)
        }
    }
    let h = ex.spawn(|| deep(200));
    assert!(ex.block_on(|| h.join()).is_ok());
}

#[test]
fn cross_thread_wake_of_await() {
    let ex = Executor::new();
    let (tx, rx) = futures::channel::oneshot::channel::<u32>();
    let th = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(10));
        tx.send(9).unwrap();
    });
    assert_eq!(ex.block_on(|| corun::await_(rx).unwrap()), 9);
    th.join().unwrap();
}

#[test]
fn a_detached_tasks_output_that_panics_in_drop_stays_at_the_task_boundary() {
    let ex = Executor::new();
    drop(ex.spawn(|| PanicsInDrop("output dropped")));
    let value = ex.block_on(|| {
        corun::yield_now();
        corun::yield_now();
        5
    });
    assert_eq!(value, 5);
    // Dropped after the task ended: the handle's drop does not panic either.
    let h = ex.spawn(|| PanicsInDrop("output dropped with its handle"));
    ex.block_on(corun::yield_now);
    drop(h);
    assert_eq!(ex.block_on(|| 6), 6);
}

#[test]
fn join_error_is_send_sync_and_keeps_the_panic() {
    let ex = Executor::new();
    let h = ex.spawn(|| -> u8 { panic!("boom {}", 7) });
    let err = ex.block_on(|| h.join()).unwrap_err();
    // Fits the error type of thread-crossing code (anyhow and friends).
    let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(err);
    assert_eq!(boxed.to_string(), "task panicked: boom 7");
    let err: Box<JoinError> = boxed.downcast().unwrap();
    let moved = std::thread::spawn(move || payload_message(err.into_panic()))
        .join()
        .unwrap();
    assert_eq!(moved, "boom 7");
}
