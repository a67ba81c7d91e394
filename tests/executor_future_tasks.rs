//! A future task (`spawn_future`) has no stack: blocking-style waits there
//! are a clear panic, never a silent no-op.

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
