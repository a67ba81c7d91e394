//! Helpers shared by the integration tests.
#![allow(dead_code)] // each test file uses its own subset

pub mod child;

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// The text of a panic payload (`&str` or `String`).
pub fn message(payload: Box<dyn Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(s) => *s,
        Err(p) => match p.downcast::<&'static str>() {
            Ok(s) => s.to_string(),
            Err(_) => panic!("panic payload is not a string"),
        },
    }
}

/// Runs `f`, which must panic, and returns its panic message.
pub fn panic_message<T>(f: impl FnOnce() -> T) -> String {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(_) => panic!("expected a panic"),
        Err(p) => message(p),
    }
}

/// A shared log tasks push onto.
pub type Log<T> = std::rc::Rc<std::cell::RefCell<Vec<T>>>;

/// An empty [`Log`].
pub fn log<T>() -> Log<T> {
    std::rc::Rc::new(std::cell::RefCell::new(Vec::new()))
}

/// The text of a borrowed panic payload (`&str` or `String`; empty otherwise).
pub fn payload_text(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

/// What each task the executor knows is blocked on, in spawn order.
pub fn blocked(ex: &corun::Executor) -> Vec<&'static str> {
    ex.tasks()
        .iter()
        .filter_map(|t| match t.state {
            corun::TaskState::Blocked { on } => Some(on),
            _ => None,
        })
        .collect()
}

/// How many memory maps the process has (`/proc/self/maps` lines).
pub fn map_count() -> usize {
    std::fs::read_to_string("/proc/self/maps")
        .unwrap()
        .lines()
        .count()
}

/// Panics with its message when dropped.
pub struct PanicsInDrop(pub &'static str);

impl Drop for PanicsInDrop {
    fn drop(&mut self) {
        panic!("{}", self.0);
    }
}
