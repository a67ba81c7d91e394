//! The generator protocol: start, send, throw, the Iterator view, state
//! helpers, Debug output, and every misuse panic with the message it gives.
//! Close and drop are in `generator_close.rs`.

use corun::{Co, Generator, GeneratorState};
use std::cell::{Cell, RefCell};
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};

mod common;
use common::{panic_message, DropCount, Finally};

fn three() -> Generator<'static, u32, u32, &'static str> {
    Generator::new(|co| {
        let a = co.yield_(1);
        let b = co.yield_(a + 1);
        if b == 0 {
            "zero"
        } else {
            "nonzero"
        }
    })
}

#[test]
fn start_send_complete() {
    let mut g = three();
    assert!(!g.is_started() && !g.is_complete());
    assert_eq!(g.start(), GeneratorState::Yielded(1));
    assert!(g.is_started() && !g.is_complete());
    assert_eq!(g.send(5), GeneratorState::Yielded(6));
    assert_eq!(g.send(0), GeneratorState::Complete("zero"));
    assert!(g.is_started() && g.is_complete());
}

#[test]
fn body_is_lazy() {
    let ran = Cell::new(false);
    let mut g: Generator<'_, ()> = Generator::new(|_| ran.set(true));
    assert!(!ran.get(), "the body must not run before start");
    assert_eq!(g.start(), GeneratorState::Complete(()));
    assert!(ran.get());
}

#[test]
fn start_twice_panics() {
    let mut g = three();
    g.start();
    let msg = panic_message(|| g.start());
    assert!(
        msg.contains("Generator::start: the generator has already started"),
        "{msg}"
    );
    // The misuse changed nothing: the body is still at its first yield.
    assert_eq!(g.send(1), GeneratorState::Yielded(2));
}

#[test]
fn send_before_start_panics() {
    let mut g = three();
    let msg = panic_message(|| g.send(1));
    assert!(
        msg.contains("Generator::send: the generator has not started; call start() first"),
        "{msg}"
    );
    assert!(!g.is_started());
    assert_eq!(g.start(), GeneratorState::Yielded(1));
}

#[test]
fn start_and_send_after_completion_panic() {
    let mut g = three();
    g.start();
    g.send(1);
    assert_eq!(g.send(1), GeneratorState::Complete("nonzero"));
    let msg = panic_message(|| g.send(1));
    assert!(
        msg.contains("Generator::send: the generator is already complete"),
        "{msg}"
    );
    let msg = panic_message(|| g.start());
    assert!(
        msg.contains("Generator::start: the generator is already complete"),
        "{msg}"
    );
}

#[test]
fn start_after_close_before_start_panics() {
    let mut g = three();
    g.close();
    let msg = panic_message(|| g.start());
    assert!(msg.contains("is already complete"), "{msg}");
}

#[test]
fn foreign_co_yield_panics() {
    let mut outer: Generator<'_, u32> = Generator::new(|co| {
        let mut inner: Generator<'_, u32> = Generator::new(|_own| {
            co.yield_(1);
        });
        inner.start();
    });
    let msg = panic_message(|| outer.start());
    assert!(
        msg.contains("Co::yield_ called on a Co that does not belong to the running generator"),
        "{msg}"
    );
    assert!(outer.is_complete());
}

#[test]
fn foreign_co_yield_from_panics() {
    let mut outer: Generator<'_, u32> = Generator::new(|co| {
        let mut inner: Generator<'_, u32> = Generator::new(|_own| {
            co.yield_from(Generator::new(|c: &Co<u32>| c.yield_(1)));
        });
        inner.start();
    });
    let msg = panic_message(|| outer.start());
    assert!(
        msg.contains("Co::yield_from called on a Co that does not belong"),
        "{msg}"
    );
}

#[test]
fn yield_from_started_sub_panics() {
    let log = RefCell::new(Vec::new());
    let mut g: Generator<'_, u32> = Generator::new(|co| {
        let mut sub: Generator<'_, u32> = Generator::new(|c| {
            let _f = Finally(&log, "sub");
            c.yield_(1);
        });
        sub.start();
        co.yield_from(sub);
    });
    let msg = panic_message(|| g.start());
    assert!(
        msg.contains("Co::yield_from: the subgenerator has already started")
            && msg.contains("yield_from_with"),
        "{msg}"
    );
    // The refused sub was closed as it was dropped during the unwind.
    assert_eq!(*log.borrow(), ["sub"]);
    assert!(g.is_complete());
}

#[test]
fn yield_from_complete_sub_panics() {
    for with in [false, true] {
        let mut g: Generator<'_, u32, u32> = Generator::new(|co| {
            let mut sub: Generator<'_, u32, u32> = Generator::new(|_| ());
            assert!(sub.start().is_complete());
            if with {
                co.yield_from_with(sub, 7);
            } else {
                co.yield_from(sub);
            }
        });
        let msg = panic_message(|| g.start());
        assert!(
            msg.contains("Co::yield_from: the subgenerator is already complete"),
            "{msg}"
        );
    }
}

#[test]
fn yield_from_closed_unstarted_sub_panics() {
    let mut g: Generator<'_, u32> = Generator::new(|co| {
        let mut sub: Generator<'_, u32> = Generator::new(|c| c.yield_(1));
        sub.close();
        co.yield_from(sub);
    });
    let msg = panic_message(|| g.start());
    assert!(msg.contains("already complete"), "{msg}");
}

#[test]
fn yield_from_with_fresh_sub_starts_it_and_drops_first() {
    let mut g: Generator<'_, u32, u32, u32> = Generator::new(|co| {
        let sub = Generator::new(|c: &Co<u32, u32>| c.yield_(10) * 2);
        co.yield_from_with(sub, 1234) + 1
    });
    assert_eq!(g.start(), GeneratorState::Yielded(10));
    assert_eq!(g.send(4), GeneratorState::Complete(9));
}

#[test]
fn body_panic_propagates_with_payload() {
    #[derive(Debug, PartialEq)]
    struct Boom(u32);
    let log = RefCell::new(Vec::new());
    let mut g: Generator<'_, u32> = Generator::new(|co| {
        let _f = Finally(&log, "body");
        co.yield_(1);
        std::panic::panic_any(Boom(7));
    });
    g.start();
    let p = catch_unwind(AssertUnwindSafe(|| g.send(()))).unwrap_err();
    assert_eq!(*p.downcast::<Boom>().unwrap(), Boom(7));
    assert_eq!(*log.borrow(), ["body"]);
    assert!(g.is_complete());
    g.close(); // a no-op now
    assert!(panic_message(|| g.send(())).contains("already complete"));
}

#[test]
fn iterator_collects_and_is_fused() {
    let mut g = Generator::new(|co| {
        for i in 0..3u8 {
            co.yield_(i);
        }
    });
    assert_eq!(g.by_ref().take(2).collect::<Vec<_>>(), [0, 1]);
    assert!(g.is_started());
    assert_eq!(g.next(), Some(2));
    for _ in 0..3 {
        assert_eq!(g.next(), None);
    }
    assert!(g.is_complete());
}

#[test]
fn iterator_continues_a_started_generator_and_drops_the_return_value() {
    let dropped = Cell::new(0);
    let mut g = Generator::new(|co| {
        co.yield_('a');
        co.yield_('b');
        DropCount(&dropped)
    });
    assert_eq!(g.start().yielded(), Some('a'));
    assert_eq!(g.by_ref().collect::<String>(), "b");
    assert_eq!(dropped.get(), 1, "the return value is dropped by next()");
    assert_eq!(g.next(), None);
    assert_eq!(dropped.get(), 1);
}

#[test]
fn iterator_after_panic_and_after_close() {
    let mut g: Generator<'_, u8> = Generator::new(|co| {
        co.yield_(1);
        panic!("iter boom");
    });
    assert_eq!(g.next(), Some(1));
    assert_eq!(panic_message(|| g.next()), "iter boom");
    assert_eq!(g.next(), None);

    let mut unstarted: Generator<'_, u8> = Generator::new(|co| co.yield_(1));
    unstarted.close();
    assert_eq!(unstarted.next(), None);
}

#[test]
fn throw_into_suspended_unstarted_and_complete() {
    type G<'a> = Generator<'a, u32, Result<u32, String>, Result<u32, String>>;
    let log = RefCell::new(Vec::new());
    let body = |co: &Co<u32, Result<u32, String>>| {
        let _f = Finally(&log, "body");
        // Python 15: an error caught inside the body, which yields again.
        let x = co.yield_(1).unwrap_or(100);
        let y = co.yield_(x)?;
        Ok(x + y)
    };
    let mut g: G<'_> = Generator::new(body);
    g.start();
    assert_eq!(g.throw("e1".into()), Ok(GeneratorState::Yielded(100)));
    assert_eq!(
        g.throw("e2".into()),
        Ok(GeneratorState::Complete(Err("e2".into())))
    );
    assert_eq!(*log.borrow(), ["body"]);
    assert_eq!(g.throw("e3".into()), Err("e3".into()));

    // Unstarted: the error comes straight back and the body never runs.
    let mut g: G<'_> = Generator::new(body);
    assert_eq!(g.throw("e4".into()), Err("e4".into()));
    assert!(!g.is_started() && g.is_complete());
    assert_eq!(*log.borrow(), ["body"]);
}

#[test]
fn resume_returns_to_the_current_caller() {
    // The same generator driven first from the test, then from inside another
    // generator's body: each yield goes back to whoever resumed it.
    let shared: RefCell<Generator<'_, u32, (), ()>> = RefCell::new(Generator::new(|co| {
        for i in 0..4 {
            co.yield_(i);
        }
    }));
    assert_eq!(shared.borrow_mut().start(), GeneratorState::Yielded(0));
    let mut driver: Generator<'_, u32> = Generator::new(|co| {
        let got = shared.borrow_mut().send(()).yielded().unwrap();
        co.yield_(got * 10);
        let got = shared.borrow_mut().send(()).yielded().unwrap();
        co.yield_(got * 10);
    });
    assert_eq!(driver.start(), GeneratorState::Yielded(10));
    assert_eq!(driver.send(()), GeneratorState::Yielded(20));
    assert_eq!(shared.borrow_mut().send(()), GeneratorState::Yielded(3));
    assert_eq!(driver.send(()), GeneratorState::Complete(()));
}

#[test]
fn generator_state_helpers() {
    let y: GeneratorState<u32, &str> = GeneratorState::Yielded(3);
    let c: GeneratorState<u32, &str> = GeneratorState::Complete("done");
    assert!(y.is_yielded() && !y.is_complete());
    assert!(c.is_complete() && !c.is_yielded());
    assert_eq!(y.yielded(), Some(3));
    assert_eq!(y.complete(), None);
    assert_eq!(c.yielded(), None);
    assert_eq!(c.complete(), Some("done"));
    let copy = y;
    assert_eq!(copy, y);
    assert_ne!(y, c);
    let set: std::collections::HashSet<_> = [y, c, y].into_iter().collect();
    assert_eq!(set.len(), 2);
    assert_eq!(format!("{y:?}"), "Yielded(3)");
}

#[test]
fn debug_output_mentions_the_state() {
    let mut g: Generator<'_, u32> = Generator::new(|co| {
        co.yield_from(Generator::new(|co: &Co<u32>| {
            co.yield_from(Generator::new(|co: &Co<u32>| co.yield_(1)));
        }));
    });
    assert!(format!("{g:?}").contains("\"created\""), "{g:?}");
    g.start();
    let s = format!("{g:?}");
    assert!(
        s.contains("\"suspended\"") && s.contains("delegation_depth: 2"),
        "{s}"
    );
    g.close();
    assert!(format!("{g:?}").contains("\"complete\""), "{g:?}");

    let mut seen = String::new();
    let mut h: Generator<'_, ()> = Generator::new(|co| seen = format!("{co:?}"));
    h.start();
    drop(h);
    assert!(
        seen.starts_with("Co") && seen.contains("stack_size"),
        "{seen}"
    );
}

#[test]
fn resume_unwind_payload_from_a_body_is_not_swallowed_as_close() {
    // A body that re-raises a foreign payload with resume_unwind is still a
    // panic for its caller, not a quiet close.
    let mut g: Generator<'_, u32> = Generator::new(|co| {
        co.yield_(1);
        resume_unwind(Box::new(5u8));
    });
    g.start();
    let p = catch_unwind(AssertUnwindSafe(|| g.send(()))).unwrap_err();
    assert_eq!(*p.downcast::<u8>().unwrap(), 5);
}

/// Context rule 2 (`src/stack/context.rs`): while an unstarted body is
/// dropped on its own stack, the resumer's `Co` is not the running one, so a
/// capture's `Drop` that yields through it panics instead of suspending the
/// resumer from a foreign stack.
#[test]
fn dropping_an_unstarted_body_hides_the_resumers_co() {
    struct YieldOnDrop<'c>(&'c Co<u32>);
    impl Drop for YieldOnDrop<'_> {
        fn drop(&mut self) {
            self.0.yield_(5);
        }
    }
    let mut outer: Generator<'_, u32> = Generator::new(|co| {
        let guard = YieldOnDrop(co);
        let inner: Generator<'_, u32> = Generator::new(move |_own| drop(guard));
        drop(inner);
    });
    let msg = panic_message(|| outer.start());
    assert!(msg.contains("outside any generator body"), "{msg}");
    assert!(outer.is_complete());
}

/// The file a panic raised by `f` reports (what the default hook prints
/// after "panicked at"). Other threads' panics go on to the previous hook.
fn panic_file(f: impl FnOnce()) -> String {
    use std::sync::{Arc, Mutex};
    let seen = Arc::new(Mutex::new(String::new()));
    let previous: Arc<dyn Fn(&std::panic::PanicHookInfo<'_>) + Send + Sync> =
        Arc::from(std::panic::take_hook());
    let (s, p, me) = (seen.clone(), previous.clone(), std::thread::current().id());
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().id() == me {
            *s.lock().unwrap() = info.location().unwrap().file().to_string();
        } else {
            p(info);
        }
    }));
    let _ = catch_unwind(AssertUnwindSafe(f));
    let _ = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| previous(info)));
    let file = seen.lock().unwrap().clone();
    file
}

/// Misuse panics name the user's line, not corun's (`track_caller`), so
/// the default hook's "panicked at" points at the mistake.
#[test]
fn misuse_panics_report_the_callers_location() {
    let here = std::panic::Location::caller().file();
    let mut g = three();
    assert_eq!(
        panic_file(|| {
            let _ = g.send(1);
        }),
        here,
        "send before start"
    );
    g.start();
    assert_eq!(
        panic_file(|| {
            let _ = g.start();
        }),
        here,
        "start twice"
    );
    let mut done: Generator<u32, u32> = Generator::new(|_| {});
    done.start();
    assert_eq!(
        panic_file(|| {
            let _ = done.send(0);
        }),
        here,
        "send when complete"
    );
    let mut outer = Generator::new(|co: &Co<u32>| {
        // The outer body's Co, used from another generator's body.
        let mut inner = Generator::new(|_inner: &Co<u32>| co.yield_(7));
        inner.next();
    });
    assert_eq!(
        panic_file(|| {
            let _ = outer.next();
        }),
        here,
        "a stray Co"
    );
}
