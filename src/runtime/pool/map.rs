//! `Pool::map`, `map_chunked` and `try_map`: every item, in order, in
//! chunks (`chunks.rs` says how they are cut).

use super::assembly::Assembly;
use super::chunks::{for_each_chunk, Sizes};
use super::Pool;
use crate::executor::JoinError;
use crate::runtime::{in_unwinding_task, JoinHandle};
use crate::sync::mpsc::Backoff;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe, Location};
use std::sync::Arc;

/// Joins a job, looking a few times before blocking: a map's jobs often
/// end within microseconds of each other, and a caller that went to sleep
/// is paid for by the worker's system call and the wake-up (tens of µs on
/// these VMs).
fn join_soon<T>(handle: JoinHandle<T>) -> Result<T, JoinError> {
    let mut backoff = Backoff::new();
    while !handle.is_finished() && backoff.snooze() {}
    handle.join()
}

impl Pool {
    /// Applies `f` to every item on the pool's workers and returns the
    /// results in the items' order. The items are cut in chunks, one job
    /// each, that shrink towards the end (guided: each takes a share of
    /// what is left), so the workers finish together even when later items
    /// cost more. When a job ends before the caller has cut the next chunk
    /// (items that cost less to map than to cut), the rest goes in twice
    /// as many equal chunks as there are workers instead, since more jobs
    /// would buy no balance, only overhead. See [`map_chunked`](Pool::map_chunked)
    /// for Python's fixed `chunksize`.
    ///
    /// Called from a task that is unwinding (a destructor run by a cancel
    /// or a panic), which cannot suspend, the items are mapped right
    /// there, in order, on the calling thread; so are `map_chunked`'s,
    /// `try_map`'s and [`apply`](Pool::apply)'s.
    ///
    /// # Panics
    ///
    /// After [`close`](Pool::close). If a job panicked, its panic (the
    /// first in item order) is re-raised here after every other job ended,
    /// as rayon and Python do; [`try_map`](Pool::try_map) returns every
    /// item's outcome instead. A job is a chunk of items, so a panic skips
    /// the items after it in its chunk, as in Python (rayon stops sooner
    /// still); `try_map` runs every item apart. A job cancelled by
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
        self.check_open("Pool::map");
        self.check_can_wait("Pool::map");
        if in_unwinding_task() {
            return items.into_iter().map(f).collect();
        }
        let sizes = Sizes::Guided {
            workers: self.workers(),
        };
        self.map_in(items, sizes, f, Location::caller())
    }

    /// [`map`](Pool::map) with chunks of `chunk_size` items, as Python's
    /// `chunksize`: larger chunks cost less per item, smaller ones balance
    /// uneven items better.
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
        self.check_can_wait("Pool::map");
        assert!(
            chunk_size > 0,
            "Pool::map_chunked: chunk_size must be at least 1"
        );
        if in_unwinding_task() {
            return items.into_iter().map(f).collect();
        }
        self.map_in(items, Sizes::Fixed(chunk_size), f, Location::caller())
    }

    #[track_caller]
    fn map_in<I, F, R>(
        &self,
        items: I,
        sizes: Sizes,
        f: F,
        location: &'static Location<'static>,
    ) -> Vec<R>
    where
        I: IntoIterator,
        I::Item: Send + 'static,
        F: Fn(I::Item) -> R + Send + Sync + 'static,
        R: Send + 'static,
    {
        let items = items.into_iter();
        let assembly = Arc::new(Assembly::new(items.size_hint().0));
        let f = Arc::new(f);
        let mut handles = Vec::new();
        for_each_chunk(items, sizes, |chunk| {
            let (f, assembly) = (f.clone(), assembly.clone());
            let index = handles.len();
            let job = move || assembly.map_chunk(index, chunk, &*f);
            handles.push(self.submit(job, location));
            handles[0].is_finished()
        });
        // Every job is waited for before a panic is re-raised.
        let mut first_error = None;
        for handle in handles {
            match join_soon(handle) {
                Ok(spent) => drop(spent),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        match first_error {
            None => Arc::into_inner(assembly)
                .expect("every job ended")
                .into_results(),
            Some(e) => match e.try_into_panic() {
                Ok(payload) => resume_unwind(payload),
                Err(e) => panic!(
                    "Pool::map: a job produced no value: {e}{}",
                    cancelled_why(&e)
                ),
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
        self.check_can_wait("Pool::try_map");
        if in_unwinding_task() {
            let each = |item| {
                let run = AssertUnwindSafe(|| f(item));
                catch_unwind(run).map_err(JoinError::panicked)
            };
            return items.into_iter().map(each).collect();
        }
        let sizes = Sizes::Guided {
            workers: self.workers(),
        };
        let f = Arc::new(f);
        let location = Location::caller();
        let mut handles = Vec::new();
        for_each_chunk(items, sizes, |chunk| {
            let f = f.clone();
            let n = chunk.len();
            let job = move || {
                chunk
                    .into_iter()
                    .map(|item| catch_item(|| f(item)))
                    .collect::<Vec<Result<R, JoinError>>>()
            };
            handles.push((n, self.submit(job, location)));
            handles[0].1.is_finished()
        });
        let mut results = Vec::new();
        for (n, h) in handles {
            match join_soon(h) {
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

/// What a cancelled job's refusal adds: who cancels a map's jobs.
pub(super) fn cancelled_why(e: &JoinError) -> &'static str {
    if e.is_cancelled() {
        " (the pool was terminated, or its runtime shut down, before the job ended)"
    } else {
        ""
    }
}
