//! Bugs found once, kept fixed.
use corun::{Co, Generator, GeneratorBuilder};
use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Sizes near `usize::MAX` used to overflow the page rounding (a debug panic,
/// a crash in release) instead of returning a `StackError`.
#[test]
fn impossible_stack_sizes_return_an_error() {
    for size in [usize::MAX, usize::MAX - 4095, isize::MAX as usize] {
        let err = GeneratorBuilder::new()
            .stack_size(size)
            .try_build(|co: &Co<u32>| co.yield_(1))
            .unwrap_err();
        assert!(err.to_string().contains("smaller stack size"), "{err}");
        assert_eq!(err.requested_size(), size);
    }
}

struct PanicsOnFirstDrop<'a>(&'a Cell<u32>);
impl Drop for PanicsOnFirstDrop<'_> {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
        if self.0.get() == 1 {
            panic!("first drop panics");
        }
    }
}

/// Closing an unstarted generator whose captured value panics in `Drop` used
/// to leave it incomplete, so the capture was dropped a second time later.
#[test]
fn an_unstarted_body_whose_capture_panics_is_dropped_once() {
    let drops = Cell::new(0);
    let cap = PanicsOnFirstDrop(&drops);
    let mut g: Generator<'_, u32> = Generator::new(move |co| {
        let _c = cap;
        co.yield_(1);
    });
    let err = catch_unwind(AssertUnwindSafe(|| g.close())).unwrap_err();
    assert_eq!(*err.downcast_ref::<&str>().unwrap(), "first drop panics");
    assert!(g.is_complete());
    assert!(!g.is_started(), "the body never ran");
    drop(g);
    assert_eq!(drops.get(), 1);
}
