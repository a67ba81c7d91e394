//! Waiting for a group of tasks: `WaitGroup` (clone to add, drop to mark
//! done, as crossbeam's) and `join_all`.

use crate::executor::{block, register_caller, JoinError, JoinHandle, WaitQueue};
use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

/// Waits until a group of tasks is done: Go's `sync.WaitGroup`, shaped as
/// crossbeam's. Each clone is one member; a member is done when its clone
/// is dropped — also when its task panics or is cancelled, so a forgotten
/// `done()` cannot hang the waiter. [`wait`](WaitGroup::wait) gives up the
/// caller's own membership and waits until every other member is gone.
///
/// Several handles may wait; all are woken together, in the order they
/// began to wait, when the last member leaves.
///
/// ```
/// use corun::sync::WaitGroup;
/// use std::cell::Cell;
/// use std::rc::Rc;
///
/// let ex = corun::Executor::new();
/// let done = Rc::new(Cell::new(0));
/// let wg = WaitGroup::new();
/// for i in 0..3 {
///     let (wg, done) = (wg.clone(), done.clone());
///     ex.spawn(move || {
///         corun::sleep(std::time::Duration::from_millis(i));
///         done.set(done.get() + 1);
///         drop(wg); // done
///     });
/// }
/// ex.block_on(|| wg.wait());
/// assert_eq!(done.get(), 3);
/// ```
pub struct WaitGroup {
    inner: Rc<Inner>,
}

struct Inner {
    members: Cell<usize>,
    waiters: WaitQueue,
}

impl Default for WaitGroup {
    fn default() -> Self {
        WaitGroup::new()
    }
}

impl WaitGroup {
    /// A group whose only member is the returned handle.
    pub fn new() -> Self {
        WaitGroup {
            inner: Rc::new(Inner {
                members: Cell::new(1),
                waiters: WaitQueue::new(),
            }),
        }
    }

    /// How many members the group has now (live handles that are not
    /// waiting).
    pub fn members(&self) -> usize {
        self.inner.members.get()
    }

    /// Leaves the group and waits, suspending the calling task, until every
    /// other member has left. Returns at once if none is left.
    ///
    /// While the task is unwinding (a destructor run by cancellation), it
    /// returns at once instead of waiting.
    ///
    /// # Panics
    ///
    /// If it has to wait outside a corun task, or in a future task (use
    /// [`wait_async`](WaitGroup::wait_async) there).
    pub fn wait(self) {
        const WHAT: &str = "corun::sync::WaitGroup::wait";
        let mut op = self.leave();
        let _ = block("WaitGroup::wait", || op.poll(None, WHAT));
    }

    /// A future that leaves the group (at once) and completes when every
    /// other member has left: [`wait`](WaitGroup::wait) for future tasks and
    /// async code.
    ///
    /// ```
    /// let ex = corun::Executor::new();
    /// let wg = corun::sync::WaitGroup::new();
    /// let member = wg.clone();
    /// let h = ex.spawn_future(wg.wait_async());
    /// ex.spawn(move || drop(member));
    /// ex.block_on(|| h.join().unwrap());
    /// ```
    pub fn wait_async(self) -> WaitGroupWait {
        WaitGroupWait { op: self.leave() }
    }

    fn leave(self) -> WaitOp {
        let inner = self.inner.clone();
        drop(self);
        WaitOp { inner, key: None }
    }
}

impl Clone for WaitGroup {
    /// One more member.
    fn clone(&self) -> Self {
        self.inner.members.set(self.inner.members.get() + 1);
        WaitGroup {
            inner: self.inner.clone(),
        }
    }
}

impl Drop for WaitGroup {
    /// One member is done; the last one wakes the waiters.
    fn drop(&mut self) {
        let left = self.inner.members.get() - 1;
        self.inner.members.set(left);
        if left == 0 {
            self.inner.waiters.wake_all();
        }
    }
}

impl fmt::Debug for WaitGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitGroup")
            .field("members", &self.members())
            .finish()
    }
}

struct WaitOp {
    inner: Rc<Inner>,
    key: Option<u64>,
}

impl WaitOp {
    fn poll(&mut self, waker: Option<&Waker>, what: &str) -> Poll<()> {
        // Once zero, the count stays zero: every handle that could clone
        // has been dropped.
        if self.inner.members.get() == 0 {
            if let Some(key) = self.key.take() {
                self.inner.waiters.remove(key);
            }
            return Poll::Ready(());
        }
        register_caller(&self.inner.waiters, &mut self.key, waker, what);
        Poll::Pending
    }
}

impl Drop for WaitOp {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.inner.waiters.remove(key);
        }
    }
}

/// The future of [`WaitGroup::wait_async`].
///
/// ```
/// let wg = corun::sync::WaitGroup::new();
/// let member = wg.clone();
/// let fut: corun::sync::WaitGroupWait = wg.wait_async();
/// drop(member);
/// futures::executor::block_on(fut);
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct WaitGroupWait {
    op: WaitOp,
}

impl Future for WaitGroupWait {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.op
            .poll(Some(cx.waker()), "corun::sync::WaitGroupWait::poll")
    }
}

impl fmt::Debug for WaitGroupWait {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitGroupWait")
            .field("members", &self.op.inner.members.get())
            .finish()
    }
}

/// Waits for every task in `handles`, in order, and returns their results
/// in the same order. Suspends the calling task once per task not yet
/// finished. For future tasks, `futures::future::join_all` works on
/// [`JoinHandle`]s directly.
///
/// # Panics
///
/// If it has to wait outside a corun task, or if the calling task is among
/// `handles` (as [`JoinHandle::join`]). While the calling task is unwinding,
/// unfinished tasks give [`JoinError::is_cancelled`] instead of being waited
/// for.
///
/// ```
/// let ex = corun::Executor::new();
/// let handles = vec![
///     ex.spawn(|| 1),
///     ex.spawn(|| panic!("boom")),
///     ex.spawn(|| 3),
/// ];
/// let results = ex.block_on(|| corun::sync::join_all(handles));
/// assert_eq!(results[0].as_ref().unwrap(), &1);
/// assert!(results[1].as_ref().unwrap_err().is_panic());
/// assert_eq!(results[2].as_ref().unwrap(), &3);
/// ```
pub fn join_all<T, I>(handles: I) -> Vec<Result<T, JoinError>>
where
    I: IntoIterator<Item = JoinHandle<T>>,
{
    handles.into_iter().map(JoinHandle::join).collect()
}
