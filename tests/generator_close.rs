//! Close and drop: Python's `close()` and `finally`, ignored closes (in a
//! delegate too), and destructors that panic while a generator unwinds.

use corun::{Co, Generator, GeneratorState, IgnoredClose};
use std::cell::{Cell, RefCell};
use std::panic::{catch_unwind, AssertUnwindSafe};

mod common;
use common::{panic_message, payload_message, Finally};

#[test]
fn yield_while_closing_panics_inside_the_destructor() {
    // A destructor run by close tries to yield; the attempt must panic (and
    // that panic, caught here, must not abort) instead of suspending.
    let seen = RefCell::new(String::new());
    struct YieldOnDrop<'a>(&'a Co<u32>, &'a RefCell<String>);
    impl Drop for YieldOnDrop<'_> {
        fn drop(&mut self) {
            let r = catch_unwind(AssertUnwindSafe(|| self.0.yield_(99)));
            *self.1.borrow_mut() = payload_message(r.expect_err("yield_ must refuse to suspend"));
        }
    }
    let mut g: Generator<'_, u32> = Generator::new(|co| {
        let _d = YieldOnDrop(co, &seen);
        co.yield_(1);
    });
    assert_eq!(g.start(), GeneratorState::Yielded(1));
    g.close();
    assert!(g.is_complete());
    let msg = seen.borrow();
    assert!(
        msg.contains("Co::yield_ called while the generator is unwinding"),
        "{msg}"
    );
}

#[test]
fn close_unstarted_drops_captures_without_running() {
    let log = RefCell::new(Vec::new());
    let ran = Cell::new(false);
    let captured = Finally(&log, "captured");
    let mut g: Generator<'_, u32> = Generator::new(|co| {
        let _keep = captured;
        ran.set(true);
        co.yield_(1);
    });
    assert!(log.borrow().is_empty());
    g.close();
    assert_eq!(*log.borrow(), ["captured"]);
    assert!(!ran.get());
    assert!(!g.is_started() && g.is_complete());
    g.close();
    drop(g);
    assert_eq!(log.borrow().len(), 1, "captures dropped exactly once");
}

#[test]
fn drop_unstarted_drops_captures() {
    let log = RefCell::new(Vec::new());
    let captured = Finally(&log, "captured");
    let g: Generator<'_, u32> = Generator::new(move |co| {
        let _keep = captured;
        co.yield_(1);
    });
    drop(g);
    assert_eq!(*log.borrow(), ["captured"]);
}

/// Panics the first time it is dropped; counts every drop.
struct PanicsOnFirstDrop<'a>(&'a Cell<u32>);

impl Drop for PanicsOnFirstDrop<'_> {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
        if self.0.get() == 1 {
            panic!("first drop panics");
        }
    }
}

/// Closing an unstarted generator whose capture panics in `Drop` still
/// leaves it complete, so the capture is not dropped a second time later.
#[test]
fn an_unstarted_body_whose_capture_panics_is_dropped_once() {
    let drops = Cell::new(0);
    let cap = PanicsOnFirstDrop(&drops);
    let mut g: Generator<'_, u32> = Generator::new(move |co| {
        let _c = cap;
        co.yield_(1);
    });
    let err = catch_unwind(AssertUnwindSafe(|| g.close())).unwrap_err();
    assert_eq!(*err.downcast_ref::<&str>().unwrap(), "first drop panics");
    assert!(g.is_complete());
    assert!(!g.is_started(), "the body never ran");
    drop(g);
    assert_eq!(drops.get(), 1);
}

#[test]
fn close_complete_is_a_no_op() {
    let log = RefCell::new(Vec::new());
    let mut g: Generator<'_, u32, (), u32> = Generator::new(|co| {
        let _f = Finally(&log, "body");
        co.yield_(1);
        5
    });
    g.start();
    assert_eq!(g.send(()), GeneratorState::Complete(5));
    g.close();
    g.close();
    assert_eq!(g.try_close().ok(), Some(()));
    assert_eq!(*log.borrow(), ["body"]);
}

#[test]
fn close_during_delegation_runs_guards_innermost_first() {
    let log = RefCell::new(Vec::new());
    let mut g = Generator::new(|co: &Co<&str>| {
        let _f = Finally(&log, "g1");
        co.yield_("g1 ham");
        co.yield_from(Generator::new(|co: &Co<&str>| {
            let _f = Finally(&log, "g2");
            co.yield_("g2 spam");
            co.yield_from(Generator::new(|co: &Co<&str>| {
                let _f = Finally(&log, "g3");
                co.yield_("g3 x");
                log.borrow_mut().push("g3 unreachable");
            }));
            log.borrow_mut().push("g2 unreachable");
        }));
        log.borrow_mut().push("g1 unreachable");
    });
    assert_eq!(g.start(), GeneratorState::Yielded("g1 ham"));
    assert_eq!(g.send(()), GeneratorState::Yielded("g2 spam"));
    assert_eq!(g.send(()), GeneratorState::Yielded("g3 x"));
    g.close();
    assert_eq!(*log.borrow(), ["g3", "g2", "g1"]);
    assert!(g.is_complete());
}

#[test]
fn close_when_body_catches_and_returns() {
    // Python: `except GeneratorExit: return` closes normally.
    let log = RefCell::new(Vec::new());
    let mut g: Generator<'_, u32, (), u32> = Generator::new(|co| {
        let caught = catch_unwind(AssertUnwindSafe(|| co.yield_(1)));
        log.borrow_mut()
            .push(if caught.is_err() { "caught" } else { "sent" });
        42
    });
    g.start();
    g.close();
    assert_eq!(*log.borrow(), ["caught"]);
    assert!(g.is_complete());
}

fn stubborn<'l>(log: &'l RefCell<Vec<&'static str>>) -> Generator<'l, u32> {
    Generator::new(move |co| {
        let _f = Finally(log, "stubborn");
        let _ = catch_unwind(AssertUnwindSafe(|| co.yield_(1)));
        co.yield_(2);
        co.yield_(3);
    })
}

#[test]
fn try_close_reports_an_ignored_close() {
    let log = RefCell::new(Vec::new());
    let mut g = stubborn(&log);
    g.start();
    let err: IgnoredClose<u32> = g.try_close().unwrap_err();
    assert!(err.to_string().contains("ignored close()"), "{err}");
    assert!(format!("{err:?}").contains("IgnoredClose"));
    assert_eq!(err.into_value(), Some(2));
    assert!(!g.is_complete());
    // Still suspended at `yield_(2)`: it can go on.
    assert_eq!(g.send(()), GeneratorState::Yielded(3));
    assert_eq!(g.try_close().ok(), Some(()));
    assert!(g.is_complete());
    assert_eq!(*log.borrow(), ["stubborn"]);
}

#[test]
fn close_panics_on_an_ignored_close_and_leaves_it_suspended() {
    let log = RefCell::new(Vec::new());
    let mut g = stubborn(&log);
    g.start();
    let msg = panic_message(|| g.close());
    assert!(
        msg.contains("Generator::close: the generator ignored close()")
            && msg.contains("stays suspended"),
        "{msg}"
    );
    assert!(g.is_started() && !g.is_complete());
    assert!(log.borrow().is_empty());
    g.close(); // the unwind now starts at `yield_(2)`, which does not catch it
    assert!(g.is_complete());
    assert_eq!(*log.borrow(), ["stubborn"]);
}

#[test]
fn ignored_close_inside_a_delegate_unwinds_the_delegators() {
    // Python raises RuntimeError in the delegator when its sub ignores
    // GeneratorExit: the delegator unwinds, and the whole generator is done.
    let log = RefCell::new(Vec::new());
    let mut g: Generator<'_, u32> = Generator::new(|co| {
        let _f = Finally(&log, "outer");
        co.yield_from(stubborn(&log));
        log.borrow_mut().push("outer unreachable");
    });
    assert_eq!(g.start(), GeneratorState::Yielded(1));
    let err = g.try_close().unwrap_err();
    assert_eq!(err.into_value(), None);
    assert!(g.is_complete());
    // The ignoring sub is dropped (closed again, this time for good) as the
    // delegator unwinds past it.
    assert_eq!(*log.borrow(), ["stubborn", "outer"]);
    g.close();
    assert_eq!(log.borrow().len(), 2);
}

/// Closing a delegator whose sub ignores the close: Python raises
/// RuntimeError into the delegator, whose `finally` runs, and the delegator
/// ends CLOSED.
#[test]
fn a_sub_that_ignores_close_unwinds_its_delegator() {
    let log = RefCell::new(Vec::new());
    let mut g = Generator::new(|co: &Co<u32>| {
        let _f = Finally(&log, "g1 finally");
        co.yield_from(Generator::new(|co: &Co<u32>| {
            let _f = Finally(&log, "g2 finally");
            let _ = catch_unwind(AssertUnwindSafe(|| co.yield_(1)));
            log.borrow_mut().push("g2 caught close, yields 2");
            co.yield_(2);
            log.borrow_mut().push("g2 unreachable");
        }));
    });
    assert_eq!(g.start().yielded(), Some(1));
    let err = g.try_close().unwrap_err();
    assert_eq!(
        err.into_value(),
        None,
        "a delegate's yield is not handed out"
    );
    assert!(g.is_complete(), "the delegator ends closed, as in Python");
    assert_eq!(
        *log.borrow(),
        ["g2 caught close, yields 2", "g2 finally", "g1 finally"],
        "the ignoring sub is closed again when its slot drops, then g1 unwinds"
    );
}

#[test]
fn close_panics_with_the_ignored_message_when_a_sub_ignores() {
    let mut g = Generator::new(|co: &Co<u32>| {
        co.yield_from(Generator::new(|co: &Co<u32>| {
            let _ = catch_unwind(AssertUnwindSafe(|| co.yield_(1)));
            co.yield_(2);
        }));
    });
    g.start();
    let panic = catch_unwind(AssertUnwindSafe(|| g.close())).unwrap_err();
    let msg = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(msg.contains("ignored close"), "{msg}");
    assert!(g.is_complete());
}

#[test]
fn dropping_a_suspended_generator_closes_it() {
    let log = RefCell::new(Vec::new());
    let mut g: Generator<'_, u32> = Generator::new(|co| {
        let _f = Finally(&log, "outer");
        co.yield_from(Generator::new(|co: &Co<u32>| {
            let _f = Finally(&log, "inner");
            co.yield_(1);
        }));
    });
    g.start();
    drop(g);
    assert_eq!(*log.borrow(), ["inner", "outer"]);
}

#[test]
fn dropping_a_stubborn_generator_leaks_it_and_goes_on() {
    let log = RefCell::new(Vec::new());
    let mut g = stubborn(&log);
    g.start();
    drop(g);
    // The body ignored the close, so no more of it runs: its guard is leaked.
    assert!(log.borrow().is_empty());
    let mut other: Generator<'_, u32> = Generator::new(|co| {
        co.yield_(1);
        co.yield_(2);
    });
    assert_eq!(other.start(), GeneratorState::Yielded(1));
    assert_eq!(other.send(()), GeneratorState::Yielded(2));
}

/// Panics when dropped, unless already unwinding (which would abort).
struct PanicOnDrop;

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            panic!("guard boom");
        }
    }
}

fn panics_after_close() -> Generator<'static, u32> {
    Generator::new(|co| {
        let guard = PanicOnDrop;
        // The body survives the close, then its guard panics as it is dropped
        // outside the unwind: that panic must reach whoever closed it.
        let caught = catch_unwind(AssertUnwindSafe(|| co.yield_(1)));
        assert!(caught.is_err());
        drop(guard);
    })
}

#[test]
fn guard_panicking_during_close_propagates_from_close() {
    let mut g = panics_after_close();
    g.start();
    assert_eq!(panic_message(|| g.close()), "guard boom");
    assert!(g.is_complete());

    let mut g = panics_after_close();
    g.start();
    assert_eq!(
        panic_message(|| g.try_close()),
        "guard boom",
        "try_close resumes a destructor's panic too"
    );
}

#[test]
fn guard_panicking_during_drop_propagates_from_drop() {
    let mut g = panics_after_close();
    g.start();
    assert_eq!(panic_message(move || drop(g)), "guard boom");
}

#[test]
fn guard_panicking_while_dropped_during_another_panic_does_not_abort() {
    // The generator is dropped by an unwind; its body's guard then panics.
    // Re-raising that would abort, so it is reported and dropped, and the
    // first panic goes on to the caller.
    struct AlwaysPanics;
    impl Drop for AlwaysPanics {
        fn drop(&mut self) {
            panic!("second panic");
        }
    }
    let msg = panic_message(|| {
        let mut g: Generator<'_, u32> = Generator::new(|co| {
            let guard = AlwaysPanics;
            let caught = catch_unwind(AssertUnwindSafe(|| co.yield_(1)));
            assert!(caught.is_err());
            drop(guard);
        });
        g.start();
        panic!("first panic");
    });
    assert_eq!(msg, "first panic");
}

#[test]
fn close_says_the_generator_is_complete_when_a_delegate_ignored_it() {
    let mut g: Generator<'_, u32> = Generator::new(|co| {
        co.yield_from(Generator::new(|co: &Co<u32>| {
            let _ = catch_unwind(AssertUnwindSafe(|| co.yield_(1)));
            co.yield_(2); // ignores the close
        }));
    });
    g.start();
    let msg = panic_message(|| g.close());
    assert!(msg.contains("complete all the same"), "{msg}");
    assert!(!msg.contains("stays suspended"), "{msg}");
    assert!(g.is_complete());
}
