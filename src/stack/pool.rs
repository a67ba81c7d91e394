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
    /// so a linear scan beats a map.
    by_size: Vec<(usize, Vec<GuardedStack>)>,
}

thread_local! {
    // const-initialised: no lazy-init check on every acquire and release.
    static POOL: RefCell<Pool> = const { RefCell::new(Pool { by_size: Vec::new() }) };
}

/// Takes a stack of at least `size` usable bytes from this thread's pool, or
/// maps a new one.
pub(crate) fn acquire(size: usize, kind: StackKind) -> Result<Stack, StackError> {
    match kind {
        StackKind::Unguarded => carved::acquire(size).map(Stack::carved),
        StackKind::Guarded => acquire_guarded(size, false).map(Stack::guarded),
        StackKind::Fresh => acquire_guarded(size, true).map(Stack::guarded),
    }
}

fn acquire_guarded(size: usize, fresh: bool) -> Result<GuardedStack, StackError> {
    let usable = checked_size(size)?;
    if !fresh {
        let pooled = POOL
            .try_with(|pool| {
                let mut pool = pool.borrow_mut();
                pool.by_size
                    .iter_mut()
                    .find(|(s, _)| *s == usable)
                    .and_then(|(_, free)| free.pop())
            })
            .ok()
            .flatten();
        if let Some(stack) = pooled {
            return Ok(stack);
        }
    }
    super::overflow::install_handler();
    GuardedStack::map(usable)
}

/// Gives a stack whose coroutine has finished back to this thread's pool.
pub(crate) fn release(stack: Stack) {
    match stack.into_parts() {
        Ok(guarded) => release_guarded(guarded),
        Err(carved) => carved::release(carved),
    }
}

fn release_guarded(stack: GuardedStack) {
    // During thread teardown the pool may be gone: the stack is unmapped.
    let _ = POOL.try_with(move |pool| {
        let mut pool = pool.borrow_mut();
        let usable = stack.usable();
        let free = match pool.by_size.iter().position(|(s, _)| *s == usable) {
            Some(i) => &mut pool.by_size[i].1,
            None => {
                pool.by_size.push((usable, Vec::new()));
                &mut pool.by_size.last_mut().expect("just pushed").1
            }
        };
        if free.len() < MAX_POOLED_PER_SIZE {
            free.push(stack);
        }
    });
}

/// How many stacks this thread's pool holds (for tests).
#[cfg(test)]
pub(crate) fn pooled() -> usize {
    POOL.with(|p| p.borrow().by_size.iter().map(|(_, v)| v.len()).sum())
}
