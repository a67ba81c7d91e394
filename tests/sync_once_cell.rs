//! `sync::OnceCell`: one initialiser at a time, which may suspend; everyone
//! else waits and finds its value; a failed, panicking or cancelled
//! initialiser leaves the cell empty for the next; set; async forms; plain
//! threads and runtime workers at once.

use corun::sync::OnceCell;
use corun::{yield_now, Executor};
use std::cell::Cell;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

mod common;
use common::blocked;

#[test]
fn concurrent_callers_run_one_initialiser_that_may_suspend() {
    let ex = Executor::new();
    let cell = Rc::new(OnceCell::new());
    let runs = Rc::new(Cell::new(0));
    let callers: Vec<_> = (0..5)
        .map(|i| {
            let (cell, runs) = (cell.clone(), runs.clone());
            ex.spawn(move || {
                *cell.get_or_init(|| {
                    runs.set(runs.get() + 1);
                    corun::sleep(Duration::from_millis(2)); // the others wait meanwhile
                    i * 100
                })
            })
        })
        .collect();
    let got = ex.block_on(|| {
        // One initialises (asleep), the other four wait for it (a
        // cross-thread wait yields a few times before it suspends).
        let waiting = |ex: &Executor| {
            blocked(ex)
                .iter()
                .filter(|b| b.contains("OnceCell"))
                .count()
        };
        for _ in 0..1000 {
            if waiting(&ex) == 4 {
                break;
            }
            yield_now();
        }
        assert_eq!(waiting(&ex), 4, "{:?}", ex.tasks());
        callers
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect::<Vec<_>>()
    });
    assert_eq!(runs.get(), 1);
    assert_eq!(
        got, [0; 5],
        "every caller got the first initialiser's value"
    );
    assert_eq!(cell.get(), Some(&0));
}

#[test]
fn a_failed_panicking_or_cancelled_initialiser_leaves_the_cell_to_the_next() {
    let ex = Executor::new();
    let cell = Rc::new(OnceCell::new());
    ex.block_on(|| {
        assert_eq!(cell.get_or_try_init(|| Err("refused")), Err("refused"));
        assert!(!cell.initialized());
        let c = cell.clone();
        let panicked = corun::spawn(move || *c.get_or_init(|| panic!("boom")));
        assert!(panicked.join().unwrap_err().is_panic());
        assert!(!cell.initialized());
        // A cancelled initialiser, with a waiter behind it that takes over.
        let c = cell.clone();
        let slow = corun::spawn(move || {
            *c.get_or_init(|| {
                corun::sleep(Duration::from_secs(3600));
                1
            })
        });
        let c = cell.clone();
        let next = corun::spawn(move || *c.get_or_init(|| 2));
        yield_now();
        slow.cancel();
        assert!(slow.join().unwrap_err().is_cancelled());
        assert_eq!(next.join().unwrap(), 2);
    });
    assert_eq!(cell.get(), Some(&2));
}

#[test]
fn set_hands_the_value_back_and_says_why() {
    let ex = Executor::new();
    let cell = Rc::new(OnceCell::new());
    ex.block_on(|| {
        let c = cell.clone();
        let init = corun::spawn(move || {
            *c.get_or_init(|| {
                yield_now();
                yield_now();
                "init"
            })
        });
        yield_now(); // the initialiser is running
        let e = cell.set("set").unwrap_err();
        assert!(e.is_initializing(), "{e}");
        assert_eq!(e.into_inner(), "set");
        assert_eq!(init.join().unwrap(), "init");
        let e = cell.set("late").unwrap_err();
        assert!(!e.is_initializing(), "{e}");
    });
    let mut cell = Rc::try_unwrap(cell).unwrap();
    assert_eq!(cell.take(), Some("init"));
    assert!(cell.set("again").is_ok());
    assert_eq!(cell.into_inner(), Some("again"));
    assert_eq!(OnceCell::from(5).get(), Some(&5));
}

#[test]
fn async_forms_in_future_tasks_and_a_blocking_call_there_says_what_to_use() {
    let ex = Executor::new();
    let cell = Rc::new(OnceCell::new());
    let runs = Rc::new(Cell::new(0));
    let tasks: Vec<_> = (0..3)
        .map(|i| {
            let (cell, runs) = (cell.clone(), runs.clone());
            ex.spawn_future(async move {
                *cell
                    .get_or_init_async(|| async move {
                        runs.set(runs.get() + 1);
                        corun::time::sleep_future(Duration::from_millis(1)).await;
                        i
                    })
                    .await
            })
        })
        .collect();
    let got: Vec<_> = ex.block_on(|| tasks.into_iter().map(|h| h.join().unwrap()).collect());
    assert_eq!((got, runs.get()), (vec![0, 0, 0], 1));
    let r = ex.block_on(|| {
        let c = OnceCell::<u8>::new();
        futures::executor::block_on(c.get_or_try_init_async(|| async { Err::<u8, _>("no") }))
            .copied()
    });
    assert_eq!(r, Err("no"));
    // The blocking form in a future task, with an initialiser running.
    let cell = Rc::new(OnceCell::<u8>::new());
    let (c1, c2) = (cell.clone(), cell.clone());
    let holder = ex.spawn(move || {
        *c1.get_or_init(|| {
            corun::sleep(Duration::from_millis(5));
            1
        })
    });
    let wrong = ex.spawn_future(async move { *c2.get_or_init(|| 2) });
    let err = ex.block_on(|| wrong.join()).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("OnceCell::get_or_init") && text.contains("future task"),
        "{text}"
    );
    assert_eq!(ex.block_on(|| holder.join().unwrap()), 1);
}

#[test]
fn threads_and_runtime_workers_share_one_initialisation() {
    let cell = Arc::new(OnceCell::new());
    let runs = Arc::new(AtomicUsize::new(0));
    let init = |runs: Arc<AtomicUsize>| {
        move || {
            runs.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(2));
            String::from("shared")
        }
    };
    let rt = corun::Runtime::builder().workers(2).build().unwrap();
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let (cell, runs) = (cell.clone(), runs.clone());
            rt.spawn(move || cell.get_or_init(init(runs)).clone())
        })
        .collect();
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let (cell, runs) = (cell.clone(), runs.clone());
            std::thread::spawn(move || cell.get_or_init(init(runs)).clone())
        })
        .collect();
    for t in tasks {
        assert_eq!(t.join().unwrap(), "shared");
    }
    for t in threads {
        assert_eq!(t.join().unwrap(), "shared");
    }
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}

#[test]
fn a_call_from_inside_its_own_initialiser_panics_instead_of_hanging() {
    let ex = Executor::new();
    let cell = Rc::new(OnceCell::<u32>::new());
    let c = cell.clone();
    let h = ex.spawn(move || *c.get_or_init(|| *c.get_or_init(|| 1) + 1));
    let err = ex.block_on(|| h.join()).unwrap_err();
    assert!(err.to_string().contains("own initialiser"), "{err}");
    assert!(!cell.initialized(), "the failed initialiser left it empty");
    // On a plain thread, too; and the cell still works afterwards.
    let cell = OnceCell::<u32>::new();
    let msg = common::panic_message(|| *cell.get_or_init(|| *cell.get_or_init(|| 1)));
    assert!(msg.contains("own initialiser"), "{msg}");
    assert_eq!(*cell.get_or_init(|| 3), 3);
    // Another task of the same thread is not refused: it waits its turn.
    let cell = Rc::new(OnceCell::new());
    let (c1, c2) = (cell.clone(), cell.clone());
    let first = ex.spawn(move || {
        *c1.get_or_init(|| {
            yield_now();
            yield_now();
            5
        })
    });
    let second = ex.spawn(move || *c2.get_or_init(|| 6));
    assert_eq!(
        ex.block_on(|| (first.join().unwrap(), second.join().unwrap())),
        (5, 5)
    );
}
