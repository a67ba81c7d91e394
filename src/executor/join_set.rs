//! `JoinSet`: a set of tasks whose results come back as they finish,
//! whichever finishes first (tokio's `JoinSet`, asyncio's `as_completed`
//! and `wait(return_when=FIRST_COMPLETED)`).
//!
//! Each member's body carries a [`Finished`] token; its drop, when the
//! body returns, panics, is cancelled or is dropped unstarted, queues the
//! member's place and wakes the set's waiter. So a finished task costs the
//! set O(1) to find however many still run, and the waiter is registered
//! as a task, never as a `Waker` clone, which keeps the deadlock detector
//! able to see a set whose members can never finish.

use super::context::current_task_unless_unwinding;
use super::join_handle::JoinHandle;
use super::local_executor::Executor;
use super::suspend::suspend_task;
use super::task::TaskId;
use super::wait_queue::Waiter;
use super::waiting::waiter_for;
use super::JoinError;
use futures::stream::Stream;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

/// A set of tasks of one executor whose results are taken in the order the
/// tasks finish.
///
/// Dropping the set cancels every task still in it (tokio's rule: a set is
/// a scope of work, not a way to detach); [`detach_all`](JoinSet::detach_all)
/// lets them run on instead.
///
/// ```
/// use corun::task::JoinSet;
/// use std::time::Duration;
///
/// let ex = corun::Executor::new();
/// let order = ex.block_on(|| {
///     let mut set = JoinSet::new();
///     for ms in [30u64, 10, 20] {
///         set.spawn(move || {
///             corun::sleep(Duration::from_millis(ms));
///             ms
///         });
///     }
///     let mut order = Vec::new();
///     while let Some(done) = set.join_next() {
///         order.push(done.unwrap());
///     }
///     order
/// });
/// assert_eq!(order, [10, 20, 30]);
/// ```
pub struct JoinSet<T> {
    /// Each member's handle at its place; `None` once taken (the place is
    /// then on `free`).
    members: Vec<Option<JoinHandle<T>>>,
    free: Vec<usize>,
    len: usize,
    /// Shared with the members' tokens. Replaced, not cleared, when the
    /// members are let go: the tokens of tasks still running then report
    /// to the old one, which nobody reads, so a reused place is never
    /// reported by a stranger.
    shared: Rc<Shared>,
}

#[derive(Default)]
struct Shared {
    /// Places whose task has ended, in the order they ended.
    finished: RefCell<VecDeque<usize>>,
    /// Who waits for the next one, if anyone.
    waiter: Cell<Option<Waiter>>,
}

/// What [`JoinSet::next_finished`] found.
enum Next<T> {
    Done((TaskId, Result<T, JoinError>)),
    /// The member at this place has ended; its outcome is on its way.
    Storing(usize),
    /// No member has ended since the last look.
    Running,
}

/// Carried by a member's body: dropped when the body ends in any way.
struct Finished {
    shared: Rc<Shared>,
    place: usize,
}

impl Drop for Finished {
    fn drop(&mut self) {
        self.shared.finished.borrow_mut().push_back(self.place);
        if let Some(waiter) = self.shared.waiter.take() {
            waiter.wake();
        }
    }
}

/// Clears the waiter registration when a wait ends in any way (an unwind
/// included), so the set holds no reference to its waiting task after.
struct Unregister(Rc<Shared>);

impl Drop for Unregister {
    fn drop(&mut self) {
        drop(self.0.waiter.take());
    }
}

impl<T> JoinSet<T> {
    /// An empty set.
    pub fn new() -> Self {
        JoinSet {
            members: Vec::new(),
            free: Vec::new(),
            len: 0,
            shared: Rc::default(),
        }
    }

    /// How many tasks are in the set: running, or finished with their
    /// result not yet taken.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the set holds no task.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Waits for the next task to finish and returns its result, or `None`
    /// when the set is empty. Suspends only the calling task.
    ///
    /// # Panics
    ///
    /// When it has to wait outside a stackful task (use
    /// [`join_next_async`](JoinSet::join_next_async) in a future task).
    /// While the calling task is unwinding (cancelled, or its executor
    /// dropped) it cannot wait: it returns a result that is already in, or
    /// `None`, as every corun wait returns at once then.
    pub fn join_next(&mut self) -> Option<Result<T, JoinError>> {
        self.join_next_with_id().map(|(_, r)| r)
    }

    /// [`join_next`](JoinSet::join_next), with the id of the task that
    /// finished (the id [`spawn`](JoinSet::spawn) returned for it).
    pub fn join_next_with_id(&mut self) -> Option<(TaskId, Result<T, JoinError>)> {
        loop {
            let storing = match self.next_finished() {
                Next::Done(done) => return Some(done),
                Next::Running if self.is_empty() => return None,
                Next::Running => None,
                Next::Storing(place) => Some(place),
            };
            let task = current_task_unless_unwinding("JoinSet::join_next")?;
            self.register(Waiter::Task(task.clone()), storing);
            let unregister = Unregister(self.shared.clone());
            let suspended = suspend_task(&task, "JoinSet::join_next");
            drop(unregister);
            if suspended.is_err() {
                return self.try_join_next_with_id();
            }
        }
    }

    /// The result of a task that has already finished, if any, without
    /// waiting; `None` when every task still runs (or the set is empty).
    /// Works anywhere, a plain thread included.
    pub fn try_join_next(&mut self) -> Option<Result<T, JoinError>> {
        self.try_join_next_with_id().map(|(_, r)| r)
    }

    /// [`try_join_next`](JoinSet::try_join_next), with the task's id.
    pub fn try_join_next_with_id(&mut self) -> Option<(TaskId, Result<T, JoinError>)> {
        match self.next_finished() {
            Next::Done(done) => Some(done),
            Next::Storing(_) | Next::Running => None,
        }
    }

    /// The next finished member, taken out of the set.
    fn next_finished(&mut self) -> Next<T> {
        loop {
            let Some(place) = self.shared.finished.borrow_mut().pop_front() else {
                return Next::Running;
            };
            let Some(handle) = self.members.get(place).and_then(Option::as_ref) else {
                // A token whose spawn failed: its place never held a task.
                continue;
            };
            let id = handle.id();
            let Some(outcome) = handle.take_outcome() else {
                // Its body is gone (a cancelled task that never started
                // drops its closure first) but its outcome is not stored
                // yet: it comes at the task's next turn.
                self.shared.finished.borrow_mut().push_front(place);
                return Next::Storing(place);
            };
            self.members[place] = None;
            self.free.push(place);
            self.len -= 1;
            return Next::Done((id, outcome));
        }
    }

    /// Registers `waiter` to be woken by the next member to finish, or by
    /// the outcome of the one at `storing` landing.
    fn register(&self, waiter: Waiter, storing: Option<usize>) {
        match storing.and_then(|place| self.members[place].as_ref()) {
            Some(handle) => handle.wake_when_done(waiter),
            None => drop(self.shared.waiter.replace(Some(waiter))),
        }
    }

    /// A future of [`join_next`](JoinSet::join_next)'s result, for future
    /// tasks and async code.
    pub fn join_next_async(&mut self) -> impl Future<Output = Option<Result<T, JoinError>>> + '_ {
        futures::future::poll_fn(|cx| self.poll_join_next(cx))
    }

    /// Polls for the next finished task: `Ready(None)` when the set is
    /// empty.
    pub fn poll_join_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<T, JoinError>>> {
        self.poll_join_next_with_id(cx)
            .map(|done| done.map(|(_, r)| r))
    }

    /// [`poll_join_next`](JoinSet::poll_join_next), with the task's id.
    pub fn poll_join_next_with_id(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<(TaskId, Result<T, JoinError>)>> {
        let storing = match self.next_finished() {
            Next::Done(done) => return Poll::Ready(Some(done)),
            Next::Running if self.is_empty() => return Poll::Ready(None),
            Next::Running => None,
            Next::Storing(place) => Some(place),
        };
        self.register(
            waiter_for(Some(cx.waker()), "JoinSet::poll_join_next"),
            storing,
        );
        Poll::Pending
    }

    /// Cancels every task in the set: each unwinds at its next wait (one
    /// that has not started never runs). Their results, cancellations
    /// mostly, still come out of [`join_next`](JoinSet::join_next); a task
    /// that finished before the cancel keeps its value.
    pub fn cancel_all(&self) {
        for handle in self.members.iter().flatten() {
            handle.cancel();
        }
    }

    /// Cancels every task and waits until each has ended (its destructors
    /// run), dropping the results: the set is empty afterwards. Outside a
    /// stackful task (a plain thread, a future task), or while the caller
    /// is unwinding, it cancels without waiting, and the tasks end when
    /// their executor next runs them.
    pub fn shutdown(&mut self) {
        self.cancel_all();
        let in_stackful_task = super::context::try_current_core()
            .and_then(|core| core.current_task())
            .is_some_and(|task| task.header().kind != super::TaskKind::Future);
        if in_stackful_task && !crate::generator::innermost_is_unwinding() {
            while self.join_next().is_some() {}
        }
        self.detach_all();
    }

    /// Empties the set, letting its tasks run on with nobody to join them
    /// (as [`JoinHandle::detach`] does for one).
    pub fn detach_all(&mut self) {
        for handle in self.members.drain(..).flatten() {
            handle.detach();
        }
        self.free.clear();
        self.len = 0;
        self.shared = Rc::default();
    }

    /// A place for a member whose handle comes next.
    fn reserve(&mut self) -> Finished {
        let place = self.free.pop().unwrap_or_else(|| {
            self.members.push(None);
            self.members.len() - 1
        });
        Finished {
            shared: self.shared.clone(),
            place,
        }
    }

    fn admit(&mut self, place: usize, handle: JoinHandle<T>) -> TaskId {
        let id = handle.id();
        self.members[place] = Some(handle);
        self.len += 1;
        id
    }
}

impl<T: 'static> JoinSet<T> {
    /// A place for `body`, and `body` carrying that place's token.
    fn member(
        &mut self,
        body: impl FnOnce() -> T + 'static,
    ) -> (usize, impl FnOnce() -> T + 'static) {
        let finished = self.reserve();
        let place = finished.place;
        let body = move || {
            let _finished = finished;
            body()
        };
        (place, body)
    }

    /// Spawns `body` as a stackful task on the running executor, in the
    /// set, and returns its id.
    ///
    /// # Panics
    ///
    /// Outside a running executor (use [`spawn_on`](JoinSet::spawn_on)
    /// there).
    #[track_caller]
    pub fn spawn<F>(&mut self, body: F) -> TaskId
    where
        F: FnOnce() -> T + 'static,
    {
        let (place, body) = self.member(body);
        let handle = super::spawn(body);
        self.admit(place, handle)
    }

    /// Spawns `body` as a stackful task on `ex`, in the set: for a set
    /// filled from outside the executor.
    #[track_caller]
    pub fn spawn_on<F>(&mut self, ex: &Executor, body: F) -> TaskId
    where
        F: FnOnce() -> T + 'static,
    {
        let (place, body) = self.member(body);
        let handle = ex.spawn(body);
        self.admit(place, handle)
    }

    /// Spawns `future` as a future task on the running executor, in the
    /// set, and returns its id.
    ///
    /// # Panics
    ///
    /// Outside a running executor.
    #[track_caller]
    pub fn spawn_future<Fut>(&mut self, future: Fut) -> TaskId
    where
        Fut: Future<Output = T> + 'static,
    {
        let finished = self.reserve();
        let place = finished.place;
        let handle = super::spawn_future(async move {
            let _finished = finished;
            future.await
        });
        self.admit(place, handle)
    }
}

impl<T> Default for JoinSet<T> {
    fn default() -> Self {
        JoinSet::new()
    }
}

impl<T> Drop for JoinSet<T> {
    fn drop(&mut self) {
        self.cancel_all();
    }
}

impl<T> fmt::Debug for JoinSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinSet").field("len", &self.len()).finish()
    }
}

/// The results as the tasks finish; the stream ends when the set is empty.
impl<T> Stream for JoinSet<T> {
    type Item = Result<T, JoinError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_join_next(cx)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.len(), Some(self.len()))
    }
}
