//! # corun
//!
//! Python's concurrency story in one Rust crate:
//!
//! - [`Generator`]s with Python's whole generator protocol — `yield`, values
//!   sent in, a return value, close, errors sent in and `yield from`
//!   delegation — running on their own small stacks, so a body can yield from
//!   any depth of ordinary calls.
//!
//! ```
//! use corun::{Generator, GeneratorState};
//!
//! // Python: def averager(): total, n = 0, 0; while True: x = yield total / n ...
//! let mut avg = Generator::new(|co| {
//!     let (mut total, mut n) = (0.0, 0.0);
//!     loop {
//!         let x: f64 = co.yield_(if n > 0.0 { total / n } else { 0.0 });
//!         total += x;
//!         n += 1.0;
//!     }
//! });
//! avg.start();
//! assert_eq!(avg.send(10.0), GeneratorState::<f64, ()>::Yielded(10.0));
//! assert_eq!(avg.send(20.0), GeneratorState::Yielded(15.0));
//! ```
//!
//! See the crate's README for the Python → corun table.
#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]
#![warn(unreachable_pub, missing_debug_implementations)]

mod executor;
mod generator;
mod loom;
mod stack;
pub mod sync;

pub use executor::{
    await_, interval, scope, sleep, sleep_future, sleep_until, spawn, spawn_future, timeout,
    yield_now, Elapsed, Executor, ExecutorBuilder, Interval, JoinError, JoinHandle, Scope,
    ScopedJoinHandle, Sleep, TaskId, TaskInfo, TaskKind, TaskState,
};
pub use generator::{Co, Generator, GeneratorBuilder, GeneratorState, IgnoredClose};
pub use stack::{StackError, DEFAULT_STACK_SIZE, MIN_STACK_SIZE};

/// The README's examples run as doc tests, so they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
