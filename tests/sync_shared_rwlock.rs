//! `sync::shared::RwLock`: readers share across workers and threads, a
//! writer excludes everyone, arrival order (a waiting writer holds back
//! later readers, the readers behind it go in together), waiters that
//! leave give their place up, `downgrade`, `try_*`, no poisoning, a plain
//! thread against runtime tasks, the futures (corun's and tokio's
//! executors), and a stress test of the exclusion.

use corun::sync::join_all;
use corun::sync::shared::{Barrier, RwLock};
use corun::{timeout, yield_now, Executor, JoinHandle};
use std::cell::Cell;
use std::future::Future;
use std::pin::pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

mod common;
use common::{blocked, in_cancelled_cleanup, log, panic_message, push, runtime, Log};

const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<RwLock<Vec<u8>>>();
};

fn flag() -> Rc<Cell<bool>> {
    Rc::new(Cell::new(false))
}

/// Spawns a task that takes the lock (`write` or not), logs `name in`,
/// holds it until `release` is set (yielding meanwhile), then logs
/// `name out`; a writer adds one to the value.
fn spawn_holder(
    ex: &Executor,
    lock: &Arc<RwLock<u32>>,
    write: bool,
    name: &'static str,
    release: &Rc<Cell<bool>>,
    out: &Log<String>,
) -> JoinHandle<()> {
    let (lock, release, out) = (lock.clone(), release.clone(), out.clone());
    ex.spawn(move || {
        let hold = |out: &Log<String>| {
            push(out, format!("{name} in"));
            while !release.get() {
                yield_now();
            }
            push(out, format!("{name} out"));
        };
        if write {
            let mut guard = lock.write();
            *guard += 1;
            hold(&out);
        } else {
            let _guard = lock.read();
            hold(&out);
        }
    })
}

/// Yields until `n` tasks of `ex` are blocked (a cross-thread wait looks
/// again a few times before it suspends), and returns what they wait on.
fn until_blocked(ex: &Executor, n: usize) -> Vec<&'static str> {
    while blocked(ex).len() < n {
        yield_now();
    }
    blocked(ex)
}

/// Yields until `done`, at most a bounded number of times, so a bug shows
/// as a failed assertion rather than a hang.
fn yield_until(done: impl Fn() -> bool) -> bool {
    for _ in 0..10_000 {
        if done() {
            return true;
        }
        yield_now();
    }
    done()
}

#[test]
fn readers_share_it_across_workers_and_plain_threads() {
    let rt = runtime(2);
    let lock = Arc::new(RwLock::new(7u32));
    // Every reader waits inside for all the others: were they not let in
    // together, the barrier would never open.
    let inside = Arc::new(Barrier::new(6));
    let read = {
        let (lock, inside) = (lock.clone(), inside.clone());
        move || {
            let guard = lock.read();
            inside.wait().unwrap();
            *guard
        }
    };
    let tasks: Vec<_> = (0..2)
        .flat_map(|w| [rt.spawn_on(w, read.clone()), rt.spawn_on(w, read.clone())])
        .collect();
    let threads: Vec<_> = (0..2).map(|_| std::thread::spawn(read.clone())).collect();
    for t in tasks {
        assert_eq!(t.join().unwrap(), 7);
    }
    for t in threads {
        assert_eq!(t.join().unwrap(), 7);
    }
    assert!(lock.try_write().is_ok(), "every reader let go");
}

#[test]
fn a_writer_on_a_worker_excludes_a_plain_thread_until_it_is_done() {
    let rt = runtime(2);
    let lock = Arc::new(RwLock::new((0u32, 0u32)));
    let (holding_tx, holding_rx) = corun::sync::mpsc::oneshot::<()>();
    let (go_tx, go_rx) = corun::sync::mpsc::oneshot::<()>();
    let l = lock.clone();
    let writer = rt.spawn(move || {
        let mut w = l.write();
        w.0 = 1;
        holding_tx.send(()).unwrap();
        go_rx.recv().unwrap(); // holds it across a wait, half written
        w.1 = 1;
    });
    holding_rx.recv().unwrap();
    assert!(lock.try_read().is_err());
    assert!(lock.try_write().is_err());
    assert_eq!(format!("{lock:?}"), "shared::RwLock { data: <locked> }");
    let (l1, l2) = (lock.clone(), lock.clone());
    let reader = std::thread::spawn(move || *l1.read());
    let other_writer = std::thread::spawn(move || {
        let mut w = l2.write();
        w.0 += 10;
        w.1 += 10;
    });
    go_tx.send(()).unwrap();
    writer.join().unwrap();
    let seen = reader.join().unwrap();
    other_writer.join().unwrap();
    assert!(seen == (1, 1) || seen == (11, 11), "{seen:?}");
    assert_eq!(*lock.read(), (11, 11));
}

#[test]
fn runtime_tasks_wait_for_a_plain_threads_write() {
    let rt = runtime(2);
    let lock = Arc::new(RwLock::new(String::from("old")));
    let mut w = lock.try_write().unwrap();
    let started = Arc::new(AtomicUsize::new(0));
    let readers: Vec<_> = (0..4)
        .map(|_| {
            let (lock, started) = (lock.clone(), started.clone());
            rt.spawn(move || {
                started.fetch_add(1, Ordering::SeqCst);
                lock.read().clone()
            })
        })
        .collect();
    while started.load(Ordering::SeqCst) < 4 {
        std::thread::yield_now();
    }
    assert!(
        readers.iter().all(|r| !r.is_finished()),
        "held by the thread"
    );
    w.push_str(" and new");
    drop(w);
    for r in readers {
        assert_eq!(r.join().unwrap(), "old and new");
    }
}

#[test]
fn a_waiting_writer_holds_back_later_readers_which_then_go_in_together() {
    let ex = Executor::new();
    let lock = Arc::new(RwLock::new(0));
    let out: Log<String> = log();
    let (r0_go, w_go, readers_go) = (flag(), flag(), flag());
    let r0 = spawn_holder(&ex, &lock, false, "r0", &r0_go, &out);
    let w = spawn_holder(&ex, &lock, true, "w", &w_go, &out);
    ex.block_on(|| {
        assert_eq!(until_blocked(&ex, 1), ["shared::RwLock::write"]);
        let readers: Vec<_> = ["a", "b", "c"]
            .into_iter()
            .map(|name| spawn_holder(&ex, &lock, false, name, &readers_go, &out))
            .collect();
        assert_eq!(until_blocked(&ex, 4).len(), 4);
        // Only a reader holds it, yet later readers wait behind the writer,
        // and so does a newcomer.
        assert_eq!(*out.borrow(), ["r0 in"]);
        assert!(lock.try_read().is_err());
        r0_go.set(true);
        w_go.set(true);
        r0.join().unwrap();
        w.join().unwrap();
        // All three are inside at once; none has left.
        assert!(yield_until(|| out.borrow().len() == 7));
        assert_eq!(
            out.borrow()[..],
            ["r0 in", "r0 out", "w in", "w out", "a in", "b in", "c in"].map(String::from)
        );
        readers_go.set(true);
        join_all(readers);
    });
    assert_eq!(*lock.try_read().unwrap(), 1);
}

#[test]
fn a_cancelled_waiting_writer_lets_the_readers_behind_it_in() {
    let ex = Executor::new();
    let lock = Arc::new(RwLock::new(0));
    let out: Log<String> = log();
    let go = flag();
    let r1 = spawn_holder(&ex, &lock, false, "r1", &go, &out);
    let w = spawn_holder(&ex, &lock, true, "w", &go, &out);
    let r2 = spawn_holder(&ex, &lock, false, "r2", &go, &out);
    ex.block_on(|| {
        assert_eq!(
            until_blocked(&ex, 2),
            ["shared::RwLock::write", "shared::RwLock::read"]
        );
        w.cancel();
        assert!(w.join().unwrap_err().is_cancelled());
        // r2 reads beside r1, which still holds its read lock.
        assert!(yield_until(|| out.borrow().len() == 2));
        assert_eq!(*out.borrow(), ["r1 in", "r2 in"]);
        go.set(true);
        join_all([r1, r2]);
    });
    assert_eq!(*lock.try_read().unwrap(), 0, "the writer never wrote");
}

#[test]
fn a_timed_out_writer_gives_its_place_up() {
    let ex = Executor::new();
    let lock = Arc::new(RwLock::new(0));
    let held = lock.try_read().unwrap();
    let l = lock.clone();
    let writer = ex.spawn(move || timeout(Duration::from_millis(50), || *l.write() = 1).is_err());
    // Spawned after the writer, so it queues behind it.
    let l = lock.clone();
    let reader = ex.spawn(move || *l.read());
    ex.block_on(|| {
        // The read lock is held throughout, so the writer must time out;
        // the reader then gets in beside that read lock.
        assert!(writer.join().unwrap());
        assert_eq!(reader.join().unwrap(), 0);
        assert!(lock.try_read().is_ok(), "nobody waits any more");
        drop(held);
    });
    assert!(lock.try_write().is_ok());
}

#[test]
fn a_dropped_write_future_gives_its_place_up() {
    let lock = RwLock::new(1);
    let held = lock.try_read().unwrap();
    let mut cx = Context::from_waker(Waker::noop());
    let mut write = Box::pin(lock.write_async());
    assert!(write.as_mut().poll(&mut cx).is_pending());
    let mut read = pin!(lock.read_async());
    assert!(
        read.as_mut().poll(&mut cx).is_pending(),
        "behind the writer"
    );
    assert!(lock.try_read().is_err());
    drop(write);
    match read.as_mut().poll(&mut cx) {
        Poll::Ready(r) => assert_eq!((*r, *held), (1, 1)),
        Poll::Pending => panic!("the reader behind a writer that left must get in"),
    };
}

#[test]
fn downgrade_lets_the_waiting_readers_in_but_not_a_writer() {
    let ex = Executor::new();
    let lock = Arc::new(RwLock::new(0));
    let out: Log<String> = log();
    let (r_go, w2_go) = (flag(), flag());
    let mut w = lock.try_write().unwrap();
    let ra = spawn_holder(&ex, &lock, false, "a", &r_go, &out);
    let rb = spawn_holder(&ex, &lock, false, "b", &r_go, &out);
    let w2 = spawn_holder(&ex, &lock, true, "w2", &w2_go, &out);
    ex.block_on(|| {
        assert_eq!(until_blocked(&ex, 3).len(), 3);
        *w = 5;
        let mine = w.downgrade();
        assert!(yield_until(|| out.borrow().len() == 2));
        assert_eq!(*out.borrow(), ["a in", "b in"]); // beside our read lock
        assert_eq!(blocked(&ex), ["shared::RwLock::write"]);
        assert_eq!(*mine, 5);
        drop(mine);
        r_go.set(true);
        w2_go.set(true);
        join_all([ra, rb, w2]);
    });
    let out = out.borrow();
    assert_eq!(out[4..], ["w2 in", "w2 out"].map(String::from), "{out:?}");
    assert!(out[2..4].contains(&"a out".into()) && out[2..4].contains(&"b out".into()));
    assert_eq!(*lock.try_read().unwrap(), 6);
}

#[test]
fn try_errors_max_readers_and_debug() {
    let lock = RwLock::with_max_readers(3, 2);
    assert_eq!(lock.max_readers(), 2);
    let w = lock.try_write().unwrap();
    assert_eq!(
        lock.try_read().unwrap_err().to_string(),
        "the RwLock is held by a writer, or others wait for it"
    );
    assert_eq!(format!("{lock:?}"), "shared::RwLock { data: <locked> }");
    drop(w);
    let (r1, r2) = (lock.try_read().unwrap(), lock.try_read().unwrap());
    assert!(lock.try_read().is_err(), "max_readers are inside");
    assert_eq!(
        lock.try_write().unwrap_err().to_string(),
        "the RwLock is held, or others wait for it"
    );
    drop(r2);
    assert_eq!(format!("{lock:?}"), "shared::RwLock { data: 3 }");
    drop(r1);
    // A downgraded writer counts as one of the readers.
    let (d, r) = (
        lock.try_write().unwrap().downgrade(),
        lock.try_read().unwrap(),
    );
    assert!(lock.try_read().is_err());
    drop((d, r));
    let mut lock = lock;
    *lock.get_mut() += 1;
    assert_eq!(lock.into_inner(), 4);
    for bad in [0, usize::MAX] {
        let msg = panic_message(|| RwLock::with_max_readers((), bad));
        assert!(msg.contains("max_readers must be from 1 to"), "{msg}");
    }
    assert_eq!(RwLock::<u8>::default().into_inner(), 0);
    assert_eq!(RwLock::from(2).max_readers(), RwLock::new(2).max_readers());
}

#[test]
fn a_panicking_writer_does_not_poison_it() {
    let rt = runtime(1);
    let lock = Arc::new(RwLock::new(vec![1]));
    let l = lock.clone();
    let r = rt
        .spawn(move || {
            let mut w = l.write();
            w.push(2);
            panic!("while holding it");
        })
        .join();
    assert!(r.unwrap_err().is_panic());
    assert_eq!(*lock.read(), [1, 2], "the value as the panic left it");
    lock.write().push(3);
    assert_eq!(format!("{lock:?}"), "shared::RwLock { data: [1, 2, 3] }");
}

#[test]
fn future_tasks_use_the_async_forms_and_the_blocking_ones_say_so() {
    fn is_send<T: Send>(_: &T) {}
    let ex = Executor::new();
    let lock = Arc::new(RwLock::new(Vec::new()));
    // Other executors may move the futures between threads.
    is_send(&lock.read_async());
    is_send(&lock.write_async());
    let held = lock.try_read().unwrap();
    let handles: Vec<_> = (0..3)
        .map(|i| {
            let lock = lock.clone();
            ex.spawn_future(async move {
                lock.write_async().await.push(i);
                lock.read_async().await.len()
            })
        })
        .collect();
    let lens: Vec<usize> = ex.block_on(|| {
        yield_now();
        assert!(
            handles.iter().all(|h| !h.is_finished()),
            "a reader holds it"
        );
        drop(held);
        join_all(handles).into_iter().map(Result::unwrap).collect()
    });
    assert!(lens.iter().all(|&n| (1..=3).contains(&n)), "{lens:?}");
    assert_eq!(lock.try_read().unwrap().len(), 3);
    let w = lock.try_write().unwrap();
    let l = lock.clone();
    let refused = ex.spawn_future(async move { l.read().len() });
    let msg = ex.block_on(|| refused.join()).unwrap_err().to_string();
    assert!(
        msg.contains("shared::RwLock::read") && msg.contains("async"),
        "{msg}"
    );
    drop(w);
}

#[test]
fn a_tokio_task_awaits_a_lock_a_corun_task_holds() {
    let rt = runtime(1);
    let lock = Arc::new(RwLock::new(0u32));
    let (holding_tx, holding_rx) = corun::sync::mpsc::oneshot::<()>();
    let l = lock.clone();
    let holder = rt.spawn(move || {
        let mut w = l.write();
        holding_tx.send(()).unwrap();
        corun::sleep(Duration::from_millis(5));
        *w = 1;
    });
    holding_rx.recv().unwrap();
    let tokio_rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let seen = tokio_rt.block_on(async {
        let seen = *lock.read_async().await;
        *lock.write_async().await += 1;
        seen
    });
    holder.join().unwrap();
    assert_eq!((seen, *lock.read()), (1, 2));
}

#[test]
fn an_unwinding_task_takes_a_free_lock_without_waiting() {
    let ex = Executor::new();
    let lock = Arc::new(RwLock::new(1u32));
    let out: Log<u32> = log();
    let (l, o) = (lock.clone(), out.clone());
    in_cancelled_cleanup(&ex, move || {
        // Free, so no wait: a destructor may lock it.
        let v = *l.read();
        *l.write() += v;
        push(&o, *l.try_read().unwrap());
    });
    assert_eq!(*out.borrow(), [2]);
}

#[test]
fn writers_exclude_and_readers_see_whole_writes_under_load() {
    const ROUNDS: usize = 200;
    #[derive(Default)]
    struct Books {
        debit: u64,
        credit: u64,
        writes: u64,
    }
    let rt = runtime(2);
    let lock = Arc::new(RwLock::new(Books::default()));
    let writing = Arc::new(AtomicBool::new(false));
    let write = {
        let (lock, writing) = (lock.clone(), writing.clone());
        move |in_task: bool| {
            for _ in 0..ROUNDS {
                let mut b = lock.write();
                assert!(!writing.swap(true, Ordering::SeqCst), "two writers inside");
                b.debit += 1;
                if in_task {
                    yield_now(); // other tasks of the worker run meanwhile
                } else {
                    std::thread::yield_now();
                }
                b.credit += 1;
                b.writes += 1;
                writing.store(false, Ordering::SeqCst);
            }
        }
    };
    let read = {
        let (lock, writing) = (lock.clone(), writing.clone());
        move |in_task: bool| {
            for i in 0..ROUNDS {
                let b = if i % 4 == 0 {
                    match lock.try_read() {
                        Ok(b) => b,
                        Err(_) => lock.read(),
                    }
                } else {
                    lock.read()
                };
                assert!(!writing.load(Ordering::SeqCst), "a reader beside a writer");
                assert_eq!(b.debit, b.credit, "a write seen half done");
                if in_task {
                    yield_now();
                }
                assert_eq!(b.debit, b.writes);
            }
        }
    };
    let mut tasks = Vec::new();
    for _ in 0..3 {
        let (w, r) = (write.clone(), read.clone());
        tasks.push(rt.spawn(move || w(true)));
        tasks.push(rt.spawn(move || r(true)));
    }
    let threads: Vec<_> = (0..2)
        .flat_map(|_| {
            let (w, r) = (write.clone(), read.clone());
            [
                std::thread::spawn(move || w(false)),
                std::thread::spawn(move || r(false)),
            ]
        })
        .collect();
    for t in tasks {
        t.join().unwrap();
    }
    for t in threads {
        t.join().unwrap();
    }
    let b = lock.read();
    assert_eq!((b.debit, b.credit, b.writes), (1000, 1000, 1000));
    drop(b);
    assert!(lock.try_write().is_ok());
}
