//! Structured concurrency: `corun::scope`, `std::thread::scope` and trio's
//! nurseries for coroutines.
//!
//! Rules:
//! 1. A scope is a small scheduler run by the task that opened it (the
//!    owner). Its tasks may borrow the owner's locals: their bodies live in
//!    the scope, never in the executor's `'static` table, and the scope does
//!    not return before every one of them has ended.
//! 2. The scope's run queue names the owner: a wake of a scoped task queues
//!    it there and wakes the owner, who runs it on its own turn. Scoped tasks
//!    therefore interleave with every other task of the executor.
//! 3. The scope's body (the closure given to `scope`) is itself a scoped
//!    task, so it can wait while its children run.
//! 4. If any scoped task (or the body) panics, every other one is cancelled:
//!    it unwinds from where it waits, its destructors run. When all have
//!    ended, `scope` re-raises the first panic.
//! 5. If the owner itself is cancelled or unwinds, every scoped task is
//!    closed before the scope's frame goes away.
//! 6. A scope opened while its owner is already unwinding (in a destructor
//!    run by the owner's cancellation) is a new scope, whose tasks are not
//!    unwinding: it still runs them to the end. The owner cannot suspend, so
//!    while every scoped task waits, the scope blocks the thread in the
//!    executor's driver (no other task runs meanwhile) until a timer, I/O or
//!    a wake from outside readies one. If only the executor's other tasks
//!    could ever wake them, the scoped tasks are cancelled instead, with a
//!    message on stderr.

use super::call_on_drop::CallOnDrop;
use super::context::{current_core, current_task};
use super::core::Core;
use super::foreign_task::ForeignTask;
use super::join_error::JoinError;
use super::join_handle::join_slot;
use super::join_slot::{FailSlot, JoinSlot};
use super::suspend::suspend_as;
use super::task::{erase, request_cancel, RunQueue, RunState, TaskKind, TaskRef};
use super::task_body::{close_body, run_body, TaskGenerator, TaskStep};
use crate::generator::{Payload, WaitKind};
use crate::stack::PooledRc;
use std::cell::{Cell, RefCell};
use std::marker::PhantomData;
use std::panic::Location;
use std::rc::Rc;

/// A handle to spawn tasks that may borrow from outside the scope; see
/// [`scope`].
///
/// It is a cheap `Clone`: a scoped task that spawns siblings captures a
/// clone.
pub struct Scope<'env> {
    inner: Rc<ScopeInner<'env>>,
}

struct ScopeInner<'env> {
    core: Rc<Core>,
    queue: Rc<RunQueue>,
    entries: RefCell<Vec<Option<Entry<'env>>>>,
    live: Cell<usize>,
    panic: RefCell<Option<Payload>>,
    ended: Cell<bool>,
    /// The scope's body, cancelled too when a scoped task panics.
    main: RefCell<Option<TaskRef>>,
    /// Invariant in `'env`, as `std::thread::Scope` is.
    _env: PhantomData<&'env mut &'env ()>,
}

struct Entry<'env> {
    task: TaskRef,
    generator: TaskGenerator<'env, ()>,
    slot: Rc<dyn FailSlot + 'env>,
}

/// A handle to a task spawned in a [`scope`]: join it or cancel it.
pub struct ScopedJoinHandle<'env, T> {
    task: TaskRef,
    slot: Rc<JoinSlot<T>>,
    _env: PhantomData<&'env ()>,
}

impl<T> ScopedJoinHandle<'_, T> {
    /// Waits for the task and returns its value, or why there is none.
    /// Suspends only the calling task.
    pub fn join(self) -> Result<T, JoinError> {
        join_slot(&self.slot, &self.task, "ScopedJoinHandle::join")
    }

    /// Requests cancellation (see [`JoinHandle::cancel`](crate::task::JoinHandle::cancel)).
    pub fn cancel(&self) {
        request_cancel(&self.task);
    }

    /// Whether the task has ended.
    pub fn is_finished(&self) -> bool {
        self.slot.is_ready() || self.task.header().state.get() == RunState::Done
    }
}

impl<T> std::fmt::Debug for ScopedJoinHandle<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScopedJoinHandle")
            .field("id", &self.task.header().id)
            .finish()
    }
}

impl<'env> Clone for Scope<'env> {
    fn clone(&self) -> Self {
        Scope {
            inner: self.inner.clone(),
        }
    }
}

impl std::fmt::Debug for Scope<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scope")
            .field("live_tasks", &self.inner.live.get())
            .finish()
    }
}

impl<'env> Scope<'env> {
    /// Spawns a task that may borrow anything that outlives the scope. It
    /// runs concurrently with the scope's body and the executor's other
    /// tasks, and is joined before [`scope`] returns.
    ///
    /// # Panics
    ///
    /// If the scope has already ended (a clone of it escaped), or no stack
    /// can be mapped.
    #[track_caller]
    pub fn spawn<F, T>(&self, body: F) -> ScopedJoinHandle<'env, T>
    where
        F: FnOnce() -> T + 'env,
        T: 'env,
    {
        let inner = &self.inner;
        assert!(
            !inner.ended.get(),
            "Scope::spawn: the scope has already ended; spawn inside the closure given to corun::scope"
        );
        let slot = Rc::new(JoinSlot::new());
        let result = slot.clone();
        let generator = inner.core.stack.build(move |_| result.complete(Ok(body())));
        let index = inner.entries.borrow().len();
        let header =
            inner
                .core
                .new_header_on(TaskKind::Scoped, Location::caller(), inner.queue.clone());
        let task: TaskRef = erase(&PooledRc::new(ForeignTask::scoped(header, index)));
        inner.entries.borrow_mut().push(Some(Entry {
            task: task.clone(),
            generator,
            slot: slot.clone(),
        }));
        inner.live.set(inner.live.get() + 1);
        inner.core.register(&task);
        inner.queue.push(task.clone());
        ScopedJoinHandle {
            task,
            slot,
            _env: PhantomData,
        }
    }
}

impl<'env> ScopeInner<'env> {
    /// Runs (or cancels) the scoped task at `index` for one turn.
    fn run_entry(&self, index: usize) {
        let Some(mut entry) = self.entries.borrow_mut()[index].take() else {
            return;
        };
        let task = entry.task.clone();
        let cancel = task.header().cancel_requested.get();
        let step = self.core.turn(
            task,
            |_| {
                if cancel {
                    // The body's wrapper stores a value it returns in its
                    // join slot itself.
                    match close_body(entry.task.header(), &mut entry.generator) {
                        TaskStep::Returned(_) => TaskStep::Returned(()),
                        TaskStep::Waiting(kind) => TaskStep::Waiting(kind),
                        TaskStep::Panicked(p) => TaskStep::Panicked(p),
                    }
                } else {
                    run_body(&mut entry.generator)
                }
            },
            TaskStep::ran,
        );
        let outcome = match step {
            TaskStep::Waiting(_) => None,
            TaskStep::Returned(()) => Some(Ok(())),
            TaskStep::Panicked(p) => Some(Err(p)),
        };
        match outcome {
            None => self.entries.borrow_mut()[index] = Some(entry),
            Some(result) => {
                self.live.set(self.live.get() - 1);
                if let Err(payload) = result {
                    entry
                        .slot
                        .fail(JoinError::panicked(Box::new(panic_text(&payload))));
                    self.record_panic(payload);
                } else if cancel {
                    entry.slot.fail(JoinError::cancelled());
                }
            }
        }
    }

    /// Rule 4: the first panic is kept; everyone else is cancelled.
    fn record_panic(&self, payload: Payload) {
        let mut panic = self.panic.borrow_mut();
        if panic.is_none() {
            *panic = Some(payload);
        }
        drop(panic);
        let mut tasks: Vec<TaskRef> = self
            .entries
            .borrow()
            .iter()
            .flatten()
            .map(|e| e.task.clone())
            .collect();
        tasks.extend(self.main.borrow().clone());
        for task in tasks {
            request_cancel(&task);
        }
    }

    /// Rule 5: closes every scoped task still alive, then breaks the cycles.
    fn close_all(&self) {
        // `ended` is set only after the loop: a destructor that runs while
        // its task closes may still spawn (a cleanup task, say); the loop
        // finds that entry too and closes it (unstarted, it never runs, and
        // its handle says cancelled) instead of the spawn panicking while
        // unwinding, which would abort.
        loop {
            let next = self
                .entries
                .borrow_mut()
                .iter_mut()
                .find_map(|slot| slot.take());
            let Some(mut entry) = next else { break };
            let task = entry.task.clone();
            let closed = close_body(entry.task.header(), &mut entry.generator);
            if let TaskStep::Panicked(payload) = &closed {
                eprintln!(
                    "corun: a scoped task's destructor panicked while its scope closed: {}",
                    panic_text(payload)
                );
            }
            entry.slot.fail(JoinError::cancelled());
            task.header().state.set(RunState::Done);
            self.core.unregister(&task);
            drop(entry);
        }
        self.ended.set(true);
        self.live.set(0);
        self.queue.clear();
        self.main.borrow_mut().take();
    }
}

fn panic_text(payload: &Payload) -> String {
    payload
        .downcast_ref::<&'static str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a scoped task panicked".to_string())
}

/// Runs `body` with a [`Scope`] whose tasks may borrow the caller's locals,
/// and returns when the body and every task spawned in the scope have ended:
/// `std::thread::scope` and trio's nurseries, for coroutines.
///
/// If the body or any scoped task panics, the others are cancelled (they
/// unwind from where they wait), and once all have ended the first panic is
/// re-raised here.
///
/// # Panics
///
/// Outside a task; and as described above.
///
/// ```
/// use std::time::Duration;
///
/// let ex = corun::Executor::new();
/// let mut hits = vec![0; 3];
/// ex.block_on(|| {
///     corun::scope(|s| {
///         for (i, slot) in hits.iter_mut().enumerate() {
///             s.spawn(move || {
///                 corun::sleep(Duration::from_millis(3 - i as u64));
///                 *slot += i + 1;
///             });
///         }
///     });
/// });
/// assert_eq!(hits, [1, 2, 3]);
/// ```
#[track_caller]
pub fn scope<'env, R>(body: impl FnOnce(&Scope<'env>) -> R) -> R {
    let core = current_core("corun::scope");
    let owner = current_task("corun::scope");
    let queue = Rc::new(RunQueue::new());
    queue.set_owner(Some(owner.clone()));
    let inner = Rc::new(ScopeInner {
        core: core.clone(),
        queue: queue.clone(),
        entries: RefCell::new(Vec::new()),
        live: Cell::new(0),
        panic: RefCell::new(None),
        ended: Cell::new(false),
        main: RefCell::new(None),
        _env: PhantomData,
    });
    let scope = Scope {
        inner: inner.clone(),
    };
    let _close_all = CallOnDrop(|| inner.close_all());
    let main_header = core.new_header_on(TaskKind::Scoped, Location::caller(), queue.clone());
    let main: TaskRef = erase(&PooledRc::new(ForeignTask::new(main_header)));
    core.register(&main);
    *inner.main.borrow_mut() = Some(main.clone());
    let _unregister = CallOnDrop(|| core.unregister(&main));
    let mut main_body: TaskGenerator<'_, R> = core.stack.build(|_| body(&scope));
    let mut result: Option<R> = None;
    let mut main_done = false;
    queue.push(main.clone());
    loop {
        // One round runs what was ready when it began; tasks that yield go
        // to the back for the next round, after the owner itself has yielded
        // to the rest of the executor (rule 2: no starving it).
        for _ in 0..queue.len() {
            let Some(task) = queue.pop() else { break };
            if !PooledRc::ptr_eq(&task, &main) {
                if let Some(index) = task.scope_index() {
                    inner.run_entry(index);
                }
                continue;
            }
            if main_done {
                continue;
            }
            let cancel = main.header().cancel_requested.get();
            let step = core.turn(
                &main,
                |_| {
                    if cancel {
                        match close_body(main.header(), &mut main_body) {
                            TaskStep::Returned(Some(value)) => TaskStep::Returned(value),
                            TaskStep::Returned(None) => TaskStep::Panicked(Box::new("cancelled")),
                            TaskStep::Waiting(kind) => TaskStep::Waiting(kind),
                            TaskStep::Panicked(p) => TaskStep::Panicked(p),
                        }
                    } else {
                        run_body(&mut main_body)
                    }
                },
                TaskStep::ran,
            );
            match step {
                TaskStep::Waiting(_) => {}
                TaskStep::Returned(value) => {
                    result = Some(value);
                    main_done = true;
                }
                TaskStep::Panicked(payload) => {
                    main_done = true;
                    if !cancel {
                        inner.record_panic(payload);
                    }
                }
            }
        }
        if main_done && inner.live.get() == 0 {
            break;
        }
        let kind = if queue.is_empty() {
            owner.header().blocked_on.set("scope");
            WaitKind::Blocked
        } else {
            WaitKind::Yielded
        };
        if suspend_as("corun::scope", kind).is_err() {
            // Rule 6: the owner is unwinding and cannot suspend.
            if kind == WaitKind::Yielded {
                continue;
            }
            if !core.wait_without_running_tasks() {
                eprintln!(
                    "corun: a scope opened while its task unwinds has tasks that only other \
                     tasks could wake, and those cannot run now: the scope's tasks are cancelled"
                );
                break;
            }
        }
    }
    drop(main_body);
    if let Some(payload) = inner.panic.borrow_mut().take() {
        std::panic::resume_unwind(payload);
    }
    result.expect("corun internal error: a scope ended without its body's value")
}
