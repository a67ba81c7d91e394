//! How `Pool::map` cuts its items into jobs.
//!
//! Python's default `chunksize` gives every job the same number of items,
//! about four jobs per worker. Equal counts finish together only when every
//! item costs the same; when the cost grows along the items (a primality
//! test over `0..n`) the last job alone can hold a worker for a fifth of the
//! run while the others idle. So the default here is guided, as OpenMP's
//! `schedule(guided)`: each job takes a share of what is left
//! (`left / (2 × workers)`), never fewer than `total / (16 × workers)`
//! items. The first jobs are large (little overhead per item), the last
//! ones small, and an idle worker takes an unstarted one from a busy worker
//! (`dispatch.rs`), so the workers end within a small job of each other.
//! With two workers that is about a dozen jobs. `map_chunked` keeps
//! Python's fixed size.
//!
//! Chunks are cut lazily from the items, so each job can be handed out as
//! soon as its items are there, and an iterator that knows its length (a
//! range, a `Vec`) is never collected into one big buffer first.

/// How chunk sizes are picked.
#[derive(Clone, Copy)]
pub(super) enum Sizes {
    /// A shrinking share of what is left, for `workers` workers.
    Guided { workers: usize },
    /// Every chunk this many items (the last may be shorter).
    Fixed(usize),
}

/// The items, cut into chunks lazily.
pub(super) struct Chunks<It: Iterator> {
    items: It,
    left: usize,
    total: usize,
    sizes: Sizes,
}

/// The items: as given when their number is known, else collected.
pub(super) enum Source<It: Iterator> {
    Lazy(It),
    Collected(std::vec::IntoIter<It::Item>),
}

impl<It: Iterator> Iterator for Source<It> {
    type Item = It::Item;

    fn next(&mut self) -> Option<It::Item> {
        match self {
            Source::Lazy(items) => items.next(),
            Source::Collected(items) => items.next(),
        }
    }
}

/// Cuts `items` into chunks; an iterator whose length is not known up
/// front is collected first.
pub(super) fn chunks<I: IntoIterator>(items: I, sizes: Sizes) -> Chunks<Source<I::IntoIter>> {
    let items = items.into_iter();
    let (low, high) = items.size_hint();
    let (items, total) = if high == Some(low) {
        (Source::Lazy(items), low)
    } else {
        let all: Vec<I::Item> = items.collect();
        let n = all.len();
        (Source::Collected(all.into_iter()), n)
    };
    Chunks {
        items,
        left: total,
        total,
        sizes,
    }
}

impl<It: Iterator> Chunks<It> {
    /// The number of items in all.
    pub(super) fn total(&self) -> usize {
        self.total
    }

    fn next_size(&self) -> usize {
        match self.sizes {
            Sizes::Fixed(size) => size,
            Sizes::Guided { workers } => {
                let floor = self.total.div_ceil(16 * workers);
                self.left.div_ceil(2 * workers).max(floor).max(1)
            }
        }
    }
}

impl<It: Iterator> Iterator for Chunks<It> {
    type Item = Vec<It::Item>;

    fn next(&mut self) -> Option<Vec<It::Item>> {
        let size = self.next_size().min(self.left);
        // Trust the size hint only as a limit: a short iterator ends early.
        let chunk: Vec<It::Item> = self.items.by_ref().take(size).collect();
        self.left -= chunk.len().min(self.left);
        if chunk.is_empty() {
            // An iterator that lied about its length: take what is left.
            let rest: Vec<It::Item> = self.items.by_ref().collect();
            return (!rest.is_empty()).then_some(rest);
        }
        Some(chunk)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sizes_of(total: usize, sizes: Sizes) -> Vec<usize> {
        chunks(0..total, sizes).map(|c| c.len()).collect()
    }

    #[test]
    fn guided_chunks_shrink_and_cover_every_item_in_order() {
        let all: Vec<usize> = chunks(0..1000, Sizes::Guided { workers: 2 })
            .flatten()
            .collect();
        assert_eq!(all, (0..1000).collect::<Vec<_>>());
        let sizes = sizes_of(1_000_000, Sizes::Guided { workers: 2 });
        assert!(sizes.windows(2).all(|w| w[0] >= w[1]), "{sizes:?}");
        assert!(sizes.len() <= 16, "{sizes:?}");
        assert!(*sizes.last().unwrap() <= 1_000_000 / 32, "{sizes:?}");
    }

    #[test]
    fn fixed_chunks_are_pythons() {
        assert_eq!(sizes_of(10, Sizes::Fixed(4)), [4, 4, 2]);
        assert_eq!(sizes_of(0, Sizes::Fixed(4)), Vec::<usize>::new());
    }

    #[test]
    fn an_iterator_of_unknown_length_is_collected_first() {
        let evens = (0..10).filter(|x| x % 2 == 0);
        let got: Vec<Vec<i32>> = chunks(evens, Sizes::Fixed(2)).collect();
        assert_eq!(got, [vec![0, 2], vec![4, 6], vec![8]]);
    }
}
