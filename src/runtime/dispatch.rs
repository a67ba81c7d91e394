//! A worker's dispatcher: the task that starts the jobs of its inbox, takes
//! unstarted jobs from busy workers when its own worker is idle, and runs
//! the worker's closing phase.
//!
//! Rules:
//! 1. Each turn the dispatcher starts one job of its own inbox, then more
//!    (its own, else one taken from another worker's inbox) only while no
//!    other task of its worker is ready. Jobs therefore wait, unstarted and
//!    without a stack, in the inbox of a busy worker, where an idle one may
//!    take them; and a worker whose tasks never stop yielding still starts
//!    one job per round.
//! 2. While its own inbox holds jobs it yields, to come back after the
//!    ready tasks had their turn; with none left it sleeps on its inbox,
//!    flagged `idle`.
//! 3. A stealable spawn wakes one other sleeping dispatcher, and a worker
//!    whose last runtime task ended wakes its own: each then looks for a
//!    job to take. These are hints: a dispatcher that finds nothing sleeps
//!    again, and no job is ever lost, since every job stays in exactly one
//!    inbox until one dispatcher takes it.
//! 6. A worker takes another's job only if its own load is below the
//!    other's (which counts the job), so the two stay within one task of
//!    each other: an idle worker is not an empty one (its tasks may all
//!    wait on I/O), and a thief that took every job placed on its idle
//!    neighbour would undo least-loaded placement (a burst of connections
//!    split 27/73 that way). Between equal workers the job goes to
//!    whichever gets there first, the one still awake, as a lone spawn
//!    wants.
//! 4. `spawn_on` jobs are never taken by another worker.
//! 5. Closing: jobs already pushed are still started; then the dispatcher
//!    waits, until the deadline, for its worker's load to reach zero, and
//!    then for the worker's other tasks (the local and future tasks that
//!    runtime tasks spawned) to end.

use super::inbox::Wake;
use super::worker::{poll_drained, Job, WorkerShared};
use crate::executor::hooks::{other_live_tasks, ready_tasks, suspend_on};
use crate::loom::{fence, Arc, Ordering};
use std::future::poll_fn;
use std::pin::pin;
use std::task::Poll;
use std::time::Instant;

/// Rule 3: after a stealable job was pushed to `target`, wakes one other
/// sleeping dispatcher, which looks for a job to take. (`target`'s own
/// flag cannot tell "asleep" from "held by a task that never waits".)
pub(crate) fn nudge_idle(workers: &[Arc<WorkerShared>], target: usize) {
    // Pairs with the fence after a dispatcher raises its flag: either this
    // reads the flag, or that dispatcher's look around sees the job.
    fence(Ordering::SeqCst);
    let target_load = workers[target].load();
    let other_idle = workers
        .iter()
        .enumerate()
        .find(|(i, w)| *i != target && w.idle.load(Ordering::Relaxed) && evens(w, target_load));
    if let Some((_, idle)) = other_idle {
        idle.inbox.wake();
    }
}

/// Starts `job` here. A job only spawns; a panic there (a closure's drop,
/// say) must not take the worker down.
fn start(job: Job, here: &Arc<WorkerShared>) {
    let start = job.start;
    if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| start(here))).is_err() {
        eprintln!("corun: a runtime job panicked while its task was being started");
    }
}

/// Rule 6: whether `thief` may take a job from a worker of `victim_load`
/// (the job counted).
fn evens(thief: &WorkerShared, victim_load: usize) -> bool {
    thief.load() < victim_load
}

/// The workers other than `me` whose jobs `me` may take (rule 6).
fn victims(me: usize, workers: &[Arc<WorkerShared>]) -> impl Iterator<Item = &WorkerShared> {
    let n = workers.len();
    (1..n)
        .map(move |offset| &*workers[(me + offset) % n])
        .filter(move |w| evens(&workers[me], w.load()))
}

/// A job of another worker's inbox, for an idle worker (rules 1, 4, 6).
fn steal(me: usize, workers: &[Arc<WorkerShared>]) -> Option<Job> {
    victims(me, workers).find_map(|w| w.inbox.steal(|job| job.stealable))
}

/// Whether another worker's inbox holds a job this one could take.
fn stealable_elsewhere(me: usize, workers: &[Arc<WorkerShared>]) -> bool {
    victims(me, workers).any(|w| w.inbox.has_stealable(|job| job.stealable))
}

/// The dispatcher task of worker `me`.
pub(crate) fn dispatch(me: usize, workers: &[Arc<WorkerShared>]) {
    let here = &workers[me];
    let deadline = loop {
        // Rule 1.
        if let Some(job) = here.inbox.take() {
            start(job, here);
        }
        while ready_tasks() == 0 {
            match here.inbox.take().or_else(|| steal(me, workers)) {
                Some(job) => start(job, here),
                None => break,
            }
        }
        // Rule 2.
        if here.inbox.has_jobs() {
            crate::executor::yield_now();
            continue;
        }
        // Rule 3: the flag, a fence, then one more look around (while
        // suspending, at every poll), so a job pushed elsewhere meanwhile is
        // seen here or nudges this dispatcher.
        here.idle.store(true, Ordering::Relaxed);
        fence(Ordering::SeqCst);
        let wait = poll_fn(|cx| match here.inbox.poll_wait(cx) {
            Poll::Pending if ready_tasks() == 0 && stealable_elsewhere(me, workers) => {
                Poll::Ready(Wake::Look)
            }
            polled => polled,
        });
        let woke = suspend_on(pin!(wait), "runtime inbox");
        here.idle.store(false, Ordering::Relaxed);
        match woke {
            Ok(Wake::Look) => {}
            Ok(Wake::Closing(deadline)) => break deadline,
            Err(_unwinding) => return,
        }
    };
    // Rule 5. A later close may ask for an earlier deadline: it wakes the
    // wait below (through the inbox's waker), and the loop reads it again.
    loop {
        let deadline = earliest_deadline(here, deadline);
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return;
        }
        if here.load() == 0 {
            break;
        }
        let mut drained = pin!(poll_fn(|cx| match poll_drained(here, cx) {
            Poll::Pending if here.inbox.closing_deadline() < Some(deadline) => Poll::Ready(()),
            polled => polled,
        }));
        match crate::executor::timeout(left, || suspend_on(drained.as_mut(), "runtime shutdown")) {
            Ok(Ok(())) => {}
            // The deadline passed, or the dispatcher is being torn down.
            Err(_) | Ok(Err(_)) => return,
        }
    }
    // Rule 5, the local tasks: nothing wakes the dispatcher when one ends,
    // so it looks at a short interval (this is shutdown, not a hot path).
    while other_live_tasks() > 0 {
        let deadline = earliest_deadline(here, deadline);
        let left = deadline.saturating_duration_since(Instant::now());
        let look = pin!(crate::executor::sleep_future(left.min(LOCAL_TASKS_LOOK)));
        if left.is_zero() || suspend_on(look, "runtime shutdown").is_err() {
            return;
        }
    }
}

/// `deadline`, or the earlier one a later close asked for.
fn earliest_deadline(here: &WorkerShared, deadline: Instant) -> Instant {
    here.inbox
        .closing_deadline()
        .map_or(deadline, |d| d.min(deadline))
}

/// How often a closing dispatcher looks whether its worker's local tasks
/// (those its runtime tasks spawned) have all ended.
const LOCAL_TASKS_LOOK: std::time::Duration = std::time::Duration::from_millis(1);
