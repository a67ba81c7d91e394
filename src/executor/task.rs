//! Tasks: their shared header, the run queues that hold them, and waking.
//!
//! A task is reference-counted (`TaskRef = Rc<dyn Task>`): the executor's
//! table, run queues, timer entries and wait lists each hold a clone. One
//! allocation per task holds the header, the join slot and the body.

use super::join::JoinSlot;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::fmt;
use std::panic::Location;
use std::rc::Rc;

/// A shared reference to a task of any kind.
pub(crate) type TaskRef = Rc<dyn Task>;

/// An executor-wide unique task number, shown by [`Executor::tasks`](crate::Executor::tasks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId(pub(crate) u64);

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// Where a task is in its life, as the scheduler sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RunState {
    /// In a run queue.
    Scheduled,
    /// Being run right now.
    Running,
    /// Suspended, waiting to be woken.
    Blocked,
    /// Finished; never runs again.
    Done,
}

/// What kind of body a task has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskKind {
    /// A closure on its own stack (`spawn`).
    Stackful,
    /// A `Future` polled by the executor, with no stack (`spawn_future`).
    Future,
    /// The closure given to `block_on`.
    BlockOn,
    /// A task spawned in a [`scope`](crate::scope).
    Scoped,
}

/// The part of every task the scheduler reads.
pub(crate) struct Header {
    pub(crate) id: TaskId,
    pub(crate) kind: TaskKind,
    pub(crate) location: &'static Location<'static>,
    pub(crate) state: Cell<RunState>,
    /// Woken while running: schedule it again as soon as it parks.
    pub(crate) notified: Cell<bool>,
    pub(crate) cancel_requested: Cell<bool>,
    /// What the task waits on, while blocked (for `tasks()`).
    pub(crate) blocked_on: Cell<&'static str>,
    /// The run queue a wake puts the task on.
    pub(crate) home: Rc<RunQueue>,
    /// The task's index in its executor's table.
    pub(crate) table_key: Cell<usize>,
    /// What the task's `Waker`s share, made on first use. Its strong count
    /// tells whether any `Waker` is out there (deadlock detection).
    pub(crate) waker: RefCell<Option<std::sync::Arc<super::remote::TaskWaker>>>,
}

impl Header {
    pub(crate) fn new(
        id: TaskId,
        kind: TaskKind,
        location: &'static Location<'static>,
        home: Rc<RunQueue>,
    ) -> Self {
        Header {
            id,
            kind,
            location,
            state: Cell::new(RunState::Scheduled),
            notified: Cell::new(false),
            cancel_requested: Cell::new(false),
            blocked_on: Cell::new(""),
            home,
            table_key: Cell::new(usize::MAX),
            waker: RefCell::new(None),
        }
    }
}

/// What running a task once did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ran {
    /// Waiting to be woken.
    Parked,
    /// Ready again at once (`yield_now`).
    Yielded,
    Done,
}

impl Ran {
    /// How a task generator's step ended, for the scheduler.
    pub(crate) fn of<T>(step: &crate::generator::TaskStep<T>) -> Ran {
        use crate::generator::{TaskStep, WaitKind};
        match step {
            TaskStep::Parked(WaitKind::Blocked) => Ran::Parked,
            TaskStep::Parked(WaitKind::Yielded) => Ran::Yielded,
            TaskStep::Returned(_) | TaskStep::Panicked(_) => Ran::Done,
        }
    }
}

/// The scheduler's view of a task.
pub(crate) trait Task {
    fn header(&self) -> &Header;
    /// Runs the task until it parks or ends.
    fn run(&self) -> Ran;
    /// Ends the task now without running any more of it normally: an
    /// unstarted body is dropped, a suspended one unwinds. Its join slot
    /// reports a cancellation.
    fn cancel_now(&self) -> Ran;
    /// For a task spawned in a scope: its index in the scope's table.
    fn scope_index(&self) -> Option<usize> {
        None
    }
}

/// A task with a typed join slot, as its `JoinHandle` sees it.
pub(crate) trait Joinable<T>: Task {
    fn slot(&self) -> &JoinSlot<T>;
}

/// A FIFO of tasks ready to run. The executor has one; each scope has its
/// own, whose owner task is woken when the first task arrives.
pub(crate) struct RunQueue {
    queue: RefCell<VecDeque<TaskRef>>,
    owner: RefCell<Option<TaskRef>>,
    /// Whether `owner` is set: the executor's own queue skips the borrow.
    has_owner: Cell<bool>,
}

impl RunQueue {
    pub(crate) fn new() -> Self {
        RunQueue {
            queue: RefCell::new(VecDeque::new()),
            owner: RefCell::new(None),
            has_owner: Cell::new(false),
        }
    }

    pub(crate) fn set_owner(&self, owner: Option<TaskRef>) {
        self.has_owner.set(owner.is_some());
        *self.owner.borrow_mut() = owner;
    }

    #[inline(always)]
    pub(crate) fn push(&self, task: TaskRef) {
        self.queue.borrow_mut().push_back(task);
        if self.has_owner.get() {
            let owner = self.owner.borrow().clone();
            if let Some(owner) = owner {
                wake(&owner);
            }
        }
    }

    pub(crate) fn pop(&self) -> Option<TaskRef> {
        self.queue.borrow_mut().pop_front()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.queue.borrow().is_empty()
    }

    pub(crate) fn len(&self) -> usize {
        self.queue.borrow().len()
    }

    pub(crate) fn clear(&self) {
        let drained: Vec<TaskRef> = self.queue.borrow_mut().drain(..).collect();
        drop(drained);
        self.owner.borrow_mut().take();
        self.has_owner.set(false);
    }
}

/// Makes a task runnable: a blocked task goes on its run queue; a running
/// one is marked so it is queued again the moment it parks (no lost
/// wake-up); a queued or finished one is left alone.
pub(crate) fn wake(task: &TaskRef) {
    let header = task.header();
    match header.state.get() {
        RunState::Blocked => {
            header.state.set(RunState::Scheduled);
            header.home.push(task.clone());
        }
        RunState::Running => header.notified.set(true),
        RunState::Scheduled | RunState::Done => {}
    }
}
