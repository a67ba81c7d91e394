//! The per-core runtime's shutdown and drop: what finishes before the
//! deadline, what is cancelled, and callers that race each other.

mod common;

use common::{runtime as rt, Dropped};
use corun::runtime::SpawnError;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[test]
fn drop_cancels_every_task_and_runs_destructors() {
    let dropped = Arc::new(AtomicUsize::new(0));
    let rt = rt(2);
    let mut handles = Vec::new();
    for _ in 0..10 {
        let d = Dropped(dropped.clone());
        handles.push(rt.spawn(move || {
            let _d = d;
            corun::sleep(Duration::from_secs(3600));
        }));
    }
    // Let them start.
    rt.run_on_all(|_| corun::sleep(Duration::from_millis(5)));
    drop(rt);
    assert_eq!(dropped.load(Ordering::SeqCst), 10);
    for h in handles {
        assert!(h.join().unwrap_err().is_cancelled());
    }
}

#[test]
fn shutdown_lets_tasks_finish_until_the_deadline_then_refuses_spawns() {
    let rt = rt(2);
    let quick = rt.spawn(|| {
        corun::sleep(Duration::from_millis(10));
        "finished"
    });
    let slow = rt.spawn(|| corun::sleep(Duration::from_secs(3600)));
    rt.shutdown_timeout(Duration::from_millis(300));
    assert_eq!(quick.join().unwrap(), "finished");
    let err = slow.join().unwrap_err();
    assert!(err.is_cancelled());
    let refused = rt.spawn(|| 1).join().unwrap_err();
    assert!(refused.is_cancelled());
    assert!(refused.to_string().contains("shutting down"), "{refused}");
    let back: SpawnError<_> = rt.try_spawn(|| 5).unwrap_err();
    assert_eq!((back.into_inner())(), 5);
    // A second shutdown and the drop have nothing left to do.
    rt.shutdown_timeout(Duration::ZERO);
}

#[test]
fn the_last_owner_dropping_the_runtime_on_its_own_worker_does_not_hang() {
    let rt = Arc::new(rt(2));
    let (tx, rx) = std::sync::mpsc::channel();
    let mine = rt.clone();
    let h = rt.spawn(move || {
        corun::sleep(Duration::from_millis(20));
        drop(mine); // the last owner, by then
        tx.send(()).unwrap();
    });
    drop(h);
    drop(rt);
    rx.recv_timeout(Duration::from_secs(60)).unwrap();
}

#[test]
fn local_and_future_tasks_that_runtime_tasks_spawned_finish_before_the_deadline() {
    let rt = rt(1);
    let local_done = Arc::new(AtomicBool::new(false));
    let future_done = Arc::new(AtomicBool::new(false));
    let dropped = Arc::new(AtomicUsize::new(0));
    let (l, f, d) = (local_done.clone(), future_done.clone(), dropped.clone());
    rt.spawn(move || {
        // Local tasks outlive the runtime task that spawned them.
        drop(corun::spawn(move || {
            corun::sleep(Duration::from_millis(30));
            l.store(true, Ordering::SeqCst);
        }));
        drop(corun::spawn_future(async move {
            corun::sleep_future(Duration::from_millis(30)).await;
            f.store(true, Ordering::SeqCst);
        }));
        let d = Dropped(d);
        drop(corun::spawn(move || {
            let _d = d;
            corun::sleep(Duration::from_secs(3600));
        }));
    })
    .join()
    .unwrap();
    // The deadline is long for the two short tasks, and ends the long one.
    rt.shutdown_timeout(Duration::from_secs(2));
    assert!(
        local_done.load(Ordering::SeqCst),
        "the local task was cut short"
    );
    assert!(
        future_done.load(Ordering::SeqCst),
        "the future task was cut short"
    );
    assert_eq!(
        dropped.load(Ordering::SeqCst),
        1,
        "the long task was cancelled"
    );
}

/// Runs `f` on a thread; its outcome within a minute, or a test failure
/// (a hung shutdown must fail the test, not hang it).
fn within_a_minute<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(60))
        .expect("shutdown_timeout hung")
}

#[test]
fn a_second_concurrent_shutdown_returns_only_once_the_threads_ended() {
    let rt = Arc::new(rt(1));
    let finished = Arc::new(AtomicBool::new(false));
    let f = finished.clone();
    let started = rt.spawn(move || {
        corun::sleep(Duration::from_millis(200));
        f.store(true, Ordering::SeqCst);
    });
    let first = {
        let rt = rt.clone();
        std::thread::spawn(move || rt.shutdown_timeout(Duration::from_secs(30)))
    };
    std::thread::sleep(Duration::from_millis(20)); // most likely second
    let second = rt.clone();
    within_a_minute(move || second.shutdown_timeout(Duration::from_secs(30)));
    assert!(
        finished.load(Ordering::SeqCst),
        "the second shutdown returned while the task still ran"
    );
    first.join().unwrap();
    started.join().unwrap();
}

#[test]
fn a_later_shutdown_may_shorten_the_deadline() {
    let rt = Arc::new(rt(1));
    let dropped = Arc::new(AtomicUsize::new(0));
    let d = Dropped(dropped.clone());
    let long = rt.spawn(move || {
        let _d = d;
        corun::sleep(Duration::from_secs(3600));
    });
    rt.run_on_all(|_| ()); // the long task has started by then
    let patient = {
        let rt = rt.clone();
        std::thread::spawn(move || rt.shutdown_timeout(Duration::from_secs(3600)))
    };
    std::thread::sleep(Duration::from_millis(20));
    let hasty = rt.clone();
    within_a_minute(move || hasty.shutdown_timeout(Duration::ZERO));
    within_a_minute(move || patient.join().unwrap());
    assert_eq!(dropped.load(Ordering::SeqCst), 1);
    assert!(long.join().unwrap_err().is_cancelled());
}

#[test]
fn a_shutdown_after_one_from_a_worker_still_joins_that_workers_thread() {
    struct SlowDrop(Arc<AtomicBool>);
    impl Drop for SlowDrop {
        fn drop(&mut self) {
            std::thread::sleep(Duration::from_millis(200));
            self.0.store(true, Ordering::SeqCst);
        }
    }
    let rt = Arc::new(rt(1));
    let dropped = Arc::new(AtomicBool::new(false));
    let guard = SlowDrop(dropped.clone());
    let _long = rt.spawn_on(0, move || {
        let _guard = guard;
        corun::sleep(Duration::from_secs(3600));
    });
    let inner = rt.clone();
    // The first shutdown runs on worker 0 itself: it cannot join its own
    // thread, which then cancels the long task (a slow destructor).
    rt.spawn_on(0, move || inner.shutdown_timeout(Duration::ZERO))
        .join()
        .unwrap();
    let outside = rt.clone();
    within_a_minute(move || outside.shutdown_timeout(Duration::from_secs(30)));
    assert!(
        dropped.load(Ordering::SeqCst),
        "shutdown returned before worker 0's thread ended"
    );
}
