//! `JoinSet`: a group of runtime tasks whose results come back as each
//! ends, wherever it ran (tokio's `JoinSet` on a multi-thread runtime,
//! Python's `as_completed`); the executor-local one is
//! [`task::JoinSet`](crate::task::JoinSet).
//!
//! How it knows which ended first without polling every handle: each task
//! carries a guard that sends its id into the set's own unbounded channel
//! when it is dropped: when the task returns, panics, is cancelled, or is
//! dropped unstarted. `join_next` takes the next id and joins that handle,
//! so each join costs O(1), however many tasks the set holds.

use super::{JoinHandle, Runtime};
use crate::executor::JoinError;
use crate::sync::mpsc::{unbounded_channel, Receiver, Sender};
use std::collections::HashMap;
use std::fmt;

/// A set of tasks on a [`Runtime`], joined in the order they end.
/// Dropping the set cancels the tasks still in it (tokio's rule);
/// [`detach_all`](JoinSet::detach_all) lets them run on instead.
///
/// ```
/// use corun::runtime::JoinSet;
/// use std::time::Duration;
///
/// let rt = corun::Runtime::builder().workers(2).build()?;
/// let mut set = JoinSet::new();
/// for ms in [30u64, 1, 15] {
///     set.spawn(&rt, move || {
///         corun::sleep(Duration::from_millis(ms));
///         ms
///     });
/// }
/// let mut order = Vec::new();
/// while let Some(done) = set.join_next() {
///     order.push(done?);
/// }
/// assert_eq!(order, [1, 15, 30]); // as they ended, not as they were spawned
/// # Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
/// ```
pub struct JoinSet<T> {
    tasks: HashMap<u64, JoinHandle<T>>,
    ended_tx: Sender<u64>,
    ended: Receiver<u64>,
    next_id: u64,
}

/// Sends its task's id to the set when dropped: the task's end, however it
/// ended (returned, panicked, cancelled, or dropped before it started).
struct EndGuard {
    to: Sender<u64>,
    id: u64,
}

impl Drop for EndGuard {
    fn drop(&mut self) {
        // The set may be gone (its tasks detached): nobody to tell.
        let _ = self.to.try_send(self.id);
    }
}

impl<T: Send + 'static> JoinSet<T> {
    /// An empty set.
    pub fn new() -> Self {
        let (ended_tx, ended) = unbounded_channel();
        JoinSet {
            tasks: HashMap::new(),
            ended_tx,
            ended,
            next_id: 0,
        }
    }

    /// Spawns `body` on `rt` (as [`Runtime::spawn`], on the least-loaded
    /// worker) into the set.
    #[track_caller]
    pub fn spawn<F>(&mut self, rt: &Runtime, body: F)
    where
        F: FnOnce() -> T + Send + 'static,
    {
        let guard = self.guard();
        let id = guard.id;
        let handle = rt.spawn(move || {
            let _end = guard;
            body()
        });
        self.tasks.insert(id, handle);
    }

    /// Spawns `body` on worker `worker` of `rt` (as
    /// [`Runtime::spawn_on`]) into the set.
    ///
    /// # Panics
    ///
    /// If `worker` is out of range, naming the number of workers.
    #[track_caller]
    pub fn spawn_on<F>(&mut self, rt: &Runtime, worker: usize, body: F)
    where
        F: FnOnce() -> T + Send + 'static,
    {
        let guard = self.guard();
        let id = guard.id;
        let handle = rt.spawn_on(worker, move || {
            let _end = guard;
            body()
        });
        self.tasks.insert(id, handle);
    }

    fn guard(&mut self) -> EndGuard {
        let id = self.next_id;
        self.next_id += 1;
        EndGuard {
            to: self.ended_tx.clone(),
            id,
        }
    }

    /// Waits for the next task to end and returns its result; `None` once
    /// the set is empty. A stackful task suspends, a plain thread blocks.
    ///
    /// # Panics
    ///
    /// When it must wait in a future task (`spawn_future`): use
    /// [`join_next_async`](JoinSet::join_next_async).
    #[track_caller]
    pub fn join_next(&mut self) -> Option<Result<T, JoinError>> {
        while !self.tasks.is_empty() {
            let Ok(id) = self.ended.recv() else {
                // Only an unwinding task gets here: it cannot wait.
                return Some(Err(JoinError::cancelled()));
            };
            // An id of a task detached since is skipped.
            if let Some(handle) = self.tasks.remove(&id) {
                return Some(handle.join());
            }
        }
        None
    }

    /// [`join_next`](JoinSet::join_next) for future tasks and async code.
    pub async fn join_next_async(&mut self) -> Option<Result<T, JoinError>> {
        while !self.tasks.is_empty() {
            let id = self.ended.recv_async().await.ok()?;
            if let Some(handle) = self.tasks.remove(&id) {
                return Some(handle.await);
            }
        }
        None
    }

    /// The result of a task that has ended, if one has; never waits.
    pub fn try_join_next(&mut self) -> Option<Result<T, JoinError>> {
        loop {
            let id = self.ended.try_recv().ok()?;
            if let Some(handle) = self.tasks.remove(&id) {
                // Its guard went at the end of its body; the outcome
                // follows at once, so this wait is the handle's last
                // instant.
                return Some(handle.join());
            }
        }
    }

    /// Waits for every task and returns their results in the order they
    /// ended.
    #[track_caller]
    pub fn join_all(mut self) -> Vec<Result<T, JoinError>> {
        std::iter::from_fn(|| self.join_next()).collect()
    }

    /// How many tasks are in the set (ended ones not yet joined included).
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// Whether the set holds no task.
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// Requests cancellation of every task in the set; they stay in it,
    /// and `join_next` then gives each one's outcome.
    pub fn cancel_all(&self) {
        self.tasks.values().for_each(JoinHandle::cancel);
    }

    /// Empties the set, letting its tasks run on with nobody to join them.
    pub fn detach_all(&mut self) {
        self.tasks.clear();
    }
}

impl<T: Send + 'static> Default for JoinSet<T> {
    fn default() -> Self {
        JoinSet::new()
    }
}

impl<T> Drop for JoinSet<T> {
    fn drop(&mut self) {
        self.tasks.values().for_each(JoinHandle::cancel);
    }
}

impl<T> fmt::Debug for JoinSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("runtime::JoinSet")
            .field("tasks", &self.tasks.len())
            .finish()
    }
}
