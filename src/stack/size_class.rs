//! The pooled stacks of one size, and when their pages go back to the
//! kernel.
//!
//! Giving a stack's pages back (`MADV_FREE`) costs a system call and a TLB
//! flush, a few µs here: done at every release past a fixed count, it made
//! 10,000 sleepers that come back every few ms cost 4 µs a task, ten times
//! tokio. So pages go back by age instead, as jemalloc's decay does: the
//! pool notes the fewest stacks a size held since the last decay (its low
//! water), and at the next decay, one [`DECAY_EVERY`] later, the stacks
//! below that mark, which nobody took in all that time, give their pages
//! back. A burst that returns within the period keeps its stacks warm; a
//! burst that does not come back stops pinning memory a period or two
//! after it ended.

use super::GuardedStack;
use std::time::Duration;

/// How long a pooled stack may sit unused before its pages go back.
pub(super) const DECAY_EVERY: Duration = Duration::from_secs(1);

/// Stacks per size that keep their pages however long they sit: reused
/// with no system call and no page fault.
pub(super) const WARM_PER_SIZE: usize = 1024;

/// Stacks kept per size in all. Beyond this, released stacks are
/// unmapped, so the mappings a burst made are not kept forever either.
pub(super) const MAX_POOLED_PER_SIZE: usize = 16 * 1024;

/// The free stacks of one usable size, last released on top.
pub(super) struct SizeClass {
    pub(super) usable: usize,
    free: Vec<GuardedStack>,
    /// The fewest stacks `free` held since the last decay: the ones below
    /// were not taken in that time.
    low_water: usize,
    /// How many at the bottom of `free` have given their pages back.
    freed: usize,
}

impl SizeClass {
    pub(super) fn new(usable: usize) -> Self {
        SizeClass {
            usable,
            free: Vec::new(),
            low_water: 0,
            freed: 0,
        }
    }

    #[inline]
    pub(super) fn pop(&mut self) -> Option<GuardedStack> {
        let stack = self.free.pop()?;
        let len = self.free.len();
        self.low_water = self.low_water.min(len);
        self.freed = self.freed.min(len);
        Some(stack)
    }

    /// Keeps `stack`, or hands it back when this size is full.
    #[inline]
    pub(super) fn push(&mut self, stack: GuardedStack) -> Result<(), GuardedStack> {
        if self.free.len() >= MAX_POOLED_PER_SIZE {
            return Err(stack);
        }
        self.free.push(stack);
        Ok(())
    }

    /// Whether a decay would give pages back now or later: stacks beyond
    /// the warm ones still hold theirs.
    #[inline]
    pub(super) fn holds_idle_pages(&self) -> bool {
        self.free.len() > self.freed.max(WARM_PER_SIZE)
    }

    /// One decay: the stacks beyond the warm ones that sat below the low
    /// water since the last decay give their pages back. Returns how many.
    pub(super) fn decay(&mut self) -> usize {
        let from = self.freed.max(WARM_PER_SIZE);
        let to = self.low_water;
        let mut given = 0;
        if to > from {
            for stack in &self.free[from..to] {
                stack.free_pages();
            }
            self.freed = to;
            given = to - from;
        }
        self.low_water = self.free.len();
        given
    }

    pub(super) fn len(&self) -> usize {
        self.free.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stacks(n: usize) -> Vec<GuardedStack> {
        (0..n)
            .map(|_| GuardedStack::map(super::super::MIN_STACK_SIZE).expect("map a stack"))
            .collect()
    }

    fn filled(n: usize) -> SizeClass {
        let mut class = SizeClass::new(super::super::MIN_STACK_SIZE);
        for s in stacks(n) {
            assert!(class.push(s).is_ok());
        }
        class
    }

    #[test]
    fn only_stacks_idle_for_a_whole_period_give_their_pages_back() {
        let mut class = filled(WARM_PER_SIZE + 10);
        assert!(class.holds_idle_pages());
        // The first decay only starts the period: nothing was watched yet.
        assert_eq!(class.decay(), 0);
        // Nobody took any in that period: all beyond the warm ones go.
        assert_eq!(class.decay(), 10);
        assert!(!class.holds_idle_pages());
        // Already given back: not again.
        assert_eq!(class.decay(), 0);
    }

    #[test]
    fn stacks_taken_during_the_period_stay_warm() {
        let mut class = filled(WARM_PER_SIZE + 10);
        assert_eq!(class.decay(), 0);
        // Five taken and given back: the low water is five below the top,
        // so only the five that nobody took give their pages back.
        let taken: Vec<_> = (0..5).map(|_| class.pop().expect("pooled")).collect();
        for s in taken {
            assert!(class.push(s).is_ok());
        }
        assert_eq!(class.decay(), 5);
        // The five reused ones sat idle through the next period.
        assert_eq!(class.decay(), 5);
        assert_eq!(class.decay(), 0);
    }

    #[test]
    fn a_drained_pool_forgets_what_it_had_given_back() {
        let mut class = filled(WARM_PER_SIZE + 10);
        class.decay();
        assert_eq!(class.decay(), 10);
        // All taken (the given-back ones too) and returned: they hold pages
        // again, and give them back once idle for a whole period, the one
        // after the period they were taken in.
        let all: Vec<_> = std::iter::from_fn(|| class.pop()).collect();
        assert_eq!(all.len(), WARM_PER_SIZE + 10);
        for s in all {
            assert!(class.push(s).is_ok());
        }
        assert!(class.holds_idle_pages());
        assert_eq!(class.decay(), 0);
        assert_eq!(class.decay(), 10);
    }
}
