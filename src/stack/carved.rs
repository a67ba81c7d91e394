//! Unguarded stacks carved from large shared mappings: the opt-in for more
//! coroutines than `vm.max_map_count` allows guarded stacks.
//!
//! Layout of one chunk (one memory map, `STACKS_PER_CHUNK` stacks, each
//! slot a whole number of pages):
//!
//! ```text
//! | page 0: .. canary 0 | stack 0 .. top, canary 1 | stack 1 .. top, canary 2 | ...
//!                       ^ bottom of stack 0        ^ bottom of stack 1
//! ```
//!
//! Each stack's top sits 64 bytes below a page boundary, and the canary of
//! the stack above fills those 64 bytes. A suspended coroutine whose frames
//! take less than a page (4 KiB less 64 bytes) then keeps exactly one page
//! resident, its neighbour's canary included. Slots of a page-multiple plus
//! 64 bytes (an earlier layout) put every top at a different offset in its
//! page, and a frame that straddled the boundary below kept two pages
//! resident: about one coroutine in five in `million_tasks`. The usable
//! size is therefore the requested size plus a page, less the canary's 64
//! bytes; the extra page is address space, not memory, until it is used.
//!
//! A stack that overflows runs into the top of the stack below it: there is
//! no guard page to stop it. It first overwrites its own canary, the word at
//! its bottom, which is checked every time the coroutine switches out; a
//! changed canary aborts the process with a message. By then the neighbour
//! may already be damaged, which is why asking for these stacks is `unsafe`.
//!
//! Chunks are never unmapped: a leaked generator's stack must stay valid,
//! and stacks are reused through the free lists.

use super::mapping::{Access, Mapping, Reserve};
use super::{checked_size, page_size, StackError};
use std::cell::RefCell;
use std::marker::PhantomData;
use std::num::NonZeroUsize;

/// Stacks per mapping: one map serves this many coroutines.
const STACKS_PER_CHUNK: usize = 1024;

/// Bytes reserved at the bottom of each carved stack for the canary.
const CANARY_BYTES: usize = 64;

const CANARY_SEED: usize = 0x5eed_c0de_dead_beef_u64 as usize;

/// One unguarded stack inside a chunk.
#[derive(Debug)]
pub(crate) struct CarvedStack {
    bottom: usize,
    usable: usize,
}

impl CarvedStack {
    #[inline]
    pub(crate) fn usable(&self) -> usize {
        self.usable
    }

    #[inline]
    pub(crate) fn bottom(&self) -> usize {
        self.bottom
    }

    #[inline]
    pub(crate) fn top(&self) -> usize {
        self.bottom + self.usable
    }

    /// The canary's address: the lowest word of the stack's reserved bottom.
    #[inline]
    pub(crate) fn canary_addr(&self) -> usize {
        self.bottom - CANARY_BYTES
    }

    /// The token that checks this stack's canary.
    #[inline]
    pub(crate) fn canary(&self) -> Canary {
        Canary {
            addr: NonZeroUsize::new(self.canary_addr()).expect("a mapping is never at address 0"),
            _this_thread: PhantomData,
        }
    }

    fn write_canary(&self) {
        let addr = self.canary_addr();
        // SAFETY: the canary word lies in this stack's reserved bottom bytes,
        // inside a live read-write chunk mapping, and is word-aligned
        // (chunks are page-aligned and slot sizes are multiples of 64).
        unsafe { std::ptr::write_volatile(addr as *mut usize, CANARY_SEED ^ addr) };
    }
}

/// The canary of a carved stack, checked at every switch.
///
/// Safe to check at any time by construction: only this module makes one
/// (from a [`CarvedStack`]), its address lies in a chunk that is never
/// unmapped, so the word stays readable however long the token lives, even
/// past its stack's reuse (a reused stack gets the same canary value, which
/// depends only on the address). It is `!Send` because the chunk belongs to
/// this thread's arena: only this thread's coroutines write it, so a check
/// never races with a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Canary {
    addr: NonZeroUsize,
    _this_thread: PhantomData<*const ()>,
}

// A generator keeps an `Option<Canary>`: it must stay one word.
const _: () = assert!(std::mem::size_of::<Option<Canary>>() == std::mem::size_of::<usize>());

impl Canary {
    /// Aborts loudly if the canary was overwritten; `usable` is the stack's
    /// usable size, from which the message works out the size asked for.
    #[inline(always)]
    pub(crate) fn check(self, usable: usize) {
        let addr = self.addr.get();
        // SAFETY: `addr` is the word-aligned canary of a carved stack, inside
        // a chunk mapped read-write and never unmapped, written only by this
        // thread (see the type's docs); a volatile read of an integer creates
        // no reference into the stack.
        let value = unsafe { std::ptr::read_volatile(addr as *const usize) };
        if value != CANARY_SEED ^ addr {
            canary_broken(usable);
        }
    }
}

#[cold]
fn canary_broken(usable: usize) -> ! {
    // Named as the user asked for it: `usable_for` added a page less the
    // canary to that.
    let asked = (usable + CANARY_BYTES).saturating_sub(page_size());
    eprintln!(
        "corun: stack overflow in a coroutine on an unguarded stack: it ran past the end of \
         its {} KiB stack and overwrote its canary; memory below it may be corrupted. Give it \
         a bigger stack (stack_size), or use guarded stacks. Aborting.",
        asked / 1024
    );
    std::process::abort();
}

struct Arena {
    /// (usable size, free stacks of that size).
    free: Vec<(usize, Vec<CarvedStack>)>,
}

thread_local! {
    // const-initialised: no lazy-init check on every acquire and release.
    static ARENA: RefCell<Arena> = const { RefCell::new(Arena { free: Vec::new() }) };
}

/// Takes an unguarded stack of at least `size` usable bytes from this
/// thread's arena, mapping a new chunk when none is free.
pub(crate) fn acquire(size: usize) -> Result<CarvedStack, StackError> {
    let usable = usable_for(size)?;
    ARENA
        .try_with(|arena| {
            let mut arena = arena.borrow_mut();
            let index = match arena.free.iter().position(|(s, _)| *s == usable) {
                Some(i) => i,
                None => {
                    arena.free.push((usable, Vec::new()));
                    arena.free.len() - 1
                }
            };
            let free = &mut arena.free[index].1;
            if free.is_empty() {
                map_chunk(usable, free)?;
            }
            let stack = free.pop().expect("a chunk was just mapped");
            stack.write_canary();
            Ok(stack)
        })
        .unwrap_or_else(|_| {
            Err(StackError::new(
                usable,
                std::io::Error::other("the thread is exiting"),
            ))
        })
}

/// Returns a carved stack whose coroutine has finished to the free list.
pub(crate) fn release(stack: CarvedStack) {
    // During thread teardown the arena is gone; the chunk memory stays
    // mapped (never unmapped), so forgetting the stack is harmless.
    let _ = ARENA.try_with(move |arena| {
        let mut arena = arena.borrow_mut();
        if let Some((_, free)) = arena.free.iter_mut().find(|(s, _)| *s == stack.usable) {
            free.push(stack);
        }
    });
}

/// The usable size of the carved stacks that serve a request for `size`
/// bytes: its pages and one more, less the canary (see the module docs).
fn usable_for(size: usize) -> Result<usize, StackError> {
    checked_size(size)?
        .checked_add(page_size() - CANARY_BYTES)
        .ok_or_else(|| StackError::too_large(size))
}

fn map_chunk(usable: usize, free: &mut Vec<CarvedStack>) -> Result<(), StackError> {
    super::panic_report::install();
    // A whole number of pages (`usable_for`): every top is 64 bytes below a
    // page boundary and every bottom 64-aligned, which corosensei's 16-byte
    // stack alignment needs.
    let slot = usable + CANARY_BYTES;
    debug_assert_eq!(slot % page_size(), 0);
    // One page more in front, for the canary of stack 0.
    let len = slot
        .checked_mul(STACKS_PER_CHUNK)
        .and_then(|stacks| stacks.checked_add(page_size()))
        .ok_or_else(|| StackError::too_large(usable))?;
    // Leaked: a chunk is never unmapped (see the module docs).
    let base = Mapping::new(len, Access::ReadWrite, Reserve::Lazily)
        .map_err(|e| StackError::chunk(usable, STACKS_PER_CHUNK, e))?
        .leak();
    // Pushed in reverse so the lowest stacks are handed out first.
    for i in (0..STACKS_PER_CHUNK).rev() {
        free.push(CarvedStack {
            bottom: base + page_size() + i * slot,
            usable,
        });
    }
    Ok(())
}
