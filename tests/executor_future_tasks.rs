//! A future task (`spawn_future`) has no stack: blocking-style waits there
//! are a clear panic, never a silent no-op; a panic from its future's
//! destructor is the task's own outcome.

use corun::Executor;
use std::time::Duration;

#[test]
fn blocking_waits_in_a_future_task_panic_with_a_clear_message() {
    let ex = Executor::new();
    type Check = (&'static str, Box<dyn Fn()>);
    let checks: Vec<Check> = vec![
        (
            "sleep",
            Box::new(|| corun::sleep(Duration::from_millis(50))),
        ),
        ("yield_now", Box::new(corun::yield_now)),
        (
            "timeout",
            Box::new(|| {
                let _ = corun::timeout(Duration::from_secs(5), || {
                    corun::sleep(Duration::from_millis(5))
                });
            }),
        ),
        (
            "await_",
            Box::new(|| corun::await_(corun::sleep_future(Duration::from_millis(5)))),
        ),
    ];
    for (name, wait) in checks {
        let h = ex.spawn_future(async move { wait() });
        let err = ex.block_on(|| h.join()).unwrap_err();
        assert!(err.is_panic(), "{name}: {err}");
        let text = err.to_string();
        assert!(text.contains("future task"), "{name}: {text}");
    }
}

#[test]
fn joining_an_unfinished_task_from_a_future_task_panics_and_leaves_it_alone() {
    let ex = Executor::new();
    let other = ex.spawn(|| {
        corun::sleep(Duration::from_millis(5));
        7
    });
    let other_id = other.id();
    let h = ex.spawn_future(async move { other.join() });
    let err = ex.block_on(|| h.join()).unwrap_err();
    assert!(err.to_string().contains("future task"), "{err}");
    ex.run();
    assert!(
        ex.tasks().iter().all(|t| t.id != other_id),
        "the other task ran to its end"
    );
}

/// Panics when dropped.
struct PanicOnDrop(&'static str);

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        panic!("{}", self.0)
    }
}

#[test]
fn a_panic_dropping_a_finished_future_task_is_that_tasks_not_the_block_ons() {
    use std::panic::{catch_unwind, AssertUnwindSafe};
    let ex = Executor::new();
    let guard = PanicOnDrop("dropped after Ready");
    let ready = ex.spawn_future(std::future::poll_fn(move |_| {
        let _ = &guard;
        std::task::Poll::Ready(5)
    }));
    let guard = PanicOnDrop("dropped after the poll panicked");
    let panicked = ex.spawn_future(std::future::poll_fn(move |_| -> std::task::Poll<()> {
        let _ = &guard;
        panic!("the poll panicked")
    }));
    let unrelated = catch_unwind(AssertUnwindSafe(|| ex.block_on(|| 1)));
    assert_eq!(
        unrelated.ok(),
        Some(1),
        "the drop's panic escaped into block_on"
    );
    let (ready, panicked) = ex.block_on(|| (ready.join(), panicked.join()));
    let message = |e: corun::JoinError| {
        let payload = e.into_panic();
        match payload.downcast_ref::<&str>() {
            Some(s) => s.to_string(),
            None => payload
                .downcast_ref::<String>()
                .cloned()
                .unwrap_or_default(),
        }
    };
    assert_eq!(message(ready.unwrap_err()), "dropped after Ready");
    assert_eq!(message(panicked.unwrap_err()), "the poll panicked");
    assert!(ex.tasks().is_empty(), "{:?}", ex.tasks());
}

#[test]
fn yield_now_future_lets_every_other_ready_task_run_once() {
    let ex = corun::Executor::new();
    let order = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let spawn = |name: &'static str, yields: usize| {
        let order = order.clone();
        ex.spawn_future(async move {
            for i in 0..yields {
                order.borrow_mut().push(format!("{name}{i}"));
                corun::task::yield_now_future().await;
            }
        })
    };
    let (a, b) = (spawn("a", 3), spawn("b", 2));
    ex.block_on(|| {
        a.join().unwrap();
        b.join().unwrap();
    });
    assert_eq!(*order.borrow(), ["a0", "b0", "a1", "b1", "a2"]);
}
