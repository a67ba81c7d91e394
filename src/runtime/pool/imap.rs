//! `Pool::imap` and `imap_unordered`: lazy iterators of results with a
//! bounded number of jobs in flight.

use super::Pool;
use crate::runtime::JoinHandle;
use crate::sync::wait_here;
use std::collections::VecDeque;
use std::fmt;
use std::panic::{resume_unwind, Location};
use std::sync::Arc;

/// Jobs in flight per worker: enough to keep every worker busy while the
/// caller consumes results, few enough to bound memory.
const IN_FLIGHT_PER_WORKER: usize = 2;

/// Turns a job's outcome into its value, re-raising its panic.
#[track_caller]
fn value_of<R>(outcome: Result<R, crate::JoinError>, what: &str) -> R {
    if let Err(e) = &outcome {
        if e.is_cancelled() {
            panic!(
                "{what}: a job produced no value: {e}{}",
                super::map::cancelled_why(e)
            );
        }
    }
    crate::runtime::unwrap_outcome(outcome, what)
}

/// The items not yet submitted, and how to submit them.
struct Feed<'p, I: Iterator, R> {
    pool: &'p Pool,
    location: &'static Location<'static>,
    items: I,
    f: Arc<dyn Fn(I::Item) -> R + Send + Sync>,
    limit: usize,
}

impl<'p, I, R> Feed<'p, I, R>
where
    I: Iterator,
    I::Item: Send + 'static,
    R: Send + 'static,
{
    #[track_caller]
    fn new(pool: &'p Pool, items: I, f: Arc<dyn Fn(I::Item) -> R + Send + Sync>) -> Self {
        Feed {
            pool,
            location: Location::caller(),
            items,
            f,
            limit: pool.workers() * IN_FLIGHT_PER_WORKER,
        }
    }

    /// The next item's job, while fewer than the limit are in flight.
    fn next_job(&mut self, in_flight: usize) -> Option<JoinHandle<R>> {
        // After `terminate` no item is taken from the source: the
        // iteration ends once what is in flight came back.
        if in_flight >= self.limit || self.pool.tracker.is_terminated() {
            return None;
        }
        let item = self.items.next()?;
        let f = self.f.clone();
        Some(self.pool.submit(move || f(item), self.location))
    }
}

/// The iterator of [`Pool::imap`]: results in the items' order.
pub struct Imap<'p, I: Iterator, R> {
    feed: Feed<'p, I, R>,
    in_flight: VecDeque<JoinHandle<R>>,
    /// The method the caller called, for its refusals.
    what: &'static str,
}

/// The iterator of [`Pool::imap_unordered`]: results as jobs finish.
pub struct ImapUnordered<'p, I: Iterator, R> {
    feed: Feed<'p, I, R>,
    in_flight: Vec<JoinHandle<R>>,
    what: &'static str,
}

impl<'p, I: Iterator, R> Imap<'p, I, R> {
    /// The same iteration, its refusals naming `what` (a chunked form).
    pub(super) fn named(mut self, what: &'static str) -> Self {
        self.what = what;
        self
    }
}

impl<'p, I: Iterator, R> ImapUnordered<'p, I, R> {
    /// The same iteration, its refusals naming `what` (a chunked form).
    pub(super) fn named(mut self, what: &'static str) -> Self {
        self.what = what;
        self
    }
}

impl Pool {
    /// Applies `f` to the items lazily, one job per item, with at most two
    /// jobs per worker in flight, and yields the results in the items'
    /// order. Python's `imap`. A job costs microseconds: for a cheap `f`
    /// over many items, [`imap_chunked`](Pool::imap_chunked) (Python's
    /// `chunksize`) runs one job per chunk instead.
    ///
    /// # Panics
    ///
    /// After [`close`](Pool::close). The iterator re-raises a job's panic
    /// when it reaches that job's result.
    ///
    /// ```
    /// let pool = corun::Pool::new(2)?;
    /// let mut out = Vec::new();
    /// for r in pool.imap(1..=5u32, |x| x * 2) {
    ///     out.push(r);
    /// }
    /// assert_eq!(out, [2, 4, 6, 8, 10]);
    /// # Ok::<(), corun::runtime::BuildError>(())
    /// ```
    #[track_caller]
    pub fn imap<I, F, R>(&self, items: I, f: F) -> Imap<'_, I::IntoIter, R>
    where
        I: IntoIterator,
        I::Item: Send + 'static,
        F: Fn(I::Item) -> R + Send + Sync + 'static,
        R: Send + 'static,
    {
        self.check_open("Pool::imap");
        self.check_can_wait("Pool::imap");
        Imap {
            feed: Feed::new(self, items.into_iter(), Arc::new(f)),
            in_flight: VecDeque::new(),
            what: "Pool::imap",
        }
    }

    /// As [`imap`](Pool::imap), but yields results as jobs finish.
    /// Python's `imap_unordered`.
    ///
    /// # Panics
    ///
    /// As `imap`: a job's panic is re-raised when its result comes.
    ///
    /// ```
    /// let pool = corun::Pool::new(2)?;
    /// let mut out: Vec<u32> = pool.imap_unordered(1..=5u32, |x| x * 2).collect();
    /// out.sort();
    /// assert_eq!(out, [2, 4, 6, 8, 10]);
    /// # Ok::<(), corun::runtime::BuildError>(())
    /// ```
    #[track_caller]
    pub fn imap_unordered<I, F, R>(&self, items: I, f: F) -> ImapUnordered<'_, I::IntoIter, R>
    where
        I: IntoIterator,
        I::Item: Send + 'static,
        F: Fn(I::Item) -> R + Send + Sync + 'static,
        R: Send + 'static,
    {
        self.check_open("Pool::imap_unordered");
        self.check_can_wait("Pool::imap_unordered");
        ImapUnordered {
            feed: Feed::new(self, items.into_iter(), Arc::new(f)),
            in_flight: Vec::new(),
            what: "Pool::imap_unordered",
        }
    }
}

impl<I, R> Iterator for Imap<'_, I, R>
where
    I: Iterator,
    I::Item: Send + 'static,
    R: Send + 'static,
{
    type Item = R;

    #[track_caller]
    fn next(&mut self) -> Option<R> {
        while let Some(job) = self.feed.next_job(self.in_flight.len()) {
            self.in_flight.push_back(job);
        }
        let next = self.in_flight.pop_front()?;
        Some(value_of(next.join(), self.what))
    }
}

impl<I, R> Iterator for ImapUnordered<'_, I, R>
where
    I: Iterator,
    I::Item: Send + 'static,
    R: Send + 'static,
{
    type Item = R;

    #[track_caller]
    fn next(&mut self) -> Option<R> {
        while let Some(job) = self.feed.next_job(self.in_flight.len()) {
            self.in_flight.push(job);
        }
        if self.in_flight.is_empty() {
            return None;
        }
        let any = futures::future::select_all(std::mem::take(&mut self.in_flight));
        match wait_here::wait(any, "Pool::imap_unordered") {
            Ok((outcome, _index, rest)) => {
                self.in_flight = rest;
                Some(value_of(outcome, self.what))
            }
            Err(_unwinding) => resume_unwind(Box::new(
                "Pool::imap_unordered: the calling task is being cancelled",
            )),
        }
    }
}

impl<I: Iterator, R> fmt::Debug for Imap<'_, I, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Imap")
            .field("in_flight", &self.in_flight.len())
            .finish_non_exhaustive()
    }
}

impl<I: Iterator, R> fmt::Debug for ImapUnordered<'_, I, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImapUnordered")
            .field("in_flight", &self.in_flight.len())
            .finish_non_exhaustive()
    }
}
