//! `Pool`: map, try_map, imap, apply_async, close/join/terminate, from
//! plain threads and from tasks (including on the pool's own workers).

mod common;

use common::{panic_message, runtime};
use corun::runtime::{BuildError, GetTimeoutError};
use corun::Pool;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

fn pool(n: usize) -> Pool {
    Pool::builder().workers(n).pin_cores(false).build().unwrap()
}

#[test]
fn map_is_ordered_and_complete() {
    let pool = pool(2);
    let squares: Vec<u64> = pool.map(0..1000u64, |x| x * x);
    assert_eq!(squares, (0..1000u64).map(|x| x * x).collect::<Vec<_>>());
    assert_eq!(pool.map(Vec::<u8>::new(), |x| x), Vec::<u8>::new());
    let chunked = pool.map_chunked(0..10, 3, |x: i32| x + 1);
    assert_eq!(chunked, (1..=10).collect::<Vec<_>>());
}

/// How many cores the calling thread may run on.
fn cores_allowed() -> usize {
    core_affinity::get_core_ids().map_or(0, |ids| ids.len())
}

#[test]
fn pool_new_pins_its_workers_and_the_builder_leaves_them_free_on_request() {
    let cores = cores_allowed();
    assert!(cores >= 1, "the OS reports no core this thread may run on");
    let pinned = Pool::new(2).unwrap();
    let seen = pinned.map(0..8, |_| cores_allowed());
    assert!(seen.iter().all(|&n| n == 1), "{seen:?}");
    let free = Pool::builder().workers(2).pin_cores(false).build().unwrap();
    let seen = free.map(0..8, |_| cores_allowed());
    assert!(seen.iter().all(|&n| n == cores), "{seen:?} of {cores}");
}

#[test]
fn zero_workers_is_an_error() {
    assert!(matches!(Pool::new(0), Err(BuildError::NoWorkers)));
}

#[test]
fn initializer_runs_once_per_worker_before_jobs() {
    thread_local! {
        static READY: std::cell::Cell<Option<usize>> = const { std::cell::Cell::new(None) };
    }
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    let pool = Pool::builder()
        .workers(2)
        .pin_cores(false)
        .initializer(move |w| {
            c.fetch_add(1, Ordering::SeqCst);
            READY.with(|r| r.set(Some(w)));
        })
        .build()
        .unwrap();
    assert_eq!(count.load(Ordering::SeqCst), 2);
    let seen = pool.map(0..20, |_| READY.with(|r| r.get()) == corun::worker_index());
    assert!(seen.iter().all(|&s| s));
}

#[test]
fn a_job_panic_is_reraised_by_map_after_the_others_finish() {
    let pool = pool(2);
    let done = Arc::new(AtomicUsize::new(0));
    let d = done.clone();
    let msg = panic_message(|| {
        pool.map_chunked(0..8u32, 1, move |x| {
            if x == 1 {
                panic!("item {x} failed");
            }
            std::thread::sleep(Duration::from_millis(5));
            d.fetch_add(1, Ordering::SeqCst);
        })
    });
    assert_eq!(msg, "item 1 failed");
    assert_eq!(
        done.load(Ordering::SeqCst),
        7,
        "every other job ran to its end"
    );
    // The pool keeps working.
    assert_eq!(pool.map(0..3, |x: i32| x), [0, 1, 2]);
}

#[test]
fn try_map_returns_every_outcome() {
    let pool = pool(2);
    let out = pool.try_map(0..10u32, |x| {
        if x % 4 == 3 {
            panic!("bad {x}");
        }
        x
    });
    assert_eq!(out.len(), 10);
    for (i, r) in out.iter().enumerate() {
        if i % 4 == 3 {
            let e = r.as_ref().unwrap_err();
            assert!(e.is_panic());
            assert_eq!(e.to_string(), format!("task panicked: bad {i}"));
        } else {
            assert_eq!(*r.as_ref().unwrap(), i as u32);
        }
    }
}

#[test]
fn imap_is_ordered_lazy_and_bounded() {
    let pool = pool(2);
    let started = Arc::new(AtomicUsize::new(0));
    let s = started.clone();
    let mut it = pool.imap(0..100u32, move |x| {
        s.fetch_add(1, Ordering::SeqCst);
        x * 3
    });
    assert_eq!(it.next(), Some(0));
    // Only a bounded number of jobs went out for one result.
    assert!(started.load(Ordering::SeqCst) <= 4 + 1);
    let rest: Vec<u32> = it.collect();
    assert_eq!(rest, (1..100).map(|x| x * 3).collect::<Vec<_>>());
}

#[test]
fn imap_reraises_a_job_panic_in_order() {
    let pool = pool(2);
    let mut got = Vec::new();
    let msg = panic_message(|| {
        for r in pool.imap(0..10u32, |x| {
            assert!(x != 4, "four");
            x
        }) {
            got.push(r);
        }
    });
    assert_eq!(msg, "four");
    assert_eq!(got, [0, 1, 2, 3]);
}

#[test]
fn imap_unordered_yields_everything() {
    let pool = pool(2);
    let mut got: Vec<u64> = pool
        .imap_unordered(0..50u64, |x| {
            std::thread::sleep(Duration::from_micros((50 - x) * 20));
            x
        })
        .collect();
    got.sort_unstable();
    assert_eq!(got, (0..50).collect::<Vec<_>>());
}

#[test]
fn apply_async_get_ready_wait_and_timeout() {
    let pool = pool(2);
    let ar = pool.apply_async(|| {
        corun::sleep(Duration::from_millis(50));
        7
    });
    assert!(!ar.ready());
    assert_eq!(ar.successful(), None);
    assert!(matches!(
        ar.get_timeout(Duration::from_millis(1)),
        Err(GetTimeoutError::Timeout)
    ));
    ar.wait();
    assert!(ar.ready());
    assert_eq!(ar.successful(), Some(true));
    assert_eq!(ar.get_timeout(Duration::from_secs(60)).unwrap(), 7);
    let msg = panic_message(|| ar.get());
    assert!(msg.contains("already taken"), "{msg}");

    let failing = pool.apply_async(|| -> u8 { panic!("job failed") });
    failing.wait();
    assert_eq!(failing.successful(), Some(false));
    let e = failing.get().unwrap_err();
    assert!(e.is_panic());
    assert_eq!(pool.apply(|| 1 + 1), 2);
}

#[test]
fn cancel_an_async_result() {
    let pool = pool(1);
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let busy = pool.apply_async(move || rx.recv().unwrap());
    let ran = Arc::new(AtomicUsize::new(0));
    let r = ran.clone();
    let unstarted = pool.apply_async(move || r.fetch_add(1, Ordering::SeqCst));
    unstarted.cancel();
    tx.send(()).unwrap();
    busy.get().unwrap();
    assert!(unstarted.get().unwrap_err().is_cancelled());
    assert_eq!(ran.load(Ordering::SeqCst), 0);

    let sleeping = pool.apply_async(|| corun::sleep(Duration::from_secs(3600)));
    std::thread::sleep(Duration::from_millis(10));
    sleeping.cancel();
    assert!(sleeping.get().unwrap_err().is_cancelled());
}

#[test]
fn close_then_join_waits_for_every_job_and_refuses_new_ones() {
    let pool = pool(2);
    let done = Arc::new(AtomicUsize::new(0));
    for _ in 0..10 {
        let d = done.clone();
        drop(pool.apply_async(move || {
            corun::sleep(Duration::from_millis(5));
            d.fetch_add(1, Ordering::SeqCst);
        }));
    }
    let msg = panic_message(|| pool.join());
    assert!(msg.contains("before Pool::close"), "{msg}");
    pool.close();
    pool.join();
    assert_eq!(done.load(Ordering::SeqCst), 10);
    assert_eq!(pool.outstanding(), 0);
    let msg = panic_message(|| pool.map(0..3, |x: i32| x));
    assert!(msg.contains("after Pool::close"), "{msg}");
    let msg = panic_message(|| pool.apply_async(|| 1));
    assert!(msg.contains("after Pool::close"), "{msg}");
}

#[test]
fn terminate_cancels_what_is_left() {
    let pool = pool(2);
    let results: Vec<_> = (0..6)
        .map(|_| pool.apply_async(|| corun::sleep(Duration::from_secs(3600))))
        .collect();
    std::thread::sleep(Duration::from_millis(10));
    pool.terminate();
    pool.join();
    for r in results {
        assert!(r.get().unwrap_err().is_cancelled());
    }
}

#[test]
fn map_from_a_task_on_the_pools_own_worker_does_not_deadlock() {
    let pool = Arc::new(pool(1));
    let p = pool.clone();
    // The caller is a task on the only worker: its wait must suspend.
    let ar = pool.apply_async(move || p.map(0..100u32, |x| x + 1).into_iter().sum::<u32>());
    assert_eq!(ar.get().unwrap(), (1..=100).sum::<u32>());
}

#[test]
fn a_pool_on_a_runtime_shares_its_workers() {
    let rt = runtime(2);
    let pool = rt.pool();
    assert_eq!(pool.workers(), 2);
    let workers = pool.map_chunked(0..20, 1, |_: i32| corun::worker_index().unwrap());
    assert!(workers.iter().all(|&w| w < 2));
    // From a task of that runtime.
    let p = Arc::new(pool);
    let q = p.clone();
    let v = rt.block_on(move || q.map(0..4, |x: i32| x * 2));
    assert_eq!(v, [0, 2, 4, 6]);
    drop(rt);
    // The runtime is gone: jobs are refused, and say so.
    let msg = panic_message(|| p.map(0..2, |x: i32| x));
    assert!(msg.contains("shutting down"), "{msg}");
}

#[test]
fn a_pool_shared_between_threads() {
    let pool = Arc::new(pool(2));
    let threads: Vec<_> = (0..4u64)
        .map(|t| {
            let pool = pool.clone();
            std::thread::spawn(move || pool.map(0..100u64, move |x| x + t).iter().sum::<u64>())
        })
        .collect();
    let sums: Vec<u64> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(
        sums,
        (0..4u64)
            .map(|t| (0..100).sum::<u64>() + 100 * t)
            .collect::<Vec<_>>()
    );
}

#[test]
fn imap_and_apply_async_from_a_job_on_the_pools_only_worker() {
    let pool = Arc::new(pool(1));
    let p = pool.clone();
    let ar = pool.apply_async(move || {
        let ordered: Vec<u32> = p.imap(0..20u32, |x| x * 2).collect();
        let mut unordered: Vec<u32> = p.imap_unordered(0..20u32, |x| x * 2).collect();
        unordered.sort_unstable();
        let inner = p.apply_async(|| 7);
        (ordered == unordered, inner.get().unwrap())
    });
    assert_eq!(ar.get().unwrap(), (true, 7));
}

/// A job cancelled while it waits behind a busy one never runs, however
/// far it got toward its worker (still queued for it, or taken and queued
/// on its executor): repeated, since which of the two happens is a race.
#[test]
fn a_job_cancelled_before_it_runs_never_runs() {
    let pool = pool(1);
    let ran = Arc::new(AtomicUsize::new(0));
    for round in 0..200 {
        let (started_tx, started_rx) = std::sync::mpsc::channel::<()>();
        let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
        let busy = pool.apply_async(move || {
            started_tx.send(()).unwrap();
            go_rx.recv().unwrap();
        });
        let r = ran.clone();
        let waiting = pool.apply_async(move || r.fetch_add(1, Ordering::SeqCst));
        if round % 2 == 0 {
            started_rx.recv().unwrap();
        }
        waiting.cancel();
        go_tx.send(()).unwrap();
        busy.get().unwrap();
        assert!(waiting.get().unwrap_err().is_cancelled(), "round {round}");
    }
    assert_eq!(ran.load(Ordering::SeqCst), 0, "cancelled jobs that ran");
}

#[test]
fn every_waiter_of_a_shared_async_result_wakes() {
    let rt = corun::Runtime::builder()
        .workers(2)
        .pin_cores(false)
        .build()
        .unwrap();
    let pool = rt.pool();
    let (go, gate) = corun::sync::mpsc::channel::<()>(1);
    let ar = Arc::new(pool.apply_async(move || {
        gate.recv().unwrap();
        7
    }));
    let (done, finished) = std::sync::mpsc::channel();
    for _ in 0..3 {
        let (ar, done) = (ar.clone(), done.clone());
        std::thread::spawn(move || {
            ar.wait();
            done.send("thread").unwrap();
        });
    }
    let task = {
        let (ar, done) = (ar.clone(), done.clone());
        rt.spawn(move || {
            ar.wait();
            done.send("task").unwrap();
        })
    };
    // Every waiter is (very likely) parked before the job may end; a
    // waiter that comes later returns at once, which passes as well.
    std::thread::sleep(Duration::from_millis(50));
    go.send(()).unwrap();
    let mut woke: Vec<&str> = (0..4)
        .map(|_| {
            finished
                .recv_timeout(Duration::from_secs(20))
                .expect("a waiter of a shared AsyncResult was never woken")
        })
        .collect();
    woke.sort_unstable();
    assert_eq!(woke, ["task", "thread", "thread", "thread"]);
    task.join().unwrap();
    assert_eq!(ar.get().unwrap(), 7);
}

#[test]
fn of_two_gets_waiting_at_once_one_takes_the_value_and_the_other_says_so() {
    let pool = pool(2);
    let (go, gate) = corun::sync::mpsc::channel::<()>(1);
    let ar = Arc::new(pool.apply_async(move || {
        gate.recv().unwrap();
        7
    }));
    let getters: Vec<_> = (0..2)
        .map(|_| {
            let ar = ar.clone();
            std::thread::spawn(move || ar.get().unwrap())
        })
        .collect();
    std::thread::sleep(Duration::from_millis(50));
    go.send(()).unwrap();
    let outcomes: Vec<_> = getters.into_iter().map(|t| t.join()).collect();
    let values: Vec<u32> = outcomes
        .iter()
        .filter_map(|o| o.as_ref().ok().copied())
        .collect();
    assert_eq!(values, [7], "exactly one get takes the value");
    let refused = outcomes
        .into_iter()
        .find_map(Result::err)
        .expect("the other get panics");
    let message = refused
        .downcast_ref::<String>()
        .map(String::as_str)
        .unwrap_or_default();
    assert!(message.contains("already taken"), "{message}");
}

#[test]
fn the_pool_builder_pins_to_the_cores_given_and_takes_a_runtime_builders_settings() {
    let first = core_affinity::get_core_ids().expect("the OS lists the cores")[0].id;
    let pool = Pool::builder().workers(2).pin_to([first]).build().unwrap();
    let seen = pool.map(0..8, |_| cores_allowed());
    assert!(seen.iter().all(|&n| n == 1), "{seen:?}");

    // The runtime builder's settings carry over: its worker count, and its
    // pin_cores(false), which leaves each worker free to run on any core.
    let settings = corun::Runtime::builder()
        .workers(3)
        .pin_cores(false)
        .placement(corun::runtime::Placement::RoundRobin);
    let pool = corun::runtime::PoolBuilder::from(settings)
        .initializer(|_| {})
        .build()
        .unwrap();
    assert_eq!(pool.workers(), 3);
    let cores = cores_allowed();
    let seen = pool.map(0..8, |_| cores_allowed());
    assert!(seen.iter().all(|&n| n == cores), "{seen:?} of {cores}");
}

#[test]
fn imap_chunked_keeps_order_re_raises_a_panic_and_refuses_a_zero_chunk() {
    let pool = corun::Pool::builder()
        .workers(2)
        .pin_cores(false)
        .build()
        .unwrap();
    let got: Vec<u64> = pool.imap_chunked(0..1_000u64, 64, |x| x * 3).collect();
    assert_eq!(got, (0..1_000u64).map(|x| x * 3).collect::<Vec<_>>());
    let mut all: Vec<u64> = pool
        .imap_unordered_chunked(0..1_000u64, 7, |x| x + 1)
        .collect();
    all.sort();
    assert_eq!(all, (1..=1_000u64).collect::<Vec<_>>());
    // A panic in the third chunk comes out when the iteration reaches it.
    let mut it = pool.imap_chunked(0..30u32, 10, |x| {
        assert!(x != 25, "item 25 fails");
        x
    });
    let first: Vec<u32> = it.by_ref().take(20).collect();
    assert_eq!(first, (0..20).collect::<Vec<_>>());
    let msg = panic_message(std::panic::AssertUnwindSafe(|| it.next()));
    assert!(msg.contains("item 25 fails"), "{msg}");
    let msg = panic_message(|| pool.imap_chunked(0..3u8, 0, |x| x).count());
    assert!(msg.contains("chunk size"), "{msg}");
    // A huge chunk of a short source is just the source; no size-hint
    // allocation is asked of a source that says it is endless.
    let all: Vec<u8> = pool.imap_chunked(0..5u8, usize::MAX, |x| x).collect();
    assert_eq!(all, [0, 1, 2, 3, 4]);
    let few: Vec<u64> = pool
        .imap_chunked((0u64..).take(3), 1 << 40, |x| x)
        .collect();
    assert_eq!(few, [0, 1, 2]);
    // The pool still works.
    assert_eq!(pool.map(0..3u8, |x| x), [0, 1, 2]);
}
