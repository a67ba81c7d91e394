//! A cell set once by whoever gets there first, whose initialiser may wait
//! (tokio's `OnceCell`): the lazy connection pool, the config read once.
//!
//! Rules:
//! 1. At most one initialiser runs at a time, in the caller's own task
//!    (or thread); everyone else who finds the cell empty waits for it, in
//!    arrival order (a one-permit shared semaphore), and then finds the
//!    value. `std::sync::OnceLock::get_or_init` would instead block the
//!    thread, and with it the executor whose task is initialising: a
//!    deadlock when the initialiser suspends.
//! 2. An initialiser that fails (`Err`), panics or is cancelled leaves the
//!    cell empty, and the next waiter runs its own.
//! 3. A task that is unwinding cannot wait: if another initialiser is
//!    running, it runs its own at once; whichever finishes first sets the
//!    value, and the other's value is dropped.
//! 4. It works for tasks of any executor and plain threads at once; it is
//!    `Send + Sync` when `T` is (`!Sync` values, such as an `Rc`, in one
//!    executor's tasks).
//! 5. A call from inside the cell's own initialiser (the same task, or the
//!    same thread outside tasks) would wait for itself: it panics saying
//!    so, as std's `OnceCell` does.
//!
//! `new` is not `const`; for a `static`, wrap the cell in a
//! `std::sync::LazyLock`:
//!
//! ```
//! use corun::sync::OnceCell;
//! use std::sync::LazyLock;
//!
//! static CONFIG: LazyLock<OnceCell<String>> = LazyLock::new(OnceCell::new);
//!
//! let ex = corun::Executor::new();
//! let v = ex.block_on(|| CONFIG.get_or_init(|| "loaded".to_string()).clone());
//! assert_eq!(v, "loaded");
//! ```

use super::shared::Semaphore;
use super::wait_here;
use std::fmt;
use std::future::Future;
use std::sync::{Mutex, OnceLock};

/// A value set once, by the first caller of
/// [`get_or_init`](OnceCell::get_or_init) (or [`set`](OnceCell::set)),
/// whose initialiser may suspend its task; everyone else waits for it
/// (rule 1). Python's `functools.cache` on a coroutine, done right: the
/// initialiser runs once, not once per concurrent caller.
///
/// ```
/// use corun::sync::OnceCell;
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::time::Duration;
///
/// let rt = corun::Runtime::builder().workers(2).build()?;
/// let pool = Arc::new(OnceCell::new());
/// let connects = Arc::new(AtomicUsize::new(0));
/// let users: Vec<_> = (0..8)
///     .map(|_| {
///         let (pool, connects) = (pool.clone(), connects.clone());
///         rt.spawn(move || {
///             let conns = pool.get_or_init(|| {
///                 connects.fetch_add(1, Ordering::SeqCst);
///                 corun::sleep(Duration::from_millis(5)); // "connecting": only this task waits
///                 vec!["conn-a", "conn-b"]
///             });
///             conns.len()
///         })
///     })
///     .collect();
/// for u in users {
///     assert_eq!(u.join()?, 2);
/// }
/// assert_eq!(connects.load(Ordering::SeqCst), 1); // initialised once
/// # Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
/// ```
pub struct OnceCell<T> {
    value: OnceLock<T>,
    /// Held by the one initialiser running (rule 1).
    init: Semaphore,
    /// Who runs the initialiser now, so that a call from inside it is
    /// refused instead of waiting for itself (rule 5).
    holder: Mutex<Option<Caller>>,
}

type Caller = (std::thread::ThreadId, Option<(usize, u64)>);

/// Clears the holder when the initialiser ends, returns or unwinds.
struct Holding<'a>(&'a Mutex<Option<Caller>>);

impl Drop for Holding<'_> {
    fn drop(&mut self) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

/// Why [`OnceCell::set`] gave its value back.
#[derive(PartialEq, Eq)]
pub struct SetError<T> {
    value: T,
    initializing: bool,
}

impl<T> SetError<T> {
    /// The value that was not stored.
    pub fn into_inner(self) -> T {
        self.value
    }

    /// An initialiser was running (rather than a value being set already).
    pub fn is_initializing(&self) -> bool {
        self.initializing
    }
}

impl<T> fmt::Debug for SetError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SetError")
            .field("initializing", &self.initializing)
            .finish_non_exhaustive()
    }
}

impl<T> fmt::Display for SetError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.initializing {
            "the cell is being initialised"
        } else {
            "the cell is already set"
        })
    }
}

impl<T> std::error::Error for SetError<T> {}

impl<T> OnceCell<T> {
    /// An empty cell.
    pub fn new() -> Self {
        OnceCell {
            value: OnceLock::new(),
            init: Semaphore::new(1),
            holder: Mutex::new(None),
        }
    }

    /// The value, if set.
    pub fn get(&self) -> Option<&T> {
        self.value.get()
    }

    /// Whether the value is set.
    pub fn initialized(&self) -> bool {
        self.value.get().is_some()
    }

    /// Sets the value if the cell is empty and no initialiser is running;
    /// never waits.
    ///
    /// # Errors
    ///
    /// The value back, in a [`SetError`] that says which.
    ///
    /// ```
    /// let cell = corun::sync::OnceCell::new();
    /// assert!(cell.set(1).is_ok());
    /// assert_eq!(cell.set(2).unwrap_err().into_inner(), 2);
    /// assert_eq!(cell.get(), Some(&1));
    /// ```
    pub fn set(&self, value: T) -> Result<(), SetError<T>> {
        let Ok(_permit) = self.init.try_acquire() else {
            let initializing = !self.initialized();
            return Err(SetError {
                value,
                initializing,
            });
        };
        self.value.set(value).map_err(|value| SetError {
            value,
            initializing: false,
        })
    }

    /// The value, running `init` first if the cell is empty (rule 1): a
    /// stackful task suspends while another initialiser runs, a plain
    /// thread blocks; `init` itself may suspend (sleep, receive, connect).
    ///
    /// # Panics
    ///
    /// A panic in `init` propagates, leaving the cell empty (rule 2). In a
    /// future task, when it would have to wait: use
    /// [`get_or_init_async`](OnceCell::get_or_init_async).
    #[track_caller]
    pub fn get_or_init(&self, init: impl FnOnce() -> T) -> &T {
        match self.get_or_try_init(|| Ok::<T, std::convert::Infallible>(init())) {
            Ok(value) => value,
            Err(never) => match never {},
        }
    }

    /// [`get_or_init`](OnceCell::get_or_init) with an initialiser that may
    /// fail: an error leaves the cell empty and goes to this caller; the
    /// next waiter tries its own (rule 2).
    ///
    /// ```
    /// let ex = corun::Executor::new();
    /// let cell = corun::sync::OnceCell::new();
    /// ex.block_on(|| {
    ///     assert_eq!(cell.get_or_try_init(|| Err("refused")), Err("refused"));
    ///     assert_eq!(cell.get_or_try_init(|| Ok::<_, &str>(7)), Ok(&7));
    /// });
    /// ```
    #[track_caller]
    pub fn get_or_try_init<E>(&self, init: impl FnOnce() -> Result<T, E>) -> Result<&T, E> {
        if let Some(value) = self.value.get() {
            return Ok(value);
        }
        let me = self.refuse_reentry("OnceCell::get_or_init");
        // Unwinding and unable to wait: no permit, and our own runs (rule 3).
        let _permit = wait_here::wait(self.init.acquire_async(), "OnceCell::get_or_init")
            .ok()
            .map(|permit| permit.expect("a once cell's semaphore is never closed"));
        if let Some(value) = self.value.get() {
            return Ok(value); // set by the initialiser we waited for
        }
        let _holding = self.hold(me);
        self.finish(init())
    }

    /// Rule 5: the caller, unless it is the one running the initialiser.
    #[track_caller]
    fn refuse_reentry(&self, what: &str) -> Caller {
        let me = crate::executor::hooks::current_caller();
        let holder = *self.holder.lock().unwrap_or_else(|e| e.into_inner());
        if holder == Some(me) {
            panic!(
                "corun::sync::{what}: called from inside this cell's own initialiser, which \
                 would wait for itself for ever; initialise it without reading it"
            );
        }
        me
    }

    fn hold(&self, me: Caller) -> Holding<'_> {
        *self.holder.lock().unwrap_or_else(|e| e.into_inner()) = Some(me);
        Holding(&self.holder)
    }

    /// [`get_or_init`](OnceCell::get_or_init) for async code: `init` is
    /// an async initialiser, run only if this caller's turn comes with the
    /// cell still empty.
    ///
    /// ```
    /// let ex = corun::Executor::new();
    /// let cell = std::rc::Rc::new(corun::sync::OnceCell::new());
    /// let c = cell.clone();
    /// let h = ex.spawn_future(async move {
    ///     *c.get_or_init_async(|| async { "made in async code" }).await
    /// });
    /// assert_eq!(ex.block_on(|| h.join().unwrap()), "made in async code");
    /// ```
    pub async fn get_or_init_async<F: Future<Output = T>>(&self, init: impl FnOnce() -> F) -> &T {
        let init = || async { Ok::<T, std::convert::Infallible>(init().await) };
        match self.get_or_try_init_async(init).await {
            Ok(value) => value,
            Err(never) => match never {},
        }
    }

    /// [`get_or_try_init`](OnceCell::get_or_try_init) for async code.
    pub async fn get_or_try_init_async<E, F: Future<Output = Result<T, E>>>(
        &self,
        init: impl FnOnce() -> F,
    ) -> Result<&T, E> {
        if let Some(value) = self.value.get() {
            return Ok(value);
        }
        let me = self.refuse_reentry("OnceCell::get_or_init_async");
        let _permit = self
            .init
            .acquire_async()
            .await
            .expect("a once cell's semaphore is never closed");
        if let Some(value) = self.value.get() {
            return Ok(value);
        }
        let _holding = self.hold(me);
        self.finish(init().await)
    }

    /// Stores what an initialiser made, unless a value came meanwhile
    /// (rule 3), and returns the value the cell holds.
    fn finish<E>(&self, made: Result<T, E>) -> Result<&T, E> {
        if let Some(value) = self.value.get() {
            return Ok(value);
        }
        let _ = self.value.set(made?);
        Ok(self.value.get().expect("just set"))
    }

    /// The value, emptying the cell (`&mut self`: nobody else is using it).
    pub fn take(&mut self) -> Option<T> {
        self.value.take()
    }

    /// The value, if set, consuming the cell.
    pub fn into_inner(self) -> Option<T> {
        self.value.into_inner()
    }
}

impl<T> Default for OnceCell<T> {
    fn default() -> Self {
        OnceCell::new()
    }
}

impl<T> From<T> for OnceCell<T> {
    fn from(value: T) -> Self {
        let cell = OnceCell::new();
        let _ = cell.value.set(value);
        cell
    }
}

impl<T: fmt::Debug> fmt::Debug for OnceCell<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OnceCell")
            .field("value", &self.value.get())
            .finish()
    }
}
