//! How `Pool::map` cuts its items into jobs.
//!
//! Python's default `chunksize` gives every job the same number of items,
//! about four jobs per worker. Equal counts finish together only when every
//! item costs the same; when the cost grows along the items (a primality
//! test over `0..n`) the last job alone can hold a worker for a fifth of the
//! run while the others idle. So the default here is guided, as OpenMP's
//! `schedule(guided)`: each job takes a share of what is left
//! (`left / (2 × workers)`), never fewer than `total / (64 × workers)`
//! items. The first jobs are large (little overhead per item), the last
//! ones small, and an idle worker takes an unstarted one from a busy worker
//! (`dispatch.rs`), so the workers end within a small job of each other.
//! With two workers that is 17 jobs. (A floor of `total / (16 × workers)`,
//! 12 jobs, left the primality map 1.77× faster than sequential on two
//! cores against 1.80× with this one, in alternating runs of
//! `cargo bench --bench runtime -- map_`; the trivial map's cost per item
//! did not move.) `map_chunked` keeps Python's fixed size.
//!
//! Guided sizes buy balance when mapping costs more than cutting. When it
//! costs less (a trivial closure), every job more is only overhead: its
//! hand-over, and the wake-up of a worker that ran dry waiting for the
//! caller (about 1.5 eventfd writes a job in `strace -c -f`). So when a job
//! has already ended by the time the caller cuts the next chunk, what is
//! left goes in `2 × workers` equal chunks instead (`Cutter::next`): 5 jobs
//! instead of 17 for a million `x + 1` on two workers, 7–26% faster in
//! interleaved runs of the same process. A job that takes longer than the
//! whole cut (the primality map) never triggers it.
//!
//! An iterator that knows its length (a range, a `Vec`) is cut as it goes,
//! each chunk handed to its job at once, so the first jobs run while the
//! caller still cuts the rest; the caller's single pass over the items is
//! what a trivial map costs. Others are collected first, then split.

/// How chunk sizes are picked.
#[derive(Clone, Copy)]
pub(super) enum Sizes {
    /// A shrinking share of what is left, for `workers` workers.
    Guided { workers: usize },
    /// Every chunk this many items (the last may be shorter).
    Fixed(usize),
}

impl Sizes {
    /// The size of every chunk of `total` items, in order, when no job
    /// ends before the last chunk is cut.
    fn of(self, total: usize) -> Vec<usize> {
        let mut cut = Cutter::new(self, total);
        std::iter::from_fn(|| cut.next(false)).collect()
    }
}

/// Picks chunk sizes one at a time, as the caller cuts.
struct Cutter {
    sizes: Sizes,
    total: usize,
    left: usize,
    /// The size every chunk takes once the jobs were seen to keep up with
    /// the cutting.
    settled: Option<usize>,
}

impl Cutter {
    fn new(sizes: Sizes, total: usize) -> Self {
        Cutter {
            sizes,
            total,
            left: total,
            settled: None,
        }
    }

    /// The next chunk's size (`None` once every item has its chunk).
    /// `cheap`: a job already ended before this chunk was cut, so cutting,
    /// not mapping, sets the pace; the guided sizes stop shrinking then and
    /// what is left goes in `2 × workers` equal chunks (Python's default
    /// of four a worker, for two workers), since every job more would cost
    /// its hand-over and the wake-up of a worker that ran dry, and no
    /// longer buys balance.
    fn next(&mut self, cheap: bool) -> Option<usize> {
        if self.left == 0 {
            return None;
        }
        let size = match self.sizes {
            Sizes::Fixed(size) => size,
            Sizes::Guided { workers } => match self.settled {
                Some(size) => size,
                None if cheap => *self.settled.insert(self.left.div_ceil(2 * workers)),
                None => self
                    .left
                    .div_ceil(2 * workers)
                    .max(self.total.div_ceil(64 * workers)),
            },
        };
        let size = size.clamp(1, self.left);
        self.left -= size;
        Some(size)
    }
}

/// Cuts `items` into chunks and hands each to `each`, in order, as soon as
/// it is cut, so the first jobs run while the caller still cuts the rest.
/// `each` answers whether a job has already ended (see `Cutter::next`).
/// An iterator that knows its length (a range, a `Vec`) is cut as it goes;
/// the first chunk has room for every item, so the in-place `map` of its
/// job hands back a vector with room for every result.
pub(super) fn for_each_chunk<I: IntoIterator>(
    items: I,
    sizes: Sizes,
    mut each: impl FnMut(Vec<I::Item>) -> bool,
) {
    let mut items = items.into_iter();
    let total = match items.size_hint() {
        (lower, Some(upper)) if lower == upper => lower,
        _ => {
            for chunk in chunks_of(items.collect(), sizes) {
                each(chunk);
            }
            return;
        }
    };
    let mut cut = Cutter::new(sizes, total);
    let mut cheap = false;
    let mut first = true;
    while let Some(size) = cut.next(cheap) {
        let mut chunk = Vec::with_capacity(if first { total } else { size });
        first = false;
        chunk.extend(items.by_ref().take(size));
        if chunk.is_empty() {
            return; // the iterator said more than it had
        }
        cheap = each(chunk);
    }
    // It had more than it said: the rest in one more chunk.
    let rest: Vec<I::Item> = items.collect();
    if !rest.is_empty() {
        each(rest);
    }
}

/// Cuts `items` into chunks, in order.
#[cfg(test)]
pub(super) fn chunks<I: IntoIterator>(items: I, sizes: Sizes) -> Vec<Vec<I::Item>> {
    let mut chunks = Vec::new();
    for_each_chunk(items, sizes, |chunk| {
        chunks.push(chunk);
        false
    });
    chunks
}

/// Cuts collected items: the chunks are split off the end (a `memcpy`
/// each), so the first keeps the whole buffer.
fn chunks_of<T>(mut items: Vec<T>, sizes: Sizes) -> Vec<Vec<T>> {
    let sizes = sizes.of(items.len());
    let mut chunks: Vec<Vec<T>> = Vec::with_capacity(sizes.len());
    for &size in sizes.iter().skip(1).rev() {
        chunks.push(items.split_off(items.len() - size));
    }
    if !items.is_empty() {
        chunks.push(items);
    }
    chunks.reverse();
    chunks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sizes_of(total: usize, sizes: Sizes) -> Vec<usize> {
        chunks(0..total, sizes).iter().map(Vec::len).collect()
    }

    #[test]
    fn guided_chunks_shrink_and_cover_every_item_in_order() {
        let all: Vec<usize> = chunks(0..1000, Sizes::Guided { workers: 2 })
            .into_iter()
            .flatten()
            .collect();
        assert_eq!(all, (0..1000).collect::<Vec<_>>());
        let sizes = sizes_of(1_000_000, Sizes::Guided { workers: 2 });
        assert!(sizes.windows(2).all(|w| w[0] >= w[1]), "{sizes:?}");
        assert!(sizes.len() <= 20, "{sizes:?}");
        assert!(*sizes.last().unwrap() <= 1_000_000 / 128, "{sizes:?}");
    }

    /// The sizes a cutter picks for `total` items, told `paces` in turn.
    fn cut_with(sizes: Sizes, total: usize, paces: &[bool]) -> Vec<Option<usize>> {
        let mut cut = Cutter::new(sizes, total);
        paces.iter().map(|&cheap| cut.next(cheap)).collect()
    }

    #[test]
    fn guided_chunks_settle_once_the_jobs_keep_up_with_the_cutting() {
        // A job ended when the second chunk was cut: the 750 left go in
        // four equal chunks, whatever the jobs report from then on.
        let paces = [false, true, false, true, false, false];
        assert_eq!(
            cut_with(Sizes::Guided { workers: 2 }, 1000, &paces),
            [Some(250), Some(188), Some(188), Some(188), Some(186), None]
        );
    }

    #[test]
    fn fixed_chunks_ignore_the_pace() {
        assert_eq!(
            cut_with(Sizes::Fixed(4), 10, &[true, true, false, true]),
            [Some(4), Some(4), Some(2), None]
        );
    }

    #[test]
    fn each_chunk_hears_the_pace_its_predecessors_reported() {
        let mut sizes = Vec::new();
        for_each_chunk(0..1000u32, Sizes::Guided { workers: 2 }, |chunk| {
            sizes.push(chunk.len());
            sizes.len() == 2 // a job "ended" while the third was cut
        });
        assert_eq!(sizes, [250, 188, 141, 141, 141, 139]);
    }

    #[test]
    fn the_first_chunk_keeps_room_for_every_result() {
        let got = chunks(0..100u64, Sizes::Guided { workers: 2 });
        assert!(got[0].capacity() >= 100);
    }

    #[test]
    fn fixed_chunks_are_pythons() {
        assert_eq!(sizes_of(10, Sizes::Fixed(4)), [4, 4, 2]);
        assert_eq!(sizes_of(0, Sizes::Fixed(4)), Vec::<usize>::new());
    }

    /// Claims a length it does not have.
    struct Liar(std::ops::Range<u32>, usize);

    impl Iterator for Liar {
        type Item = u32;
        fn next(&mut self) -> Option<u32> {
            self.0.next()
        }
        fn size_hint(&self) -> (usize, Option<usize>) {
            (self.1, Some(self.1))
        }
    }

    #[test]
    fn an_iterator_that_lies_about_its_length_still_gives_every_item() {
        for claimed in [0, 3, 10, 50] {
            let all: Vec<u32> = chunks(Liar(0..10, claimed), Sizes::Guided { workers: 2 })
                .into_iter()
                .flatten()
                .collect();
            assert_eq!(all, (0..10).collect::<Vec<_>>(), "claimed {claimed}");
        }
    }

    #[test]
    fn an_iterator_of_unknown_length_is_cut_too() {
        let evens = (0..10).filter(|x| x % 2 == 0);
        let got: Vec<Vec<i32>> = chunks(evens, Sizes::Fixed(2));
        assert_eq!(got, [vec![0, 2], vec![4, 6], vec![8]]);
    }
}
