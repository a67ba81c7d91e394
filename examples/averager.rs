//! The running averager: a generator driven by `send`.
//!
//! Python (the classic coroutine averager):
//!
//! ```python
//! def averager():
//!     total, count, average = 0.0, 0, None
//!     try:
//!         while True:
//!             term = yield average
//!             total += term
//!             count += 1
//!             average = total / count
//!     finally:
//!         print(f"averager: finally after {count} terms")
//!
//! avg = averager()
//! next(avg)          # prime it: runs to the first yield
//! avg.send(10)       # 10.0
//! avg.close()        # GeneratorExit at the yield; the finally runs
//! ```
//!
//! Then the variant that returns its result when sent `None`, driven through
//! `yield from` by a `grouper`, one averager per group.
//!
//! Run: `cargo run --release --example averager`
use corun::{Co, Generator, GeneratorState};
use std::cell::Cell;
use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Python's `finally:` is a `Drop` guard: it runs when the body returns,
/// panics, or is unwound by `close`.
struct Finally<'c> {
    count: &'c Cell<u32>,
}

impl Drop for Finally<'_> {
    fn drop(&mut self) {
        println!("  averager: finally after {} terms", self.count.get());
    }
}

/// Part 1: the infinite averager, then `close`.
fn running_average() {
    println!("== averager: send terms, then close");
    let count = Cell::new(0);
    // Yields the average so far (None before any term), is sent each term.
    let mut avg: Generator<'_, Option<f64>, f64> = Generator::new(|co| {
        let _finally = Finally { count: &count };
        let mut total = 0.0;
        let mut average = None;
        loop {
            let term = co.yield_(average);
            total += term;
            count.set(count.get() + 1);
            average = Some(total / f64::from(count.get()));
        }
    });

    // Python's `next(avg)`: run to the first yield before sending.
    assert_eq!(avg.start(), GeneratorState::Yielded(None));
    println!("start -> yielded None");
    let mut averages = Vec::new();
    for term in [10.0, 30.0, 5.0] {
        let state = avg.send(term);
        println!("send {term} -> {state:?}");
        averages.push(state.yielded().flatten().expect("the averager never ends"));
    }
    assert_eq!(averages, [10.0, 20.0, 15.0]);

    // close() unwinds the body from its pending yield: the guard runs.
    println!("close");
    avg.close();
    assert!(avg.is_complete());
    assert_eq!(count.get(), 3);
    // Closing again does nothing, as in Python.
    avg.close();

    // Python raises StopIteration on send after the end; corun panics with a
    // message that says what happened (sending into a finished body is a
    // bug in the caller, like indexing past the end of a slice).
    let message = quietly(|| avg.send(1.0)).expect_err("send after close must panic");
    println!("send after close -> panics: {message}");
    assert!(message.contains("already complete"));
}

/// A term for the returning averager: `None` means "done, give the result".
type Term = Option<f64>;

/// What the returning averager gives back (Python's `Result(count, average)`
/// named tuple).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Average {
    count: u32,
    average: Option<f64>,
}

/// Part 2's averager: yields nothing useful (Python's bare `yield`), returns
/// its result when sent `None`.
///
/// ```python
/// def averager():
///     total, count, average = 0.0, 0, None
///     while True:
///         term = yield
///         if term is None:
///             break
///         total += term
///         count += 1
///         average = total / count
///     return Result(count, average)
/// ```
fn returning_averager(co: &Co<(), Term>) -> Average {
    let (mut total, mut count, mut average) = (0.0, 0, None);
    while let Some(term) = co.yield_(()) {
        total += term;
        count += 1;
        average = Some(total / f64::from(count));
    }
    Average { count, average }
}

/// Part 2: one averager per group, each driven through `yield from`.
///
/// ```python
/// def grouper(results, key):
///     while True:
///         results[key] = yield from averager()
/// ```
fn grouped_averages() {
    println!("\n== grouper: yield from a returning averager");
    let data = [
        (
            "girls;kg",
            vec![40.9, 38.5, 44.3, 42.2, 45.2, 41.7, 44.5, 38.0, 40.6, 44.5],
        ),
        (
            "boys;kg",
            vec![39.0, 40.8, 43.2, 40.8, 43.1, 38.6, 41.4, 40.6, 36.3],
        ),
    ];
    let mut results = BTreeMap::new();
    for (key, values) in &data {
        let results = &mut results;
        // The delegating generator borrows `results` mutably and the key.
        let mut group: Generator<'_, (), Term> = Generator::new(move |co| loop {
            let result = co.yield_from(Generator::new(returning_averager));
            println!("  grouper: {key} got {} terms", result.count);
            results.insert(*key, result);
        });
        // Every send goes straight to the averager inside `yield_from`.
        group.start();
        for &v in values {
            group.send(Some(v));
        }
        // None ends the averager; its return value comes out of yield_from,
        // the grouper stores it and starts the next averager.
        assert_eq!(group.send(None), GeneratorState::Yielded(()));
        // Dropping the grouper closes it (innermost averager first).
    }

    for (key, r) in &results {
        let (group, unit) = key.split_once(';').expect("keys are group;unit");
        let average = r.average.expect("every group has values");
        println!("{:>2} {group:<5} averaging {average:.2}{unit}", r.count);
    }
    let girls = results["girls;kg"];
    let boys = results["boys;kg"];
    assert_eq!((girls.count, boys.count), (10, 9));
    assert!((girls.average.unwrap() - 42.04).abs() < 1e-9);
    assert!((boys.average.unwrap() - 40.422_222_222).abs() < 1e-6);
}

/// Runs `f`, catching a panic without printing it; returns the panic message.
fn quietly<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let outcome = catch_unwind(AssertUnwindSafe(f));
    std::panic::set_hook(hook);
    outcome.map_err(|payload| {
        payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default()
    })
}

fn main() {
    running_average();
    grouped_averages();
    println!("ok");
}
