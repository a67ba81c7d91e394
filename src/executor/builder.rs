//! Making an `Executor`: `Executor::new`, and `ExecutorBuilder` for the
//! settings (task stack size, unguarded stacks, spinning before sleeping,
//! a paused clock).

use super::core::Core;
use super::local_executor::Executor;
use crate::generator::StackConfig;
use std::rc::Rc;
use std::time::Duration;

/// Configures an [`Executor`].
///
/// ```
/// let ex = corun::Executor::builder().stack_size(128 * 1024).build();
/// assert_eq!(ex.block_on(|| 1 + 1), 2);
/// ```
#[derive(Debug, Clone, Default)]
pub struct ExecutorBuilder {
    stack: StackConfig,
    spin_before_park: Duration,
    start_paused: bool,
}

impl ExecutorBuilder {
    /// The usable stack size of each stackful task, in bytes (default
    /// [`DEFAULT_STACK_SIZE`](crate::stack::DEFAULT_STACK_SIZE)).
    pub fn stack_size(mut self, bytes: usize) -> Self {
        self.stack = self.stack.stack_size(bytes);
        self
    }

    /// Runs stackful tasks on stacks carved from large shared mappings,
    /// without guard pages, so that far more tasks can be alive at once than
    /// `vm.max_map_count` allows guarded stacks (about 32,000 on a default
    /// Linux): 1,024 stacks share one memory map. A canary at the bottom of
    /// each stack is checked at every switch and aborts the process loudly if
    /// a task overflowed.
    ///
    /// # Safety
    ///
    /// Every task body must stay within [`stack_size`](Self::stack_size):
    /// an overflow corrupts the neighbouring task's stack before the canary
    /// check can catch it, which is undefined behaviour. See
    /// [`GeneratorBuilder::unguarded_stack`](crate::generator::GeneratorBuilder::unguarded_stack).
    ///
    /// ```
    /// // SAFETY: these bodies use well under 16 KiB of stack.
    /// let ex = unsafe { corun::Executor::builder().stack_size(16 * 1024).unguarded_stacks() }.build();
    /// let handles: Vec<_> = (0..100).map(|i| ex.spawn(move || i * 2)).collect();
    /// let sum: i32 = ex.block_on(|| handles.into_iter().map(|h| h.join().unwrap()).sum());
    /// assert_eq!(sum, 9900);
    /// ```
    pub unsafe fn unguarded_stacks(mut self) -> Self {
        // SAFETY: the caller promises every task body stays within
        // `stack_size` (this function's contract), which is exactly what
        // `GeneratorBuilder::unguarded_stack` asks: every task's generator
        // is built from `self.stack`, with that stack size.
        self.stack = unsafe { self.stack.unguarded_stack() };
        self
    }

    /// Before the thread sleeps in the OS to wait for I/O, a timer or
    /// another thread's wake, the executor polls for up to `spin` without
    /// sleeping (default: zero, never). A sleeping thread costs its waker a
    /// system call, and its own wake-up costs the OS microseconds (tens of
    /// them on a virtual machine); spinning trades CPU time for that
    /// latency, which pays on a thread that owns its core, such as one
    /// executor per core serving sockets (glommio's `spin_before_park`).
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let ex = corun::Executor::builder().spin_before_park(Duration::from_micros(50)).build();
    /// let slept = ex.block_on(|| {
    ///     let t = std::time::Instant::now();
    ///     corun::sleep(Duration::from_millis(2)); // spins 50 µs, then sleeps
    ///     t.elapsed()
    /// });
    /// assert!(slept >= Duration::from_millis(2));
    /// ```
    pub fn spin_before_park(mut self, spin: Duration) -> Self {
        self.spin_before_park = spin;
        self
    }

    /// Starts the executor with its clock paused, for tests (tokio's
    /// `start_paused`): see [`corun::time::pause`](crate::time::pause).
    /// Sleeps, timeouts and intervals then take no real time, and always
    /// end in deadline order.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// let ex = corun::Executor::builder().start_paused(true).build();
    /// let real = Instant::now();
    /// let ticks = ex.block_on(|| {
    ///     let mut clock = corun::time::interval(Duration::from_secs(60));
    ///     (0..24 * 60).map(|_| clock.tick()).count() // a virtual day
    /// });
    /// assert_eq!(ticks, 1440);
    /// assert!(real.elapsed() < Duration::from_secs(60));
    /// ```
    pub fn start_paused(mut self, paused: bool) -> Self {
        self.start_paused = paused;
        self
    }

    /// Makes the executor.
    ///
    /// # Panics
    ///
    /// If the OS refuses an event queue (`epoll`); see
    /// [`try_build`](ExecutorBuilder::try_build).
    pub fn build(self) -> Executor {
        self.try_build()
            .unwrap_or_else(|e| panic!("corun: could not create the executor's event queue: {e}"))
    }

    /// Makes the executor, or returns the OS error creating its event queue.
    pub fn try_build(self) -> std::io::Result<Executor> {
        let core = Core::new(self.stack)?;
        core.spin_before_park.set(self.spin_before_park);
        if self.start_paused {
            core.clock.pause();
        }
        Ok(Executor::with_core(Rc::new(core)))
    }
}

impl Default for Executor {
    fn default() -> Self {
        Self::new()
    }
}

impl Executor {
    /// An executor with default settings.
    pub fn new() -> Self {
        ExecutorBuilder::default().build()
    }

    /// A builder for an executor with a chosen task stack size.
    pub fn builder() -> ExecutorBuilder {
        ExecutorBuilder::default()
    }
}
