//! The per-core runtime: spawning, joining from threads and tasks, placement,
//! cancellation (shutdown and drop are in `runtime_shutdown.rs`).

mod common;

use common::{panic_message, runtime as rt, Dropped};
use corun::runtime::BuildError;
use corun::Runtime;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[test]
fn spawn_and_join_from_a_plain_thread() {
    let rt = rt(2);
    let h = rt.spawn(|| 6 * 7);
    assert_eq!(h.join().unwrap(), 42);
}

#[test]
fn default_runtime_has_one_worker_per_core() {
    let rt = Runtime::new().unwrap();
    let cores = std::thread::available_parallelism().unwrap().get();
    assert_eq!(rt.workers(), cores);
    assert_eq!(rt.pinned_cores().len(), cores);
    assert_eq!(rt.block_on(|| 1), 1);
}

#[test]
fn zero_workers_is_a_builder_error() {
    let err = Runtime::builder().workers(0).build().unwrap_err();
    assert!(matches!(err, BuildError::NoWorkers));
    assert!(err.to_string().contains("at least one worker"), "{err}");
}

#[test]
fn spawn_on_out_of_range_names_the_worker_count() {
    let rt = rt(2);
    let msg = panic_message(|| rt.spawn_on(2, || ()));
    assert!(msg.contains("has 2 workers"), "{msg}");
}

#[test]
fn spawn_on_runs_there_and_worker_index_says_so() {
    let rt = rt(2);
    for i in 0..2 {
        let h = rt.spawn_on(i, corun::worker_index);
        assert_eq!(h.worker(), i);
        assert_eq!(h.join().unwrap(), Some(i));
    }
    assert_eq!(corun::worker_index(), None);
}

#[test]
fn run_on_all_returns_in_worker_order() {
    let rt = rt(3);
    let each = rt.run_on_all(|w| (w, corun::worker_index()));
    assert_eq!(each, [(0, Some(0)), (1, Some(1)), (2, Some(2))]);
}

#[test]
fn a_task_may_hold_non_send_data_across_waits() {
    let rt = rt(2);
    let h = rt.spawn(|| {
        let local = std::rc::Rc::new(std::cell::Cell::new(1));
        let before = corun::worker_index();
        for _ in 0..5 {
            corun::sleep(Duration::from_millis(1));
            local.set(local.get() * 2);
        }
        assert_eq!(before, corun::worker_index(), "a started task never moves");
        local.get()
    });
    assert_eq!(h.join().unwrap(), 32);
}

#[test]
fn join_inside_a_task_suspends_only_that_task() {
    let rt = rt(1);
    // One worker: if the join blocked the thread, the joined task (on the
    // same worker) could never run.
    let v = rt.block_on(|| {
        let rt_task = corun::spawn(|| {
            corun::sleep(Duration::from_millis(5));
            5
        });
        rt_task.join().unwrap() + 1
    });
    assert_eq!(v, 6);
    let rt = Arc::new(rt);
    let inner_rt = rt.clone();
    let v = rt.block_on(move || {
        let h = inner_rt.spawn_on(0, || {
            corun::sleep(Duration::from_millis(5));
            7
        });
        h.join().unwrap()
    });
    assert_eq!(v, 7);
}

#[test]
fn the_handle_is_a_future() {
    let rt = rt(2);
    let h = rt.spawn(|| "done");
    assert_eq!(futures::executor::block_on(h).unwrap(), "done");
    // And inside a task of a plain executor.
    let h = rt.spawn(|| 3);
    let ex = corun::Executor::new();
    assert_eq!(ex.block_on(|| corun::await_(h).unwrap()), 3);
}

#[test]
fn a_panicking_task_reports_its_panic_and_the_worker_goes_on() {
    let rt = rt(1);
    let h = rt.spawn(|| -> u32 { panic!("task failed {}", 1) });
    let err = h.join().unwrap_err();
    assert!(err.is_panic());
    let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(err);
    assert_eq!(boxed.to_string(), "task panicked: task failed 1");
    assert_eq!(rt.spawn_on(0, || 2).join().unwrap(), 2);
    let msg = panic_message(|| rt.block_on(|| -> u8 { panic!("in block_on") }));
    assert_eq!(msg, "in block_on");
    let msg = panic_message(|| rt.run_on_all(|_| -> u8 { panic!("everywhere") }));
    assert_eq!(msg, "everywhere");
    assert_eq!(rt.run_on_all(|w| w), [0]);
}

#[test]
fn cancel_an_unstarted_task_never_runs_it() {
    let rt = rt(1);
    let ran = Arc::new(AtomicUsize::new(0));
    let (gate_tx, gate_rx) = std::sync::mpsc::channel::<()>();
    // Keep the only worker busy (a CPU-bound task that never yields).
    let busy = rt.spawn(move || gate_rx.recv().unwrap());
    let r = ran.clone();
    let h = rt.spawn(move || r.fetch_add(1, Ordering::SeqCst));
    h.cancel();
    gate_tx.send(()).unwrap();
    busy.join().unwrap();
    assert!(h.join().unwrap_err().is_cancelled());
    assert_eq!(ran.load(Ordering::SeqCst), 0);
}

#[test]
fn cancelling_a_queued_task_resolves_its_handle_while_the_worker_is_still_busy() {
    let rt = rt(1);
    let (gate_tx, gate_rx) = std::sync::mpsc::channel::<()>();
    let busy = rt.spawn(move || gate_rx.recv().unwrap());
    let h = rt.spawn(|| 1);
    h.cancel();
    assert!(
        h.is_finished(),
        "the cancelled job's outcome is there at once"
    );
    let pool = rt.pool();
    let ar = pool.apply_async(|| 2);
    ar.cancel();
    assert!(ar.ready());
    // The worker is still held: these must not need it.
    let Ok(outcome) = h.join_timeout(Duration::from_secs(20)) else {
        panic!("join waited for the busy worker");
    };
    assert!(outcome.unwrap_err().is_cancelled());
    assert!(ar.get().unwrap_err().is_cancelled());
    gate_tx.send(()).unwrap();
    busy.join().unwrap();
}

#[test]
fn cancel_a_started_task_unwinds_it_at_its_next_wait() {
    let rt = rt(2);
    let dropped = Arc::new(AtomicUsize::new(0));
    let (started_tx, started_rx) = std::sync::mpsc::channel();
    let d = Dropped(dropped.clone());
    let h = rt.spawn(move || {
        let _d = d;
        started_tx.send(()).unwrap();
        corun::sleep(Duration::from_secs(3600));
    });
    started_rx.recv().unwrap();
    h.cancel();
    let err = h.join().unwrap_err();
    assert!(err.is_cancelled(), "{err}");
    assert_eq!(dropped.load(Ordering::SeqCst), 1);
}

#[test]
fn placement_prefers_the_least_loaded_worker() {
    let rt = rt(2);
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let rx = Arc::new(std::sync::Mutex::new(rx));
    // Four long tasks on worker 0.
    let long: Vec<_> = (0..4)
        .map(|_| rt.spawn_on(0, || corun::sleep(Duration::from_secs(3600))))
        .collect();
    // Spawned now, these go to worker 1 until it holds as many.
    let picks: Vec<usize> = (0..3)
        .map(|_| {
            let rx = rx.clone();
            rt.spawn(move || rx.lock().unwrap().recv().ok()).worker()
        })
        .collect();
    assert_eq!(picks, [1, 1, 1]);
    // An idle worker may since have taken some unstarted ones: the loads
    // move with them, but none is lost.
    assert_eq!(rt.loads().iter().sum::<usize>(), 7);
    drop(tx);
    for h in &long {
        h.cancel();
    }
    drop(long);
}

#[test]
fn many_tasks_from_many_threads() {
    let rt = Arc::new(rt(2));
    let threads: Vec<_> = (0..4u64)
        .map(|t| {
            let rt = rt.clone();
            std::thread::spawn(move || {
                let hs: Vec<_> = (0..500u64)
                    .map(|i| rt.spawn(move || t * 1000 + i))
                    .collect();
                hs.into_iter().map(|h| h.join().unwrap()).sum::<u64>()
            })
        })
        .collect();
    let total: u64 = threads.into_iter().map(|t| t.join().unwrap()).sum();
    let expected: u64 = (0..4u64)
        .map(|t| (0..500).map(|i| t * 1000 + i).sum::<u64>())
        .sum();
    assert_eq!(total, expected);
}

#[test]
fn join_timeout_hands_the_handle_back() {
    let rt = rt(1);
    let h = rt.spawn(|| {
        corun::sleep(Duration::from_millis(50));
        9
    });
    let h = h.join_timeout(Duration::from_millis(1)).unwrap_err();
    assert_eq!(h.join_timeout(Duration::from_secs(60)).unwrap().unwrap(), 9);
}

/// Holds worker 0 with a task that never waits, until released; returns
/// once the task runs.
fn hold_worker_0(rt: &Runtime) -> (corun::runtime::JoinHandle<()>, std::sync::mpsc::Sender<()>) {
    let (started_tx, started_rx) = std::sync::mpsc::channel();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let hog = rt.spawn_on(0, move || {
        started_tx.send(()).unwrap();
        release_rx.recv().unwrap();
    });
    started_rx.recv().unwrap();
    (hog, release_tx)
}

#[test]
fn an_idle_worker_takes_unstarted_tasks_from_a_busy_one() {
    let rt = rt(2);
    let (hog, release_tx) = hold_worker_0(&rt);
    // Placement spreads these over both workers; those placed on worker 0
    // cannot start there, so worker 1 takes them.
    let ran_on: Vec<_> = (0..6).map(|_| rt.spawn(corun::worker_index)).collect();
    let ran_on: Vec<Option<usize>> = ran_on.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(ran_on, [Some(1); 6]);
    release_tx.send(()).unwrap();
    hog.join().unwrap();
}

#[test]
fn spawn_on_tasks_are_never_taken_by_another_worker() {
    let rt = rt(2);
    let (hog, release_tx) = hold_worker_0(&rt);
    let pinned = rt.spawn_on(0, corun::worker_index);
    // Worker 1 is idle and would take it if it could.
    assert_eq!(rt.spawn_on(1, || 1).join().unwrap(), 1);
    std::thread::sleep(Duration::from_millis(20));
    assert!(!pinned.is_finished());
    release_tx.send(()).unwrap();
    hog.join().unwrap();
    assert_eq!(pinned.join().unwrap(), Some(0));
}

#[test]
fn a_future_task_awaits_a_handle_on_its_own_worker() {
    let rt = Arc::new(rt(1));
    let inner = rt.clone();
    let v = rt.block_on(move || {
        let h = inner.spawn_on(0, || {
            corun::sleep(Duration::from_millis(2));
            40
        });
        // A future task on the same worker: `.await` suspends only it.
        let f = corun::spawn_future(async move { h.await.unwrap() + 2 });
        f.join().unwrap()
    });
    assert_eq!(v, 42);
}

/// Runs `body` as a future task on worker 0 of a one-worker runtime, from a
/// watchdog thread: before the fix a blocking wait there blocked the only
/// worker's thread for good, so the test fails on the watchdog, not a hang.
fn in_a_future_task_on_the_worker<T: Send + 'static>(
    body: impl FnOnce(Arc<Runtime>) -> T + Send + 'static,
) -> T {
    let (done, outcome) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = Arc::new(rt(1));
        let inner = rt.clone();
        let got = rt.block_on(move || body(inner));
        let _ = done.send(got);
    });
    outcome
        .recv_timeout(Duration::from_secs(20))
        .expect("a blocking wait in a future task stalled its worker")
}

#[test]
fn blocking_waits_in_a_future_task_panic_with_advice_instead_of_stalling_the_worker() {
    let messages = in_a_future_task_on_the_worker(|rt| {
        let (tx, rx) = corun::sync::mpsc::channel::<u32>(1);
        let recv = corun::spawn_future(async move { rx.recv() });
        let handle = rt.spawn_on(0, || corun::sleep(Duration::from_millis(1)));
        let join = corun::spawn_future(async move { handle.join() });
        let pool = rt.pool();
        let ar = pool.apply_async(|| corun::sleep(Duration::from_millis(1)));
        let get = corun::spawn_future(async move { ar.get() });
        let map_pool = rt.pool();
        let map = corun::spawn_future(async move { map_pool.map(0..4u32, |x| x) });
        let messages: Vec<String> = [
            recv.join().err(),
            join.join().err(),
            get.join().err(),
            map.join().err(),
        ]
        .into_iter()
        .map(|e| {
            let e = e.expect("the blocking wait panicked");
            common::payload_message(e.into_panic())
        })
        .collect();
        drop(tx);
        messages
    });
    for (message, (what, instead)) in messages.iter().zip([
        ("mpsc::Receiver::recv", "recv_async().await"),
        ("runtime JoinHandle::join", ".await the JoinHandle"),
        ("AsyncResult::get", "get_async().await"),
        ("Pool::map", "no async form"),
    ]) {
        assert!(message.starts_with(what), "{message}");
        assert!(message.contains("future task"), "{message}");
        assert!(message.contains(instead), "{message}");
    }
}

#[test]
fn a_refused_blocking_wait_names_the_callers_line_not_corun_s() {
    // Each refusal's panic location is where the user called the blocking
    // method, so the default hook's "panicked at" points at the mistake.
    let name = "a_refused_blocking_wait_names_the_callers_line_not_corun_s";
    let Some(stderr) = common::child_stderr(name, || {
        in_a_future_task_on_the_worker(|rt| {
            // A full channel for the send, an empty one for the receive.
            let (tx, _full) = corun::sync::mpsc::channel::<u32>(1);
            tx.try_send(0).unwrap();
            let (_open, rx) = corun::sync::mpsc::channel::<u32>(1);
            let pool = rt.pool();
            let ar = pool.apply_async(|| corun::sleep(Duration::from_millis(5)));
            let handle = rt.spawn_on(0, || corun::sleep(Duration::from_millis(5)));
            let (_keep, once) = corun::sync::mpsc::oneshot::<u32>();
            let calls = [
                corun::spawn_future(async move { _ = tx.send(1) }),
                corun::spawn_future(async move { _ = rx.recv_timeout(Duration::from_secs(1)) }),
                corun::spawn_future(async move { _ = ar.get_timeout(Duration::from_secs(1)) }),
                corun::spawn_future(async move { _ = handle.join() }),
                corun::spawn_future(async move { _ = once.recv() }),
            ];
            for call in calls {
                assert!(call.join().unwrap_err().is_panic());
            }
        })
    }) else {
        return;
    };
    let locations: Vec<&str> = stderr
        .lines()
        .filter_map(|l| l.split_once("panicked at ").map(|(_, at)| at))
        .collect();
    assert_eq!(locations.len(), 5, "{stderr}");
    assert!(stderr.contains("AsyncResult::get_timeout: "), "{stderr}");
    for at in locations {
        assert!(at.starts_with("tests/runtime_spawn.rs:"), "{at}\n{stderr}");
    }
}

#[test]
fn blocking_calls_in_a_future_task_take_what_is_ready_without_panicking() {
    let got = in_a_future_task_on_the_worker(|rt| {
        let done = rt.spawn_on(0, || 1);
        let pool = rt.pool();
        let ar = pool.apply_async(|| 2);
        ar.wait();
        while !done.is_finished() {
            corun::yield_now();
        }
        let (tx, rx) = corun::sync::mpsc::oneshot::<u32>();
        tx.send(3).unwrap();
        let (_keep, empty) = corun::sync::mpsc::channel::<u32>(1);
        let f = corun::spawn_future(async move {
            let polled = empty.recv_timeout(Duration::ZERO).unwrap();
            (
                done.join().unwrap(),
                ar.get().unwrap(),
                rx.recv().unwrap(),
                polled,
            )
        });
        f.join().unwrap()
    });
    assert_eq!(got, (1, 2, 3, None));
}

#[test]
fn the_async_forms_wait_in_a_future_task_on_the_same_worker() {
    let (v, got) = in_a_future_task_on_the_worker(|rt| {
        let (tx, rx) = corun::sync::mpsc::channel::<u32>(1);
        let pool = rt.pool();
        let ar = pool.apply_async(|| {
            corun::sleep(Duration::from_millis(1));
            5
        });
        let f = corun::spawn_future(async move {
            let v = rx.recv_async().await.unwrap();
            (v, ar.get_async().await.unwrap())
        });
        // The sender is a task on the same (only) worker: it runs only
        // because the future task suspended instead of blocking.
        rt.spawn_on(0, move || tx.send(37).unwrap()).join().unwrap();
        f.join().unwrap()
    });
    assert_eq!((v, got), (37, 5));
}

#[test]
fn a_burst_of_spawns_spreads_evenly_over_idle_workers() {
    // A burst of tasks that each stay alive (as connections do) from one
    // thread: least-loaded placement alternates, and an idle worker does
    // not take its idle neighbour's jobs when that would unbalance them.
    let rt = rt(2);
    for _round in 0..5 {
        let (started_tx, started) = std::sync::mpsc::channel();
        let mut per_worker = [0usize; 2];
        // One at a time, each running (and holding its worker's load)
        // before the next: the workers sleep between spawns, as they do
        // between a listener's accepts.
        let (holds, tasks): (Vec<_>, Vec<_>) = (0..64)
            .map(|_| {
                let (release, hold) = corun::sync::mpsc::oneshot::<()>();
                let started_tx = started_tx.clone();
                let task = rt.spawn(move || {
                    started_tx.send(corun::worker_index()).unwrap();
                    let _ = hold.recv();
                });
                per_worker[started.recv().unwrap().expect("on a worker")] += 1;
                std::thread::sleep(Duration::from_micros(200));
                (release, task)
            })
            .unzip();
        drop(holds);
        tasks.into_iter().for_each(|t| t.join().unwrap());
        let [a, b] = per_worker;
        assert!(a.abs_diff(b) <= 2, "a burst of 64 split {a}/{b}");
    }
}

#[test]
fn a_worker_that_cannot_be_pinned_still_runs_and_the_runtime_says_so() {
    // Core 1023 does not exist here, so the OS refuses worker 1's pin;
    // worker 0 asks for a real core (whether the OS lets it is its call).
    let cores = core_ids();
    assert!(
        cores < 1023,
        "this test needs a core number the machine lacks"
    );
    let rt = Runtime::builder()
        .workers(2)
        .pin_to([0, 1023])
        .build()
        .unwrap();
    assert_eq!(rt.pinned_cores().len(), 2);
    assert_eq!(rt.pinned_cores()[1], None);
    assert!(matches!(rt.pinned_cores()[0], Some(0) | None));
    assert_eq!(rt.spawn_on(1, corun::worker_index).join().unwrap(), Some(1));
    assert_eq!(rt.spawn_on(0, corun::worker_index).join().unwrap(), Some(0));
    // A core number past any CPU set is refused the same way.
    let rt = Runtime::builder()
        .workers(1)
        .pin_to([usize::MAX])
        .build()
        .unwrap();
    assert_eq!(rt.pinned_cores(), [None]);
    assert_eq!(rt.spawn(|| 5).join().unwrap(), 5);
}

fn core_ids() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

#[test]
fn a_joined_task_no_longer_counts_in_its_workers_load() {
    // Before, the outcome was stored first and the task left the load only
    // when its watcher was dropped, a little later: a spawn right after a
    // join saw the worker still busy, and least-loaded placement chose the
    // wrong one.
    let rt = rt(2);
    for _ in 0..300 {
        rt.spawn_on(1, || ()).join().unwrap();
        assert_eq!(
            rt.loads()[1],
            0,
            "a task whose join returned is still counted"
        );
    }
}

#[test]
fn a_runtime_task_that_joins_its_own_handle_is_refused_instead_of_hanging() {
    type Handle = corun::runtime::JoinHandle<()>;
    let rt = rt(2);
    let (said, told) = std::sync::mpsc::channel::<String>();
    for timed in [false, true] {
        let (give, take) = corun::sync::mpsc::oneshot::<Handle>();
        let said = said.clone();
        let me = rt.spawn(move || {
            let me = take.recv().unwrap();
            let joined = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
                if timed {
                    let _ = me.join_timeout(Duration::from_secs(600));
                } else {
                    let _ = me.join();
                }
            }));
            let message = joined.map_or_else(common::payload_message, |()| "waited".into());
            said.send(message).unwrap();
        });
        give.send(me).unwrap();
        let message = told.recv_timeout(Duration::from_secs(60)).expect("no hang");
        assert!(message.contains("cannot join itself"), "{message}");
    }
    // Joining another task's handle from a task is fine, of course.
    let other = rt.spawn(|| 7);
    assert_eq!(rt.spawn(move || other.join().unwrap()).join().unwrap(), 7);
}
