//! Building a generator with a chosen stack.

use super::co::Co;
use super::{Coroutine, Generator, Life};
use crate::stack::{self, ContextHeader, StackError, DEFAULT_STACK_SIZE};
use std::marker::PhantomData;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Configures a [`Generator`] before it is made.
///
/// ```
/// use corun::Generator;
///
/// let g = Generator::<u32>::builder()
///     .stack_size(256 * 1024)
///     .build(|co| co.yield_(7));
/// assert!(g.stack_size() >= 256 * 1024);
/// ```
#[derive(Debug, Clone)]
pub struct GeneratorBuilder {
    stack_size: usize,
    measure: bool,
}

impl Default for GeneratorBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl GeneratorBuilder {
    /// A builder with the default stack size ([`DEFAULT_STACK_SIZE`]).
    pub fn new() -> Self {
        GeneratorBuilder {
            stack_size: DEFAULT_STACK_SIZE,
            measure: false,
        }
    }

    /// The usable stack size in bytes, rounded up to whole pages. Stacks of
    /// each size are pooled per thread.
    pub fn stack_size(mut self, bytes: usize) -> Self {
        self.stack_size = bytes;
        self
    }

    /// Gives the generator a freshly mapped stack, so that
    /// [`Generator::stack_high_water`] reports exactly how deep its body went
    /// (a recycled stack would still show its earlier users' marks).
    ///
    /// ```
    /// use corun::Generator;
    ///
    /// let mut g = Generator::<u32>::builder()
    ///     .measure_stack_usage()
    ///     .build(|co| { let buf = [1u8; 8192]; co.yield_(buf.iter().map(|&b| b as u32).sum()) });
    /// g.start();
    /// assert!(g.stack_high_water().unwrap() >= 8192);
    /// ```
    pub fn measure_stack_usage(mut self) -> Self {
        self.measure = true;
        self
    }

    /// Makes the generator.
    ///
    /// # Panics
    ///
    /// If no stack can be mapped, with the message of [`StackError`];
    /// [`try_build`](GeneratorBuilder::try_build) returns it instead.
    pub fn build<'a, Y, S, R, F>(self, body: F) -> Generator<'a, Y, S, R>
    where
        F: FnOnce(&Co<Y, S>) -> R + 'a,
    {
        match self.try_build(body) {
            Ok(g) => g,
            Err(e) => panic!("{e}"),
        }
    }

    /// Makes the generator, or says why no stack could be mapped.
    pub fn try_build<'a, Y, S, R, F>(self, body: F) -> Result<Generator<'a, Y, S, R>, StackError>
    where
        F: FnOnce(&Co<Y, S>) -> R + 'a,
    {
        let stack = stack::acquire(self.stack_size, self.measure)?;
        let (guard_lo, guard_hi) = stack.guard();
        let header = ContextHeader {
            guard_lo,
            guard_hi,
            usable: stack.usable(),
        };
        let stack_size = stack.usable();
        let wrapper = move |yielder: &super::co::Yielder<Y, S>, _first| {
            let co = Co::new(header, yielder);
            co.enter();
            // Every panic, including the unwind that close() starts, is
            // caught here so that resume never unwinds into the resumer.
            catch_unwind(AssertUnwindSafe(|| body(&co)))
        };
        // SAFETY: `with_stack_unchecked` drops the `'static` bounds. Borrowed
        // data in `body` is only touched while the coroutine runs, which is
        // only inside `resume` calls made through a `Generator<'a, ..>`, which
        // cannot outlive `'a`; dropping a generator unwinds or drops the body
        // first. If the generator is leaked (`mem::forget`), its stack is
        // leaked with it and never resumed or reused, so nothing dangling is
        // ever read and no pinned value on that stack is ever overwritten.
        let coroutine: Coroutine<Y, S, R> =
            unsafe { corosensei::Coroutine::with_stack_unchecked(stack, wrapper) };
        Ok(Generator {
            coroutine: Some(coroutine),
            life: Life::Created,
            delegates: Vec::new(),
            stack_size,
            stack_bottom: guard_hi,
            started: false,
            measured: self.measure.then_some(0),
            _marker: PhantomData,
        })
    }
}
