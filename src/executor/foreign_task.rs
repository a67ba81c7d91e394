//! The stand-in for a task whose body lives elsewhere (`block_on`'s
//! closure, a scoped task): the executor schedules and lists it, its owner
//! runs the body.

use super::remote::Remote;
use super::task::{Header, Ran, Task, TaskRef, Turns};
use crate::loom::Arc;

/// Stands for a body that lives elsewhere (`block_on`'s closure, a scoped
/// task): the owner runs it; the executor only schedules and lists it.
pub(crate) struct ForeignTask {
    header: Header,
    /// For a scoped task: its index in the scope's table.
    scope_index: Option<usize>,
}

impl ForeignTask {
    pub(crate) fn new(header: Header) -> Self {
        ForeignTask {
            header,
            scope_index: None,
        }
    }

    pub(crate) fn scoped(header: Header, index: usize) -> Self {
        ForeignTask {
            header,
            scope_index: Some(index),
        }
    }
}

impl Task for ForeignTask {
    #[inline(always)]
    fn header(&self) -> &Header {
        &self.header
    }

    fn run_turn(&self, me: &TaskRef, turns: &Turns) {
        turns.run_turn_of(self, me);
    }

    fn run(&self, _remote: &Arc<Remote>) -> Ran {
        // Never run by the executor: its owner pops it and runs the body.
        Ran::Waiting
    }

    fn cancel_now(&self) -> Ran {
        // Executor teardown: the owner's own unwinding closes the body.
        Ran::Done
    }

    fn scope_index(&self) -> Option<usize> {
        self.scope_index
    }
}
