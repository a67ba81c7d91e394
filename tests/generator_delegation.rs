//! `yield from`: deep delegation chains, drop order, panics and errors at
//! every depth, iterators, and delegation to a generator already started.

use corun::{Co, Generator, GeneratorState};
use std::cell::RefCell;
use std::panic::{catch_unwind, panic_any, resume_unwind, AssertUnwindSafe};

mod common;
use common::Finally;

const DEEP: u64 = 1_000;

/// One level of a chain: yields on the way down, delegates to the level
/// below, yields on the way up, and returns the sum of everything it was sent
/// plus what the level below returned.
fn summing_level(co: &Co<u64, u64>, depth: u64, log: &RefCell<Vec<u64>>) -> u64 {
    let _f = Finally(log, depth);
    let down = co.yield_(depth);
    let below = if depth == 0 {
        0
    } else {
        co.yield_from(Generator::new(move |co| summing_level(co, depth - 1, log)))
    };
    let up = co.yield_(10_000 + depth);
    below + down + up
}

fn sent_down(depth: u64) -> u64 {
    depth * 3 + 1
}

fn sent_up(depth: u64) -> u64 {
    depth * 5 + 2
}

#[test]
fn deep_delegation_values_sends_and_returns() {
    let log = RefCell::new(Vec::new());
    let mut g = Generator::new(|co| summing_level(co, DEEP, &log));
    assert_eq!(g.start(), GeneratorState::Yielded(DEEP));
    for depth in (0..DEEP).rev() {
        assert_eq!(g.send(sent_down(depth + 1)), GeneratorState::Yielded(depth));
    }
    assert!(format!("{g:?}").contains(&format!("delegation_depth: {DEEP}")));
    assert_eq!(g.send(sent_down(0)), GeneratorState::Yielded(10_000));
    for depth in 1..=DEEP {
        assert_eq!(
            g.send(sent_up(depth - 1)),
            GeneratorState::Yielded(10_000 + depth)
        );
        // The level below returned, so its guard has run, and only it.
        assert_eq!(log.borrow().last(), Some(&(depth - 1)));
        assert_eq!(log.borrow().len() as u64, depth);
    }
    let expected: u64 = (0..=DEEP).map(|d| sent_down(d) + sent_up(d)).sum();
    assert_eq!(g.send(sent_up(DEEP)), GeneratorState::Complete(expected));
    assert_eq!(*log.borrow(), (0..=DEEP).collect::<Vec<_>>());
}

#[test]
fn drop_at_depth_runs_guards_innermost_first() {
    for close in [false, true] {
        let log = RefCell::new(Vec::new());
        let mut g = Generator::new(|co| summing_level(co, DEEP, &log));
        g.start();
        for depth in (0..DEEP).rev() {
            assert_eq!(g.send(0), GeneratorState::Yielded(depth));
        }
        if close {
            g.close();
            assert!(g.is_complete());
        } else {
            drop(g);
        }
        assert_eq!(*log.borrow(), (0..=DEEP).collect::<Vec<_>>());
    }
}

#[derive(Debug, PartialEq)]
struct Boom {
    depth: usize,
    note: String,
}

/// A chain of `levels` generators, position 0 the root. The level at
/// `panic_at` panics either before delegating or after its sub returned.
fn panicking_chain(
    co: &Co<usize>,
    pos: usize,
    levels: usize,
    panic_at: usize,
    on_the_way_up: bool,
    log: &RefCell<Vec<usize>>,
) {
    let _f = Finally(log, pos);
    co.yield_(pos);
    let boom = || {
        panic_any(Boom {
            depth: pos,
            note: format!("level {pos}"),
        })
    };
    if pos == panic_at && !on_the_way_up {
        boom();
    }
    if pos + 1 < levels {
        co.yield_from(Generator::new(move |co| {
            panicking_chain(co, pos + 1, levels, panic_at, on_the_way_up, log)
        }));
    }
    if pos == panic_at {
        boom();
    }
    co.yield_(100 + pos);
}

#[test]
fn panics_at_every_depth_on_the_way_down() {
    const LEVELS: usize = 12;
    for k in 0..LEVELS {
        let log = RefCell::new(Vec::new());
        let mut g = Generator::new(|co| panicking_chain(co, 0, LEVELS, k, false, &log));
        assert_eq!(g.start(), GeneratorState::Yielded(0));
        for pos in 1..=k {
            assert_eq!(g.send(()), GeneratorState::Yielded(pos));
        }
        let payload = catch_unwind(AssertUnwindSafe(|| g.send(()))).unwrap_err();
        let boom = payload.downcast::<Boom>().expect("payload type kept");
        assert_eq!(
            *boom,
            Boom {
                depth: k,
                note: format!("level {k}")
            }
        );
        assert_eq!(*log.borrow(), (0..=k).rev().collect::<Vec<_>>());
        assert!(g.is_complete());
        assert_eq!(g.next(), None);
    }
}

#[test]
fn panics_at_every_depth_on_the_way_up() {
    const LEVELS: usize = 12;
    for k in 0..LEVELS {
        let log = RefCell::new(Vec::new());
        let mut g = Generator::new(|co| panicking_chain(co, 0, LEVELS, k, true, &log));
        assert_eq!(g.start(), GeneratorState::Yielded(0));
        for pos in 1..LEVELS {
            assert_eq!(g.send(()), GeneratorState::Yielded(pos));
        }
        // Levels below k yield again on their way up, then return.
        for pos in (k + 1..LEVELS).rev() {
            assert_eq!(g.send(()), GeneratorState::Yielded(100 + pos));
        }
        let payload = catch_unwind(AssertUnwindSafe(|| g.send(()))).unwrap_err();
        assert_eq!(payload.downcast::<Boom>().unwrap().depth, k);
        assert_eq!(*log.borrow(), (0..LEVELS).rev().collect::<Vec<_>>());
        assert!(g.is_complete());
    }
}

#[test]
fn a_delegator_catches_its_subs_panic_and_goes_on() {
    // Python: try: yield from sub() except E: ... (case 41).
    let log = RefCell::new(Vec::new());
    let mut g = Generator::new(|co: &Co<usize>| {
        let _f = Finally(&log, 0);
        let caught = catch_unwind(AssertUnwindSafe(|| {
            co.yield_from(Generator::new(|co| {
                panicking_chain(co, 1, 4, 3, false, &log)
            }))
        }));
        match caught {
            Ok(()) => unreachable!("the chain panics"),
            Err(p) => match p.downcast::<Boom>() {
                Ok(b) => co.yield_(1_000 + b.depth),
                Err(other) => resume_unwind(other),
            },
        };
        co.yield_(2_000);
    });
    assert_eq!(g.by_ref().take(3).collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(g.next(), Some(1_003));
    assert_eq!(*log.borrow(), [3, 2, 1]);
    assert_eq!(g.next(), Some(2_000));
    assert_eq!(g.next(), None);
    assert_eq!(*log.borrow(), [3, 2, 1, 0]);
}

type Sent = Result<u32, String>;

/// A chain where every level propagates errors with `?`; the innermost
/// records which error reached it.
fn fallible_named(
    co: &Co<u32, Sent>,
    pos: u32,
    levels: u32,
    log: &RefCell<Vec<String>>,
) -> Result<u32, String> {
    let _f = Finally(log, format!("finally {pos}"));
    let got = co.yield_(pos);
    if pos + 1 == levels {
        if let Err(e) = &got {
            log.borrow_mut().push(format!("innermost got {e}"));
        }
    }
    let v = got?;
    let below = if pos + 1 < levels {
        co.yield_from(Generator::new(move |co| {
            fallible_named(co, pos + 1, levels, log)
        }))?
    } else {
        0
    };
    Ok(v + below)
}

#[test]
fn errors_sent_in_reach_the_innermost_and_propagate() {
    const LEVELS: u32 = 50;
    for use_throw in [false, true] {
        let log = RefCell::new(Vec::new());
        let mut g = Generator::new(|co| fallible_named(co, 0, LEVELS, &log));
        assert_eq!(g.start(), GeneratorState::Yielded(0));
        for pos in 1..LEVELS {
            assert_eq!(g.send(Ok(pos)), GeneratorState::Yielded(pos));
        }
        let outcome = if use_throw {
            g.throw("bad".into()).unwrap()
        } else {
            g.send(Err("bad".into()))
        };
        assert_eq!(outcome, GeneratorState::Complete(Err("bad".into())));
        let mut expected = vec!["innermost got bad".to_string()];
        expected.extend((0..LEVELS).rev().map(|p| format!("finally {p}")));
        assert_eq!(*log.borrow(), expected);
    }
}

#[test]
fn errors_and_values_sum_when_nothing_fails() {
    let log = RefCell::new(Vec::new());
    let mut g = Generator::new(|co| fallible_named(co, 0, 5, &log));
    g.start();
    for pos in 1..5 {
        assert_eq!(g.send(Ok(pos * 10)), GeneratorState::Yielded(pos));
    }
    assert_eq!(
        g.send(Ok(1)),
        GeneratorState::Complete(Ok(10 + 20 + 30 + 40 + 1))
    );
    assert_eq!(log.borrow().len(), 5);
}

#[test]
fn a_delegator_recovers_from_an_error_below_it() {
    // Python 49: the error is raised in the sub, caught by the delegator,
    // which then yields on.
    let log = RefCell::new(Vec::new());
    let mut g = Generator::new(|co: &Co<u32, Sent>| {
        match co.yield_from(Generator::new(|co| fallible_named(co, 1, 3, &log))) {
            Ok(v) => Ok::<u32, String>(v),
            Err(e) => {
                let again = co.yield_(e.len() as u32)?;
                Ok(again + 1_000)
            }
        }
    });
    g.start();
    g.send(Ok(1));
    assert_eq!(g.throw("four".into()), Ok(GeneratorState::Yielded(4)));
    assert_eq!(
        *log.borrow(),
        ["innermost got four", "finally 2", "finally 1"]
    );
    assert_eq!(g.send(Ok(5)), GeneratorState::Complete(Ok(1_005)));
}

#[test]
fn yield_from_iter_ignores_sent_values() {
    let mut g: Generator<'_, u32, u32, &str> = Generator::new(|co| {
        co.yield_from(Generator::new(|co: &Co<u32, u32>| {
            co.yield_from_iter(vec![1, 2, 3]);
            co.yield_from_iter(std::iter::empty());
            co.yield_(co.yield_(4) * 100)
        }));
        "done"
    });
    assert_eq!(g.start(), GeneratorState::Yielded(1));
    assert_eq!(g.send(77), GeneratorState::Yielded(2));
    assert_eq!(g.send(78), GeneratorState::Yielded(3));
    assert_eq!(g.send(79), GeneratorState::Yielded(4));
    assert_eq!(g.send(5), GeneratorState::Yielded(500));
    assert_eq!(g.send(0), GeneratorState::Complete("done"));
}

#[test]
fn try_yield_from_iter_stops_at_the_first_error() {
    let body = |co: &Co<u32, Sent>| -> Result<&str, String> {
        co.yield_from(Generator::new(|co: &Co<u32, Sent>| {
            co.try_yield_from_iter(10..13)?;
            Ok::<_, String>(())
        }))?;
        Ok("exhausted")
    };
    let mut g = Generator::new(body);
    assert_eq!(g.start(), GeneratorState::Yielded(10));
    assert_eq!(g.send(Ok(0)), GeneratorState::Yielded(11));
    assert_eq!(g.send(Ok(0)), GeneratorState::Yielded(12));
    assert_eq!(g.send(Ok(0)), GeneratorState::Complete(Ok("exhausted")));

    let mut g = Generator::new(body);
    g.start();
    assert_eq!(g.send(Ok(0)), GeneratorState::Yielded(11));
    assert_eq!(
        g.send(Err("stop".into())),
        GeneratorState::Complete(Err("stop".into()))
    );
}

#[test]
fn an_immediately_exhausted_sub_returns_at_once() {
    let mut g: Generator<'_, u32, (), u32> = Generator::new(|co| {
        let r = co.yield_from(Generator::new(|_: &Co<u32>| 9));
        co.yield_(r);
        r + 1
    });
    assert_eq!(g.start(), GeneratorState::Yielded(9));
    assert_eq!(g.send(()), GeneratorState::Complete(10));
}

#[test]
fn yield_from_with_a_started_sub_that_is_itself_delegating() {
    let log = RefCell::new(Vec::new());
    let log = &log;
    let mut sub: Generator<'_, u32, u32, u32> = Generator::new(move |c| {
        let _f = Finally(log, "sub");
        let a = c.yield_(1);
        let b = c.yield_from(Generator::new(move |c2: &Co<u32, u32>| {
            let _f = Finally(log, "subsub");
            c2.yield_(a * 10) + 1
        }));
        b * 2
    });
    assert_eq!(sub.start(), GeneratorState::Yielded(1));
    assert_eq!(sub.send(3), GeneratorState::Yielded(30));
    let mut outer = Generator::new(move |co: &Co<u32, u32>| {
        // 7 must reach the innermost delegate of `sub`: its pending yield.
        let r = co.yield_from_with(sub, 7);
        co.yield_(r) + r
    });
    assert_eq!(outer.start(), GeneratorState::Yielded(16));
    assert_eq!(*log.borrow(), ["subsub", "sub"]);
    assert_eq!(outer.send(1), GeneratorState::Complete(17));
}

#[test]
fn closing_a_root_that_adopted_a_started_subs_delegates() {
    let log = RefCell::new(Vec::new());
    let log = &log;
    let mut sub: Generator<'_, u32, u32> = Generator::new(|c| {
        let _f = Finally(log, "sub");
        c.yield_from(Generator::new(|c2: &Co<u32, u32>| {
            let _f = Finally(log, "subsub");
            loop {
                c2.yield_(2);
            }
        }));
    });
    assert_eq!(sub.start(), GeneratorState::Yielded(2));
    let mut outer = Generator::new(move |co: &Co<u32, u32>| {
        let _f = Finally(log, "outer");
        co.yield_from_with(sub, 0);
    });
    assert_eq!(outer.start(), GeneratorState::Yielded(2));
    assert!(format!("{outer:?}").contains("delegation_depth: 2"));
    drop(outer);
    assert_eq!(*log.borrow(), ["subsub", "sub", "outer"]);
}

#[test]
fn a_panic_in_a_started_sub_reaches_the_delegator() {
    let mut sub: Generator<'_, u32, u32> = Generator::new(|c| {
        if c.yield_(1) == 13 {
            panic!("unlucky");
        }
    });
    sub.start();
    let mut outer = Generator::new(move |co: &Co<u32, u32>| {
        let r = catch_unwind(AssertUnwindSafe(|| co.yield_from_with(sub, 13)));
        co.yield_(if r.is_err() { 500 } else { 0 });
    });
    assert_eq!(outer.start(), GeneratorState::Yielded(500));
    assert_eq!(outer.send(0), GeneratorState::Complete(()));
}
