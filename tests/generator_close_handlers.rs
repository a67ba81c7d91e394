//! Bodies that catch their close and then delegate (Python: `except
//! GeneratorExit: r = yield from sub()`): the new subgenerator runs as any
//! delegate does, and only a value yielded in answer to the close means the
//! close was ignored. Each expected trace is the one CPython 3.11 prints for
//! the program in the test's comment.

use corun::{Co, Generator, GeneratorState};
use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};

mod common;
use common::Finally;

type Log = RefCell<Vec<String>>;

fn push(log: &Log, line: impl Into<String>) {
    log.borrow_mut().push(line.into());
}

/// `def sub(): try: print("sub: start"); yield "sub 1"; print("sub:
/// after"); return "sub ret" finally: print("sub: finally")`
fn sub<'l>(log: &'l Log) -> impl FnOnce(&Co<String>) -> String + 'l {
    move |co| {
        let _finally = Finally(log, "sub: finally".to_string());
        push(log, "sub: start");
        co.yield_("sub 1".into());
        push(log, "sub: after");
        "sub ret".into()
    }
}

/// `def quick(): print("quick: start"); return 5`
fn quick(log: &Log) -> impl FnOnce(&Co<String>) -> u32 + '_ {
    move |_| {
        push(log, "quick: start");
        5
    }
}

// def g():
//     try: yield "1"
//     except GeneratorExit:
//         r = yield from sub(); print("g: sub returned", r)
//     print("g: end")
// g.close() raises RuntimeError (ignored), g stays suspended; next(g) ends it.
#[test]
fn a_root_that_catches_its_close_and_delegates_to_a_yielding_sub_ignored_it() {
    let log = Log::default();
    let mut g: Generator<'_, String> = Generator::new(|co| {
        if catch_unwind(AssertUnwindSafe(|| co.yield_("1".into()))).is_err() {
            let r = co.yield_from(Generator::new(sub(&log)));
            push(&log, format!("g: sub returned {r}"));
        }
        push(&log, "g: end");
    });
    assert!(matches!(g.start(), GeneratorState::Yielded(v) if v == "1"));
    let ignored = g.try_close().unwrap_err();
    assert_eq!(ignored.into_value().as_deref(), Some("sub 1"));
    assert!(!g.is_complete(), "it stays suspended, in the sub");
    assert_eq!(g.next(), None);
    assert_eq!(
        *log.borrow(),
        [
            "sub: start",
            "sub: after",
            "sub: finally",
            "g: sub returned sub ret",
            "g: end"
        ]
    );
}

// def g():
//     try: yield "1"
//     except GeneratorExit:
//         r = yield from quick(); print("g: quick returned", r); return
// g.close() returns normally.
#[test]
fn a_root_that_catches_its_close_and_delegates_to_a_sub_that_returns_closes() {
    let log = Log::default();
    let mut g: Generator<'_, String, (), &str> = Generator::new(|co| {
        if catch_unwind(AssertUnwindSafe(|| co.yield_("1".into()))).is_err() {
            let r = co.yield_from(Generator::new(quick(&log)));
            push(&log, format!("g: quick returned {r}"));
            return "cleaned";
        }
        "ended"
    });
    g.start();
    assert!(g.try_close().is_ok());
    assert!(g.is_complete());
    assert_eq!(*log.borrow(), ["quick: start", "g: quick returned 5"]);
}

// def mid():
//     try: yield from inner()
//     except GeneratorExit:
//         r = yield from quick(); print("mid: quick returned", r); raise
//     finally: print("mid: finally")
// def top(): try: yield from mid() finally: print("top: finally")
// top.close() returns normally.
#[test]
fn a_delegate_that_catches_the_close_and_delegates_to_a_sub_that_returns_closes() {
    let log = Log::default();
    let mut top: Generator<'_, String> = Generator::new(|co| {
        let _finally = Finally(&log, "top: finally".to_string());
        co.yield_from(Generator::new(|co: &Co<String>| {
            let _finally = Finally(&log, "mid: finally".to_string());
            let inner = Generator::new(|co: &Co<String>| {
                let _finally = Finally(&log, "inner: finally".to_string());
                co.yield_("inner 1".into());
            });
            if let Err(close) = catch_unwind(AssertUnwindSafe(|| co.yield_from(inner))) {
                let r = co.yield_from(Generator::new(quick(&log)));
                push(&log, format!("mid: quick returned {r}"));
                std::panic::resume_unwind(close);
            }
        }));
    });
    assert!(matches!(top.start(), GeneratorState::Yielded(v) if v == "inner 1"));
    assert!(top.try_close().is_ok());
    assert_eq!(
        *log.borrow(),
        [
            "inner: finally",
            "quick: start",
            "mid: quick returned 5",
            "mid: finally",
            "top: finally"
        ]
    );
}

// def mid():
//     try: yield "mid 1"
//     except GeneratorExit:
//         r = yield from sub(); print("mid: sub returned", r)
//     finally: print("mid: finally")
// def top(): try: yield from mid() finally: print("top: finally")
// top.close() raises RuntimeError ("generator ignored GeneratorExit"): mid
// ignored it; mid is closed as its delegator unwinds, its sub first.
#[test]
fn a_delegate_that_catches_the_close_and_delegates_to_a_yielding_sub_ignored_it() {
    let log = Log::default();
    let mut top: Generator<'_, String> = Generator::new(|co| {
        let _finally = Finally(&log, "top: finally".to_string());
        co.yield_from(Generator::new(|co: &Co<String>| {
            let _finally = Finally(&log, "mid: finally".to_string());
            if catch_unwind(AssertUnwindSafe(|| co.yield_("mid 1".into()))).is_err() {
                let r = co.yield_from(Generator::new(sub(&log)));
                push(&log, format!("mid: sub returned {r}"));
            }
        }));
        push(&log, "top: mid returned");
    });
    assert!(matches!(top.start(), GeneratorState::Yielded(v) if v == "mid 1"));
    let ignored = top.try_close().unwrap_err();
    assert_eq!(ignored.into_value(), None, "a delegate ignored it");
    assert!(top.is_complete());
    assert_eq!(
        *log.borrow(),
        ["sub: start", "sub: finally", "mid: finally", "top: finally"]
    );
}

// Outside any task, a wait cannot be forwarded: each level's first wait
// during the close is cut short by closing it once more. A sub the root
// started in its handler is a level of its own; the root's wait after it
// still gets its cut, and every destructor runs.
#[test]
fn outside_a_task_each_level_a_handler_starts_gets_its_own_cut_wait() {
    for depth in [0, 1] {
        let log = Log::default();
        let handler = |co: &Co<String>, name: &'static str| {
            let _finally = Finally(&log, format!("{name}: finally"));
            if catch_unwind(AssertUnwindSafe(|| co.yield_("1".into()))).is_err() {
                let sub = catch_unwind(AssertUnwindSafe(|| {
                    co.yield_from(Generator::new(|_: &Co<String>| {
                        let _finally = Finally(&log, "sub: finally".to_string());
                        corun::yield_now(); // cut short: the sub is closed
                    }))
                }));
                assert!(sub.is_err(), "the closed sub's unwind reaches {name}");
                corun::yield_now(); // its own first wait: cut short too
            }
        };
        let mut g: Generator<'_, String> = Generator::new(|co| {
            let _finally = Finally(&log, "root: finally".to_string());
            if depth == 0 {
                handler(co, "root handler");
            } else {
                co.yield_from(Generator::new(|co: &Co<String>| handler(co, "mid")));
            }
        });
        g.start();
        assert!(g.try_close().is_ok(), "depth {depth}");
        assert!(g.is_complete());
        let expected: &[&str] = if depth == 0 {
            &["sub: finally", "root handler: finally", "root: finally"]
        } else {
            &["sub: finally", "mid: finally", "root: finally"]
        };
        assert_eq!(*log.borrow(), expected, "depth {depth}");
    }
}
