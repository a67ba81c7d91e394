//! `Pool::map`, `map_chunked` and `try_map`: every item, in order, in
//! chunks as Python's `chunksize` cuts them.

use super::Pool;
use crate::executor::JoinError;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe, Location};
use std::sync::Arc;

/// Python's default chunk size: the items in about four chunks per worker.
pub(super) fn default_chunk(items: usize, workers: usize) -> usize {
    items.div_ceil(workers * 4).max(1)
}

/// Cuts `items` into chunks of `size` (the last may be shorter).
fn chunks<A>(items: Vec<A>, size: usize) -> Vec<Vec<A>> {
    let mut chunks = Vec::with_capacity(items.len().div_ceil(size));
    let mut items = items.into_iter();
    loop {
        let chunk: Vec<A> = items.by_ref().take(size).collect();
        if chunk.is_empty() {
            return chunks;
        }
        chunks.push(chunk);
    }
}

impl Pool {
    /// Applies `f` to every item on the pool's workers and returns the
    /// results in the items' order. The items are cut in chunks, about four
    /// per worker (Python's default `chunksize`), one job each; see
    /// [`map_chunked`](Pool::map_chunked) to choose.
    ///
    /// # Panics
    ///
    /// After [`close`](Pool::close). If a job panicked, its panic (the
    /// first in item order) is re-raised here after every other job ended,
    /// as rayon and Python do; [`try_map`](Pool::try_map) returns every
    /// item's outcome instead. A job cancelled by
    /// [`terminate`](Pool::terminate) panics here saying so.
    ///
    /// ```
    /// let pool = corun::Pool::new(2)?;
    /// let lens = pool.map(["a", "bb", "ccc"], |s: &str| s.len());
    /// assert_eq!(lens, [1, 2, 3]);
    /// # Ok::<(), corun::runtime::BuildError>(())
    /// ```
    #[track_caller]
    pub fn map<I, F, R>(&self, items: I, f: F) -> Vec<R>
    where
        I: IntoIterator,
        I::Item: Send + 'static,
        F: Fn(I::Item) -> R + Send + Sync + 'static,
        R: Send + 'static,
    {
        let items: Vec<I::Item> = items.into_iter().collect();
        let size = default_chunk(items.len(), self.workers());
        self.map_chunked(items, size, f)
    }

    /// [`map`](Pool::map) with chunks of `chunk_size` items: larger chunks
    /// cost less per item, smaller ones balance uneven items better.
    ///
    /// # Panics
    ///
    /// As `map`, and if `chunk_size` is zero.
    #[track_caller]
    pub fn map_chunked<I, F, R>(&self, items: I, chunk_size: usize, f: F) -> Vec<R>
    where
        I: IntoIterator,
        I::Item: Send + 'static,
        F: Fn(I::Item) -> R + Send + Sync + 'static,
        R: Send + 'static,
    {
        self.check_open("Pool::map");
        assert!(
            chunk_size > 0,
            "Pool::map_chunked: chunk_size must be at least 1"
        );
        let items: Vec<I::Item> = items.into_iter().collect();
        let total = items.len();
        let f = Arc::new(f);
        let location = Location::caller();
        let handles: Vec<_> = chunks(items, chunk_size)
            .into_iter()
            .map(|chunk| {
                let f = f.clone();
                let job = move || chunk.into_iter().map(&*f).collect::<Vec<R>>();
                self.submit(job, location)
            })
            .collect();
        // Every job is waited for before a panic is re-raised.
        let outcomes: Vec<Result<Vec<R>, JoinError>> =
            handles.into_iter().map(|h| h.join()).collect();
        let mut results = Vec::with_capacity(total);
        let mut first_error = None;
        for outcome in outcomes {
            match outcome {
                Ok(chunk) => results.extend(chunk),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        match first_error {
            None => results,
            Some(e) => match e.try_into_panic() {
                Ok(payload) => resume_unwind(payload),
                Err(e) => panic!("Pool::map: a job produced no value: {e}"),
            },
        }
    }

    /// Applies `f` to every item and returns each item's outcome in order:
    /// its value, or its own error (its panic, or a cancellation), so
    /// partial results and errors come back together (what Python users
    /// ask of `Pool.map`, cpython#83371). Chunked as [`map`](Pool::map).
    ///
    /// # Panics
    ///
    /// After [`close`](Pool::close).
    ///
    /// ```
    /// let pool = corun::Pool::new(2)?;
    /// let out = pool.try_map(0..4, |x: u32| {
    ///     assert!(x != 2, "two is bad");
    ///     x * 10
    /// });
    /// assert_eq!(out[1].as_ref().ok(), Some(&10));
    /// assert!(out[2].as_ref().unwrap_err().is_panic());
    /// assert_eq!(out[3].as_ref().ok(), Some(&30));
    /// # Ok::<(), corun::runtime::BuildError>(())
    /// ```
    #[track_caller]
    pub fn try_map<I, F, R>(&self, items: I, f: F) -> Vec<Result<R, JoinError>>
    where
        I: IntoIterator,
        I::Item: Send + 'static,
        F: Fn(I::Item) -> R + Send + Sync + 'static,
        R: Send + 'static,
    {
        self.check_open("Pool::try_map");
        let items: Vec<I::Item> = items.into_iter().collect();
        let size = default_chunk(items.len(), self.workers());
        let f = Arc::new(f);
        let location = Location::caller();
        let handles: Vec<_> = chunks(items, size)
            .into_iter()
            .map(|chunk| {
                let f = f.clone();
                let n = chunk.len();
                let job = move || {
                    chunk
                        .into_iter()
                        .map(|item| catch_item(|| f(item)))
                        .collect::<Vec<Result<R, JoinError>>>()
                };
                let h = self.submit(job, location);
                (n, h)
            })
            .collect();
        let mut results = Vec::new();
        for (n, h) in handles {
            match h.join() {
                Ok(chunk) => results.extend(chunk),
                // The whole chunk ended without running (cancelled, no
                // stack): each of its items says so.
                Err(e) => {
                    let cancelled = e.is_cancelled();
                    results.push(Err(e));
                    results.extend((1..n).map(|_| {
                        Err(if cancelled {
                            JoinError::cancelled()
                        } else {
                            JoinError::cancelled_because("another item of its chunk failed")
                        })
                    }));
                }
            }
        }
        results
    }
}

/// Runs one item, its panic caught as its own error. A close of the task
/// (cancellation, teardown) is not the item's panic: it goes on unwinding.
pub(super) fn catch_item<R>(f: impl FnOnce() -> R) -> Result<R, JoinError> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(value) => Ok(value),
        Err(payload) if crate::generator::is_close_payload(&payload) => resume_unwind(payload),
        Err(payload) => Err(JoinError::panicked(payload)),
    }
}
