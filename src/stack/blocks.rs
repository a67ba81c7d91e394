//! Small blocks of memory from a per-thread cache: what task cells and
//! waiting generators live in, beside the stacks this layer also hands out.
//!
//! Why: every task is one cell of a couple of hundred bytes, made at spawn
//! and freed when its last handle goes. Through `malloc` that costs twice:
//! glibc's fast paths stop at a handful of blocks per size, and a burst of
//! 100,000 tasks that ends gives the top of the heap back to the kernel
//! (glibc trims it), so the next burst takes a page fault per 4 KiB of
//! cells: measured, the page faults were more than half of a spawn's cost.
//! Here a freed block goes on its size's free list and the next block of
//! that size comes off it, still warm.
//!
//! Rules:
//! 1. A request is served from a size class when its alignment is at most
//!    [`ALIGN`] and its size at most [`LARGEST`]: classes are multiples of
//!    [`GRAIN`] bytes, and a block of a class always has the class's
//!    layout, whatever the request's exact size. Any other request goes to
//!    the global allocator with its own layout. [`free`] recomputes the
//!    same choice from the same layout, so a block always goes back the way
//!    it came.
//! 2. A block on a free list holds no value; its first word is the link
//!    to the next free block. A block is on a free list or owned by exactly
//!    one caller, never both.
//! 3. The lists are `Cell`s, never borrowed across a call: a value's drop
//!    may allocate and free blocks, and that never reaches a list mid-use.
//! 4. What the lists hold is bounded: at most [`HELD_AT_MOST`] bytes per
//!    thread (beyond it, blocks go back to the allocator). Beyond that,
//!    blocks go back by age, as the stack pool's pages do (`size_class`):
//!    the lists note the fewest bytes they held since the last decay (the
//!    low water: blocks nobody took in that time), and a [`decay`], one
//!    [`DECAY_EVERY`] after the last, gives that many back, all but
//!    [`KEPT_WHEN_IDLE`]. An executor decays before it waits for events,
//!    and wakes in time for the next decay that is due, so a burst's blocks
//!    are reused while bursts keep coming (a burst every few ms takes no
//!    page fault) and stop pinning memory a period or two after the last.
//!    [`trim`] gives back all but [`KEPT_WHEN_IDLE`] at once: an executor
//!    does so when it is dropped.
//! 5. A thread's lists are given back to the allocator when the thread
//!    ends; a block freed after that (by another thread-local's destructor)
//!    goes straight to the allocator.

use super::size_class::DECAY_EVERY;
use std::alloc::{alloc, dealloc, handle_alloc_error, Layout};
use std::cell::Cell;
use std::ptr::NonNull;
use std::time::{Duration, Instant};

/// The alignment of every class's blocks (rule 1).
pub(crate) const ALIGN: usize = 16;
/// The step between classes (rule 1).
pub(crate) const GRAIN: usize = 64;
/// The largest class (rule 1).
pub(crate) const LARGEST: usize = 512;
const CLASSES: usize = LARGEST / GRAIN;
/// Bytes a thread's lists may hold at most (rule 4): 100,000 task cells of
/// 256 bytes fit.
pub(crate) const HELD_AT_MOST: usize = 64 << 20;
/// Bytes a thread's lists keep through a [`trim`] or a [`decay`] (rule 4).
pub(crate) const KEPT_WHEN_IDLE: usize = 1 << 20;

/// A free block's link (rule 2).
struct FreeBlock {
    next: Option<NonNull<FreeBlock>>,
}

/// A thread's free lists (rule 3: only `Cell`s).
struct Lists {
    heads: [Cell<Option<NonNull<FreeBlock>>>; CLASSES],
    held: Cell<usize>,
    /// The fewest bytes `held` was since the last decay (rule 4).
    low_water: Cell<usize>,
    /// When the last decay ran; `None` while nothing beyond
    /// [`KEPT_WHEN_IDLE`] is held, or no decay has started the watch.
    last_decay: Cell<Option<Instant>>,
}

impl Drop for Lists {
    fn drop(&mut self) {
        release(self, 0);
    }
}

thread_local! {
    static LISTS: Lists = const {
        Lists {
            heads: [const { Cell::new(None) }; CLASSES],
            held: Cell::new(0),
            low_water: Cell::new(0),
            last_decay: Cell::new(None),
        }
    };
}

/// The class serving `layout`, if one does (rule 1): its index.
#[inline(always)]
fn class_of(layout: Layout) -> Option<usize> {
    if layout.align() <= ALIGN && layout.size() <= LARGEST {
        // A zero-size request takes the smallest class.
        Some(layout.size().saturating_sub(1) / GRAIN)
    } else {
        None
    }
}

/// The layout of class `class`'s blocks.
#[inline(always)]
fn class_layout(class: usize) -> Layout {
    // SAFETY: the size is a non-zero multiple of `ALIGN`, a power of two,
    // and far below `isize::MAX`.
    unsafe { Layout::from_size_align_unchecked((class + 1) * GRAIN, ALIGN) }
}

/// A block for a value of `layout`: uninitialised, at least that large and
/// that aligned. Give it back with [`free`] and the same layout.
#[inline]
pub(crate) fn allocate(layout: Layout) -> NonNull<u8> {
    let Some(class) = class_of(layout) else {
        return from_allocator(layout);
    };
    let cached = LISTS
        .try_with(|lists| {
            let head = &lists.heads[class];
            let block = head.get()?;
            // SAFETY: a block on a list is free and starts with its link
            // (rule 2); it is taken off the list before anyone else can
            // see it (rule 3).
            head.set(unsafe { block.as_ref().next });
            let held = lists.held.get() - class_layout(class).size();
            lists.held.set(held);
            if held < lists.low_water.get() {
                lists.low_water.set(held);
            }
            Some(block.cast::<u8>())
        })
        .ok()
        .flatten();
    match cached {
        Some(block) => block,
        None => from_allocator(class_layout(class)),
    }
}

#[inline(never)]
fn from_allocator(layout: Layout) -> NonNull<u8> {
    let layout = if layout.size() == 0 {
        class_layout(0)
    } else {
        layout
    };
    // SAFETY: the layout's size is not zero.
    let raw = unsafe { alloc(layout) };
    NonNull::new(raw).unwrap_or_else(|| handle_alloc_error(layout))
}

/// Gives back a block [`allocate`] handed out.
///
/// # Safety
///
/// `block` came from `allocate(layout)` with this same `layout`, holds no
/// value any more, and is not used after this call.
#[inline]
pub(crate) unsafe fn free(block: NonNull<u8>, layout: Layout) {
    let Some(class) = class_of(layout) else {
        // SAFETY: such a block came from the allocator with this layout
        // (rule 1; the caller's contract).
        unsafe { dealloc(block.as_ptr(), layout) };
        return;
    };
    let size = class_layout(class).size();
    let kept = LISTS
        .try_with(|lists| {
            let held = lists.held.get();
            if held + size > HELD_AT_MOST {
                return false;
            }
            let head = &lists.heads[class];
            let link = block.cast::<FreeBlock>();
            // SAFETY: the block is at least `GRAIN` bytes, `ALIGN`-aligned
            // (rule 1) and ours alone (the caller's contract): writing its
            // link there makes it a free block (rule 2).
            unsafe { link.as_ptr().write(FreeBlock { next: head.get() }) };
            head.set(Some(link));
            lists.held.set(held + size);
            true
        })
        .unwrap_or(false);
    if !kept {
        // SAFETY: a class's blocks have the class's layout (rule 1), and
        // this one holds no value (the caller's contract).
        unsafe { dealloc(block.as_ptr(), class_layout(class)) };
    }
}

/// Gives back to the allocator the free blocks of `lists` beyond `keep`
/// bytes, largest classes first.
fn release(lists: &Lists, keep: usize) -> usize {
    let mut released = 0;
    for class in (0..CLASSES).rev() {
        let layout = class_layout(class);
        let head = &lists.heads[class];
        while lists.held.get() > keep {
            let Some(block) = head.get() else { break };
            // SAFETY: as in `allocate`, the block is free and starts with
            // its link (rule 2), and leaves the list here.
            head.set(unsafe { block.as_ref().next });
            lists.held.set(lists.held.get() - layout.size());
            // SAFETY: a free block has its class's layout and holds no
            // value (rules 1 and 2).
            unsafe { dealloc(block.as_ptr().cast(), layout) };
            released += 1;
        }
    }
    released
}

/// Gives back to the allocator all but [`KEPT_WHEN_IDLE`] bytes of this
/// thread's free blocks at once (rule 4); returns how many blocks went
/// back.
pub(crate) fn trim() -> usize {
    LISTS
        .try_with(|lists| {
            let released = if lists.held.get() > KEPT_WHEN_IDLE {
                release(lists, KEPT_WHEN_IDLE)
            } else {
                0
            };
            lists.low_water.set(lists.held.get());
            lists.last_decay.set(None);
            released
        })
        .unwrap_or(0)
}

/// Runs a decay of this thread's free blocks if one is due (rule 4);
/// returns how long until the next one is due, or `None` if the lists hold
/// no more than [`KEPT_WHEN_IDLE`].
pub(crate) fn decay() -> Option<Duration> {
    LISTS
        .try_with(|lists| {
            if lists.held.get() <= KEPT_WHEN_IDLE {
                lists.last_decay.set(None);
                return None;
            }
            decay_lists_at(lists, Instant::now())
        })
        .ok()
        .flatten()
}

/// [`decay`] as if the time were `now`.
fn decay_lists_at(lists: &Lists, now: Instant) -> Option<Duration> {
    let Some(last) = lists.last_decay.get() else {
        // The first decay only starts the watch.
        lists.low_water.set(lists.held.get());
        lists.last_decay.set(Some(now));
        return Some(DECAY_EVERY);
    };
    let since = now.saturating_duration_since(last);
    if since < DECAY_EVERY {
        return Some(DECAY_EVERY - since);
    }
    let idle = lists.low_water.get().saturating_sub(KEPT_WHEN_IDLE);
    if idle > 0 {
        release(lists, lists.held.get() - idle);
    }
    lists.low_water.set(lists.held.get());
    if lists.held.get() > KEPT_WHEN_IDLE {
        lists.last_decay.set(Some(now));
        Some(DECAY_EVERY)
    } else {
        lists.last_decay.set(None);
        None
    }
}

/// Bytes this thread's free lists hold now.
#[cfg(test)]
pub(crate) fn held() -> usize {
    LISTS.try_with(|lists| lists.held.get()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(size: usize, align: usize) -> Layout {
        Layout::from_size_align(size, align).unwrap()
    }

    #[test]
    fn a_freed_block_is_the_next_one_of_its_class() {
        let a = allocate(layout(200, 8));
        // SAFETY: from `allocate` with this layout, holding nothing.
        unsafe { free(a, layout(200, 8)) };
        // 193..=256 bytes share a class: a different size of it reuses `a`.
        let b = allocate(layout(250, 16));
        assert_eq!(a, b);
        // SAFETY: as above.
        unsafe { free(b, layout(250, 16)) };
    }

    #[test]
    fn blocks_are_aligned_and_large_enough_to_write() {
        let mut blocks = Vec::new();
        for size in [1, 63, 64, 65, 128, 300, 512] {
            let l = layout(size, 16);
            let block = allocate(l);
            assert_eq!(block.as_ptr() as usize % ALIGN, 0);
            // SAFETY: the block has room for `size` bytes (rule 1).
            unsafe { block.as_ptr().write_bytes(0xa5, size) };
            blocks.push((block, l));
        }
        for (block, l) in blocks {
            // SAFETY: from `allocate` with this layout, holding nothing.
            unsafe { free(block, l) };
        }
    }

    #[test]
    fn large_or_overaligned_requests_bypass_the_lists() {
        let before = held();
        for l in [layout(LARGEST + 1, 8), layout(64, 64), layout(4096, 4096)] {
            let block = allocate(l);
            assert_eq!(block.as_ptr() as usize % l.align(), 0);
            // SAFETY: from `allocate` with this layout, holding nothing.
            unsafe { free(block, l) };
            assert_eq!(held(), before, "{l:?} went on a list");
        }
    }

    #[test]
    fn trim_keeps_a_little_and_gives_back_the_rest() {
        let l = layout(512, 16);
        let blocks: Vec<_> = (0..(4 * KEPT_WHEN_IDLE) / 512)
            .map(|_| allocate(l))
            .collect();
        for block in blocks {
            // SAFETY: from `allocate` with this layout, holding nothing.
            unsafe { free(block, l) };
        }
        assert!(held() >= 4 * KEPT_WHEN_IDLE);
        assert!(trim() > 0);
        assert!(held() <= KEPT_WHEN_IDLE);
        assert_eq!(trim(), 0);
    }

    fn allocate_and_free(blocks: usize, l: Layout) {
        let taken: Vec<_> = (0..blocks).map(|_| allocate(l)).collect();
        for block in taken {
            // SAFETY: from `allocate` with this layout, holding nothing.
            unsafe { free(block, l) };
        }
    }

    fn decay_at(now: Instant) -> Option<Duration> {
        LISTS.with(|lists| decay_lists_at(lists, now))
    }

    #[test]
    fn blocks_go_back_only_after_a_whole_period_unused() {
        let l = layout(512, 16);
        let burst = (4 * KEPT_WHEN_IDLE) / 512;
        allocate_and_free(burst, l);
        let full = held();
        assert!(full >= 4 * KEPT_WHEN_IDLE);
        let t0 = Instant::now();
        // The first decay starts the watch and gives nothing back.
        assert_eq!(decay_at(t0), Some(DECAY_EVERY));
        assert_eq!(held(), full);
        // Within the period nothing goes, however often it is asked.
        let half = DECAY_EVERY / 2;
        assert_eq!(decay_at(t0 + half), Some(DECAY_EVERY - half));
        assert_eq!(held(), full);
        // A burst of half the size comes back within the period: the
        // blocks it took were in use, so only the other half sat idle.
        allocate_and_free(burst / 2, l);
        assert_eq!(held(), full);
        assert_eq!(decay_at(t0 + DECAY_EVERY), Some(DECAY_EVERY));
        let after = held();
        assert!(
            after < full && after >= full / 2,
            "{full} -> {after}: only the idle half goes back"
        );
        // A period with no burst at all: all but the reserve go back, and
        // nothing is pending any more.
        assert_eq!(decay_at(t0 + 2 * DECAY_EVERY), None);
        assert!(held() <= KEPT_WHEN_IDLE);
        assert_eq!(decay(), None);
    }

    proptest::proptest! {
        /// Any sequence of allocations and frees of any sizes and
        /// alignments: every live block keeps what was written into it (no
        /// block is handed out twice, none overlaps another), and every
        /// one is aligned as asked.
        #[test]
        fn blocks_never_overlap_whatever_the_sequence(
            ops in proptest::collection::vec((0usize..700, 0u32..6, proptest::bool::ANY), 1..300)
        ) {
            let mut live: Vec<(NonNull<u8>, Layout, u8)> = Vec::new();
            for (i, (size, align_log, free_one)) in ops.into_iter().enumerate() {
                if free_one && !live.is_empty() {
                    let (block, l, _) = live.swap_remove(i % live.len());
                    // SAFETY: from `allocate` with this layout, holding nothing.
                    unsafe { free(block, l) };
                } else {
                    let l = layout(size.max(1), 1 << align_log);
                    let block = allocate(l);
                    proptest::prop_assert_eq!(block.as_ptr() as usize % l.align(), 0);
                    let mark = i as u8;
                    // SAFETY: the block has room for `l.size()` bytes.
                    unsafe { block.as_ptr().write_bytes(mark, l.size()) };
                    live.push((block, l, mark));
                }
                for &(block, l, mark) in &live {
                    // SAFETY: a live block of `l.size()` bytes, written above.
                    let bytes = unsafe { std::slice::from_raw_parts(block.as_ptr(), l.size()) };
                    proptest::prop_assert!(bytes.iter().all(|&b| b == mark));
                }
            }
            for (block, l, _) in live {
                // SAFETY: from `allocate` with this layout, holding nothing.
                unsafe { free(block, l) };
            }
        }
    }

    #[test]
    fn what_the_lists_hold_is_bounded() {
        let l = layout(512, 16);
        let count = HELD_AT_MOST / 512 + 100;
        let blocks: Vec<_> = (0..count).map(|_| allocate(l)).collect();
        for block in blocks {
            // SAFETY: from `allocate` with this layout, holding nothing.
            unsafe { free(block, l) };
        }
        assert!(held() <= HELD_AT_MOST);
        assert!(held() > HELD_AT_MOST - 512);
        trim();
    }
}
