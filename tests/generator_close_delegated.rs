//! Closing a delegating generator whose subgenerator ignores the close:
//! Python raises RuntimeError into the delegator, whose `finally` runs, and
//! the delegator ends CLOSED.
use corun::{Co, Generator};
use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};

struct Finally<'l>(&'l RefCell<Vec<&'static str>>, &'static str);
impl Drop for Finally<'_> {
    fn drop(&mut self) {
        self.0.borrow_mut().push(self.1);
    }
}

#[test]
fn a_sub_that_ignores_close_unwinds_its_delegator() {
    let log = RefCell::new(Vec::new());
    let mut g = Generator::new(|co: &Co<u32>| {
        let _f = Finally(&log, "g1 finally");
        co.yield_from(Generator::new(|co: &Co<u32>| {
            let _f = Finally(&log, "g2 finally");
            let _ = catch_unwind(AssertUnwindSafe(|| co.yield_(1)));
            log.borrow_mut().push("g2 caught close, yields 2");
            co.yield_(2);
            log.borrow_mut().push("g2 unreachable");
        }));
    });
    assert_eq!(g.start().yielded(), Some(1));
    let err = g.try_close().unwrap_err();
    assert_eq!(
        err.into_value(),
        None,
        "a delegate's yield is not handed out"
    );
    assert!(g.is_complete(), "the delegator ends closed, as in Python");
    assert_eq!(
        *log.borrow(),
        ["g2 caught close, yields 2", "g2 finally", "g1 finally"],
        "the ignoring sub is closed again when its slot drops, then g1 unwinds"
    );
}

#[test]
fn close_panics_with_the_ignored_message_when_a_sub_ignores() {
    let mut g = Generator::new(|co: &Co<u32>| {
        co.yield_from(Generator::new(|co: &Co<u32>| {
            let _ = catch_unwind(AssertUnwindSafe(|| co.yield_(1)));
            co.yield_(2);
        }));
    });
    g.start();
    let panic = catch_unwind(AssertUnwindSafe(|| g.close())).unwrap_err();
    let msg = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(msg.contains("ignored close"), "{msg}");
    assert!(g.is_complete());
}
