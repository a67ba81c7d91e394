//! The unsafe opt-in for more coroutines than `vm.max_map_count` allows
//! guarded stacks: stacks carved from shared mappings, checked by a canary.

use corun::{Executor, Generator, GeneratorBuilder};
use std::cell::Cell;
use std::os::unix::process::ExitStatusExt;
use std::rc::Rc;
use std::time::Duration;

mod common;
use common::{in_child_process, is_child, map_count, run_child};

#[test]
fn a_hundred_thousand_concurrent_stackful_tasks() {
    const TASKS: usize = 100_000;
    // SAFETY: each body uses a few hundred bytes of its 16 KiB stack.
    let ex = unsafe { Executor::builder().stack_size(16 * 1024).unguarded_stacks() }.build();
    let alive = Rc::new(Cell::new(0usize));
    let peak = Rc::new(Cell::new(0usize));
    let maps_before = map_count();
    let handles: Vec<_> = (0..TASKS)
        .map(|i| {
            let (alive, peak) = (alive.clone(), peak.clone());
            ex.spawn(move || {
                alive.set(alive.get() + 1);
                peak.set(peak.get().max(alive.get()));
                corun::sleep(Duration::from_millis(20));
                alive.set(alive.get() - 1);
                i
            })
        })
        .collect();
    let maps_during = Rc::new(Cell::new(0));
    let md = maps_during.clone();
    let sum: usize = ex.block_on(move || {
        corun::sleep(Duration::from_millis(5));
        md.set(map_count());
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    assert_eq!(sum, TASKS * (TASKS - 1) / 2);
    assert_eq!(peak.get(), TASKS, "all tasks were suspended at once");
    assert!(
        maps_during.get() - maps_before < 1_000,
        "{} maps for {TASKS} stacks: they must share mappings",
        maps_during.get() - maps_before
    );
}

#[test]
fn unguarded_generators_run_and_recycle_their_stacks() {
    for round in 0..3 {
        // SAFETY: tiny bodies.
        let builder = unsafe {
            GeneratorBuilder::new()
                .stack_size(8 * 1024)
                .unguarded_stack()
        };
        let gens: Vec<Generator<'_, usize>> = (0..2_000)
            .map(|i| builder.clone().build(move |co| co.yield_(i + round)))
            .collect();
        let total: usize = gens.into_iter().flatten().sum();
        assert_eq!(total, (0..2_000).map(|i| i + round).sum::<usize>());
    }
}

/// A body that overflows its unguarded stack a little, then yields: the
/// canary check at the switch aborts with a message.
#[test]
fn an_overflow_past_the_canary_aborts_with_a_message() {
    let name = "an_overflow_past_the_canary_aborts_with_a_message";
    if is_child(name) {
        // SAFETY: this child deliberately breaks the contract to show the
        // canary catching it; it is expected to abort.
        let builder = unsafe {
            GeneratorBuilder::new()
                .stack_size(16 * 1024)
                .unguarded_stack()
        };
        let mut below: Generator<'_, u8> = builder.clone().build(|co| co.yield_(0));
        below.start();
        let mut g: Generator<'_, u8> = builder.build(|co| {
            let mut buf = [0u8; 20 * 1024];
            std::hint::black_box(&mut buf).fill(1);
            co.yield_(std::hint::black_box(&buf)[0])
        });
        g.start();
        unreachable!("the canary check must have aborted");
    }
    let out = run_child(name);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.signal(), Some(libc::SIGABRT), "stderr: {stderr}");
    assert!(stderr.contains("overwrote its canary"), "stderr: {stderr}");
    assert!(stderr.contains("16 KiB"), "stderr: {stderr}");
}

/// The size asked for is there, and what a body keeps on it survives its
/// neighbours' use of theirs. In a child process: a broken layout would
/// trip the canary, which aborts.
#[test]
fn an_unguarded_stack_holds_the_size_asked_for() {
    const ASKED: usize = 16 * 1024;
    const BUF: usize = 4 * 1024;
    in_child_process("an_unguarded_stack_holds_the_size_asked_for", || {
        // SAFETY: each body keeps a 4 KiB buffer and a few hundred bytes of
        // frames (twice that unoptimised), well within 16 KiB.
        let builder = unsafe { GeneratorBuilder::new().stack_size(ASKED).unguarded_stack() };
        let mut gens: Vec<Generator<'_, u8>> = (0..8u8)
            .map(|i| {
                builder.clone().build(move |co| {
                    let mut buf = [i; BUF];
                    std::hint::black_box(&mut buf)[0] = i;
                    co.yield_(std::hint::black_box(&buf)[BUF - 1]);
                    co.yield_(std::hint::black_box(&buf)[0]);
                })
            })
            .collect();
        for g in &gens {
            assert!(
                g.stack_size() >= ASKED,
                "usable {} < asked {ASKED}",
                g.stack_size()
            );
        }
        let firsts: Vec<_> = gens.iter_mut().map(|g| g.start()).collect();
        let seconds: Vec<_> = gens.iter_mut().map(|g| g.send(())).collect();
        for (i, (a, b)) in firsts.into_iter().zip(seconds).enumerate() {
            assert_eq!(a, corun::GeneratorState::Yielded(i as u8));
            assert_eq!(b, corun::GeneratorState::Yielded(i as u8));
        }
    });
}

#[test]
fn an_unmappable_chunk_of_unguarded_stacks_says_they_are_carved_many_at_a_time() {
    // 1024 stacks of 1 TiB: more than the address space holds.
    // SAFETY: the body never runs: the stack cannot be mapped.
    let err = unsafe {
        GeneratorBuilder::new()
            .stack_size(1 << 40)
            .unguarded_stack()
    }
    .try_build(|co: &corun::Co<u32>| co.yield_(1))
    .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("chunk of 1024 unguarded"), "{text}");
    assert!(!text.contains("vm.max_map_count"), "{text}");
}
