//! A stack overflow in a generator body reports itself and aborts.
//!
//! Each test re-runs this test binary as a child process, asking it (by an
//! environment variable and `--exact`) to run only that same test in "child
//! mode", where it does the dangerous thing. The parent checks how the child
//! died and what it wrote to stderr.

use corun::{Co, Generator, GeneratorBuilder, GeneratorState};
use std::hint::black_box;
use std::os::unix::process::ExitStatusExt;
use std::process::Output;

mod common;
use common::{is_child, run_child};

/// Recurses until the stack runs out (the `black_box` condition keeps the
/// compiler from proving the recursion endless or turning it into a loop).
fn recurse(depth: u64) -> u64 {
    let frame = [depth as u8; 512];
    if black_box(true) {
        recurse(depth + 1) + u64::from(black_box(&frame)[0])
    } else {
        depth
    }
}

fn assert_corun_overflow(out: &Output, kib: usize) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.signal(),
        Some(libc::SIGABRT),
        "the child must die by SIGABRT; status {:?}, stderr:\n{stderr}",
        out.status
    );
    assert!(
        stderr.contains("corun: stack overflow in a coroutine"),
        "{stderr}"
    );
    assert!(stderr.contains("stack_size"), "{stderr}");
    assert!(stderr.contains(&format!("its {kib} KiB stack")), "{stderr}");
    assert!(
        !stderr.contains("child reached the end"),
        "the child went on after the overflow: {stderr}"
    );
}

#[test]
fn overflow_in_a_generator_body_aborts_with_a_message() {
    const NAME: &str = "overflow_in_a_generator_body_aborts_with_a_message";
    if is_child(NAME) {
        let mut g: Generator<'_, u64> = GeneratorBuilder::new().stack_size(16 * 1024).build(|co| {
            co.yield_(1);
            co.yield_(recurse(0));
        });
        assert_eq!(g.start(), GeneratorState::Yielded(1));
        g.send(());
        eprintln!("child reached the end");
        return;
    }
    assert_corun_overflow(&run_child(NAME), 16);
}

#[test]
fn overflow_in_a_delegate_aborts_with_a_message() {
    const NAME: &str = "overflow_in_a_delegate_aborts_with_a_message";
    if is_child(NAME) {
        let mut g: Generator<'_, u64> = Generator::new(|co| {
            co.yield_(1);
            let sub = GeneratorBuilder::new()
                .stack_size(32 * 1024)
                .build(|co: &Co<u64>| {
                    co.yield_(2);
                    co.yield_(recurse(0));
                });
            co.yield_from(sub);
        });
        assert_eq!(g.start(), GeneratorState::Yielded(1));
        assert_eq!(g.send(()), GeneratorState::Yielded(2));
        g.send(());
        eprintln!("child reached the end");
        return;
    }
    assert_corun_overflow(&run_child(NAME), 32);
}

#[test]
fn overflow_in_a_generator_on_another_thread() {
    const NAME: &str = "overflow_in_a_generator_on_another_thread";
    if is_child(NAME) {
        std::thread::spawn(|| {
            let mut g: Generator<'_, u64> = GeneratorBuilder::new()
                .stack_size(16 * 1024)
                .build(|co| co.yield_(recurse(0)));
            g.start();
        })
        .join()
        .ok();
        eprintln!("child reached the end");
        return;
    }
    assert_corun_overflow(&run_child(NAME), 16);
}

#[test]
fn an_overflow_outside_any_coroutine_is_left_to_std() {
    // With corun's handler installed, a thread's own stack overflow must still
    // get std's report, not corun's.
    const NAME: &str = "an_overflow_outside_any_coroutine_is_left_to_std";
    if is_child(NAME) {
        let mut g: Generator<'_, u64> = Generator::new(|co| co.yield_(1));
        assert_eq!(g.start(), GeneratorState::Yielded(1));
        std::thread::Builder::new()
            .name("plain".into())
            .stack_size(256 * 1024)
            .spawn(|| recurse(0))
            .expect("spawn")
            .join()
            .ok();
        eprintln!("child reached the end");
        return;
    }
    let out = run_child(NAME);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.signal(), Some(libc::SIGABRT), "{stderr}");
    // Newer std versions put the thread id between name and message.
    assert!(
        stderr.contains("thread 'plain'") && stderr.contains("has overflowed its stack"),
        "{stderr}"
    );
    assert!(!stderr.contains("corun: stack overflow"), "{stderr}");
}

#[test]
fn control_a_well_behaved_child_exits_cleanly() {
    // The same harness with a child that overflows nothing: it must exit 0,
    // so the checks above see the overflow, not the harness.
    const NAME: &str = "control_a_well_behaved_child_exits_cleanly";
    if is_child(NAME) {
        let mut g: Generator<'_, u64> = GeneratorBuilder::new()
            .stack_size(16 * 1024)
            .build(|co| co.yield_(3));
        assert_eq!(g.start(), GeneratorState::Yielded(3));
        eprintln!("child reached the end");
        return;
    }
    let out = run_child(NAME);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?}: {stderr}", out.status);
    assert_eq!(out.status.signal(), None);
    assert!(stderr.contains("child reached the end"), "{stderr}");
    assert!(!stderr.contains("corun: stack overflow"), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("1 passed"), "{stdout}");
}
