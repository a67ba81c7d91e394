//! Stacks for coroutines: guarded mappings, a per-thread pool, and the
//! stack-overflow report.
//!
//! Layout of one stack (addresses grow upward):
//!
//! ```text
//! limit                limit + page                                   base
//!   | guard (PROT_NONE) |  usable (PROT_READ | PROT_WRITE)  ...  <- sp |
//! ```
//!
//! A guarded stack costs two memory maps (the guard and the usable part
//! differ in protection), which is what `vm.max_map_count` limits.
//!
//! Files: `mapping` (the only `mmap`/`mprotect`/`munmap` calls), this file
//! (guarded stacks, the `Stack` corosensei runs on, measuring), `acquire`
//! (a stack with room set aside at its top, what a generator is built
//! on), `carved` (unguarded stacks and their canaries), `pool` (per-thread
//! reuse), `size_class` (one size's free stacks, and when their pages go
//! back),
//! `blocks` (small blocks from a per-thread cache) and `pooled_rc` (a
//! reference-counted pointer into one: what task cells are),
//! `context` (the running coroutine's pointer and the context rules),
//! `overflow` (the SIGSEGV handler), `panic_report` (panic hooks run off
//! small coroutine stacks) and `chain` (the dispositions it
//! replaced, and chaining to them), `error` (`StackError`).

mod acquire;
pub(crate) mod blocks;
mod carved;
mod chain;
mod context;
mod error;
mod mapping;
mod overflow;
mod panic_report;
mod pool;
mod pooled_rc;
mod size_class;

pub(crate) use acquire::{acquire, Acquired};
pub(crate) use carved::Canary;
pub(crate) use context::{current_context, set_current_context, ContextHeader, OutsideCoroutines};
pub use error::StackError;
pub(crate) use pool::release;
pub(crate) use pooled_rc::PooledRc;

use mapping::{Access, Mapping, Reserve};

/// Gives back memory this thread's pools held unused for a whole decay
/// period (stacks' pages, free small blocks); returns how long until the
/// next decay is due, if one is pending. An executor calls it before it
/// sleeps and wakes by that time, so a burst that ended stops pinning
/// memory even if nothing else happens.
pub(crate) fn decay_idle_memory() -> Option<std::time::Duration> {
    match (pool::decay(), blocks::decay()) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The usable size of a coroutine stack when none is given: 64 KiB.
///
/// Only the pages a coroutine touches become resident memory; the rest is
/// address space. Raise it per generator with
/// [`GeneratorBuilder::stack_size`](crate::GeneratorBuilder::stack_size) when
/// a body recurses deeply (a stack overflow reports itself and names this
/// setting).
pub const DEFAULT_STACK_SIZE: usize = 64 * 1024;

/// The smallest usable stack handed out: smaller requests are rounded up to
/// it, because an unoptimised build needs a few KiB just to start a body.
pub const MIN_STACK_SIZE: usize = 8 * 1024;

#[inline]
/// Unmaps the finished stacks this thread keeps for reuse, and returns how
/// many there were.
///
/// A thread keeps up to 16,384 finished guarded stacks of each size, so a
/// burst of tasks or generators that comes back (10,000 connections, say)
/// maps nothing the second time. The first 1,024 keep their pages; the
/// rest give them back to the kernel (`MADV_FREE`) once they have sat
/// unused for a second or two, so a burst that comes back sooner finds
/// them warm and one that does not stops pinning memory. Each one
/// still holds two of the process's `vm.max_map_count` maps: after a burst
/// on one thread, a thread that needs those maps for stacks of its own can
/// ask the bursty thread to call this. (A thread that runs out of maps
/// trims its own pool and tries again by itself.)
///
/// ```
/// let g = corun::Generator::new(|co: &corun::Co<u32>| co.yield_(1));
/// assert_eq!(g.collect::<Vec<_>>(), [1]); // done: its stack went back to the pool
/// assert!(corun::stack::trim_pool() >= 1);
/// assert_eq!(corun::stack::trim_pool(), 0);
/// ```
pub fn trim_pool() -> usize {
    pool::trim()
}

/// The page size, read once. The cached read is inlined (every stack
/// acquired takes it, some twice); the first look-up is not.
static PAGE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

#[inline(always)]
pub(crate) fn page_size() -> usize {
    let cached = PAGE.load(std::sync::atomic::Ordering::Relaxed);
    if cached != 0 {
        return cached;
    }
    page_size_slow()
}

/// The page size if it has been read, else 0: for the SIGSEGV handler,
/// which must not call `sysconf`.
#[inline(always)]
pub(crate) fn cached_page_size() -> usize {
    PAGE.load(std::sync::atomic::Ordering::Relaxed)
}

#[cold]
#[inline(never)]
fn page_size_slow() -> usize {
    use std::sync::atomic::Ordering;
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize;
    assert!(
        page.is_power_of_two(),
        "corun: the page size {page} is not a power of two"
    );
    PAGE.store(page, Ordering::Relaxed);
    page
}

/// Rounds a requested usable size up to whole pages (at least one); `None`
/// if that does not fit in the address space.
#[inline]
pub(crate) fn round_to_pages(size: usize) -> Option<usize> {
    // A page size is a power of two: a mask rounds up without the
    // division `checked_next_multiple_of` costs.
    let mask = page_size() - 1;
    size.max(MIN_STACK_SIZE)
        .checked_add(mask)
        .map(|s| s & !mask)
        .filter(|&s| s <= isize::MAX as usize / 2)
}

/// [`round_to_pages`], or the error for an impossible size.
#[inline]
pub(crate) fn checked_size(size: usize) -> Result<usize, StackError> {
    round_to_pages(size).ok_or_else(|| StackError::too_large(size))
}

/// An mmap'd stack with a guard page below it. Owns its mapping: dropping
/// it unmaps the stack, which is only done once its coroutine has finished.
pub(crate) struct GuardedStack {
    /// The whole mapping: the guard page at its start, then the usable part.
    mapping: Mapping,
}

impl GuardedStack {
    /// Maps a stack with `usable` bytes (already page-rounded) and a guard.
    pub(crate) fn map(usable: usize) -> Result<Self, StackError> {
        let page = page_size();
        let len = usable
            .checked_add(page)
            .ok_or_else(|| StackError::too_large(usable))?;
        let error = |e| StackError::new(usable, e);
        if !mapping::within_map_budget() {
            // As the kernel would say at the limit itself (ENOMEM), a little
            // before it, so that the rest of the process still gets maps.
            return Err(error(std::io::Error::from_raw_os_error(libc::ENOMEM)));
        }
        let mapping = Mapping::new(len, Access::None, Reserve::Lazily).map_err(error)?;
        // On failure `mapping` is dropped, which unmaps it.
        mapping.open_read_write(page, usable).map_err(error)?;
        Ok(GuardedStack { mapping })
    }

    #[inline]
    pub(crate) fn usable(&self) -> usize {
        self.mapping.len() - page_size()
    }

    /// The lowest usable address (just above the guard page).
    #[inline]
    pub(crate) fn bottom(&self) -> usize {
        self.mapping.addr() + page_size()
    }

    /// One past the highest usable address.
    #[inline]
    pub(crate) fn top(&self) -> usize {
        self.mapping.addr() + self.mapping.len()
    }

    /// Lets the kernel take back the usable pages when it needs memory
    /// (their contents are not kept): for a stack kept in the pool beyond
    /// its hot part.
    pub(crate) fn free_pages(&self) {
        self.mapping.free_pages(page_size(), self.usable());
    }

    /// The guard page's address range.
    #[cfg(test)]
    pub(crate) fn guard(&self) -> (usize, usize) {
        (self.mapping.addr(), self.bottom())
    }

    /// Gives up ownership as `(addr, len)`; see [`Mapping::into_raw_parts`].
    #[inline]
    pub(crate) fn into_raw_parts(self) -> (usize, usize) {
        self.mapping.into_raw_parts()
    }

    /// Takes back a stack given up by [`into_raw_parts`](Self::into_raw_parts).
    ///
    /// # Safety
    ///
    /// As [`Mapping::from_raw_parts`]: the pair came from `into_raw_parts`
    /// and is turned back into a stack at most once.
    #[inline]
    pub(crate) unsafe fn from_raw_parts(addr: usize, len: usize) -> Self {
        GuardedStack {
            // SAFETY: the caller's contract is `from_raw_parts`'s.
            mapping: unsafe { Mapping::from_raw_parts(addr, len) },
        }
    }

    /// The lowest address of the mapping (the guard page's start): no
    /// page-size look-up, for the hot path.
    #[inline]
    fn start(&self) -> usize {
        self.mapping.addr()
    }
}

impl std::fmt::Debug for GuardedStack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuardedStack")
            .field("bottom", &format_args!("{:#x}", self.bottom()))
            .field("usable", &self.usable())
            .finish()
    }
}

/// Which kind of stack a coroutine asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum StackKind {
    /// Pooled, guarded (the default).
    #[default]
    Guarded,
    /// Guarded and freshly mapped (exact high-water marks).
    Fresh,
    /// Carved from a shared mapping, no guard page (unsafe opt-in).
    Unguarded,
}

/// Where a stack's parts lie (see [`acquire`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StackLayout {
    /// The lowest usable address.
    pub(crate) bottom: usize,
    /// The usable size in bytes.
    pub(crate) usable: usize,
    /// The guard page's start (it is one page long); 0 for a carved stack.
    pub(crate) guard: usize,
}

/// A coroutine's stack: guarded, or carved without a guard. Its base and
/// limit are computed once: corosensei reads the base at every resume.
#[derive(Debug)]
pub(crate) struct Stack {
    base: corosensei::stack::StackPointer,
    limit: corosensei::stack::StackPointer,
    memory: StackMemory,
}

#[derive(Debug)]
enum StackMemory {
    Guarded(GuardedStack),
    Carved(carved::CarvedStack),
}

impl Stack {
    /// The whole of `memory`, up to its top.
    #[inline]
    fn new(memory: StackMemory) -> Self {
        let top = match &memory {
            StackMemory::Guarded(s) => s.top(),
            StackMemory::Carved(s) => s.top(),
        };
        // SAFETY: one past the end of a mapping (a guarded stack's own, or
        // the chunk a carved one lies in), whose addresses are never 0 and
        // do not wrap (see `Mapping`).
        let top = unsafe { corosensei::stack::StackPointer::new_unchecked(top) };
        Self::with_base(memory, top)
    }

    /// `memory`, with the base corosensei sees at `base` (below room at its
    /// top, or the top itself).
    #[inline(always)]
    fn with_base(memory: StackMemory, base: corosensei::stack::StackPointer) -> Self {
        let limit = match &memory {
            StackMemory::Guarded(s) => s.start(),
            StackMemory::Carved(s) => s.canary_addr(),
        };
        // SAFETY: the start of a mapping, or a carved stack's canary, which
        // lies above its chunk's first page: never 0 (see `Mapping`).
        let limit = unsafe { corosensei::stack::StackPointer::new_unchecked(limit) };
        Stack {
            base,
            limit,
            memory,
        }
    }

    #[inline]
    pub(crate) fn guarded(stack: GuardedStack) -> Self {
        Self::new(StackMemory::Guarded(stack))
    }

    #[cfg(test)]
    pub(crate) fn usable(&self) -> usize {
        match &self.memory {
            StackMemory::Guarded(s) => s.usable(),
            StackMemory::Carved(s) => s.usable(),
        }
    }

    #[cfg(test)]
    pub(crate) fn bottom(&self) -> usize {
        match &self.memory {
            StackMemory::Guarded(s) => s.bottom(),
            StackMemory::Carved(s) => s.bottom(),
        }
    }

    /// The guard page's range; empty for a carved stack.
    #[cfg(test)]
    pub(crate) fn guard(&self) -> (usize, usize) {
        match &self.memory {
            StackMemory::Guarded(s) => s.guard(),
            StackMemory::Carved(_) => (0, 0),
        }
    }

    /// The canary to check at every switch, for a carved stack.
    #[inline]
    pub(crate) fn canary(&self) -> Option<Canary> {
        match &self.memory {
            StackMemory::Guarded(_) => None,
            StackMemory::Carved(s) => Some(s.canary()),
        }
    }

    /// The guarded stack inside, if it is one (for the pool).
    #[inline]
    pub(crate) fn into_parts(self) -> Result<GuardedStack, carved::CarvedStack> {
        match self.memory {
            StackMemory::Guarded(s) => Ok(s),
            StackMemory::Carved(s) => Err(s),
        }
    }
}

// SAFETY: `base` and `limit` describe memory that stays mapped while the
// value lives (they are computed from it once). A guarded stack has the
// guard page corosensei asks for; a carved one does not, and is only handed
// out to callers who took on that risk through an `unsafe` opt-in (its
// canary is checked at every switch).
unsafe impl corosensei::stack::Stack for Stack {
    #[inline(always)]
    fn base(&self) -> corosensei::stack::StackPointer {
        self.base
    }

    #[inline(always)]
    fn limit(&self) -> corosensei::stack::StackPointer {
        self.limit
    }
}

/// Counts the bytes of a stack that were ever written, by finding the lowest
/// non-zero word above the guard page. Exact on a freshly mapped stack (the
/// kernel hands out zeroed pages); on a recycled one it includes what earlier
/// users touched.
///
/// # Safety
///
/// `[bottom, top)` must be the usable range of a stack (`Stack::bottom` up
/// to `bottom + Stack::usable`) that stays mapped for the whole call: its
/// owner, a `Stack` or the coroutine holding one, must be alive. `bottom`
/// is page-aligned, as every stack's is. No code may be running on that
/// stack meanwhile: its coroutine is suspended, finished or not started, so
/// the words read are not being written. (They are read as integers,
/// never through a reference, so a suspended frame's borrows are untouched.)
pub(crate) unsafe fn high_water(bottom: usize, top: usize) -> usize {
    let mut addr = bottom;
    while addr < top {
        // SAFETY: `addr` lies in `[bottom, top)`, the usable, readable part
        // of a live mapping (the caller's contract), and is word-aligned (the
        // bottom is page-aligned). Reading a page never written maps the
        // shared zero page and costs no memory.
        let word = unsafe { std::ptr::read_volatile(addr as *const usize) };
        if word != 0 {
            return top - addr;
        }
        addr += std::mem::size_of::<usize>();
    }
    0
}

#[cfg(test)]
mod tests;
