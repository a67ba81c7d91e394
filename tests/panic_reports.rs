//! A panic in a body on a small stack is reported and handed on, never an
//! abort: with `RUST_BACKTRACE` set, the panic hook symbolises a backtrace,
//! which takes more stack than an 8 KiB coroutine has, so corun runs the
//! hook off the coroutine's stack. Each test runs in a child process, with
//! backtraces on, so a regression (an abort) cannot take the others down.

use corun::{Co, Executor, Generator, GeneratorState};
use std::panic::{catch_unwind, AssertUnwindSafe};

mod common;
use common::{child_stderr, payload_message};

const SMALL: usize = 8 * 1024;

fn backtraces_on(full: bool) {
    // Read once, at the first panic, which has not happened yet in this
    // child process.
    std::env::set_var("RUST_BACKTRACE", if full { "full" } else { "1" });
}

#[test]
fn a_task_on_a_small_stack_panics_into_its_join_handle() {
    let Some(stderr) = child_stderr(
        "a_task_on_a_small_stack_panics_into_its_join_handle",
        || {
            backtraces_on(true);
            let ex = Executor::builder().stack_size(SMALL).build();
            let h = ex.spawn(|| -> u32 { panic!("boom in a small task") });
            let err = ex.block_on(|| h.join()).unwrap_err();
            assert!(err.is_panic(), "{err:?}");
            assert_eq!(payload_message(err.into_panic()), "boom in a small task");
            // The executor goes on.
            assert_eq!(ex.block_on(|| ex.spawn(|| 7).join().unwrap()), 7);
        },
    ) else {
        return; // the child: the parent checks what it wrote
    };
    assert!(stderr.contains("boom in a small task"), "{stderr}");
    assert!(stderr.contains("stack backtrace"), "{stderr}");
}

#[test]
fn a_generator_on_a_small_stack_panics_into_its_caller() {
    let Some(stderr) = child_stderr(
        "a_generator_on_a_small_stack_panics_into_its_caller",
        || {
            backtraces_on(false);
            let mut g = Generator::builder()
                .stack_size(SMALL)
                .build(|co: &Co<u32>| {
                    co.yield_(1);
                    panic!("boom in a small generator")
                });
            assert_eq!(g.start(), GeneratorState::Yielded(1));
            let payload = catch_unwind(AssertUnwindSafe(|| g.send(()))).unwrap_err();
            assert_eq!(payload_message(payload), "boom in a small generator");
            assert!(g.is_complete());
        },
    ) else {
        return; // the child: the parent checks what it wrote
    };
    assert!(stderr.contains("boom in a small generator"), "{stderr}");
}

/// A generator driven inside a task, both on small stacks: the report runs
/// on its own stack whatever the nesting.
#[test]
fn a_panic_two_coroutines_deep_is_reported_and_handed_on() {
    let Some(stderr) = child_stderr(
        "a_panic_two_coroutines_deep_is_reported_and_handed_on",
        || {
            backtraces_on(true);
            let ex = Executor::builder().stack_size(SMALL).build();
            let h = ex.spawn(|| {
                let mut inner = Generator::builder()
                    .stack_size(SMALL)
                    .build(|_: &Co<u32>| -> u32 { panic!("boom two deep") });
                inner.start();
            });
            let err = ex.block_on(|| h.join()).unwrap_err();
            assert_eq!(payload_message(err.into_panic()), "boom two deep");
        },
    ) else {
        return; // the child: the parent checks what it wrote
    };
    assert!(stderr.contains("boom two deep"), "{stderr}");
    assert!(stderr.contains("stack backtrace"), "{stderr}");
}
