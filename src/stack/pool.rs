//! A per-thread pool of stacks, so that creating and dropping a coroutine
//! costs no system call in steady state (a fresh mapping costs about 12 µs
//! here, a reused one nothing).
//!
//! In front of the pool sits one hot slot: the stack released last, kept
//! as a bare `(addr, len)` pair in a thread-local without a destructor, so
//! that the usual cycle (a task or generator finishes, the next one starts)
//! takes and gives back its stack with a few loads and stores, and reuses
//! the stack whose pages are already resident and in cache. Rules:
//!
//! 1. The slot owns the mapping it names, if any, as a `GuardedStack`
//!    would: a pair is put in only by giving up a `GuardedStack`
//!    (`into_raw_parts`) and taken out only by clearing the slot first, so
//!    each pair is turned back into a stack once.
//! 2. The slot is open (empty, or holding a stack) only while the pool
//!    lives on this thread and has registered its destructor (every guarded
//!    stack of this thread was mapped or pooled through it, which touches
//!    it); before that, and once the pool's `Drop` has emptied it, it holds
//!    `CLOSED`, so the mapping it names is unmapped at thread exit, never
//!    leaked. `CLOSED` is not empty, so `put_hot` refuses it with the one
//!    test that refuses a full slot. One exception, which cannot leak:
//!    `refill_hot` fills it even while closed, and its only caller
//!    (`acquire_guarded_parts`) takes the stack back out, and puts back
//!    what it found, before anything else runs.
//! 3. Every guarded stack is handed out of the slot: a miss (a stack of
//!    another size, none, or a fresh one asked for) refills the slot out
//!    of line, and the fast path takes it from there. The stack's parts so
//!    reach the caller in registers by one path, instead of meeting a slow
//!    path's result in memory and being copied out of it.

use super::size_class::{SizeClass, DECAY_EVERY};
use super::{carved, checked_size, GuardedStack, Stack, StackError};
use std::cell::{Cell, RefCell};
use std::time::{Duration, Instant};

/// The hot slot: the `(addr, len)` of the stack it holds, [`EMPTY`] or
/// [`CLOSED`].
#[derive(Clone, Copy)]
struct Hot {
    addr: usize,
    len: usize,
}

impl Hot {
    fn holds_stack(self) -> bool {
        self.addr > CLOSED.addr
    }
}

/// The open slot without a stack.
const EMPTY: Hot = Hot { addr: 0, len: 0 };

/// The slot that takes no stacks (rule 2). Neither its address nor its
/// length is any stack's (those are page-aligned and non-zero, and at
/// least two pages), so a lookup for a stack finds none in it.
const CLOSED: Hot = Hot { addr: 1, len: 0 };

thread_local! {
    // Without a destructor, and const-initialised: a plain load and store
    // of the thread's own memory. Closed until the pool's first use.
    static HOT: Cell<Hot> = const { Cell::new(CLOSED) };
    // The page size, kept beside the slot from when it first opens (0
    // before): a hit reads it with one load of the thread's own memory,
    // instead of the global's load and test. An open slot's stack was put
    // there after it was set.
    static HOT_PAGE: Cell<usize> = const { Cell::new(0) };
}

/// Takes the hot stack if it has `len` bytes in all (guard included).
#[inline(always)]
fn take_hot(len: usize) -> Option<GuardedStack> {
    let hot = HOT.get();
    if !hot.holds_stack() || hot.len != len {
        return None;
    }
    HOT.set(EMPTY);
    // SAFETY: the slot held this pair, which owned its mapping (rule 1), and
    // was cleared just above, so the pair is turned back into a stack once.
    Some(unsafe { GuardedStack::from_raw_parts(hot.addr, hot.len) })
}

/// Puts `stack` in the hot slot if it is empty (and so open); gives it
/// back otherwise.
#[inline(always)]
fn put_hot(stack: GuardedStack) -> Result<(), GuardedStack> {
    if HOT.get().addr != EMPTY.addr {
        return Err(stack);
    }
    let (addr, len) = stack.into_raw_parts();
    HOT.set(Hot { addr, len });
    Ok(())
}

/// Empties the hot slot and closes it (the pool is going away: rule 2).
fn close_hot() {
    if let Ok(hot) = HOT.try_with(|h| h.replace(CLOSED)) {
        unmap_hot(hot);
    }
}

/// Unmaps the hot slot's stack, if it holds one; `true` if it did.
fn empty_hot() -> bool {
    match HOT.try_with(|h| h.get()) {
        Ok(hot) if hot.holds_stack() => {
            HOT.set(EMPTY);
            unmap_hot(hot)
        }
        _ => false,
    }
}

/// Unmaps the stack `hot` names, taken out of the slot by the caller, if it
/// names one; `true` if it did.
fn unmap_hot(hot: Hot) -> bool {
    if !hot.holds_stack() {
        return false;
    }
    // SAFETY: as in `take_hot`: the slot owned the pair and the caller
    // replaced it there.
    drop(unsafe { GuardedStack::from_raw_parts(hot.addr, hot.len) });
    true
}

struct Pool {
    /// The sizes in use. Few are in use at once, so a linear scan beats a
    /// map.
    by_size: Vec<SizeClass>,
    /// When the idle stacks last gave their pages back (see `size_class`);
    /// `None` until a stack beyond the warm ones is pooled.
    last_decay: Option<Instant>,
    /// Releases since the clock was last read for a decay.
    releases: u32,
}

/// Releases between two looks at the clock for a decay, on a thread whose
/// executor never sleeps (a sleeping one decays before it sleeps).
const RELEASES_PER_DECAY_CHECK: u32 = 256;

impl Pool {
    #[inline]
    fn take(&mut self, usable: usize) -> Option<GuardedStack> {
        for class in self.by_size.iter_mut() {
            if class.usable == usable {
                return class.pop();
            }
        }
        None
    }

    /// Keeps `stack` for reuse, or hands it back when its size is full.
    #[inline]
    fn put(&mut self, usable: usize, stack: GuardedStack) -> Result<(), GuardedStack> {
        self.releases += 1;
        if self.releases >= RELEASES_PER_DECAY_CHECK {
            self.releases = 0;
            self.decay_if_due(Instant::now());
        }
        let class = match self.by_size.iter().position(|c| c.usable == usable) {
            Some(i) => &mut self.by_size[i],
            None => {
                self.by_size.push(SizeClass::new(usable));
                self.by_size.last_mut().expect("just pushed")
            }
        };
        class.push(stack)?;
        if self.last_decay.is_none() && class.holds_idle_pages() {
            self.last_decay = Some(Instant::now());
        }
        Ok(())
    }

    /// Runs a decay if one is due at `now`; returns how long until the next
    /// one is due, or `None` if no pooled stack holds pages a decay would
    /// give back.
    fn decay_if_due(&mut self, now: Instant) -> Option<Duration> {
        let last = self.last_decay?;
        let since = now.saturating_duration_since(last);
        if since < DECAY_EVERY {
            return Some(DECAY_EVERY - since);
        }
        for class in &mut self.by_size {
            class.decay();
        }
        if self.by_size.iter().any(SizeClass::holds_idle_pages) {
            self.last_decay = Some(now);
            Some(DECAY_EVERY)
        } else {
            self.last_decay = None;
            None
        }
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        close_hot();
    }
}

thread_local! {
    // const-initialised: no lazy-init check on every acquire and release.
    static POOL: RefCell<Pool> = const {
        RefCell::new(Pool { by_size: Vec::new(), last_decay: None, releases: 0 })
    };
}

/// Registers the pool's destructor on this thread, then opens the hot slot
/// (rule 2). Nothing is opened during thread teardown, once the pool is
/// gone.
#[cold]
fn open_hot() {
    if POOL.try_with(|_| ()).is_ok() && HOT.get().addr == CLOSED.addr {
        HOT_PAGE.set(super::page_size());
        HOT.set(EMPTY);
    }
}

/// The smallest usable size the hot slot is tried for, and the largest:
/// within these bounds `size + page` neither wraps nor is 0, the length of
/// an empty or closed slot (which therefore never matches).
const HOT_SIZES: std::ops::RangeInclusive<usize> = super::MIN_STACK_SIZE..=isize::MAX as usize / 2;

/// Takes a guarded stack of at least `size` usable bytes (freshly mapped if
/// `fresh`) as its address, usable size and the page size: the address and
/// the usable size plus a page are the pair
/// [`GuardedStack::from_raw_parts`] takes, which the caller owns and must
/// turn into a stack once.
///
/// Inlined: a hit is a few loads and stores, the pair is in registers, and
/// its usable size is `size` itself (a constant, for the default size).
#[inline(always)]
pub(super) fn acquire_guarded_parts(
    size: usize,
    fresh: bool,
) -> Result<(usize, usize, usize), StackError> {
    // Before the slot first opens this is 0, and nothing matches: the slot
    // is closed, its length 0, and `size` is not.
    let page = HOT_PAGE.get();
    let hot = HOT.get();
    if !fresh && HOT_SIZES.contains(&size) && hot.len == size + page {
        HOT.set(EMPTY);
        return Ok((hot.addr, size, page));
    }
    let leave = refill_hot(size, fresh)?;
    let hot = HOT.get();
    HOT.set(leave);
    let page = super::page_size();
    Ok((hot.addr, hot.len - page, page))
}

/// Puts a guarded stack of at least `size` usable bytes (freshly mapped if
/// `fresh`) in the hot slot, for the caller to take straight back (rules
/// 2 and 3), and returns what the caller is to leave there then (the slot
/// may be closed); a stack of another size that was there goes to the
/// pool.
#[cold]
#[inline(never)]
fn refill_hot(size: usize, fresh: bool) -> Result<Hot, StackError> {
    let stack = acquire_guarded(size, fresh)?;
    if let Some(other) = take_hot_any() {
        release_to_pool(other);
    }
    let leave = HOT.get();
    let (addr, len) = stack.into_raw_parts();
    HOT.set(Hot { addr, len });
    Ok(leave)
}

/// Takes whatever stack the hot slot holds.
fn take_hot_any() -> Option<GuardedStack> {
    let hot = HOT.get();
    if !hot.holds_stack() {
        return None;
    }
    take_hot(hot.len)
}

fn acquire_guarded(size: usize, fresh: bool) -> Result<GuardedStack, StackError> {
    let usable = checked_size(size)?;
    if !fresh {
        if let Some(stack) = take_hot(usable + super::page_size()) {
            return Ok(stack);
        }
        let pooled = POOL
            .try_with(|pool| pool.borrow_mut().take(usable))
            .ok()
            .flatten();
        if let Some(stack) = pooled {
            return Ok(stack);
        }
    }
    map_guarded(usable)
}

fn map_guarded(usable: usize) -> Result<GuardedStack, StackError> {
    if HOT.get().addr == CLOSED.addr {
        open_hot();
    }
    super::overflow::install_handler();
    super::panic_report::install();
    match GuardedStack::map(usable) {
        Ok(stack) => Ok(stack),
        // Out of maps (or memory): the stacks this thread keeps pooled, of
        // other sizes or past any need, are the first thing to give back.
        Err(e) if trim() > 0 => GuardedStack::map(usable).map_err(|_| e),
        Err(e) => Err(e),
    }
}

/// Unmaps every stack this thread's pool holds; returns how many.
pub(crate) fn trim() -> usize {
    let pooled = POOL
        .try_with(|pool| {
            // Taken out first, so the unmapping runs with the pool unborrowed.
            let stacks = {
                let mut pool = pool.borrow_mut();
                pool.last_decay = None;
                std::mem::take(&mut pool.by_size)
            };
            stacks.iter().map(SizeClass::len).sum::<usize>()
        })
        .unwrap_or(0);
    pooled + usize::from(empty_hot())
}

/// Gives a stack whose coroutine has finished back to this thread's pool.
/// The usual case, the hot slot empty, is inlined into the caller; the rest
/// is out of line so that it saves no registers on that path.
#[inline(always)]
pub(crate) fn release(stack: Stack) {
    match stack.into_parts() {
        Ok(guarded) => {
            if let Err(guarded) = put_hot(guarded) {
                release_to_pool(guarded);
            }
        }
        Err(carved) => carved::release(carved),
    }
}

#[inline(never)]
fn release_to_pool(guarded: GuardedStack) {
    if HOT.get().addr == CLOSED.addr {
        open_hot();
    }
    let usable = guarded.usable();
    // During thread teardown the pool may be gone, and a full size keeps no
    // more: either way the stack is unmapped here.
    let _ = POOL.try_with(move |pool| {
        let refused = pool.borrow_mut().put(usable, guarded);
        drop(refused);
    });
}

/// Gives back the pages of stacks that sat unused in this thread's pool for
/// a decay period, if one is due; returns how long until the next decay,
/// or `None` if nothing pooled holds pages a decay would give back. An
/// executor calls this before it sleeps and wakes by that time, so a burst
/// that ended stops pinning memory even if nothing runs afterwards.
pub(crate) fn decay() -> Option<Duration> {
    POOL.try_with(|pool| {
        let mut pool = pool.borrow_mut();
        pool.last_decay?;
        pool.decay_if_due(Instant::now())
    })
    .ok()
    .flatten()
}

/// How many stacks this thread's pool holds, hot slot included (for tests).
#[cfg(test)]
pub(crate) fn pooled() -> usize {
    let hot = usize::from(HOT.get().holds_stack());
    hot + POOL.with(|p| p.borrow().by_size.iter().map(SizeClass::len).sum::<usize>())
}

/// A decay as if the clock read `now` (for tests).
#[cfg(test)]
pub(crate) fn decay_at(now: Instant) -> Option<Duration> {
    POOL.with(|pool| pool.borrow_mut().decay_if_due(now))
}
