//! Introspection: `TaskInfo` and `TaskState`, what every live task is
//! doing, as `Executor::tasks` and the deadlock report show it.

use super::task::{RunState, TaskId, TaskKind, TaskRef};
use std::fmt;
use std::panic::Location;

/// What a task is doing, as [`Executor::tasks`](crate::Executor::tasks) saw it.
///
/// More states may come (waiting for I/O, moved to another worker), so a
/// `match` on it needs a `_` arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TaskState {
    /// Running right now (the task that asked).
    Running,
    /// Ready to run, in the run queue.
    Ready,
    /// Suspended until something wakes it.
    Blocked {
        /// What it waits on: `"sleep"`, `"join"`, `"recv"`, ...
        on: &'static str,
    },
    /// Finished.
    Done,
}

/// One live task: id, kind, state and spawn location.
#[derive(Debug, Clone)]
pub struct TaskInfo {
    /// The task's id.
    pub id: TaskId,
    /// Stackful, future, `block_on` or scoped.
    pub kind: TaskKind,
    /// Running, ready, or blocked and on what.
    pub state: TaskState,
    /// Where it was spawned.
    pub location: &'static Location<'static>,
}

impl TaskInfo {
    pub(crate) fn of(task: &TaskRef) -> Self {
        let header = task.header();
        let state = match header.state.get() {
            RunState::Running => TaskState::Running,
            RunState::Scheduled => TaskState::Ready,
            RunState::Blocked => TaskState::Blocked {
                on: header.blocked_on.get(),
            },
            RunState::Done => TaskState::Done,
        };
        TaskInfo {
            id: header.id,
            kind: header.kind,
            state,
            location: header.location,
        }
    }
}

impl fmt::Display for TaskInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            TaskKind::Stackful => "stackful",
            TaskKind::Future => "future",
            TaskKind::BlockOn => "block_on",
            TaskKind::Scoped => "scoped",
        };
        write!(f, "task {} ({kind}) ", self.id)?;
        match self.state {
            TaskState::Running => f.write_str("running")?,
            TaskState::Ready => f.write_str("ready")?,
            TaskState::Blocked { on } => write!(f, "blocked on {on}")?,
            TaskState::Done => f.write_str("done")?,
        }
        write!(f, ", spawned at {}", self.location)
    }
}
