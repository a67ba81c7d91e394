//! The task cell and its states: the header every task shares, the
//! scheduler's view of a task (`Task`), the run queues that hold ready
//! tasks, and the two transitions anyone may make, wake and cancel.
//!
//! A task is reference-counted (`TaskRef = PooledRc<dyn Task>`): the
//! executor's table, run queues, timer entries and wait queues each hold a
//! clone. One block per task holds the header, the join slot and the body;
//! it comes from the stack layer's per-thread cache (`PooledRc`), so a
//! spawn takes a warm block off a free list instead of calling `malloc`.

use super::remote::{Remote, TaskWaker};
use super::turn_clock::TurnClock;
use crate::stack::PooledRc;
use slab::Slab;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::fmt;
use std::panic::Location;
use std::rc::Rc;
use std::sync::Arc;
use std::task::Waker;

/// A shared reference to a task of any kind.
pub(crate) type TaskRef = PooledRc<dyn Task>;

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
///
/// More kinds may come (I/O-driven tasks, tasks moved between workers), so
/// a `match` on it needs a `_` arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TaskKind {
    /// A closure on its own stack (`spawn`).
    Stackful,
    /// A `Future` polled by the executor, with no stack (`spawn_future`).
    Future,
    /// The closure given to `block_on`.
    BlockOn,
    /// A task spawned in a [`scope`](crate::task::scope).
    Scoped,
}

/// The part of every task the scheduler reads.
pub(crate) struct Header {
    pub(crate) id: TaskId,
    pub(crate) kind: TaskKind,
    pub(crate) location: &'static Location<'static>,
    pub(crate) state: Cell<RunState>,
    /// Woken while running: schedule it again as soon as its turn ends.
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
    pub(crate) waker: RefCell<Option<Arc<TaskWaker>>>,
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

    /// Whether `waker` is this task's own (the one [`waker`](Self::waker)
    /// hands out).
    pub(crate) fn is_own_waker(&self, waker: &Waker) -> bool {
        match &*self.waker.borrow() {
            Some(shared) => waker.will_wake(&Waker::from(shared.clone())),
            None => false,
        }
    }

    /// The task's `Waker`, made on first use and cached; it wakes the task
    /// through `remote`, from any thread.
    pub(crate) fn waker(&self, remote: &crate::loom::Arc<Remote>) -> Waker {
        if let Some(shared) = &*self.waker.borrow() {
            return Waker::from(shared.clone());
        }
        let shared = Arc::new(TaskWaker {
            remote: remote.clone(),
            key: (self.table_key.get(), self.id.0),
        });
        let waker = Waker::from(shared.clone());
        *self.waker.borrow_mut() = Some(shared);
        waker
    }
}

/// What running a task once did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ran {
    /// Waiting to be woken.
    Waiting,
    /// Ready again at once (`yield_now`).
    Yielded,
    Done,
}

/// The scheduler's view of a task.
pub(crate) trait Task {
    fn header(&self) -> &Header;
    /// Runs the task until it waits or ends. `remote` is its executor's
    /// cross-thread half, for a future task's `Waker`.
    fn run(&self, remote: &crate::loom::Arc<Remote>) -> Ran;
    /// Ends the task now without running any more of it normally: an
    /// unstarted body is dropped, a suspended one unwinds. Its join slot
    /// reports a cancellation.
    fn cancel_now(&self) -> Ran;
    /// Gives up on a task whose body keeps catching its cancellation and
    /// waiting again (the executor's shutdown, after its last try): its
    /// stack is leaked without running more of it, and its join says
    /// cancelled. `false` if there was no such body.
    fn abandon(&self) -> bool {
        false
    }
    /// For a task spawned in a scope: its index in the scope's table.
    fn scope_index(&self) -> Option<usize> {
        None
    }
    /// One turn of this task in its executor's loop (`Core::run_task`);
    /// `me` is the task itself, as the run queue held it. Each kind
    /// implements it as `turns.run_turn_of(self, me)`, which is
    /// monomorphised: the turn then reaches the header and the body with
    /// the one virtual call that brought it here.
    fn run_turn(&self, me: &TaskRef, turns: &Turns);
}

/// `task` as any task: what the table and the run queues hold.
#[inline(always)]
pub(crate) fn erase<K: Task + 'static>(task: &PooledRc<K>) -> TaskRef {
    task.clone().map_view(|task| task as &dyn Task)
}

/// A task as a turn takes it: its typed view, for the turn's own calls
/// (a turn of a known kind reaches its header with no virtual call), and
/// how to file it again: owned (the scope's and teardown's turns, which
/// file it with no count traffic) or borrowed (counted again only if it is
/// filed again).
pub(crate) trait Turned<K: ?Sized> {
    fn task(&self) -> &K;
    fn into_queued(self) -> TaskRef;
}

impl Turned<dyn Task> for TaskRef {
    #[inline(always)]
    fn task(&self) -> &(dyn Task + 'static) {
        &**self
    }

    #[inline(always)]
    fn into_queued(self) -> TaskRef {
        self
    }
}

impl Turned<dyn Task> for &TaskRef {
    #[inline(always)]
    fn task(&self) -> &(dyn Task + 'static) {
        &***self
    }

    #[inline(always)]
    fn into_queued(self) -> TaskRef {
        self.clone()
    }
}

impl<K: Task + 'static> Turned<K> for &PooledRc<K> {
    #[inline(always)]
    fn task(&self) -> &K {
        self
    }

    #[inline(always)]
    fn into_queued(self) -> TaskRef {
        erase(self)
    }
}

/// A task of a known kind, with the queue's own reference to it: the
/// loop's turns.
impl<K: Task + 'static> Turned<K> for (&K, &TaskRef) {
    #[inline(always)]
    fn task(&self) -> &K {
        self.0
    }

    #[inline(always)]
    fn into_queued(self) -> TaskRef {
        self.1.clone()
    }
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
        self.push_back(task);
        if self.has_owner.get() {
            let owner = self.owner.borrow().clone();
            if let Some(owner) = owner {
                wake(&owner);
            }
        }
    }

    /// [`push`](Self::push) onto a queue that never has an owner (the
    /// executor's own), whose pushes wake nobody: one test less per turn.
    #[inline(always)]
    pub(crate) fn push_unowned(&self, task: TaskRef) {
        debug_assert!(!self.has_owner.get());
        self.push_back(task);
    }

    /// Files `task` last.
    #[inline(always)]
    fn push_back(&self, task: TaskRef) {
        // The usual push, into room the queue has, cannot fail: with every
        // other case (the queue must grow, or is borrowed) handed to a call
        // that takes the task, nothing here can unwind while the task is
        // held, and the turn keeps it in registers instead of memory.
        if let Ok(mut queue) = self.queue.try_borrow_mut() {
            if queue.len() < queue.capacity() {
                queue.push_back(task);
                return;
            }
        }
        self.push_growing(task);
    }

    /// [`push_back`](Self::push_back) when the queue must grow.
    #[cold]
    #[inline(never)]
    fn push_growing(&self, task: TaskRef) {
        self.queue.borrow_mut().push_back(task);
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
/// one is marked so it is queued again the moment its turn ends (no lost
/// wake-up); a queued or finished one is left alone.
pub(crate) fn wake(task: &TaskRef) {
    let header = task.header();
    // Tests, not a `match`: a four-way match is a jump table, an indirect
    // jump on every wake.
    let state = header.state.get();
    if state == RunState::Blocked {
        header.state.set(RunState::Scheduled);
        header.home.push(task.clone());
    } else if state == RunState::Running {
        header.notified.set(true);
    }
}

/// Marks a task for cancellation and makes sure its owner gets to it.
pub(crate) fn request_cancel(task: &TaskRef) {
    let header = task.header();
    if header.state.get() == RunState::Done {
        return;
    }
    header.cancel_requested.set(true);
    wake(task);
}

/// `Turns::current` when no task is running.
const NO_TASK: usize = usize::MAX;

/// What a task's turn needs of its executor: the executor's `Core` holds
/// one and hands it to each task's [`Task::run_turn`]. Here, below the
/// loop, so that the task trait names it without naming the loop.
pub(crate) struct Turns {
    pub(crate) queue: Rc<RunQueue>,
    /// Live tasks by slot, for remote wakes, introspection and teardown.
    pub(crate) table: RefCell<Slab<TaskRef>>,
    /// The table slot of the task whose turn it is (`NO_TASK` between
    /// turns). A slot, not a `TaskRef`: a turn then costs no reference
    /// count traffic, and the rare `current_task` looks the slot up. A
    /// running task is always in the table.
    pub(crate) current: Cell<usize>,
    pub(crate) remote: crate::loom::Arc<Remote>,
    /// Set by a runtime with stall warnings on (`hooks::install_turn_clock`).
    pub(crate) turn_clock: std::cell::OnceCell<crate::loom::Arc<TurnClock>>,
}

impl Turns {
    pub(crate) fn new(remote: crate::loom::Arc<Remote>) -> Self {
        Turns {
            queue: Rc::new(RunQueue::new()),
            table: RefCell::new(Slab::new()),
            current: Cell::new(NO_TASK),
            remote,
            turn_clock: std::cell::OnceCell::new(),
        }
    }

    /// Runs `f` as `task`'s turn: marks it running and current, then files
    /// it by how the turn ended. Generic over the task's kind, so that a
    /// turn of a known kind reaches its header directly.
    #[inline(always)]
    pub(crate) fn turn<K: Task + ?Sized, R>(
        &self,
        task: impl Turned<K>,
        f: impl FnOnce(&K) -> R,
        ran: impl Fn(&R) -> Ran,
    ) -> R {
        self.turn_in(task, f, ran, false)
    }

    /// [`turn`](Self::turn), where `outermost` says no other turn of this
    /// executor is under way (the loop's own turns; a scope runs its tasks'
    /// turns inside its owner's). The running slot is then simply cleared
    /// after the turn: no earlier value is kept across the switch.
    #[inline(always)]
    fn turn_in<K: Task + ?Sized, R>(
        &self,
        task: impl Turned<K>,
        f: impl FnOnce(&K) -> R,
        ran: impl Fn(&R) -> Ran,
        outermost: bool,
    ) -> R {
        let header = task.task().header();
        header.state.set(RunState::Running);
        header.notified.set(false);
        let previous = if outermost {
            debug_assert_eq!(
                self.current.get(),
                NO_TASK,
                "an outermost turn inside a turn"
            );
            self.current.set(header.table_key.get());
            NO_TASK
        } else {
            self.current.replace(header.table_key.get())
        };
        // Without stall warnings, the usual case, the clock costs one test:
        // a timed turn is a copy of the turn, out of line.
        let result = match self.turn_clock.get() {
            None => f(task.task()),
            Some(clock) => timed(clock, header, || f(task.task())),
        };
        self.current.set(previous);
        let requeue = match ran(&result) {
            Ran::Done => {
                header.state.set(RunState::Done);
                self.unregister_key(header.table_key.get(), task.task());
                false
            }
            Ran::Yielded => true,
            Ran::Waiting => header.notified.get() || header.cancel_requested.get(),
        };
        if requeue {
            header.state.set(RunState::Scheduled);
            if Rc::ptr_eq(&header.home, &self.queue) {
                self.queue.push_unowned(task.into_queued());
            } else {
                let home = Rc::clone(&header.home);
                home.push(task.into_queued());
            }
        } else if header.state.get() == RunState::Running {
            header.state.set(RunState::Blocked);
        }
        result
    }

    /// One turn of a task of a known kind: what each kind's
    /// `Task::run_turn` is. Only the loop (`Core::run_ready`) runs these,
    /// never inside another turn.
    #[inline(always)]
    pub(crate) fn run_turn_of<K: Task + 'static>(&self, task: &K, me: &TaskRef) {
        let cancel = task.header().cancel_requested.get();
        self.turn_in(
            (task, me),
            |task| {
                if cancel {
                    task.cancel_now()
                } else {
                    task.run(&self.remote)
                }
            },
            |ran| *ran,
            true,
        );
    }

    /// Removes `task` from the table, if slot `key` holds it.
    pub(crate) fn unregister_key<K: Task + ?Sized>(&self, key: usize, task: &K) {
        let removed = {
            let mut table = self.table.borrow_mut();
            let owned = table
                .get(key)
                .is_some_and(|t| std::ptr::addr_eq(PooledRc::as_ptr(t), task));
            if !owned {
                return;
            }
            table.remove(key)
        };
        drop(removed);
    }
}

/// Runs `f` as a turn timed by `clock` (stall warnings).
#[inline(never)]
fn timed<R>(clock: &TurnClock, header: &Header, f: impl FnOnce() -> R) -> R {
    let interrupted = clock.begin(header.id, header.location);
    let result = f();
    clock.end(interrupted);
    result
}
