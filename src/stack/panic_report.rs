//! Panic reports written off the coroutine's stack.
//!
//! The panic hook runs on the stack of the code that panicked. With
//! `RUST_BACKTRACE` set, the default hook symbolises a backtrace, which
//! takes more stack than a small coroutine has: a task on a 16 KiB stack
//! whose body panicked hit its guard page inside the hook, and the process
//! aborted instead of handing the panic to `join`. So the first time this
//! process maps a coroutine stack, corun wraps the hook then installed:
//! called on a coroutine's stack, it runs the hook on a spare 1 MiB stack
//! of this thread instead (`corosensei::on_stack`, which also keeps the
//! backtrace linked to the frames below it). On the thread's own stack it
//! calls the hook directly.
//!
//! A hook set after that replaces the wrapper and runs on the coroutine's
//! stack again; give such tasks a bigger stack.

use super::current_context;
use corosensei::stack::DefaultStack;
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};

/// The hook's stack. Symbolising a backtrace has been seen to take a few
/// hundred KiB.
const REPORT_STACK_SIZE: usize = 1024 * 1024;

static INSTALLED: AtomicBool = AtomicBool::new(false);

thread_local! {
    /// This thread's report stack, mapped at its first report and kept.
    static SPARE: Cell<Option<DefaultStack>> = const { Cell::new(None) };
}

/// Wraps the current panic hook, once per process. Not while the thread
/// panics: the hook cannot be changed then, so a later stack tries again.
pub(super) fn install() {
    if INSTALLED.load(Ordering::Relaxed) || std::thread::panicking() {
        return;
    }
    if INSTALLED.swap(true, Ordering::AcqRel) {
        return;
    }
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if current_context().is_null() {
            return previous(info);
        }
        let spare = SPARE.try_with(Cell::take).ok().flatten();
        match spare.or_else(|| DefaultStack::new(REPORT_STACK_SIZE).ok()) {
            Some(mut stack) => {
                corosensei::on_stack(&mut stack, || previous(info));
                let _ = SPARE.try_with(|s| s.set(Some(stack)));
            }
            // No memory for a stack: report from here and hope.
            None => previous(info),
        }
    }));
}
