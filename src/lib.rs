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
//! - an [`Executor`]: a single-threaded cooperative scheduler whose tasks are
//!   those coroutines. A task reads like blocking code — [`sleep`],
//!   [`JoinHandle::join`], a [`sync`] channel's `recv`, [`await_`] on any
//!   `Future` — and waiting suspends only that task. Timers, [`timeout`],
//!   cancellation, structured concurrency ([`scope`]) and futures interop
//!   come with it. Python's asyncio, without colouring functions `async`.
//!
//! ```
//! use std::time::Duration;
//!
//! let ex = corun::Executor::new();
//! let total = ex.block_on(|| {
//!     let (tx, rx) = corun::sync::channel(2);
//!     let producer = corun::spawn(move || {
//!         for i in 1..=5 {
//!             tx.send(i).unwrap(); // suspends while the channel is full
//!         }
//!     });
//!     let sum: u32 = rx.iter().sum();
//!     producer.join().unwrap();
//!     corun::timeout(Duration::from_millis(1), || corun::sleep(Duration::from_secs(9)))
//!         .expect_err("the sleep is cut short");
//!     sum
//! });
//! assert_eq!(total, 15);
//! ```
//!
//! The names are grouped as tokio groups them; the everyday ones are also
//! at the root:
//!
//! | module        | what is in it                                                   |
//! |---------------|-----------------------------------------------------------------|
//! | [`generator`] | [`Generator`], [`Co`], [`GeneratorState`], the builder, `IgnoredClose` |
//! | [`task`]      | spawning, joining, cancelling, `yield_now`, `await_`, `scope`, introspection |
//! | [`time`]      | `sleep`, `timeout`, `interval` and their futures                |
//! | [`sync`]      | channels, oneshot, [`sync::watch`], `Semaphore`, `Mutex`, `RwLock`, `Notify`, `Event`, `Barrier`, `WaitGroup`; cross-thread [`sync::mpsc`] and [`sync::shared`] |
//! | [`stack`]     | stack sizes and `StackError`                                    |
//! | [`io`]        | pipes, waits on any fd                                          |
//! | [`net`]       | TCP, UDP and Unix sockets whose calls suspend only their task    |
//! | [`process`]   | child processes in std's shape                                  |
//! | [`signal`]    | Unix signals (`ctrl_c`, SIGTERM) as waits of one task           |
//! | [`fs`]        | [`fs::File`] (tokio::fs::File's shape), `OpenOptions`, `std::fs`'s functions, on the `unblock` pool |
//! | [`runtime`]   | [`Runtime`], its builder and `Send` join handle, [`Pool`], `worker_index`, stall reports |
//!
//! [`Executor`] and its [`ExecutorBuilder`] sit at the root, and so do
//! [`Runtime`], [`Pool`], [`worker_index`] and [`unblock`].
//!
//! - I/O whose blocking-looking calls suspend only their task: the sockets
//!   of [`net`] (TCP, UDP, Unix), the pipes and fd waits of [`io`], child
//!   [`process`]es, and [`unblock`] for blocking calls on a thread pool.
//!   The executor's mio `Poll` is the reactor; outside a task the same
//!   calls block the thread, as std's do.
//!
//! - a [`Runtime`]: N worker threads, one executor each, with `Send` join
//!   handles, least-loaded placement and shutdown; [`Pool`], with
//!   `multiprocessing.Pool`'s shape; [`sync::mpsc`], channels for `Send`
//!   values between workers and threads. See [`runtime`].
//!
//! ```
//! let pool = corun::Pool::new(2)?;
//! let squares: Vec<u64> = pool.map(0..8u64, |x| x * x);
//! assert_eq!(squares, [0, 1, 4, 9, 16, 25, 36, 49]);
//! # Ok::<(), corun::runtime::BuildError>(())
//! ```
//!
//! See the crate's README for the Python → corun tables.
#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]
#![warn(unreachable_pub, missing_debug_implementations)]

mod executor;
pub mod fs;
pub mod generator;
pub mod io;
mod loom;
pub mod net;
pub mod process;
pub mod runtime;
pub mod signal;
pub mod stack;
pub mod sync;
pub mod task;
pub mod time;
mod unblock;

// The everyday names, at the root as well as in their modules.
pub use executor::{
    await_, scope, sleep, sleep_until, spawn, spawn_future, timeout, yield_now, Executor,
    ExecutorBuilder, JoinError, JoinHandle,
};
pub use generator::{Co, Generator, GeneratorState};
pub use runtime::{worker_index, Pool, Runtime};

// Every other name that used to sit at the root still works there; its
// documented home is its module.
#[doc(hidden)]
pub use executor::{
    interval, sleep_future, Elapsed, Interval, Scope, ScopedJoinHandle, Sleep, TaskId, TaskInfo,
    TaskKind, TaskState,
};
#[doc(hidden)]
pub use generator::{GeneratorBuilder, IgnoredClose};
#[doc(hidden)]
pub use stack::{StackError, DEFAULT_STACK_SIZE, MIN_STACK_SIZE};
pub use unblock::{unblock, unblock_future};

/// The README's examples run as doc tests, so they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
