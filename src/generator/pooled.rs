//! A box for a generator whose memory comes from, and goes back to, a
//! per-thread cache of blocks: what a stackful task keeps its generator in
//! while it waits.
//!
//! Why: a task that waits moves its generator (about 120 bytes) off the
//! executor's stack into its cell's box, and frees it when it ends. With
//! thousands of such tasks alive (sleepers, connections), glibc's
//! per-thread caches overflow and every `malloc` and `free` of those boxes
//! takes its slow path: measured with 10,000 sleeping tasks, allocation
//! was a quarter of all instructions. A generator's layout is the same
//! whatever its types (rule 1), so one cache of one block size serves them
//! all, and a block is reused while it is still warm.
//!
//! Rules:
//! 1. Every `Generator<'a, Y, S, R>` has the layout of
//!    `Generator<'static, (), (), ()>`: its fields hold `Y`, `S` and `R`
//!    only behind pointers (the mailbox, the delegate stack) or as
//!    `PhantomData` (corosensei's coroutine holds its return type so). A
//!    compile-time assertion in [`PooledGenerator::new`] checks it for each
//!    instantiation.
//! 2. The blocks are the stack layer's (`stack::blocks`), of [`BLOCK`]'s
//!    layout: a `PooledGenerator` owns one from `allocate(BLOCK)` to
//!    `free(BLOCK)`.
//! 3. A `PooledGenerator` owns the generator written in its block; its drop
//!    drops the generator in place and gives the block back, even if the
//!    generator's drop unwinds.

use super::Generator;
use crate::stack::blocks;
use std::alloc::Layout;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::ptr::NonNull;

/// The layout of every block (rule 1).
const BLOCK: Layout = Layout::new::<Generator<'static, (), (), ()>>();

/// A generator in a block of the per-thread cache: `Box<Generator>` with a
/// cheaper allocation (see the module docs).
pub(crate) struct PooledGenerator<'a, Y, S, R> {
    generator: NonNull<Generator<'a, Y, S, R>>,
    /// Owns a generator (drop check, variance).
    _owns: PhantomData<Generator<'a, Y, S, R>>,
}

impl<'a, Y, S, R> PooledGenerator<'a, Y, S, R> {
    /// Moves `generator` into a block.
    #[inline]
    pub(crate) fn new(generator: Generator<'a, Y, S, R>) -> Self {
        const {
            assert!(
                Layout::new::<Generator<'a, Y, S, R>>().size() == BLOCK.size()
                    && Layout::new::<Generator<'a, Y, S, R>>().align() == BLOCK.align(),
                "every generator has one layout (pooled rule 1)"
            )
        };
        let block = blocks::allocate(BLOCK).cast::<Generator<'a, Y, S, R>>();
        // SAFETY: the block is ours alone (rule 2), of the generator's
        // layout (rule 1, asserted above), and holds no value.
        unsafe { block.as_ptr().write(generator) };
        PooledGenerator {
            generator: block,
            _owns: PhantomData,
        }
    }
}

impl<'a, Y, S, R> Deref for PooledGenerator<'a, Y, S, R> {
    type Target = Generator<'a, Y, S, R>;

    #[inline(always)]
    fn deref(&self) -> &Self::Target {
        // SAFETY: the block holds our generator until the drop (rule 3).
        unsafe { self.generator.as_ref() }
    }
}

impl<Y, S, R> DerefMut for PooledGenerator<'_, Y, S, R> {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut Self::Target {
        // SAFETY: as in `deref`, and `&mut self` makes this access unique.
        unsafe { self.generator.as_mut() }
    }
}

impl<Y, S, R> Drop for PooledGenerator<'_, Y, S, R> {
    fn drop(&mut self) {
        /// Gives the block back when dropped, so that it goes back even if
        /// the generator's drop unwinds (rule 3).
        struct GiveBack(NonNull<u8>);
        impl Drop for GiveBack {
            fn drop(&mut self) {
                // SAFETY: the block came from `allocate(BLOCK)` (rule 2) and
                // its generator is dropped by now (or unwound out of).
                unsafe { blocks::free(self.0, BLOCK) };
            }
        }
        let _block = GiveBack(self.generator.cast());
        // SAFETY: the block holds our generator, dropped this once; nothing
        // reads it afterwards (the block holds no value from here on).
        unsafe { self.generator.as_ptr().drop_in_place() };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::GeneratorState;
    use std::cell::Cell;
    use std::rc::Rc;

    /// Blocks of a generator's size on this thread's free lists.
    fn cached() -> usize {
        blocks::held() / BLOCK.size().next_multiple_of(blocks::GRAIN)
    }

    #[test]
    fn a_block_is_reused_and_the_generator_runs_from_it() {
        let mut g = PooledGenerator::new(Generator::<u32, u32, u32>::new(|co| {
            let a = co.yield_(1);
            a + 1
        }));
        let address = &*g as *const _ as usize;
        assert_eq!(g.start(), GeneratorState::Yielded(1));
        assert_eq!(g.send(41), GeneratorState::Complete(42));
        let before = cached();
        drop(g);
        assert_eq!(cached(), before + 1);
        // Another type of generator takes the same block.
        let h = PooledGenerator::new(Generator::<&str>::new(|co| co.yield_("x")));
        assert_eq!(&*h as *const _ as usize, address);
        assert_eq!(cached(), before);
    }

    #[test]
    fn dropping_an_unfinished_generator_runs_its_destructors() {
        struct Flag(Rc<Cell<bool>>);
        impl Drop for Flag {
            fn drop(&mut self) {
                self.0.set(true);
            }
        }
        let dropped = Rc::new(Cell::new(false));
        let d = dropped.clone();
        let mut g = PooledGenerator::new(Generator::<u32>::new(move |co| {
            let _flag = Flag(d);
            co.yield_(1);
        }));
        assert_eq!(g.start(), GeneratorState::Yielded(1));
        drop(g);
        assert!(dropped.get());
    }

    #[test]
    fn a_generator_dropped_inside_another_ones_drop_gets_its_block_back() {
        // The outer body holds a pooled generator: dropping the outer one
        // drops the inner one from inside its close (rule 4).
        let before = cached();
        let mut outer = PooledGenerator::new(Generator::<u32>::new(|co| {
            let mut inner = PooledGenerator::new(Generator::<u32>::new(|co| co.yield_(2)));
            inner.start();
            co.yield_(1);
            drop(inner);
        }));
        assert_eq!(outer.start(), GeneratorState::Yielded(1));
        drop(outer);
        assert_eq!(cached(), before + 2);
    }

    #[test]
    fn a_drop_that_unwinds_still_gives_the_block_back() {
        // The body catches its close and panics afresh: the generator's
        // drop re-raises that panic.
        let mut g = PooledGenerator::new(Generator::<u32>::new(|co| {
            let closed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                co.yield_(1);
            }));
            if closed.is_err() {
                panic!("panicked after its close");
            }
        }));
        assert_eq!(g.start(), GeneratorState::Yielded(1));
        let before = cached();
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(g)));
        let payload = r.expect_err("the drop re-raises the body's panic");
        assert_eq!(
            payload.downcast_ref::<&str>(),
            Some(&"panicked after its close")
        );
        assert_eq!(cached(), before + 1);
    }
}
