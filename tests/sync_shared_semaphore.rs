//! `sync::shared::Semaphore`: permits bound work across runtime workers
//! and plain threads; FIFO hand-off with a big head blocking small ones;
//! permits handed to a waiter that leaves go on; close; owned permits;
//! the future form; and a task that is unwinding never waits.

use corun::sync::shared::Semaphore;
use corun::sync::TryAcquireError;
use corun::{yield_now, Executor};
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Waker};

mod common;
use common::{blocked, in_cancelled_cleanup, log, push, runtime, Log};

#[test]
fn permits_bound_the_work_of_every_worker_and_thread() {
    let rt = runtime(2);
    let sem = Arc::new(Semaphore::new(3));
    let (busy, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let work = {
        let (sem, busy, most) = (sem.clone(), busy.clone(), most.clone());
        move || {
            let _permit = sem.acquire().unwrap();
            let now = busy.fetch_add(1, Ordering::SeqCst) + 1;
            most.fetch_max(now, Ordering::SeqCst);
            std::thread::yield_now();
            busy.fetch_sub(1, Ordering::SeqCst);
        }
    };
    let tasks: Vec<_> = (0..40).map(|_| rt.spawn(work.clone())).collect();
    let threads: Vec<_> = (0..4).map(|_| std::thread::spawn(work.clone())).collect();
    for t in tasks {
        t.join().unwrap();
    }
    for t in threads {
        t.join().unwrap();
    }
    assert!(most.load(Ordering::SeqCst) <= 3);
    assert_eq!(sem.available_permits(), 3);
}

#[test]
fn waiters_are_served_in_order_and_a_big_head_blocks_small_ones() {
    let ex = Executor::new();
    let sem = Arc::new(Semaphore::new(0));
    let got: Log<&str> = log();
    let spawn = |n: usize, name: &'static str| {
        let (sem, got) = (sem.clone(), got.clone());
        ex.spawn(move || {
            sem.acquire_many(n).unwrap().forget();
            push(&got, name);
        })
    };
    let hs = [spawn(3, "big"), spawn(1, "small")];
    ex.block_on(|| {
        // A cross-thread wait looks again a few times before it suspends.
        while blocked(&ex).len() < 2 {
            yield_now();
        }
        assert_eq!(blocked(&ex), ["shared::Semaphore::acquire"; 2]);
        sem.add_permits(2);
        yield_now();
        assert!(got.borrow().is_empty(), "the head needs 3");
        assert_eq!(sem.try_acquire().unwrap_err(), TryAcquireError::NoPermits);
        sem.add_permits(2);
        corun::sync::join_all(hs);
    });
    assert_eq!(*got.borrow(), ["big", "small"]);
    assert_eq!(sem.available_permits(), 0);
}

#[test]
fn permits_handed_to_a_waiter_that_leaves_go_to_the_next() {
    let ex = Executor::new();
    let sem = Arc::new(Semaphore::new(0));
    let (s1, s2) = (sem.clone(), sem.clone());
    let first = ex.spawn(move || s1.acquire().map(|p| p.forget()));
    let second = ex.spawn(move || s2.acquire().map(|p| p.forget()));
    ex.block_on(|| {
        yield_now();
        sem.add_permits(1); // handed to `first`, which has not run yet
        first.cancel();
        assert!(first.join().unwrap_err().is_cancelled());
        // Bounded: were the permit lost, `second` would wait for ever.
        for _ in 0..10_000 {
            if second.is_finished() {
                break;
            }
            yield_now();
        }
        assert!(
            second.is_finished(),
            "the permit went on to the next waiter"
        );
        second.join().unwrap().unwrap();
    });
    // A dropped future that waits leaves the queue, and gives back what it
    // was handed.
    let mut cx = Context::from_waker(Waker::noop());
    {
        let mut fut = pin!(sem.acquire_async());
        assert!(fut.as_mut().poll(&mut cx).is_pending());
        sem.add_permits(1); // handed to the future
        assert_eq!(sem.available_permits(), 0);
    }
    assert_eq!(sem.available_permits(), 1);
}

#[test]
fn close_fails_waiters_and_later_acquires_and_held_permits_still_return() {
    let sem = Arc::new(Semaphore::new(1));
    let held = sem.clone().acquire_owned().unwrap();
    let s = sem.clone();
    let waiter = std::thread::spawn(move || s.acquire().map(|p| p.num_permits()));
    while format!("{sem:?}").contains("waiting: 0") {
        std::thread::yield_now(); // until the thread waits
    }
    sem.close();
    assert!(waiter.join().unwrap().unwrap_err().is_closed());
    assert!(sem.is_closed());
    assert_eq!(sem.try_acquire().unwrap_err(), TryAcquireError::Closed);
    drop(held);
    assert_eq!(sem.available_permits(), 1);
}

#[test]
fn owned_permits_move_into_threads_and_a_plain_thread_blocks_until_one_is_free() {
    let rt = runtime(1);
    let sem = Arc::new(Semaphore::new(1));
    let permit = sem.acquire_owned().unwrap();
    assert_eq!(permit.num_permits(), 1);
    // A task on the worker holds the permit until told to let go.
    let (tx, rx) = corun::sync::mpsc::oneshot::<()>();
    let holder = rt.spawn(move || {
        let _permit = permit;
        rx.recv().unwrap();
    });
    assert!(sem.try_acquire().is_err());
    let s = sem.clone();
    let blocked_thread = std::thread::spawn(move || s.acquire().map(|p| p.num_permits()));
    tx.send(()).unwrap();
    holder.join().unwrap();
    assert_eq!(blocked_thread.join().unwrap(), Ok(1));
}

#[test]
fn a_future_task_waits_with_acquire_async() {
    let ex = Executor::new();
    let sem = Arc::new(Semaphore::new(0));
    let s = sem.clone();
    let h = ex.spawn_future(async move { s.acquire_many_async(2).await.unwrap().num_permits() });
    ex.block_on(|| {
        yield_now();
        assert!(!h.is_finished());
        sem.add_permits(2);
        assert_eq!(h.join().unwrap(), 2);
    });
    assert_eq!(sem.available_permits(), 2);
}

#[test]
fn an_unwinding_task_does_not_wait() {
    let ex = Executor::new();
    let sem = Arc::new(Semaphore::new(0));
    let out: Log<String> = log();
    let (s, o) = (sem.clone(), out.clone());
    in_cancelled_cleanup(&ex, move || {
        let err = s.acquire().unwrap_err();
        push(&o, format!("{} {err}", err.is_closed()));
    });
    assert_eq!(
        *out.borrow(),
        ["false cannot wait for a permit while the task is unwinding"]
    );
    assert_eq!(
        format!("{sem:?}"),
        "shared::Semaphore { permits: 0, waiting: 0, closed: false }"
    );
}

#[test]
fn split_permits_go_back_on_their_own() {
    let sem = Arc::new(Semaphore::new(3));
    let mut all = sem.acquire_many_owned(3).unwrap();
    let one = all.split(1).unwrap();
    assert!(all.split(3).is_none(), "only two are left");
    assert_eq!((all.num_permits(), one.num_permits()), (2, 1));
    drop(all);
    assert_eq!(sem.available_permits(), 2);
    drop(one);
    assert_eq!(sem.available_permits(), 3);
}

/// The lock-free path (a compare-and-swap while nobody waits) racing the
/// queue: threads and runtime tasks hammer a two-permit semaphore, mixing
/// `try_acquire`, `acquire`, the async form and `add_permits`; never more
/// than two inside, nobody left asleep, and every permit back at the end.
#[test]
fn the_lock_free_path_and_the_queue_race_without_losing_a_permit() {
    const ROUNDS: usize = 2_000;
    let sem = Arc::new(Semaphore::new(2));
    let inside = Arc::new(AtomicUsize::new(0));
    let work = |sem: Arc<Semaphore>, inside: Arc<AtomicUsize>, who: usize| {
        move || {
            for i in 0..ROUNDS {
                let permit = match (who + i) % 3 {
                    0 => match sem.try_acquire() {
                        Ok(p) => p,
                        Err(_) => sem.acquire().unwrap(),
                    },
                    1 => sem.acquire().unwrap(),
                    _ => futures::executor::block_on(sem.acquire_async()).unwrap(),
                };
                assert!(inside.fetch_add(1, Ordering::SeqCst) < 2, "three inside");
                std::hint::spin_loop();
                inside.fetch_sub(1, Ordering::SeqCst);
                drop(permit);
            }
        }
    };
    let threads: Vec<_> = (0..3)
        .map(|who| std::thread::spawn(work(sem.clone(), inside.clone(), who)))
        .collect();
    let rt = corun::Runtime::builder().workers(2).build().unwrap();
    let tasks: Vec<_> = (0..2)
        .map(|w| {
            let (sem, inside) = (sem.clone(), inside.clone());
            rt.spawn_on(w, move || {
                for _ in 0..ROUNDS {
                    let p = sem.acquire().unwrap();
                    assert!(inside.fetch_add(1, Ordering::SeqCst) < 2, "three inside");
                    yield_now(); // held across a suspension
                    inside.fetch_sub(1, Ordering::SeqCst);
                    drop(p);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    for t in tasks {
        t.join().unwrap();
    }
    assert_eq!(sem.available_permits(), 2);
    // And a permit added while someone waits goes to that waiter.
    let all = sem.try_acquire_many(2).unwrap();
    all.forget();
    let s = sem.clone();
    let waiter = std::thread::spawn(move || s.acquire().unwrap().num_permits());
    while format!("{sem:?}").contains("waiting: 0") {
        std::thread::yield_now();
    }
    sem.add_permits(1);
    assert_eq!(waiter.join().unwrap(), 1);
    assert_eq!(sem.available_permits(), 1);
}

#[test]
fn the_permit_count_has_a_documented_limit() {
    let sem = Semaphore::new(Semaphore::MAX_PERMITS);
    assert_eq!(sem.available_permits(), Semaphore::MAX_PERMITS);
    let err = std::panic::catch_unwind(|| sem.add_permits(1)).unwrap_err();
    let msg = err.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(msg.contains("MAX_PERMITS"), "{msg}");
    assert_eq!(sem.available_permits(), Semaphore::MAX_PERMITS);
    assert!(std::panic::catch_unwind(|| Semaphore::new(Semaphore::MAX_PERMITS + 1)).is_err());
}
