//! `imap` and `imap_unordered` with Python's `chunksize`: one job per
//! chunk of items, so a cheap `f` over many items costs a job per chunk,
//! not per item.

use super::imap::{Imap, ImapUnordered};
use super::Pool;
use std::fmt;

/// The items, `size` at a time.
#[derive(Debug)]
pub struct Chunks<I> {
    items: I,
    size: usize,
}

impl<I: Iterator> Iterator for Chunks<I> {
    type Item = Vec<I::Item>;

    fn next(&mut self) -> Option<Vec<I::Item>> {
        // Grown by pushes, not sized from the size hint: an endless source
        // with a huge chunk size would ask for more memory than exists.
        let mut chunk = Vec::with_capacity(self.size.min(1024));
        for item in self.items.by_ref().take(self.size) {
            chunk.push(item);
        }
        (!chunk.is_empty()).then_some(chunk)
    }
}

/// The iterator of [`Pool::imap_chunked`] (and, unordered by chunk, of
/// [`Pool::imap_unordered_chunked`]): each chunk's results in the items'
/// order.
pub struct ImapChunked<J, R> {
    chunks: J,
    current: std::vec::IntoIter<R>,
}

impl<J: Iterator<Item = Vec<R>>, R> Iterator for ImapChunked<J, R> {
    type Item = R;

    #[track_caller]
    fn next(&mut self) -> Option<R> {
        loop {
            if let Some(r) = self.current.next() {
                return Some(r);
            }
            self.current = self.chunks.next()?.into_iter();
        }
    }
}

impl<J, R> fmt::Debug for ImapChunked<J, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImapChunked")
            .field("ready", &self.current.len())
            .finish_non_exhaustive()
    }
}

/// What a chunked job runs: `f` over its chunk.
fn over_chunk<T, R>(f: impl Fn(T) -> R) -> impl Fn(Vec<T>) -> Vec<R> {
    move |chunk| chunk.into_iter().map(&f).collect()
}

impl Pool {
    /// [`imap`](Pool::imap) with Python's `chunksize`: the items go to the
    /// workers `chunk_size` at a time, one job per chunk, and the results
    /// still come one by one in the items' order. Worth it when `f` is
    /// cheap: a job costs microseconds, an item in a chunk next to nothing.
    /// A job's panic is re-raised when the iteration reaches its chunk, and
    /// that chunk's other results are lost (its job ended in the panic);
    /// the iteration may go on after it. A chunk is gathered before its
    /// job starts, so an endless source needs a chunk size it can fill.
    ///
    /// # Panics
    ///
    /// If `chunk_size` is zero, and as `imap`.
    ///
    /// ```
    /// let pool = corun::Pool::new(2)?;
    /// let squares: Vec<u64> = pool.imap_chunked(0..10_000u64, 1_000, |x| x * x).collect();
    /// assert_eq!(squares[9_999], 9_999 * 9_999);
    /// # Ok::<(), corun::runtime::BuildError>(())
    /// ```
    #[track_caller]
    #[allow(clippy::type_complexity)]
    pub fn imap_chunked<I, F, R>(
        &self,
        items: I,
        chunk_size: usize,
        f: F,
    ) -> ImapChunked<Imap<'_, Chunks<I::IntoIter>, Vec<R>>, R>
    where
        I: IntoIterator,
        I::Item: Send + 'static,
        F: Fn(I::Item) -> R + Send + Sync + 'static,
        R: Send + 'static,
    {
        let chunks = chunked(items, chunk_size, "Pool::imap_chunked");
        ImapChunked {
            chunks: self.imap(chunks, over_chunk(f)).named("Pool::imap_chunked"),
            current: Vec::new().into_iter(),
        }
    }

    /// [`imap_unordered`](Pool::imap_unordered) with Python's `chunksize`:
    /// chunks come back as their jobs finish, each chunk's results in
    /// order.
    ///
    /// # Panics
    ///
    /// If `chunk_size` is zero, and as `imap_unordered`.
    ///
    /// ```
    /// let pool = corun::Pool::new(2)?;
    /// let mut all: Vec<u32> = pool.imap_unordered_chunked(0..100u32, 10, |x| x + 1).collect();
    /// all.sort();
    /// assert_eq!(all, (1..=100).collect::<Vec<_>>());
    /// # Ok::<(), corun::runtime::BuildError>(())
    /// ```
    #[track_caller]
    #[allow(clippy::type_complexity)]
    pub fn imap_unordered_chunked<I, F, R>(
        &self,
        items: I,
        chunk_size: usize,
        f: F,
    ) -> ImapChunked<ImapUnordered<'_, Chunks<I::IntoIter>, Vec<R>>, R>
    where
        I: IntoIterator,
        I::Item: Send + 'static,
        F: Fn(I::Item) -> R + Send + Sync + 'static,
        R: Send + 'static,
    {
        let chunks = chunked(items, chunk_size, "Pool::imap_unordered_chunked");
        ImapChunked {
            chunks: self
                .imap_unordered(chunks, over_chunk(f))
                .named("Pool::imap_unordered_chunked"),
            current: Vec::new().into_iter(),
        }
    }
}

#[track_caller]
fn chunked<I: IntoIterator>(items: I, size: usize, what: &str) -> Chunks<I::IntoIter> {
    assert!(size > 0, "{what}: the chunk size must be at least 1");
    Chunks {
        items: items.into_iter(),
        size,
    }
}
