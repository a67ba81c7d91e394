//! The public generator builder: stack settings, typed by the generator it
//! makes, so that `Generator::builder().stack_size(n).build(|co| ...)`
//! infers its types from the body as `Generator::new` does.

use super::builder::StackConfig;
use super::{Co, Generator};
use crate::stack::StackError;
use std::fmt;
use std::marker::PhantomData;

/// Configures a [`Generator`] before it is made: its stack size, stack
/// measurement, or an unguarded stack.
///
/// ```
/// use corun::Generator;
///
/// let g = Generator::builder()
///     .stack_size(256 * 1024)
///     .build(|co| { co.yield_(7u32); });
/// assert!(g.stack_size() >= 256 * 1024);
/// assert_eq!(g.collect::<Vec<_>>(), [7]);
/// ```
///
/// The types come from the body (or from an annotation), as for
/// [`Generator::new`]:
///
/// ```
/// let g: corun::Generator<'_, u32> = corun::GeneratorBuilder::new()
///     .stack_size(128 * 1024)
///     .build(|co| co.yield_(7));
/// # drop(g);
/// ```
pub struct GeneratorBuilder<Y, S = (), R = ()> {
    config: StackConfig,
    /// The generator's types; `fn() -> _` keeps the builder `Send` and
    /// `Sync` whatever they are.
    _types: PhantomData<Types<Y, S, R>>,
}

/// The generator's types, as a builder carries them.
type Types<Y, S, R> = fn() -> (Y, S, R);

impl<Y, S, R> GeneratorBuilder<Y, S, R> {
    /// A builder with the default stack size
    /// ([`DEFAULT_STACK_SIZE`](crate::stack::DEFAULT_STACK_SIZE)).
    pub fn new() -> Self {
        GeneratorBuilder {
            config: StackConfig::default(),
            _types: PhantomData,
        }
    }

    /// The usable stack size in bytes, rounded up to whole pages. Stacks of
    /// each size are pooled per thread.
    pub fn stack_size(self, bytes: usize) -> Self {
        let config = self.config.stack_size(bytes);
        self.with(config)
    }

    /// Gives the generator a freshly mapped stack, so that
    /// [`Generator::stack_high_water`] reports exactly how deep its body went
    /// (a recycled stack would still show its earlier users' marks).
    ///
    /// ```
    /// use corun::Generator;
    ///
    /// let mut g: Generator<'_, u32> = Generator::builder().measure_stack_usage().build(|co| {
    ///     let buf = std::hint::black_box([1u8; 8192]);
    ///     co.yield_(buf.iter().map(|&b| b as u32).sum());
    /// });
    /// g.start();
    /// assert!(g.stack_high_water().unwrap() >= 8192);
    /// ```
    pub fn measure_stack_usage(self) -> Self {
        let config = self.config.measure_stack_usage();
        self.with(config)
    }

    /// Runs the generator on a stack carved from a large shared mapping,
    /// with no guard page: thousands of such stacks cost one memory map,
    /// so far more coroutines fit than `vm.max_map_count` allows guarded
    /// ones (about 32,000 on a default Linux).
    ///
    /// A canary word at the bottom of the stack is checked every time the
    /// coroutine switches out; if it changed, the process aborts with a
    /// message naming the stack size.
    ///
    /// Such a stack's usable size ([`Generator::stack_size`]) is the size
    /// asked for plus a page less 64 bytes: its top then sits just below a
    /// page boundary, so a body that uses less than a page keeps one page
    /// resident, not two. The extra page is address space only until used.
    ///
    /// # Safety
    ///
    /// The body must never use more stack than [`stack_size`](Self::stack_size).
    /// An overflow writes into the memory below the stack (another
    /// coroutine's stack) before the canary check can notice: that is
    /// undefined behaviour. Size stacks with
    /// [`measure_stack_usage`](Self::measure_stack_usage) first.
    ///
    /// ```
    /// use corun::Generator;
    ///
    /// // SAFETY: this body uses a few hundred bytes of its 16 KiB stack.
    /// let g = unsafe { Generator::builder().stack_size(16 * 1024).unguarded_stack() }
    ///     .build(|co| { co.yield_(1u32); });
    /// assert_eq!(g.collect::<Vec<_>>(), [1]);
    /// ```
    pub unsafe fn unguarded_stack(self) -> Self {
        // SAFETY: the caller takes on this function's contract, which is
        // the config's.
        let config = unsafe { self.config.unguarded_stack() };
        self.with(config)
    }

    /// Makes the generator.
    ///
    /// # Panics
    ///
    /// If no stack can be mapped, with the message of [`StackError`];
    /// [`try_build`](GeneratorBuilder::try_build) returns it instead.
    #[inline]
    pub fn build<'a, F>(self, body: F) -> Generator<'a, Y, S, R>
    where
        F: FnOnce(&Co<Y, S>) -> R + 'a,
    {
        self.config.build(body)
    }

    /// Makes the generator, or says why no stack could be mapped.
    pub fn try_build<'a, F>(self, body: F) -> Result<Generator<'a, Y, S, R>, StackError>
    where
        F: FnOnce(&Co<Y, S>) -> R + 'a,
    {
        self.config.try_build(body)
    }

    fn with(mut self, config: StackConfig) -> Self {
        self.config = config;
        self
    }
}

impl<Y, S, R> Default for GeneratorBuilder<Y, S, R> {
    fn default() -> Self {
        Self::new()
    }
}

impl<Y, S, R> Clone for GeneratorBuilder<Y, S, R> {
    fn clone(&self) -> Self {
        GeneratorBuilder {
            config: self.config,
            _types: PhantomData,
        }
    }
}

impl<Y, S, R> fmt::Debug for GeneratorBuilder<Y, S, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GeneratorBuilder")
            .field("config", &self.config)
            .finish()
    }
}
