//! `yield from` (PEP 380) in corun: delegation, return values, errors sent
//! in, and close.
//!
//! The first two parts translate the examples PEP 380's section of "What's
//! New In Python 3.3" gives; the rest translate the delegation tests of
//! CPython's `test_yield_from.py` (formerly `test_pep380.py`). Each part
//! prints the trace CPython prints for the Python original and asserts it
//! line by line.
//!
//! Python's `throw` becomes a `Result` sent type: `co.yield_(v)?` raises the
//! error in the body, `?` after `co.yield_from(sub)` carries a
//! subgenerator's error on to the delegator, and `g.throw(e)` is
//! `g.send(Err(e))`. `finally:` is a `Drop` guard.
//!
//! Run: `cargo run --release --example yield_from`
use corun::{Generator, GeneratorState};
use std::cell::RefCell;
use std::fmt;

/// The errors the driver throws in: Python's exception classes.
#[derive(Debug, Clone, PartialEq)]
enum Thrown {
    ValueError(&'static str),
    LunchError(&'static str),
}

impl fmt::Display for Thrown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Thrown::ValueError(m) => write!(f, "ValueError({m})"),
            Thrown::LunchError(m) => write!(f, "LunchError({m})"),
        }
    }
}

/// What the driver sends: `Ok(())` is `next(g)`, `Err(e)` is `g.throw(e)`.
type Sent = Result<(), Thrown>;
/// Bodies return `Ok(())` (Python's `return None`) or the error they did not
/// catch.
type Outcome = Result<(), Thrown>;
/// The generators of parts 3 to 6.
type Gen<'t, Y = &'static str> = Generator<'t, Y, Sent, Outcome>;

/// The printed trace, kept so each part can assert it.
#[derive(Default)]
struct Trace(RefCell<Vec<String>>);

impl Trace {
    fn ev(&self, line: impl Into<String>) {
        let line = line.into();
        println!("  {line}");
        self.0.borrow_mut().push(line);
    }

    /// Asserts the lines since the last check: CPython's output for the case.
    fn expect(&self, cpython: &str) {
        let got = self.0.take();
        let want: Vec<&str> = cpython.lines().map(str::trim).collect();
        assert_eq!(got, want, "the trace differs from CPython's");
    }
}

/// Python's `finally: ev("<name>: finally")`.
struct Finally<'t>(&'t Trace, &'static str);

impl Drop for Finally<'_> {
    fn drop(&mut self) {
        self.0.ev(format!("{}: finally", self.1));
    }
}

fn outcome<Y: fmt::Display>(state: GeneratorState<Y, Outcome>) -> String {
    match state {
        GeneratorState::Yielded(v) => format!("yielded {v}"),
        GeneratorState::Complete(Ok(())) => "StopIteration(None)".into(),
        GeneratorState::Complete(Err(e)) => format!("raised {e}"),
    }
}

/// Python's `next(g)`: `start` the first time, then `send(Ok(()))`.
fn next<Y: fmt::Display>(t: &Trace, g: &mut Gen<'_, Y>) -> bool {
    let state = if g.is_started() {
        g.send(Ok(()))
    } else {
        g.start()
    };
    let yielded = state.is_yielded();
    t.ev(format!("next -> {}", outcome(state)));
    yielded
}

/// Python's `g.throw(e)`. On a generator that is not suspended the error
/// comes straight back, as Python raises it at once.
fn throw<Y: fmt::Display>(t: &Trace, g: &mut Gen<'_, Y>, e: Thrown) {
    let label = format!("throw {e}");
    match g.throw(e) {
        Ok(state) => t.ev(format!("{label} -> {}", outcome(state))),
        Err(e) => t.ev(format!("{label} -> raised {e}")),
    }
}

fn state<Y>(t: &Trace, g: &Gen<'_, Y>) {
    let s = match (g.is_started(), g.is_complete()) {
        (_, true) => "CLOSED",
        (false, false) => "CREATED",
        (true, false) => "SUSPENDED",
    };
    t.ev(format!("state {s}"));
}

/// Part 1: `yield from` an iterable.
///
/// ```python
/// def g(x):
///     yield from range(x, 0, -1)
///     yield from range(x)
/// list(g(5))  # [5, 4, 3, 2, 1, 0, 1, 2, 3, 4]
/// ```
fn from_iterables() {
    println!("== yield from an iterable");
    let g = |x: u32| {
        Generator::new(move |co| {
            co.yield_from_iter((1..=x).rev());
            co.yield_from_iter(0..x);
        })
    };
    let all: Vec<u32> = g(5).collect();
    println!("  list(g(5)) = {all:?}");
    assert_eq!(all, [5, 4, 3, 2, 1, 0, 1, 2, 3, 4]);
}

/// Part 2: a subgenerator's return value comes out of `yield from`, and
/// every value the caller sends goes straight to the subgenerator.
///
/// ```python
/// def accumulate():
///     tally = 0
///     while 1:
///         next = yield
///         if next is None:
///             return tally
///         tally += next
///
/// def gather_tallies(tallies):
///     while 1:
///         tally = yield from accumulate()
///         tallies.append(tally)
/// ```
fn tallies() {
    println!("\n== return values through yield from: gather_tallies");
    let mut tallies = Vec::new();
    let mut acc: Generator<'_, (), Option<i64>> = Generator::new(|co| {
        let accumulate = |co: &corun::Co<(), Option<i64>>| {
            let mut tally = 0;
            while let Some(next) = co.yield_(()) {
                tally += next;
            }
            tally
        };
        loop {
            let tally = co.yield_from(Generator::new(accumulate));
            println!("  gather_tallies: accumulate returned {tally}");
            tallies.push(tally);
        }
    });
    acc.start(); // ensure the accumulator is ready to accept values
    for i in 0..4 {
        acc.send(Some(i));
    }
    acc.send(None); // finish the first tally
    for i in 0..5 {
        acc.send(Some(i));
    }
    acc.send(None); // finish the second tally
    drop(acc); // closes it, and ends its borrow of `tallies`
    println!("  tallies = {tallies:?}");
    assert_eq!(tallies, [6, 10]);
}

/// The delegating generator of parts 3, 4 and 6 (`sub` makes its g2).
///
/// ```python
/// def g1():
///     try:
///         ev("g1: start")
///         yield "g1 ham"
///         yield from g2()
///         yield "g1 eggs"
///     finally:
///         ev("g1: finally")
/// ```
fn g1<'t>(t: &'t Trace, sub: fn(&'t Trace) -> Gen<'t>) -> Gen<'t> {
    Generator::new(move |co| {
        let _finally = Finally(t, "g1");
        t.ev("g1: start");
        co.yield_("g1 ham")?;
        co.yield_from(sub(t))?;
        co.yield_("g1 eggs")?;
        Ok(())
    })
}

/// A subgenerator with a `finally`, which catches nothing.
fn g2<'t>(t: &'t Trace) -> Gen<'t> {
    Generator::new(move |co| {
        let _finally = Finally(t, "g2");
        t.ev("g2: start");
        co.yield_("g2 spam")?;
        co.yield_("g2 more spam")?;
        Ok(())
    })
}

/// A subgenerator that catches `LunchError` and goes on yielding.
///
/// ```python
/// def g2():
///     try:
///         ev("g2: start")
///         yield "g2 spam"
///         yield "g2 more spam"
///     except LunchError:
///         ev("g2: caught LunchError")
///         yield "g2 lunch saved"
///         yield "g2 yet more spam"
/// ```
fn g2_catches_lunch<'t>(t: &'t Trace) -> Gen<'t> {
    Generator::new(move |co| {
        t.ev("g2: start");
        // Python's `try:` block: a closure, so `?` leaves only the block.
        let block = || -> Outcome {
            co.yield_("g2 spam")?;
            co.yield_("g2 more spam")?;
            Ok(())
        };
        match block() {
            Err(Thrown::LunchError(_)) => {
                t.ev("g2: caught LunchError");
                co.yield_("g2 lunch saved")?;
                co.yield_("g2 yet more spam")?;
                Ok(())
            }
            other => other,
        }
    })
}

/// Part 3: an error thrown into the delegator reaches the innermost
/// subgenerator, which catches it; `throw` returns its next yield.
fn throw_caught_by_subgenerator() {
    println!("\n== throw: the subgenerator catches it and yields");
    let t = Trace::default();
    let mut g = g1(&t, g2_catches_lunch);
    next(&t, &mut g);
    next(&t, &mut g);
    throw(&t, &mut g, Thrown::LunchError("tomato ejected"));
    while next(&t, &mut g) {}
    t.expect(
        "g1: start
         next -> yielded g1 ham
         g2: start
         next -> yielded g2 spam
         g2: caught LunchError
         throw LunchError(tomato ejected) -> yielded g2 lunch saved
         next -> yielded g2 yet more spam
         next -> yielded g1 eggs
         g1: finally
         next -> StopIteration(None)",
    );
}

/// Part 4: nobody catches it: it unwinds g2, then g1 (`?` at each level),
/// and reaches the caller as the body's `Err`. The last line throws into the
/// finished generator: the error comes straight back, as Python raises it.
fn throw_uncaught() {
    println!("\n== throw: uncaught, it unwinds the subgenerator then the delegator");
    let t = Trace::default();
    let mut g = g1(&t, g2);
    next(&t, &mut g);
    next(&t, &mut g);
    throw(&t, &mut g, Thrown::ValueError("tomato ejected"));
    state(&t, &g);
    // Throwing into a finished generator raises the error at once.
    throw(&t, &mut g, Thrown::ValueError("again"));
    t.expect(
        "g1: start
         next -> yielded g1 ham
         g2: start
         next -> yielded g2 spam
         g2: finally
         g1: finally
         throw ValueError(tomato ejected) -> raised ValueError(tomato ejected)
         state CLOSED
         throw ValueError(again) -> raised ValueError(again)",
    );
}

/// Part 5: the delegator catches the error its subgenerator let through.
///
/// ```python
/// def outer():
///     try:
///         r = yield from inner()
///         ev(f"outer: inner returned {fmt(r)} (must not happen)")
///     except ValueError as e:
///         ev(f"outer: caught {exc(e)}")
///     ev("outer: yield recovered")
///     yield "recovered"
///     ev("outer: end")
/// ```
fn throw_caught_by_delegator() {
    println!("\n== throw: the delegator catches what its subgenerator let through");
    let t = Trace::default();
    let inner = |t| -> Gen<'_> {
        Generator::new(move |co| {
            let _finally = Finally(t, "inner");
            t.ev("inner: yield 1");
            co.yield_("1")?;
            t.ev("inner: yield 2 (unreachable)");
            co.yield_("2")?;
            Ok(())
        })
    };
    let mut g: Gen<'_> = Generator::new(|co| {
        match co.yield_from(inner(&t)) {
            Ok(()) => t.ev("outer: inner returned None (must not happen)"),
            Err(e) => t.ev(format!("outer: caught {e}")),
        }
        t.ev("outer: yield recovered");
        co.yield_("recovered")?;
        t.ev("outer: end");
        Ok(())
    });
    next(&t, &mut g);
    throw(&t, &mut g, Thrown::ValueError("boom"));
    state(&t, &g);
    next(&t, &mut g);
    drop(g); // the body borrows `t`
    t.expect(
        "inner: yield 1
         next -> yielded 1
         inner: finally
         outer: caught ValueError(boom)
         outer: yield recovered
         throw ValueError(boom) -> yielded recovered
         state SUSPENDED
         outer: end
         next -> StopIteration(None)",
    );
}

/// Part 6: `close` unwinds the innermost subgenerator first, then each
/// delegator. (Python's g2 also prints "caught GeneratorExit" before its
/// `finally`; in Rust the unwind is only seen by destructors.)
fn close_delegates_to_innermost() {
    println!("\n== close: innermost first");
    let t = Trace::default();
    let mut g = g1(&t, g2);
    next(&t, &mut g);
    next(&t, &mut g);
    g.close();
    t.ev("close -> ok");
    state(&t, &g);
    t.expect(
        "g1: start
         next -> yielded g1 ham
         g2: start
         next -> yielded g2 spam
         g2: finally
         g1: finally
         close -> ok
         state CLOSED",
    );
}

/// Part 7: `yield from` a plain iterator cannot pass a thrown error on (an
/// iterator has no `throw`), so it is raised in the delegating body:
/// `try_yield_from_iter` stops at the first `Err` sent in and returns it.
fn throw_into_plain_iterator() {
    println!("\n== throw while delegating to a plain iterator");
    let t = Trace::default();
    let mut g: Gen<'_, u32> = Generator::new(|co| {
        let _finally = Finally(&t, "g");
        t.ev("g: start");
        co.try_yield_from_iter(0..10)?;
        Ok(())
    });
    for _ in 0..5 {
        next(&t, &mut g);
    }
    throw(&t, &mut g, Thrown::ValueError("tomato ejected"));
    state(&t, &g);
    drop(g);
    t.expect(
        "g: start
         next -> yielded 0
         next -> yielded 1
         next -> yielded 2
         next -> yielded 3
         next -> yielded 4
         g: finally
         throw ValueError(tomato ejected) -> raised ValueError(tomato ejected)
         state CLOSED",
    );
}

fn main() {
    from_iterables();
    tallies();
    throw_caught_by_subgenerator();
    throw_uncaught();
    throw_caught_by_delegator();
    close_delegates_to_innermost();
    throw_into_plain_iterator();
    println!("\nok: every trace matches CPython's");
}
