//! The executor's core: the task table, the run queue, the driver it waits
//! in, and the loop pieces that `block_on` and `run` are made of.
//!
//! The loop, in order:
//! 1. Pop a task from the run queue, mark it running and run it until it
//!    waits or ends. A task woken while running is queued again at once.
//! 2. Every `BUDGET` tasks, and whenever the queue is empty, drain wakes
//!    from other threads and fire expired timers.
//! 3. With nothing ready, wait in the driver (mio `Poll`) until the next
//!    deadline or until another thread wakes a task (see `idle.rs`).

use super::clock::Clock;
use super::idle::BeforeIdle;
use super::precise_wake::{PreciseWake, PRECISE_TOKEN};
use super::reactor::Reactor;
use super::remote::{Remote, RemoteKey};
use super::task::{erase, wake, Header, RunQueue, Task, TaskId, TaskKind, TaskRef, Turns};
use super::task_info::TaskInfo;
use super::timer::Timers;
use crate::generator::StackConfig;
use crate::stack::PooledRc;
use std::cell::{Cell, RefCell};
use std::fmt;
use std::panic::Location;
use std::rc::Rc;
use std::sync::Arc;
use std::task::Waker;
use std::time::{Duration, Instant};

/// Tasks run between two looks at timers and other threads' wakes.
const BUDGET: usize = 64;

const UNBLOCK_TOKEN: mio::Token = mio::Token(usize::MAX);

pub(crate) struct Core {
    /// What a task's turn needs (the run queue, the table, the running
    /// task's slot, the stall clock, the cross-thread half), in `task.rs`
    /// below this loop; reached through `Deref` as if they were fields here.
    turns: Turns,
    /// Whether `block_on` or `run` is driving this executor now: code it
    /// runs between tasks (a destructor, a waker) must not drive it again.
    pub(crate) driving: Cell<bool>,
    pub(crate) timers: Timers,
    /// What every deadline is read against; a test may pause it
    /// (`clock.rs`).
    pub(crate) clock: Clock,
    poll: RefCell<mio::Poll>,
    events: RefCell<mio::Events>,
    /// Ends a wait on time when its timeout is not whole milliseconds.
    precise: PreciseWake,
    /// Registered I/O sources and their waiters (`reactor.rs`).
    pub(crate) reactor: Reactor,
    pub(crate) stack: StackConfig,
    next_id: Cell<u64>,
    /// How long to poll without sleeping before the thread sleeps in the
    /// driver (`ExecutorBuilder::spin_before_park`); zero by default.
    pub(crate) spin_before_park: Cell<Duration>,
    /// Turns left before the next look at timers, I/O and other threads'
    /// wakes. Kept here, not in `run_ready`'s frame: `block_on` returns
    /// from `run_ready` at each of its body's turns, and a body that
    /// yields in a loop would otherwise reset it every time and never let
    /// a timer fire or a socket be read.
    budget: Cell<usize>,
}

impl std::ops::Deref for Core {
    type Target = Turns;

    fn deref(&self) -> &Turns {
        &self.turns
    }
}

impl Core {
    pub(crate) fn new(stack: StackConfig) -> std::io::Result<Self> {
        let poll = mio::Poll::new()?;
        let unblock = mio::Waker::new(poll.registry(), UNBLOCK_TOKEN)?;
        Ok(Core {
            turns: Turns::new(crate::loom::Arc::new(Remote::new(unblock))),
            driving: Cell::new(false),
            timers: Timers::default(),
            clock: Clock::default(),
            reactor: Reactor::new(poll.registry().try_clone()?),
            precise: PreciseWake::new(poll.registry())?,
            poll: RefCell::new(poll),
            events: RefCell::new(mio::Events::with_capacity(256)),
            stack,
            next_id: Cell::new(1),
            spin_before_park: Cell::new(Duration::ZERO),
            budget: Cell::new(BUDGET),
        })
    }

    /// The header of a new task of this executor, with a fresh id, whose
    /// wakes put it on the executor's own run queue.
    pub(crate) fn new_header(
        &self,
        kind: TaskKind,
        location: &'static Location<'static>,
    ) -> Header {
        self.new_header_on(kind, location, self.queue.clone())
    }

    /// The header of a new task whose wakes put it on `home` (a scope's).
    pub(crate) fn new_header_on(
        &self,
        kind: TaskKind,
        location: &'static Location<'static>,
        home: Rc<RunQueue>,
    ) -> Header {
        let id = self.next_id.get();
        self.next_id.set(id + 1);
        Header::new(TaskId(id), kind, location, home)
    }

    /// Adds a task to the table (it must already be in its run queue or
    /// owned by a scope).
    pub(crate) fn register(&self, task: &TaskRef) {
        let key = self.table.borrow_mut().insert(task.clone());
        task.header().table_key.set(key);
    }

    /// Adds a new task whose home is this executor's own run queue (its
    /// header is from [`new_header`](Self::new_header): every spawn's) to
    /// the table and to that queue. Generic over its kind, so that a new
    /// task's header is reached with no virtual call.
    #[inline]
    pub(crate) fn enqueue<K: Task + 'static>(&self, task: &PooledRc<K>) {
        let header = task.header();
        debug_assert!(
            Rc::ptr_eq(&header.home, &self.queue),
            "enqueue of a task whose home is not the executor's own queue"
        );
        let key = self.table.borrow_mut().insert(erase(task));
        header.table_key.set(key);
        self.queue.push_unowned(erase(task));
    }

    pub(crate) fn unregister(&self, task: &TaskRef) {
        self.turns
            .unregister_key(task.header().table_key.get(), &**task);
    }

    pub(crate) fn live_tasks(&self) -> usize {
        self.table.borrow().len()
    }

    pub(crate) fn all_tasks(&self) -> Vec<TaskRef> {
        self.table.borrow().iter().map(|(_, t)| t.clone()).collect()
    }

    /// Every live task, as `tasks()` shows them: by id.
    pub(crate) fn task_infos(&self) -> Vec<TaskInfo> {
        let mut tasks: Vec<TaskInfo> = self.all_tasks().iter().map(TaskInfo::of).collect();
        tasks.sort_by_key(|t| t.id);
        tasks
    }

    fn lookup(&self, key: RemoteKey) -> Option<TaskRef> {
        let table = self.table.borrow();
        let task = table.get(key.0)?;
        (task.header().id.0 == key.1).then(|| task.clone())
    }

    /// Notes what the running task is about to wait on (for `tasks()`).
    pub(crate) fn set_blocked_on(&self, reason: &'static str) {
        let table = self.table.borrow();
        if let Some(task) = table.get(self.current.get()) {
            task.header().blocked_on.set(reason);
        }
    }

    #[inline]
    pub(crate) fn current_task(&self) -> Option<TaskRef> {
        let table = self.table.borrow();
        table.get(self.current.get()).cloned()
    }

    /// The waker of `task`, made once and cached.
    pub(crate) fn waker_for(&self, header: &Header) -> Waker {
        header.waker(&self.remote)
    }

    /// Whether nothing can ever wake any task: none is ready, no timer is
    /// set, no stackful task waits for I/O, and no `Waker` of any task
    /// exists outside the executor (each task's shared waker state is held
    /// only by its header). Then waiting in the driver would never end.
    fn is_deadlocked(&self) -> bool {
        self.queue.is_empty() && !self.can_be_woken()
    }

    /// Whether anything but a task of this executor can still wake a task:
    /// a timer, a wake from another thread, I/O, or a `Waker` held outside
    /// the executor.
    fn can_be_woken(&self) -> bool {
        // Not `has_io`: a future's waker kept by the reactor counts below,
        // as a waker held outside, only while its task lives (the
        // reactor's rule 7).
        if !self.timers.is_empty() || !self.remote.is_empty() || self.reactor.has_task_waits() {
            return true;
        }
        let table = self.table.borrow();
        let waker_outside = table.iter().any(|(_, task)| {
            task.header()
                .waker
                .borrow()
                .as_ref()
                .is_some_and(|shared| Arc::strong_count(shared) > 1)
        });
        // A waker on another thread may have pushed its wake and dropped
        // itself between the look at the remote queue above and the counts
        // just read. Its drop is a Release decrement and its push came
        // before it: after an Acquire fence, the queue shows that push.
        std::sync::atomic::fence(std::sync::atomic::Ordering::Acquire);
        waker_outside || !self.remote.is_empty()
    }

    /// Runs one task's turn: its body, or its cancellation if requested.
    #[inline(always)]
    pub(crate) fn run_task(&self, task: TaskRef) {
        task.run_turn(&task, &self.turns);
    }

    /// Runs queued tasks until the queue is empty or `stop` is popped (then
    /// returns `true`). Out of line: inlined into `Executor::run`, its loop
    /// came out two instructions a turn longer.
    #[inline(never)]
    pub(crate) fn run_ready(&self, stop: Option<&TaskRef>) -> bool {
        let mut budget = self.budget.get();
        let stopped = loop {
            let Some(task) = self.queue.pop() else {
                break false;
            };
            // The `stop` task's turns count too (it runs them in the
            // caller, between two calls of this).
            budget -= 1;
            if budget == 0 {
                budget = BUDGET;
                self.poll_events(Some(Duration::ZERO));
            }
            if stop.is_some_and(|s| PooledRc::ptr_eq(s, &task)) {
                break true;
            }
            self.run_task(task);
        };
        self.budget.set(budget);
        stopped
    }

    /// Drains wakes from other threads and fires expired timers.
    fn collect_wakes(&self) {
        while let Some(key) = self.remote.pop() {
            if let Some(task) = self.lookup(key) {
                wake(&task);
            }
        }
        if !self.timers.is_empty() {
            self.timers.fire_expired(self.clock.now());
        }
    }

    /// Waits in the driver for at most `timeout` (`None`: until woken), then
    /// collects wakes.
    fn poll_events(&self, timeout: Option<Duration>) {
        self.reactor.drain_released();
        self.collect_wakes();
        if timeout != Some(Duration::ZERO) && !self.queue.is_empty() {
            return;
        }
        self.wait_in_driver(timeout);
    }

    /// For a task that must wait but cannot suspend (a scope whose owner is
    /// unwinding): blocks the thread, running no other task, until the next
    /// timer or a wake of any task, whose queue the caller then looks at.
    /// `false`, without waiting, if only a task of this executor could ever
    /// bring that wake (nothing else can: no timer, no I/O, no wake from
    /// another thread, no `Waker` held outside).
    pub(crate) fn wait_without_running_tasks(&self) -> bool {
        self.collect_wakes();
        if self.advance_paused_clock() {
            return true;
        }
        let timeout = self
            .timers
            .next_deadline()
            .map(|d| d.saturating_duration_since(self.clock.now()));
        if timeout.is_none() && !self.can_be_woken() {
            return false;
        }
        self.wait_in_driver(timeout);
        true
    }

    /// Waits in the driver for at most `timeout`, then collects wakes.
    fn wait_in_driver(&self, timeout: Option<Duration>) {
        // Before sleeping, pooled stacks and free task cells that sat unused
        // for a period go back, and the sleep ends in time for the next
        // such decay: a burst that ended stops pinning memory even if
        // nothing else happens (`stack::blocks` rule 4).
        let timeout = match timeout {
            Some(Duration::ZERO) => timeout,
            _ => match crate::stack::decay_idle_memory() {
                Some(due) => Some(timeout.map_or(due, |t| t.min(due))),
                None => timeout,
            },
        };
        if timeout != Some(Duration::ZERO)
            && self.spin_before_park.get() > Duration::ZERO
            && self.spin_until_ready(timeout)
        {
            return;
        }
        let block = match timeout {
            Some(Duration::ZERO) => false,
            _ => self.remote.idle.transition_to_idle() == BeforeIdle::Block,
        };
        if block || timeout == Some(Duration::ZERO) && self.has_io() {
            let mut events = self.events.borrow_mut();
            if block {
                self.precise.arm(timeout);
            }
            // EINTR and friends just end the wait early; the loop retries.
            let _ = self.poll.borrow_mut().poll(&mut events, timeout);
            if block {
                self.remote.idle.transition_from_idle();
            }
            self.dispatch(&events);
        }
        self.collect_wakes();
    }

    /// Hands the driver's I/O events to the reactor (a remote wake's own
    /// event has nothing to hand: its wakes are in the remote queue).
    fn dispatch(&self, events: &mio::Events) {
        for event in events.iter() {
            if event.token() != UNBLOCK_TOKEN && event.token() != PRECISE_TOKEN {
                self.reactor.dispatch(event);
            }
        }
    }

    /// Polls the driver without sleeping, collecting wakes, for up to
    /// `spin_before_park` (or `timeout`, if sooner); `true` as soon as a
    /// task is ready. The thread stays "awake" for the idle protocol
    /// meanwhile, so other threads' wakes cost them no OS call: they are
    /// found in the remote queue here.
    #[cold]
    fn spin_until_ready(&self, timeout: Option<Duration>) -> bool {
        let start = Instant::now();
        let limit = match timeout {
            Some(t) => t.min(self.spin_before_park.get()),
            None => self.spin_before_park.get(),
        };
        loop {
            let mut events = self.events.borrow_mut();
            if self.has_io() {
                let _ = self
                    .poll
                    .borrow_mut()
                    .poll(&mut events, Some(Duration::ZERO));
                self.dispatch(&events);
            }
            drop(events);
            self.collect_wakes();
            if !self.queue.is_empty() {
                return true;
            }
            if start.elapsed() >= limit {
                return false;
            }
            std::hint::spin_loop();
        }
    }

    fn has_io(&self) -> bool {
        self.reactor.has_waiters()
    }

    /// Waits in the driver until something is ready: the next timer, or a
    /// wake.
    ///
    /// # Panics
    ///
    /// If nothing could ever wake any task ([`Core::is_deadlocked`]): the
    /// message lists every task and what it waits on, where a silent hang
    /// would tell nothing.
    pub(crate) fn wait_for_events(&self) {
        if self.advance_paused_clock() {
            return;
        }
        let timeout = self
            .timers
            .next_deadline()
            .map(|d| d.saturating_duration_since(self.clock.now()));
        if timeout.is_none() && self.is_deadlocked() {
            self.deadlock();
        }
        self.poll_events(timeout);
    }

    /// With the clock paused and a timer pending (clock rule 3): looks for
    /// I/O and other threads' wakes without sleeping, and if none made a
    /// task ready, moves the clock to the next deadline and fires what is
    /// due. `false`, doing nothing, when the clock runs or no timer waits.
    fn advance_paused_clock(&self) -> bool {
        if !self.clock.is_paused() {
            return false;
        }
        let Some(deadline) = self.timers.next_deadline() else {
            return false;
        };
        self.poll_events(Some(Duration::ZERO));
        if self.queue.is_empty() {
            self.clock.advance_to(deadline);
            self.collect_wakes();
        }
        true
    }

    #[cold]
    fn deadlock(&self) -> ! {
        let dump: String = self
            .task_infos()
            .iter()
            .map(|t| format!("  {t}\n"))
            .collect();
        panic!(
            "corun: deadlock: every task is blocked and nothing can wake them (no timer, no \
             I/O, no Waker held outside the executor):\n{dump}"
        )
    }

    /// Ends every task: unstarted ones are dropped, suspended ones unwind.
    /// A destructor that panics is reported on stderr, never re-raised here.
    /// The caller makes this core the thread's current one first, so that
    /// destructors that spawn or wait find it.
    pub(crate) fn shutdown(&self) {
        // Tasks that ignore cancellation get a second chance, then are
        // abandoned: their stack is leaked with a warning, and their joins
        // say cancelled.
        for _round in 0..2 {
            let tasks = self.all_tasks();
            if tasks.is_empty() {
                break;
            }
            for task in tasks {
                let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    self.turn(task.clone(), |task| task.cancel_now(), |ran| *ran)
                }));
                if outcome.is_err() {
                    eprintln!("corun: a task's destructor panicked while its executor shut down");
                    self.unregister(&task);
                }
            }
        }
        for task in self.all_tasks() {
            if task.abandon() {
                let header = task.header();
                header.state.set(super::task::RunState::Done);
                eprintln!(
                    "corun: task {:?} (spawned at {}) caught its cancellation and waited \
                     again, twice, while its executor shut down; its stack is leaked \
                     without running more of it, so its destructors do not run",
                    header.id, header.location
                );
            }
            self.unregister(&task);
        }
        self.queue.clear();
        self.timers.clear();
        self.reactor.clear();
    }
}

impl fmt::Debug for Core {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Core")
            .field("tasks", &self.live_tasks())
            .finish()
    }
}
