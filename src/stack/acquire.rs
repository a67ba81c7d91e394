//! Handing out a stack with room set aside at its top: what a generator is
//! built on (the room holds its mailbox).

use super::{carved, pool, GuardedStack, Stack, StackError, StackKind, StackLayout};
use super::{StackMemory, MIN_STACK_SIZE};
use corosensei::stack::StackPointer;
use std::ptr::NonNull;

/// A stack from [`acquire`], and the room set aside at its top.
pub(crate) struct Acquired {
    pub(crate) stack: Stack,
    pub(crate) layout: StackLayout,
    /// The room: above the base corosensei sees, aligned as asked.
    pub(crate) room: NonNull<u8>,
}

/// Takes a stack of at least `size` usable bytes from this thread's pool (or
/// maps a new one), and sets aside `room_size` bytes aligned to
/// `room_align` (a power of two) at its top for the caller. Every stack
/// has at least [`MIN_STACK_SIZE`] usable bytes; room that would leave less
/// than half of that below it is refused with an error.
///
/// Inlined: a guarded stack's parts come out of the pool's hot slot in
/// registers (pool rule 3), and its layout and room are worked out from
/// them and the page size kept beside the slot before the `Stack` is made,
/// so that nothing is stored for the refusal's sake on the way.
#[inline(always)]
pub(crate) fn acquire(
    size: usize,
    kind: StackKind,
    room_size: usize,
    room_align: usize,
) -> Result<Acquired, StackError> {
    if kind == StackKind::Unguarded {
        return acquire_carved(size, room_size, room_align);
    }
    let (addr, usable, page) = pool::acquire_guarded_parts(size, kind == StackKind::Fresh)?;
    let len = usable + page;
    let layout = StackLayout {
        bottom: addr + page,
        usable,
        guard: addr,
    };
    let Some((base, room)) = room_at_top(&layout, room_size, room_align) else {
        // SAFETY: the pool handed the pair over to be owned here, and it is
        // turned into a stack just this once.
        return Err(unsafe { refuse_guarded(addr, len, usable, room_size) });
    };
    // SAFETY: as above.
    let stack = unsafe { GuardedStack::from_raw_parts(addr, len) };
    Ok(Acquired {
        stack: Stack::with_base(StackMemory::Guarded(stack), base),
        layout,
        room,
    })
}

/// [`acquire`] for an unguarded stack: out of line (its caller took on the
/// risks of the arena, whose speed is its own).
#[inline(never)]
fn acquire_carved(
    size: usize,
    room_size: usize,
    room_align: usize,
) -> Result<Acquired, StackError> {
    let stack = carved::acquire(size)?;
    let layout = StackLayout {
        bottom: stack.bottom(),
        usable: stack.usable(),
        guard: 0,
    };
    let Some((base, room)) = room_at_top(&layout, room_size, room_align) else {
        let usable = stack.usable();
        carved::release(stack);
        return Err(StackError::room_too_big(usable, room_size));
    };
    Ok(Acquired {
        stack: Stack::with_base(StackMemory::Carved(stack), base),
        layout,
        room,
    })
}

/// Gives back a guarded stack whose room was refused, and says why.
///
/// # Safety
///
/// `(addr, len)` came from the pool to be owned by the caller, who gives
/// it up here: it is turned into a stack this once.
#[cold]
#[inline(never)]
unsafe fn refuse_guarded(addr: usize, len: usize, usable: usize, room_size: usize) -> StackError {
    // SAFETY: the caller's contract.
    let stack = unsafe { GuardedStack::from_raw_parts(addr, len) };
    pool::release(Stack::guarded(stack));
    StackError::room_too_big(usable, room_size)
}

/// The alignment corosensei needs of a stack's base.
const STACK_ALIGN: usize = 16;

/// The base corosensei is to see, and the room's start, for `size` bytes
/// aligned to `align` at the top of a stack laid out as `layout`; `None` if
/// that would leave less than half of [`MIN_STACK_SIZE`] (or of the usable
/// size, if smaller) below.
#[inline(always)]
fn room_at_top(
    layout: &StackLayout,
    size: usize,
    align: usize,
) -> Option<(StackPointer, NonNull<u8>)> {
    // Room this small fits on any stack `acquire` hands out, with half of
    // the smallest left below it: no checks. Known at compile time for the
    // mailbox of each generator type.
    let small = size <= MIN_STACK_SIZE / 4 && align <= MIN_STACK_SIZE / 8;
    let (base, start) = if small && layout.usable >= MIN_STACK_SIZE {
        room_small(layout.bottom + layout.usable, size, align)
    } else {
        room_checked(layout.bottom, layout.usable, size, align)?
    };
    debug_assert!(base >= layout.bottom + layout.usable.min(MIN_STACK_SIZE) / 2);
    // SAFETY: both are at least the bottom (`room_small`'s and
    // `room_checked`'s results), a mapped, hence non-zero, address.
    unsafe {
        Some((
            StackPointer::new_unchecked(base),
            NonNull::new_unchecked(start as *mut u8),
        ))
    }
}

/// The base and the room's start, for room of `size <= MIN_STACK_SIZE / 4`
/// bytes aligned to `align <= MIN_STACK_SIZE / 8` below `top`, on a stack of
/// at least `MIN_STACK_SIZE` usable bytes: both lie above the bottom plus
/// half of `MIN_STACK_SIZE`, since under three eighths of it is taken off.
#[inline(always)]
fn room_small(top: usize, size: usize, align: usize) -> (usize, usize) {
    let start = (top - size) & !(align - 1);
    (start & !(STACK_ALIGN - 1), start)
}

/// [`room_small`] for any room and stack, or `None` if less than half of
/// `MIN_STACK_SIZE` (or of `usable`, if smaller) would be left below.
#[cold]
fn room_checked(bottom: usize, usable: usize, size: usize, align: usize) -> Option<(usize, usize)> {
    let start = (bottom + usable).checked_sub(size)? & !(align.max(1) - 1);
    let base = start & !(STACK_ALIGN - 1);
    if base < bottom + usable.min(MIN_STACK_SIZE) / 2 {
        return None;
    }
    Some((base, start))
}
