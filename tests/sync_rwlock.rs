//! `sync::RwLock`: readers share, a writer excludes everyone, and the
//! arrival order is kept (a waiting writer holds back later readers, the
//! readers behind a writer go in together); waiters that leave pass on
//! what they were handed; `downgrade`, `max_readers`, the futures, and the
//! panics that say what to do.

use corun::sync::{join_all, RwLock};
use corun::{timeout, yield_now, Executor, JoinHandle};
use std::future::Future;
use std::pin::pin;
use std::rc::Rc;
use std::task::Context;
use std::time::Duration;

mod common;
use common::{blocked, log, panic_message, push, Log, LONG};

/// Spawns a task that takes the lock (`write` or not), logs `name in`,
/// holds it until `release` is set (yielding meanwhile), then logs
/// `name out`.
fn spawn_holder(
    ex: &Executor,
    lock: &Rc<RwLock<u32>>,
    write: bool,
    name: &'static str,
    release: &Rc<std::cell::Cell<bool>>,
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

fn flag() -> Rc<std::cell::Cell<bool>> {
    Rc::new(std::cell::Cell::new(false))
}

/// A reader holding the lock, then a writer and a reader waiting for it,
/// all holding on until `go` is set.
fn reader_writer_reader(
    ex: &Executor,
    lock: &Rc<RwLock<u32>>,
    go: &Rc<std::cell::Cell<bool>>,
    out: &Log<String>,
) -> [JoinHandle<()>; 3] {
    [(false, "r1"), (true, "w"), (false, "r2")]
        .map(|(write, name)| spawn_holder(ex, lock, write, name, go, out))
}

#[test]
fn a_waiting_writer_holds_back_later_readers() {
    let ex = Executor::new();
    let lock = Rc::new(RwLock::new(0));
    let out: Log<String> = log();
    let go = flag();
    let [r1, w, r2] = reader_writer_reader(&ex, &lock, &go, &out);
    ex.block_on(|| {
        yield_now();
        assert_eq!(blocked(&ex), ["RwLock::write", "RwLock::read"]);
        // A newcomer reader does not overtake the waiting writer either.
        assert!(lock.try_read().is_err());
        go.set(true);
        join_all([r1, w, r2]);
    });
    assert_eq!(
        *out.borrow(),
        ["r1 in", "r1 out", "w in", "w out", "r2 in", "r2 out"]
    );
    assert_eq!(*lock.try_read().unwrap(), 1);
}

#[test]
fn the_readers_queued_behind_a_writer_go_in_together() {
    let ex = Executor::new();
    let lock = Rc::new(RwLock::new(0));
    let out: Log<String> = log();
    let (w_go, readers_go) = (flag(), flag());
    let w = spawn_holder(&ex, &lock, true, "w", &w_go, &out);
    let readers: Vec<_> = ["a", "b", "c"]
        .into_iter()
        .map(|name| spawn_holder(&ex, &lock, false, name, &readers_go, &out))
        .collect();
    ex.block_on(|| {
        yield_now();
        assert_eq!(blocked(&ex), ["RwLock::read"; 3]);
        w_go.set(true);
        w.join().unwrap();
        yield_now();
        // All three are inside at once; none has left.
        assert_eq!(
            out.borrow()[2..],
            ["a in", "b in", "c in"].map(String::from)
        );
        readers_go.set(true);
        join_all(readers);
    });
    assert_eq!(out.borrow().len(), 8);
}

#[test]
fn a_cancelled_waiting_writer_lets_the_readers_behind_it_in() {
    let ex = Executor::new();
    let lock = Rc::new(RwLock::new(0));
    let out: Log<String> = log();
    let go = flag();
    let [r1, w, r2] = reader_writer_reader(&ex, &lock, &go, &out);
    ex.block_on(|| {
        yield_now();
        w.cancel();
        assert!(w.join().unwrap_err().is_cancelled());
        yield_now();
        // r2 reads beside r1, which still holds its read lock.
        assert_eq!(*out.borrow(), ["r1 in", "r2 in"]);
        go.set(true);
        join_all([r1, r2]);
    });
    assert_eq!(
        *lock.try_read().unwrap(),
        0,
        "the cancelled writer never wrote"
    );
}

#[test]
fn a_timed_out_writer_leaves_and_a_cancelled_holder_unlocks() {
    let ex = Executor::new();
    let lock = Rc::new(RwLock::new(0));
    let l = lock.clone();
    let reader = ex.spawn(move || {
        let _guard = l.read();
        corun::sleep(LONG);
    });
    ex.block_on(|| {
        yield_now();
        assert!(timeout(Duration::from_millis(5), || lock.write()).is_err());
        // The timed-out writer no longer holds readers back.
        assert!(lock.try_read().is_ok());
        reader.cancel();
        assert!(reader.join().unwrap_err().is_cancelled());
        *lock.write() = 7;
    });
    assert_eq!(*lock.try_read().unwrap(), 7);
}

#[test]
fn downgrade_admits_the_waiting_readers_but_not_a_writer() {
    let ex = Executor::new();
    let lock = Rc::new(RwLock::new(0));
    let out: Log<String> = log();
    let (r_go, w2_go) = (flag(), flag());
    let mut w = lock.try_write().unwrap();
    let r = spawn_holder(&ex, &lock, false, "r", &r_go, &out);
    let w2 = spawn_holder(&ex, &lock, true, "w2", &w2_go, &out);
    ex.block_on(|| {
        yield_now();
        *w = 5;
        let mine = w.downgrade();
        yield_now();
        assert_eq!(*out.borrow(), ["r in"]); // beside our read lock
        assert_eq!(blocked(&ex), ["RwLock::write"]);
        assert_eq!(*mine, 5);
        drop(mine);
        r_go.set(true);
        w2_go.set(true);
        join_all([r, w2]);
    });
    assert_eq!(*out.borrow(), ["r in", "r out", "w2 in", "w2 out"]);
    assert_eq!(*lock.try_read().unwrap(), 6);
}

#[test]
fn max_readers_bounds_the_readers_inside() {
    let ex = Executor::new();
    let lock = Rc::new(RwLock::with_max_readers(0, 2));
    assert_eq!(lock.max_readers(), 2);
    let out: Log<String> = log();
    let go = flag();
    let readers: Vec<_> = ["a", "b", "c"]
        .into_iter()
        .map(|name| spawn_holder(&ex, &lock, false, name, &go, &out))
        .collect();
    ex.block_on(|| {
        yield_now();
        assert_eq!(*out.borrow(), ["a in", "b in"]);
        assert_eq!(blocked(&ex), ["RwLock::read"]);
        go.set(true);
        join_all(readers);
    });
    assert!(out.borrow().contains(&"c out".to_string()));
    // A downgraded writer counts as one of the readers.
    let w = lock.try_write().unwrap();
    let (r1, r2) = (w.downgrade(), lock.try_read().unwrap());
    assert!(lock.try_read().is_err());
    drop((r1, r2));
    assert!(lock.try_write().is_ok());
    let msg = panic_message(|| RwLock::with_max_readers((), 0));
    assert!(msg.contains("max_readers must be at least 1"), "{msg}");
}

#[test]
fn read_async_and_write_async_from_future_tasks() {
    let ex = Executor::new();
    let lock = Rc::new(RwLock::new(Vec::new()));
    let handles: Vec<_> = (0..3)
        .map(|i| {
            let lock = lock.clone();
            ex.spawn_future(async move {
                lock.write_async().await.push(i);
                lock.read_async().await.len()
            })
        })
        .collect();
    let lens: Vec<usize> =
        ex.block_on(|| join_all(handles).into_iter().map(Result::unwrap).collect());
    assert_eq!(lock.try_read().unwrap().len(), 3);
    assert!(lens.iter().all(|&n| (1..=3).contains(&n)), "{lens:?}");
}

#[test]
fn a_dropped_write_future_leaves_the_queue() {
    let lock = RwLock::new(1);
    let reading = lock.try_read().unwrap();
    let mut cx = Context::from_waker(std::task::Waker::noop());
    {
        let mut fut = pin!(lock.write_async());
        assert!(fut.as_mut().poll(&mut cx).is_pending());
        assert!(lock.try_read().is_err(), "the queued writer comes first");
    }
    assert_eq!(*lock.try_read().unwrap(), 1);
    drop(reading);
    {
        let mut fut = pin!(lock.write_async());
        match fut.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(mut w) => *w = 2,
            std::task::Poll::Pending => panic!("a free lock must be granted at once"),
        }
    }
    assert_eq!(lock.into_inner(), 2);
}

#[test]
fn try_errors_and_debug_say_what_holds_the_lock() {
    let lock = RwLock::new(3);
    let w = lock.try_write().unwrap();
    assert_eq!(
        lock.try_read().unwrap_err().to_string(),
        "the RwLock is held by a writer, or others wait for it"
    );
    assert_eq!(format!("{lock:?}"), "RwLock { data: <write-locked> }");
    drop(w);
    let _r = lock.try_read().unwrap();
    assert_eq!(
        lock.try_write().unwrap_err().to_string(),
        "the RwLock is held, or others wait for it"
    );
    assert_eq!(format!("{lock:?}"), "RwLock { data: 3 }");
}

#[test]
fn waiting_outside_a_task_panics_naming_the_method() {
    let lock = RwLock::new(0);
    let _w = lock.try_write().unwrap();
    let msg = panic_message(|| drop(lock.read()));
    assert!(msg.contains("corun::sync::RwLock::read"), "{msg}");
    let msg = panic_message(|| drop(lock.write()));
    assert!(msg.contains("corun::sync::RwLock::write"), "{msg}");
}
