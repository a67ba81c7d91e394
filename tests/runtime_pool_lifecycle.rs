//! `Pool`'s close, join and terminate against work under way: join finds
//! every result stored, and terminate stops a map or imap in progress.

mod common;

use corun::Pool;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

fn pool(n: usize) -> Pool {
    Pool::builder().workers(n).pin_cores(false).build().unwrap()
}

#[test]
fn join_returns_only_once_every_result_is_stored() {
    for round in 0..40 {
        let pool = pool(2);
        let results: Vec<_> = (0..16u32).map(|i| pool.apply_async(move || i)).collect();
        pool.close();
        pool.join();
        assert_eq!(pool.outstanding(), 0);
        for (i, r) in results.iter().enumerate() {
            assert!(
                r.ready(),
                "round {round}: job {i} ended but its result is not there"
            );
            assert_eq!(r.successful(), Some(true));
        }
    }
}

#[test]
fn terminate_stops_a_map_under_way_in_another_thread() {
    let pool = Arc::new(pool(2));
    let terminated = Arc::new(AtomicBool::new(false));
    let ran_after = Arc::new(AtomicUsize::new(0));
    let mapper = {
        let (pool, terminated, ran_after) = (pool.clone(), terminated.clone(), ran_after.clone());
        std::thread::spawn(move || {
            // A slow iterator: the map is still cutting chunks when the
            // pool is terminated.
            let items = (0..400u32).inspect(|_| std::thread::sleep(Duration::from_micros(200)));
            // One job per item, so that jobs, not chunks, are counted.
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                pool.map_chunked(items, 1, move |x| {
                    if terminated.load(Ordering::SeqCst) {
                        ran_after.fetch_add(1, Ordering::SeqCst);
                    }
                    x
                })
            }))
        })
    };
    std::thread::sleep(Duration::from_millis(10));
    terminated.store(true, Ordering::SeqCst);
    pool.terminate();
    let outcome = mapper.join().unwrap();
    let message = common::payload_message(outcome.expect_err("the map re-raises the cancellation"));
    assert!(message.contains("cancel"), "{message}");
    // Jobs started by then may finish; none may start after, but one
    // submitted just before terminate may start just after it.
    let late = ran_after.load(Ordering::SeqCst);
    assert!(
        late <= 2 * pool.workers() + 2,
        "{late} jobs ran after terminate"
    );
}

#[test]
fn terminate_stops_an_imap_under_way() {
    let pool = pool(2);
    let ran = Arc::new(AtomicUsize::new(0));
    let r = ran.clone();
    let mut results = pool.imap(0..100u32, move |x| {
        r.fetch_add(1, Ordering::SeqCst);
        x
    });
    assert_eq!(results.next(), Some(0));
    pool.terminate();
    // What was in flight comes back (finished, or a re-raised
    // cancellation), then the iteration ends: no new job is submitted.
    while !matches!(
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| results.next())),
        Ok(None)
    ) {}
    let ran = ran.load(Ordering::SeqCst);
    assert!(
        ran <= 1 + 2 * pool.workers(),
        "{ran} jobs ran though the pool was terminated after the first"
    );
}

#[test]
fn after_terminate_an_imap_takes_no_more_items_and_ends() {
    let pool = pool(2);
    let pulled = Arc::new(AtomicUsize::new(0));
    let p = pulled.clone();
    // An endless source: only the end of the iteration can stop it.
    let source = (0u64..).inspect(move |_| {
        p.fetch_add(1, Ordering::SeqCst);
    });
    let mut results = pool.imap(source, |x| {
        corun::sleep(Duration::from_millis(1));
        x
    });
    assert_eq!(results.next(), Some(0));
    pool.terminate();
    let pulled_then = pulled.load(Ordering::SeqCst);
    let mut outcomes = 0;
    loop {
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| results.next())) {
            Ok(None) => break,
            Ok(Some(_)) | Err(_) => outcomes += 1,
        }
        assert!(outcomes < 1_000, "the imap went on pulling after terminate");
    }
    assert_eq!(
        pulled.load(Ordering::SeqCst),
        pulled_then,
        "no item taken after terminate"
    );
    assert!(
        outcomes <= 2 * pool.workers(),
        "only what was in flight came back: {outcomes}"
    );
}

/// A runtime whose only worker is held by a task that never waits, until
/// the sender is used: jobs filed meanwhile stay unstarted in its inbox.
fn one_worker_held() -> (
    corun::Runtime,
    std::sync::mpsc::Sender<()>,
    corun::runtime::JoinHandle<()>,
) {
    let rt = corun::Runtime::builder().workers(1).build().unwrap();
    let (release, held) = std::sync::mpsc::channel::<()>();
    let busy = rt.spawn(move || held.recv().unwrap());
    while rt.loads()[0] == 0 {
        std::thread::yield_now();
    }
    (rt, release, busy)
}

#[test]
fn join_after_terminate_waits_until_the_cancelled_jobs_closures_are_dropped() {
    let (rt, release, busy) = one_worker_held();
    let pool = Arc::new(rt.pool());
    let captured = Arc::new(5u32);
    let inside = captured.clone();
    let job = pool.apply_async(move || *inside);
    pool.terminate();
    assert!(job.ready(), "the cancel resolves the handle at once");
    let joiner = {
        let (pool, captured) = (pool.clone(), captured.clone());
        std::thread::spawn(move || {
            pool.join();
            // Once join returns, the job's closure must be gone: only this
            // clone and the test's own are left.
            Arc::strong_count(&captured)
        })
    };
    std::thread::sleep(Duration::from_millis(20));
    release.send(()).unwrap();
    busy.join().unwrap();
    assert_eq!(
        joiner.join().unwrap(),
        2,
        "join returned while the closure was alive"
    );
}

/// Sets its flag when dropped, after a pause that leaves a `join` which
/// returned too early time to look.
struct SlowToDrop(Arc<AtomicBool>);

impl Drop for SlowToDrop {
    fn drop(&mut self) {
        std::thread::sleep(Duration::from_millis(30));
        self.0.store(true, Ordering::SeqCst);
    }
}

#[test]
fn join_waits_for_a_dropped_unrun_jobs_captures_to_finish_dropping() {
    // Before, the job's share of the count was dropped before the closure
    // it rode with (capture order), so `join` could return while the
    // closure's captures were still being dropped.
    let (rt, release, busy) = one_worker_held();
    let pool = rt.pool();
    let dropped = Arc::new(AtomicBool::new(false));
    let capture = SlowToDrop(dropped.clone());
    let job = pool.apply_async(move || drop(capture));
    pool.terminate();
    assert!(job.ready());
    release.send(()).unwrap();
    pool.join();
    assert!(
        dropped.load(Ordering::SeqCst),
        "join returned while the unrun job's closure was still being dropped"
    );
    busy.join().unwrap();
}

/// A guard whose `Drop` needs a value from the pool's workers.
struct ComputesOnDrop {
    rt: Arc<corun::Runtime>,
    pool: Arc<Pool>,
    got: Arc<std::sync::Mutex<Vec<String>>>,
}

impl Drop for ComputesOnDrop {
    fn drop(&mut self) {
        let blocked = self.rt.block_on(|| {
            std::thread::sleep(Duration::from_millis(20)); // not done at once
            42
        });
        let mapped = self.pool.map(0..4u32, |x| x * 2);
        let tried = self.pool.try_map(0..2u32, |x| {
            assert!(x != 1, "one is bad");
            x
        });
        let applied = self.pool.apply(|| "applied");
        self.got.lock().unwrap().push(format!(
            "{blocked} {mapped:?} {} {} {applied}",
            tried[0].as_ref().unwrap(),
            tried[1].as_ref().unwrap_err().is_panic()
        ));
    }
}

#[test]
fn block_on_map_and_apply_in_a_destructor_during_a_cancel_give_their_values() {
    common::in_child_process(
        "block_on_map_and_apply_in_a_destructor_during_a_cancel_give_their_values",
        || {
            let rt = Arc::new(
                corun::Runtime::builder()
                    .workers(2)
                    .pin_cores(false)
                    .build()
                    .unwrap(),
            );
            let pool = Arc::new(rt.pool());
            let got = Arc::new(std::sync::Mutex::new(Vec::new()));
            let guard = ComputesOnDrop {
                rt: rt.clone(),
                pool,
                got: got.clone(),
            };
            let started = Arc::new(AtomicBool::new(false));
            let s = started.clone();
            let h = rt.spawn(move || {
                let _guard = guard;
                s.store(true, Ordering::SeqCst);
                corun::sleep(Duration::from_secs(60));
            });
            while !started.load(Ordering::SeqCst) {
                std::thread::yield_now();
            }
            h.cancel();
            assert!(h.join().unwrap_err().is_cancelled());
            assert_eq!(*got.lock().unwrap(), ["42 [0, 2, 4, 6] 0 true applied"]);
        },
    );
}

#[test]
fn pool_join_from_one_of_its_own_jobs_is_refused_instead_of_hanging() {
    let pool = Arc::new(Pool::builder().workers(2).pin_cores(false).build().unwrap());
    let (go, wait_for_go) = std::sync::mpsc::channel::<()>();
    let p = pool.clone();
    let job = pool.apply_async(move || {
        wait_for_go.recv().unwrap(); // filed by now
        p.close();
        p.join();
    });
    go.send(()).unwrap();
    let message = match job.get_timeout(Duration::from_secs(60)) {
        Err(corun::runtime::GetTimeoutError::Failed(e)) => common::payload_message(e.into_panic()),
        other => panic!("expected the job's refusal, got {other:?}"),
    };
    assert!(message.contains("own jobs"), "{message}");
    pool.join(); // from outside, it returns
}
