//! Where a map's chunks are put back together, on the workers.
//!
//! A trivial map is bound by the caller's passes over memory: it alone cuts
//! the items, and if it also appended every chunk's results it would copy
//! most of them a second time after the workers were done. Here the worker
//! that finishes a chunk appends it, and every chunk after it that is
//! already done, to the results, so the copying runs beside the caller's
//! cutting; and a chunk that is next in order when its job starts is
//! mapped straight into the results, with no copy at all.
//!
//! Rules:
//! 1. A finished chunk is filed in `done` first, then its worker tries to
//!    become the appender (`try_lock`); one that finds the results taken
//!    leaves its chunk to the thread that holds them.
//! 2. The appender takes chunks from `done` in index order while the next
//!    one is there. After letting go of the results it looks once more: a
//!    chunk filed while it held them was left to it (rule 1).
//! 3. The map's closure runs under the results' lock only when its chunk
//!    is next (it writes there directly), and nobody ever waits for that
//!    lock, so a slow closure holds up no other chunk. A chunk that
//!    panicked never counts as appended, and the caller re-raises its panic
//!    without reading the results (a poisoned lock is just taken).

use crate::loom::{lock, Mutex, MutexGuard};
use std::collections::BTreeMap;
use std::sync::TryLockError;

/// The results of one map, as its chunks finish.
pub(super) struct Assembly<R> {
    /// Chunks finished and not yet appended, by index.
    done: Mutex<BTreeMap<usize, Vec<R>>>,
    results: Mutex<Results<R>>,
}

struct Results<R> {
    /// The index of the next chunk to append.
    next: usize,
    items: Vec<R>,
    /// How many results are expected, for the first chunk's reservation.
    expected: usize,
}

impl<R> Assembly<R> {
    /// For about `expected` results in all.
    pub(super) fn new(expected: usize) -> Self {
        Assembly {
            done: Mutex::new(BTreeMap::new()),
            results: Mutex::new(Results {
                next: 0,
                items: Vec::new(),
                expected,
            }),
        }
    }

    /// Maps chunk `index` with `f` and puts its results in place. When the
    /// results are free and this chunk is next in order, `f` writes them
    /// straight into the results, which saves a pass over the chunk's
    /// memory; otherwise the chunk is mapped in place and filed (rule 1).
    /// Returns the chunk's emptied buffer if it was not reused, for the
    /// caller to free: freed here, on a worker, it was seen to send glibc
    /// back to the OS for fresh pages now and then.
    pub(super) fn map_chunk<T>(
        &self,
        index: usize,
        mut chunk: Vec<T>,
        f: impl Fn(T) -> R,
    ) -> Option<Vec<T>> {
        // The first chunk's own buffer becomes the results (it has room).
        if index > 0 {
            if let Some(mut results) = self.try_take() {
                if results.next == index {
                    results.items.extend(chunk.drain(..).map(f));
                    results.next += 1;
                    self.append_then_let_go(results);
                    return Some(chunk);
                }
            }
        }
        // Collected in place when `R` fits where the item was.
        let out = chunk.into_iter().map(f).collect::<Vec<R>>();
        lock(&self.done).insert(index, out);
        if let Some(results) = self.try_take() {
            self.append_then_let_go(results);
        }
        None
    }

    /// The results, unless another thread holds them (rule 1).
    fn try_take(&self) -> Option<MutexGuard<'_, Results<R>>> {
        match self.results.try_lock() {
            Ok(results) => Some(results),
            Err(TryLockError::Poisoned(e)) => Some(e.into_inner()),
            Err(TryLockError::WouldBlock) => None,
        }
    }

    /// Rule 2.
    fn append_then_let_go<'a>(&'a self, mut results: MutexGuard<'a, Results<R>>) {
        loop {
            results.append_ready(&self.done);
            let next = results.next;
            drop(results);
            if !lock(&self.done).contains_key(&next) {
                return;
            }
            match self.try_take() {
                Some(again) => results = again,
                None => return,
            }
        }
    }

    /// Every result, once every chunk was filed and every job ended.
    pub(super) fn into_results(self) -> Vec<R> {
        let done = Mutex::new(self.done.into_inner().unwrap_or_else(|e| e.into_inner()));
        let mut results = self.results.into_inner().unwrap_or_else(|e| e.into_inner());
        results.append_ready(&done);
        results.items
    }
}

impl<R> Results<R> {
    fn append_ready(&mut self, done: &Mutex<BTreeMap<usize, Vec<R>>>) {
        loop {
            let Some(mut chunk) = lock(done).remove(&self.next) else {
                return;
            };
            if self.next == 0 {
                // Its buffer has room for every result when the map was
                // collected in place (`chunks.rs`); this reserves only if
                // it had not.
                self.items = chunk;
                let more = self.expected.saturating_sub(self.items.len());
                self.items.reserve_exact(more);
            } else {
                self.items.append(&mut chunk);
            }
            self.next += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_finished_in_any_order_come_back_in_order() {
        let a = Assembly::new(6);
        assert!(a.map_chunk(2, vec![4, 5], |x| x * 10).is_none());
        // Not next: mapped in place and filed.
        assert!(a.map_chunk(1, vec![2, 3], |x| x * 10).is_none());
        assert!(a.map_chunk(0, vec![0, 1], |x| x * 10).is_none());
        assert_eq!(a.into_results(), [0, 10, 20, 30, 40, 50]);
    }

    #[test]
    fn a_chunk_that_is_next_is_mapped_straight_into_the_results() {
        let a = Assembly::new(4);
        assert!(a.map_chunk(0, vec![0, 1], |x: u8| u32::from(x)).is_none());
        let spent = a.map_chunk(1, vec![2, 3], |x: u8| u32::from(x));
        assert_eq!(spent.map(|v| v.len()), Some(0), "its buffer, emptied");
        assert_eq!(a.into_results(), [0, 1, 2, 3]);
    }

    #[test]
    fn chunks_from_many_threads_meet_in_order() {
        let a = std::sync::Arc::new(Assembly::new(4000));
        let threads: Vec<_> = (0..40)
            .rev()
            .map(|i| {
                let a = a.clone();
                std::thread::spawn(move || {
                    a.map_chunk(i, (i * 100..i * 100 + 100).collect(), |x: usize| x + 1);
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let got = std::sync::Arc::into_inner(a).unwrap().into_results();
        assert_eq!(got, (1..=4000).collect::<Vec<_>>());
    }
}
