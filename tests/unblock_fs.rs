//! `unblock` and `corun::fs`: blocking calls run on a thread pool, in
//! parallel, while the executor's other tasks keep running.

mod common;

use corun::Executor;
use std::cell::Cell;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[test]
fn blocking_calls_run_in_parallel_while_other_tasks_run() {
    const CALLS: usize = 4;
    let ex = Executor::new();
    let arrived = Arc::new(AtomicUsize::new(0));
    let ticks = Rc::new(Cell::new(0u32));
    let t = ticks.clone();
    let all_met = ex.block_on(move || {
        let ticker = corun::spawn(move || loop {
            t.set(t.get() + 1);
            corun::sleep(Duration::from_millis(1));
        });
        let calls: Vec<_> = (0..CALLS)
            .map(|_| {
                let arrived = arrived.clone();
                corun::spawn(move || {
                    corun::unblock(move || {
                        // Each call waits, blocking its thread, until all
                        // have arrived: only parallel calls can all see it.
                        arrived.fetch_add(1, Ordering::SeqCst);
                        let give_up = Instant::now() + Duration::from_secs(20);
                        while arrived.load(Ordering::SeqCst) < CALLS && Instant::now() < give_up {
                            std::thread::sleep(Duration::from_millis(1));
                        }
                        arrived.load(Ordering::SeqCst) == CALLS
                    })
                })
            })
            .collect();
        let met = calls.into_iter().all(|c| c.join().unwrap());
        ticker.cancel();
        met
    });
    assert!(all_met, "the blocking calls ran at the same time");
    assert!(ticks.get() > 0, "the executor's other tasks kept running");
}

#[test]
fn unblock_outside_a_task_runs_inline() {
    let here = std::thread::current().id();
    assert!(corun::unblock(move || std::thread::current().id() == here));
}

#[test]
fn unblock_future_in_a_future_task() {
    let ex = Executor::new();
    let h = ex.spawn_future(async { corun::unblock_future(|| 2 + 2).await });
    assert_eq!(ex.block_on(|| h.join().unwrap()), 4);
}

#[test]
fn fs_round_trip_in_a_task() {
    let dir = std::env::temp_dir().join(format!("corun-fs-test-{}", std::process::id()));
    let ex = Executor::new();
    ex.block_on(|| {
        corun::fs::create_dir_all(dir.join("sub")).unwrap();
        corun::fs::write(dir.join("sub/a.txt"), "hello fs").unwrap();
        assert_eq!(
            corun::fs::read_to_string(dir.join("sub/a.txt")).unwrap(),
            "hello fs"
        );
        corun::fs::copy(dir.join("sub/a.txt"), dir.join("b.txt")).unwrap();
        corun::fs::rename(dir.join("b.txt"), dir.join("c.txt")).unwrap();
        assert_eq!(corun::fs::metadata(dir.join("c.txt")).unwrap().len(), 8);
        let mut names: Vec<String> = corun::fs::read_dir(&dir)
            .unwrap()
            .into_iter()
            .map(|e| e.file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["c.txt", "sub"]);
        let err = corun::fs::read(dir.join("missing")).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
        corun::fs::remove_dir_all(&dir).unwrap();
    });
}

#[test]
fn the_fs_async_twins_work_in_a_future_task() {
    let dir = std::env::temp_dir().join(format!("corun-fs-async-{}", std::process::id()));
    let ex = corun::Executor::new();
    let d = dir.clone();
    let (text, names, gone) = ex.block_on(|| {
        corun::spawn_future(async move {
            corun::fs::create_dir_all_async(&d).await.unwrap();
            let file = d.join("note.txt");
            corun::fs::write_async(&file, "async on the pool")
                .await
                .unwrap();
            let text = corun::fs::read_to_string_async(&file).await.unwrap();
            let names: Vec<_> = corun::fs::read_dir_async(&d)
                .await
                .unwrap()
                .into_iter()
                .map(|e| e.file_name())
                .collect();
            corun::fs::remove_dir_all_async(&d).await.unwrap();
            let gone = corun::fs::metadata_async(&d).await.unwrap_err().kind();
            (text, names, gone)
        })
        .join()
        .unwrap()
    });
    assert_eq!(text, "async on the pool");
    assert_eq!(names, ["note.txt"]);
    assert_eq!(gone, std::io::ErrorKind::NotFound);
    assert!(!dir.exists());
}

/// A cleanup guard whose `Drop` removes its file through `corun::fs`.
struct RemoveOnDrop(std::path::PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        corun::fs::remove_file(&self.0).expect("the guard's file is there");
    }
}

#[test]
fn a_cleanup_guard_may_call_fs_while_its_task_unwinds_from_a_cancel() {
    common::in_child_process(
        "a_cleanup_guard_may_call_fs_while_its_task_unwinds_from_a_cancel",
        || {
            let path = std::env::temp_dir().join(format!("corun-guard-{}", std::process::id()));
            std::fs::write(&path, b"x").unwrap();
            let ex = Executor::new();
            let p = path.clone();
            let h = ex.spawn(move || {
                let _guard = RemoveOnDrop(p);
                corun::sleep(Duration::from_secs(60));
            });
            let dns = ex.spawn(|| {
                struct Resolve;
                impl Drop for Resolve {
                    fn drop(&mut self) {
                        // A name to resolve: the lookup goes through unblock.
                        let r = corun::net::TcpStream::connect(("localhost", 9));
                        assert!(r.is_err(), "nothing listens on port 9");
                    }
                }
                let _guard = Resolve;
                corun::sleep(Duration::from_secs(60));
            });
            ex.block_on(|| {
                corun::yield_now();
                h.cancel();
                dns.cancel();
                assert!(h.join().unwrap_err().is_cancelled());
                assert!(dns.join().unwrap_err().is_cancelled());
            });
            assert!(!path.exists(), "the guard removed its file");
            // unblock itself, in a task unwinding from its own panic.
            let panicked = ex.spawn(|| {
                struct Unblock;
                impl Drop for Unblock {
                    fn drop(&mut self) {
                        assert_eq!(corun::unblock(|| 6 * 7), 42);
                    }
                }
                let _guard = Unblock;
                panic!("the body fails");
            });
            assert!(ex.block_on(|| panicked.join()).unwrap_err().is_panic());
        },
    );
}

#[test]
fn an_unblock_future_dropped_before_its_call_started_still_runs_the_call() {
    const CALLS: usize = 200;
    let (ran, each_ran) = std::sync::mpsc::channel::<usize>();
    let ex = Executor::new();
    ex.block_on(move || {
        corun::spawn_future(async move {
            for i in 0..CALLS {
                let ran = ran.clone();
                // Dropped unpolled, and polled once then dropped (a select
                // that gave up): most never reached a pool thread by then.
                let mut call = Box::pin(corun::unblock_future(move || ran.send(i).unwrap()));
                if i % 2 == 0 {
                    let _ = futures::poll!(call.as_mut());
                }
                drop(call);
            }
        })
        .join()
        .unwrap();
    });
    let mut seen: Vec<usize> = (0..CALLS)
        .map(|_| {
            each_ran
                .recv_timeout(Duration::from_secs(60))
                .expect("every call ran")
        })
        .collect();
    seen.sort_unstable();
    assert_eq!(seen, (0..CALLS).collect::<Vec<_>>());
}

#[test]
fn a_file_removal_under_a_timeout_that_fires_at_once_still_happens() {
    let dir = std::env::temp_dir().join(format!("corun-rm-timeout-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let paths: Vec<_> = (0..50).map(|i| dir.join(format!("f{i}"))).collect();
    for p in &paths {
        std::fs::write(p, b"x").unwrap();
    }
    let ex = Executor::new();
    let ps = paths.clone();
    ex.block_on(move || {
        for p in ps {
            // Whether or not the removal started, it is not called off.
            let _ = corun::timeout(Duration::ZERO, || corun::fs::remove_file(p));
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    while paths.iter().any(|p| p.exists()) {
        assert!(Instant::now() < deadline, "a removal never happened");
        std::thread::sleep(Duration::from_millis(5));
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
