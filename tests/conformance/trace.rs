//! The trace recorder shared by the `conformance_*` tests: the Rust side of
//! the helpers every CPython case file starts with (`ev`, `NEXT`, `SEND`,
//! `THROW`, `CLOSE`, `STATE`, `DRAIN`), printing the same words, so that a
//! test's trace can be compared with CPython's output line by line.
//!
//! Mapping (the conformance cases' README table):
//! - a Python exception is an [`Exc`] value: thrown in with
//!   [`Trace::throw`] (the sent type is `Result<T, Exc>`), returned as
//!   `Err(e)` by a body it escaped from, or raised in a body as a panic with
//!   the `Exc` as payload ([`raise`]);
//! - `finally:` is a [`Finally`] guard;
//! - `except GeneratorExit:` is [`catch_generator_exit`] around the yield.
#![allow(dead_code)] // each test file uses only part of this module

use corun::{Generator, GeneratorState};
use std::any::Any;
use std::cell::RefCell;
use std::fmt;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};

pub use Exc::*;

/// A caught panic.
pub type Payload = Box<dyn Any + Send + 'static>;

/// The Python exceptions the cases raise, named like them:
/// `ValueError("boom")` prints as `ValueError(boom)`, an empty message as
/// the bare name (Python's `exc()` helper).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exc {
    ValueError(&'static str),
    TypeError(&'static str),
    LunchError(&'static str),
    Retry(&'static str),
}

impl fmt::Display for Exc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (name, msg) = match *self {
            ValueError(m) => ("ValueError", m),
            TypeError(m) => ("TypeError", m),
            LunchError(m) => ("LunchError", m),
            Retry(m) => ("Retry", m),
        };
        if msg.is_empty() {
            f.write_str(name)
        } else {
            write!(f, "{name}({msg})")
        }
    }
}

/// Python's `raise e` inside a body: a panic whose payload is `e`.
pub fn raise(e: Exc) -> ! {
    std::panic::panic_any(e)
}

/// Python's `try: f() except GeneratorExit: ...`: catches the unwind that
/// `close` starts at a pending yield. Python exceptions ([`Exc`] panics) and
/// ordinary panics (assertions) are not `GeneratorExit`: they go on
/// unwinding, as Python's `except GeneratorExit` lets them through.
pub fn catch_generator_exit<T>(f: impl FnOnce() -> T) -> Result<T, Payload> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(v) => Ok(v),
        Err(p) if p.is::<Exc>() || p.is::<String>() || p.is::<&'static str>() => resume_unwind(p),
        Err(p) => Err(p),
    }
}

/// A dynamically typed Python value, for generators that yield both
/// numbers and strings through one delegation chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Obj {
    Int(i64),
    Str(&'static str),
}

/// Python's `fmt(v)`: `None` prints as "None", anything else as `str(v)`.
pub trait Py {
    fn py(&self) -> String;
}

impl Py for () {
    fn py(&self) -> String {
        "None".into()
    }
}

impl<T: Py> Py for Option<T> {
    fn py(&self) -> String {
        match self {
            None => "None".into(),
            Some(v) => v.py(),
        }
    }
}

impl Py for Obj {
    fn py(&self) -> String {
        match self {
            Obj::Int(n) => n.to_string(),
            Obj::Str(s) => s.to_string(),
        }
    }
}

macro_rules! py_by_display {
    ($($t:ty),*) => {$(
        impl Py for $t {
            fn py(&self) -> String {
                self.to_string()
            }
        }
    )*};
}
py_by_display!(&str, String, i32, i64, u32, usize);

/// How a generator's return value reads in the trace: a plain value is
/// `StopIteration(v)`; a `Result` is the body's outcome after a `throw`,
/// where `Err(e)` is the exception escaping it (`raised e`).
pub trait Ret {
    fn outcome(&self) -> (Drove, String);
}

impl<T: Py> Ret for T {
    fn outcome(&self) -> (Drove, String) {
        (Drove::Stopped, format!("StopIteration({})", self.py()))
    }
}

impl<T: Py> Ret for Result<T, Exc> {
    fn outcome(&self) -> (Drove, String) {
        match self {
            Ok(v) => v.outcome(),
            Err(e) => (Drove::Raised, format!("raised {e}")),
        }
    }
}

/// A sent type: what Python's `next()` sends (`None`), and how a Python
/// value passed to `SEND` becomes one.
pub trait Sent: Sized {
    type Value: Py;
    fn none() -> Self;
    fn wrap(v: Self::Value) -> Self;

    /// `next(g)` on a finished generator. In general that is a `send`,
    /// which corun refuses with a panic (its documented "already complete"
    /// behaviour) where Python raises `StopIteration(None)`.
    fn next_after_end<Y, R>(g: &mut Generator<'_, Y, Self, R>) -> AfterEnd<Y, R> {
        AfterEnd::State(g.send(Self::none()))
    }
}

/// What `next` on a finished generator gave.
pub enum AfterEnd<Y, R> {
    State(GeneratorState<Y, R>),
    /// `Iterator::next` returned `None`.
    Fused,
}

impl Sent for () {
    type Value = ();
    fn none() -> Self {}
    fn wrap(_: ()) -> Self {}

    /// A generator sent `()` is a fused iterator: the README maps Python's
    /// `StopIteration(None)` after the end to `Iterator::next` giving `None`.
    fn next_after_end<Y, R>(g: &mut Generator<'_, Y, (), R>) -> AfterEnd<Y, R> {
        match Iterator::next(g) {
            None => AfterEnd::Fused,
            Some(y) => AfterEnd::State(GeneratorState::Yielded(y)),
        }
    }
}

impl<T: Py> Sent for Option<T> {
    type Value = T;
    fn none() -> Self {
        None
    }
    fn wrap(v: T) -> Self {
        Some(v)
    }
}

impl<T: Sent> Sent for Result<T, Exc> {
    type Value = T::Value;
    fn none() -> Self {
        Ok(T::none())
    }
    fn wrap(v: T::Value) -> Self {
        Ok(T::wrap(v))
    }
}

/// What a driver operation ended with (Python's `_drive` result).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Drove {
    Yielded,
    Stopped,
    Raised,
}

/// What a driver operation produced, before it is printed.
enum Outcome<Y, R> {
    State(GeneratorState<Y, R>),
    Fused,
    /// `throw` gave the error straight back (unstarted or finished generator).
    Thrown(Exc),
    /// `try_close` said the body ignored the close.
    IgnoredClose,
    Closed,
}

/// A panic as the trace shows it: a Python exception is `raised E`; any
/// other panic (corun refusing a misuse) is `panicked(..)` with its message
/// up to the first `;` or `,`.
fn panicked(p: &Payload) -> String {
    if let Some(e) = p.downcast_ref::<Exc>() {
        return format!("raised {e}");
    }
    let msg = if let Some(s) = p.downcast_ref::<String>() {
        s.as_str()
    } else if let Some(s) = p.downcast_ref::<&'static str>() {
        s
    } else {
        "<non-string payload>"
    };
    let head = msg.split([';', ',']).next().unwrap_or(msg);
    format!("panicked({head})")
}

/// Records one trace: lines printed by generator bodies (`<gen>: ...`) and
/// by the driver (`<op> -> <outcome>`, `state X`).
#[derive(Default)]
pub struct Trace {
    lines: RefCell<Vec<String>>,
}

impl Trace {
    pub fn new() -> Self {
        Self::default()
    }

    /// Python's `ev(s)`.
    pub fn ev(&self, line: impl Into<String>) {
        self.lines.borrow_mut().push(line.into());
    }

    /// Python's `finally: ev(line)`: prints `line` when dropped.
    pub fn finally(&self, line: impl Into<String>) -> Finally<'_> {
        Finally {
            trace: self,
            line: line.into(),
        }
    }

    fn drive<Y: Py, R: Ret>(&self, label: String, op: impl FnOnce() -> Outcome<Y, R>) -> Drove {
        let (drove, text) = match catch_unwind(AssertUnwindSafe(op)) {
            Ok(Outcome::State(GeneratorState::Yielded(y))) => {
                (Drove::Yielded, format!("yielded {}", y.py()))
            }
            Ok(Outcome::State(GeneratorState::Complete(r))) => r.outcome(),
            Ok(Outcome::Fused) => (Drove::Stopped, "StopIteration(None)".into()),
            Ok(Outcome::Thrown(e)) => (Drove::Raised, format!("raised {e}")),
            Ok(Outcome::IgnoredClose) => (
                Drove::Raised,
                "raised RuntimeError(generator ignored GeneratorExit)".into(),
            ),
            Ok(Outcome::Closed) => (Drove::Yielded, "ok".into()),
            Err(p) => (Drove::Raised, panicked(&p)),
        };
        self.ev(format!("{label} -> {text}"));
        drove
    }

    /// Python's `NEXT(g)`: `start` on a new generator, a send of "None" on
    /// a suspended one, [`Sent::next_after_end`] on a finished one.
    pub fn next<Y: Py, S: Sent, R: Ret>(&self, g: &mut Generator<'_, Y, S, R>) -> Drove {
        self.drive("next".into(), || {
            if g.is_complete() {
                match S::next_after_end(g) {
                    AfterEnd::State(s) => Outcome::State(s),
                    AfterEnd::Fused => Outcome::Fused,
                }
            } else if g.is_started() {
                Outcome::State(g.send(S::none()))
            } else {
                Outcome::State(g.start())
            }
        })
    }

    /// Python's `SEND(g, v)` with a value that is not `None`.
    pub fn send<Y: Py, S: Sent, R: Ret>(
        &self,
        g: &mut Generator<'_, Y, S, R>,
        v: S::Value,
    ) -> Drove {
        self.drive(format!("send {}", v.py()), || {
            Outcome::State(g.send(S::wrap(v)))
        })
    }

    /// Python's `SEND(g, None)`: starts a new generator, like `next`.
    pub fn send_none<Y: Py, S: Sent, R: Ret>(&self, g: &mut Generator<'_, Y, S, R>) -> Drove {
        self.drive("send None".into(), || {
            Outcome::State(if g.is_started() || g.is_complete() {
                g.send(S::none())
            } else {
                g.start()
            })
        })
    }

    /// Python's `THROW(g, e)`.
    pub fn throw<Y: Py, T, R: Ret>(
        &self,
        g: &mut Generator<'_, Y, Result<T, Exc>, R>,
        e: Exc,
    ) -> Drove {
        self.drive(format!("throw {e}"), || match g.throw(e) {
            Ok(state) => Outcome::State(state),
            Err(e) => Outcome::Thrown(e),
        })
    }

    /// Python's `CLOSE(g)`; Python's `RuntimeError(generator ignored
    /// GeneratorExit)` is `try_close` returning `Err(IgnoredClose)`.
    pub fn close<Y: Py, S, R: Ret>(&self, g: &mut Generator<'_, Y, S, R>) -> Drove {
        self.drive::<Y, R>("close".into(), || match g.try_close() {
            Ok(()) => Outcome::Closed,
            Err(_) => Outcome::IgnoredClose,
        })
    }

    /// Python's `STATE(g)`. RUNNING cannot be seen from outside: a running
    /// generator is mutably borrowed by whoever resumed it.
    pub fn state<Y, S, R>(&self, g: &Generator<'_, Y, S, R>) {
        let state = if g.is_complete() {
            "CLOSED"
        } else if g.is_started() {
            "SUSPENDED"
        } else {
            "CREATED"
        };
        self.ev(format!("state {state}"));
    }

    /// Python's `DRAIN(g)`: `next` until the generator stops or raises.
    pub fn drain<Y: Py, S: Sent, R: Ret>(&self, g: &mut Generator<'_, Y, S, R>) {
        while self.next(g) == Drove::Yielded {}
    }

    /// The trace as CPython prints it: one line each, newline-terminated.
    pub fn text(&self) -> String {
        self.lines
            .borrow()
            .iter()
            .map(|l| format!("{l}\n"))
            .collect()
    }

    /// Compares the trace with `expected`, showing both on a mismatch.
    #[track_caller]
    pub fn check(&self, expected: &str) {
        let got = self.text();
        if got != expected {
            let line = got
                .lines()
                .zip(expected.lines())
                .position(|(a, b)| a != b)
                .unwrap_or_else(|| got.lines().count().min(expected.lines().count()));
            panic!(
                "the trace differs from the expected one at line {}\n\
                 --- expected\n{expected}--- produced\n{got}---",
                line + 1
            );
        }
    }
}

/// A `finally:` block: prints its line when dropped (on return, on a
/// panic unwinding through it, and on close).
pub struct Finally<'t> {
    trace: &'t Trace,
    line: String,
}

impl Drop for Finally<'_> {
    fn drop(&mut self) {
        self.trace.ev(std::mem::take(&mut self.line));
    }
}

/// An edit of CPython's trace where corun deliberately differs: line
/// `line` (1-based) must read `python` and is replaced by `rust` (none or
/// several lines).
pub struct Edit {
    pub line: usize,
    pub python: &'static str,
    pub rust: &'static [&'static str],
}

/// CPython's trace with `edits` applied: the expected text of a test whose
/// case corun answers differently on purpose. Each edit checks the line it
/// replaces, so the rest still comes from CPython's output.
#[track_caller]
pub fn adjusted(python: &str, edits: &[Edit]) -> String {
    let mut lines: Vec<&str> = python.lines().collect();
    let mut sorted: Vec<&Edit> = edits.iter().collect();
    sorted.sort_by_key(|e| std::cmp::Reverse(e.line));
    for pair in sorted.windows(2) {
        assert_ne!(pair[0].line, pair[1].line, "two edits of one line");
    }
    for edit in sorted {
        assert_eq!(
            lines.get(edit.line - 1).copied(),
            Some(edit.python),
            "edit of line {} does not match CPython's trace",
            edit.line
        );
        lines.splice(edit.line - 1..edit.line, edit.rust.iter().copied());
    }
    lines.iter().map(|l| format!("{l}\n")).collect()
}
