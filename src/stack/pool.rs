//! A per-thread pool of stacks, so that creating and dropping a coroutine
//! costs no system call in steady state (a fresh mapping costs about 12 µs
//! here, a reused one nothing).

use super::{carved, checked_size, GuardedStack, Stack, StackError, StackKind};
use std::cell::RefCell;

/// Stacks kept per size per thread. Beyond this, released stacks are unmapped
/// so a burst of coroutines does not pin memory forever.
const MAX_POOLED_PER_SIZE: usize = 1024;

struct Pool {
    /// (usable size, free stacks of that size). Few sizes are in use at once,
    /// so a linear scan beats a map. Two words a stack: a pop and a push
    /// move little.
    by_size: Vec<(usize, Vec<GuardedStack>)>,
}

impl Pool {
    #[inline]
    fn take(&mut self, usable: usize) -> Option<GuardedStack> {
        for (size, free) in self.by_size.iter_mut() {
            if *size == usable {
                return free.pop();
            }
        }
        None
    }

    #[inline]
    fn put(&mut self, usable: usize, stack: GuardedStack) {
        for (size, free) in self.by_size.iter_mut() {
            if *size == usable {
                if free.len() < MAX_POOLED_PER_SIZE {
                    free.push(stack);
                }
                return;
            }
        }
        self.by_size.push((usable, vec![stack]));
    }
}

thread_local! {
    // const-initialised: no lazy-init check on every acquire and release.
    static POOL: RefCell<Pool> = const { RefCell::new(Pool { by_size: Vec::new() }) };
}

/// Takes a stack of at least `size` usable bytes from this thread's pool, or
/// maps a new one.
#[inline]
pub(crate) fn acquire(size: usize, kind: StackKind) -> Result<Stack, StackError> {
    match kind {
        StackKind::Unguarded => carved::acquire(size).map(Stack::carved),
        StackKind::Guarded => acquire_guarded(size, false),
        StackKind::Fresh => acquire_guarded(size, true),
    }
}

#[inline]
fn acquire_guarded(size: usize, fresh: bool) -> Result<Stack, StackError> {
    let usable = checked_size(size)?;
    if !fresh {
        let pooled = POOL
            .try_with(|pool| pool.borrow_mut().take(usable))
            .ok()
            .flatten();
        if let Some(stack) = pooled {
            return Ok(Stack::guarded(stack));
        }
    }
    map_guarded(usable)
}

#[inline(never)]
fn map_guarded(usable: usize) -> Result<Stack, StackError> {
    super::overflow::install_handler();
    GuardedStack::map(usable).map(Stack::guarded)
}

/// Gives a stack whose coroutine has finished back to this thread's pool.
#[inline]
pub(crate) fn release(stack: Stack) {
    match stack.into_parts() {
        Ok(guarded) => {
            let usable = guarded.usable();
            // During thread teardown the pool may be gone: the stack is
            // unmapped.
            let _ = POOL.try_with(move |pool| pool.borrow_mut().put(usable, guarded));
        }
        Err(carved) => carved::release(carved),
    }
}

/// How many stacks this thread's pool holds (for tests).
#[cfg(test)]
pub(crate) fn pooled() -> usize {
    POOL.with(|p| p.borrow().by_size.iter().map(|(_, v)| v.len()).sum())
}
