//! Bodies that borrow the caller's data, and leaking suspended generators
//! with `mem::forget`.

use corun::{Co, Generator, GeneratorState};
use std::cell::Cell;
use std::hint::black_box;
use std::mem;

mod common;
use common::DropCount;

struct Tree {
    name: String,
    children: Vec<Tree>,
}

fn tree(name: String, depth: u32) -> Tree {
    let children = if depth == 0 {
        Vec::new()
    } else {
        (0..3)
            .map(|i| tree(format!("{name}.{i}"), depth - 1))
            .collect()
    };
    Tree { name, children }
}

fn preorder<'t>(t: &'t Tree, out: &mut Vec<&'t str>) {
    out.push(&t.name);
    for c in &t.children {
        preorder(c, out);
    }
}

/// Recursion on the generator's own stack, yielding from any depth.
fn walk<'t>(co: &Co<&'t str>, t: &'t Tree) {
    co.yield_(&t.name);
    for c in &t.children {
        walk(co, c);
    }
}

/// The same walk with one subgenerator per node.
fn walk_delegating<'t>(co: &Co<&'t str>, t: &'t Tree) {
    co.yield_(&t.name);
    for c in &t.children {
        co.yield_from(Generator::new(move |co| walk_delegating(co, c)));
    }
}

#[test]
fn yields_strs_borrowed_from_a_tree() {
    let t = tree("root".into(), 5);
    let mut expected = Vec::new();
    preorder(&t, &mut expected);
    assert_eq!(expected.len(), 364);

    let names: Vec<&str> = Generator::new(|co| walk(co, &t)).collect();
    // The generator is gone; the names still borrow the tree, not it.
    assert_eq!(names, expected);

    let names: Vec<&str> = Generator::new(|co| walk_delegating(co, &t)).collect();
    assert_eq!(names, expected);
}

#[test]
fn borrowed_names_outlive_a_partly_run_generator() {
    let t = tree("r".into(), 3);
    let mut g = Generator::new(|co| walk_delegating(co, &t));
    let first: Vec<&str> = g.by_ref().take(6).collect();
    drop(g); // closes the whole delegation chain
    assert_eq!(
        first,
        ["r", "r.0", "r.0.0", "r.0.0.0", "r.0.0.1", "r.0.0.2"]
    );
}

#[test]
fn mutates_a_borrowed_vec_then_the_caller_reads_it() {
    let mut v = vec![1, 2, 3];
    let mut g: Generator<'_, usize, i32, usize> = Generator::new(|co| {
        let mut len = v.len();
        loop {
            let x = co.yield_(len);
            if x < 0 {
                v.retain(|&e| e % 2 == 0);
                return v.len();
            }
            v.push(x);
            len = v.len();
        }
    });
    assert_eq!(g.start(), GeneratorState::Yielded(3));
    assert_eq!(g.send(4), GeneratorState::Yielded(4));
    assert_eq!(g.send(6), GeneratorState::Yielded(5));
    assert_eq!(g.send(-1), GeneratorState::Complete(3));
    drop(g);
    assert_eq!(v, [2, 4, 6]);
}

#[test]
fn mutations_before_a_close_stay() {
    let mut v = Vec::new();
    let mut g: Generator<'_, (), u32> = Generator::new(|co| loop {
        let x = co.yield_(());
        v.push(x);
    });
    g.start();
    g.send(1);
    g.send(2);
    g.close();
    drop(g);
    v.push(3);
    assert_eq!(v, [1, 2, 3]);
}

#[test]
fn yields_mutable_references_into_borrowed_data() {
    let mut v = vec![1, 2, 3, 4];
    let (left, right) = v.split_at_mut(2);
    let g = Generator::new(|co: &Co<&mut i32>| {
        // Two delegates, each holding a disjoint `&mut` part.
        co.yield_from(Generator::new(|co: &Co<&mut i32>| {
            for x in left.iter_mut() {
                co.yield_(x);
            }
        }));
        co.yield_from(Generator::new(|co: &Co<&mut i32>| {
            for x in right.iter_mut().rev() {
                co.yield_(x);
            }
        }));
    });
    for (i, r) in g.enumerate() {
        *r = *r * 10 + i as i32;
    }
    assert_eq!(v, [10, 21, 33, 42]);
}

/// A computation whose result depends on every byte of a stack buffer, to
/// show a generator's stack holds what it wrote across yields.
fn checked_work(co: &Co<u64>, seed: u64) -> u64 {
    let mut buf = [0u64; 256];
    for (i, b) in buf.iter_mut().enumerate() {
        *b = seed.wrapping_mul(i as u64 + 1);
    }
    co.yield_(black_box(&buf).iter().sum());
    black_box(&buf).iter().fold(0, |a, &b| a ^ b)
}

fn expected_work(seed: u64) -> (u64, u64) {
    let buf: Vec<u64> = (0..256).map(|i| seed.wrapping_mul(i + 1)).collect();
    (buf.iter().sum(), buf.iter().fold(0, |a, &b| a ^ b))
}

fn run_work(seed: u64) {
    let mut g = Generator::new(move |co| checked_work(co, seed));
    let (sum, xor) = expected_work(seed);
    assert_eq!(g.start(), GeneratorState::Yielded(sum));
    assert_eq!(g.send(()), GeneratorState::Complete(xor));
}

#[test]
fn forgetting_a_suspended_generator_is_safe() {
    let mut data = vec![1u8, 2, 3];
    let mut g: Generator<'_, u8> = Generator::new(|co| {
        for x in data.iter_mut() {
            *x += 1;
            co.yield_(*x);
        }
    });
    assert_eq!(g.start(), GeneratorState::Yielded(2));
    mem::forget(g);
    // The forgotten body held `&mut data`; it never runs again, so the data
    // is ours once more.
    data.push(9);
    assert_eq!(data, [2, 2, 3, 9]);
    for seed in 0..50 {
        run_work(seed);
    }
}

#[test]
fn forgetting_a_delegating_generator_is_safe() {
    let guard_drops = Cell::new(0);
    let mut g: Generator<'_, u32> = Generator::new(|co| {
        let _g = DropCount(&guard_drops);
        co.yield_from(Generator::new(|co: &Co<u32>| {
            co.yield_from(Generator::new(|co: &Co<u32>| loop {
                co.yield_(1);
            }))
        }));
    });
    assert_eq!(g.start(), GeneratorState::Yielded(1));
    mem::forget(g);
    assert_eq!(guard_drops.get(), 0, "a forgotten body runs no more code");
    for seed in 0..50 {
        run_work(seed);
    }
}

#[test]
fn forgetting_an_unstarted_generator_leaks_its_captures() {
    let dropped = Cell::new(0);
    let captured = DropCount(&dropped);
    let g: Generator<'_, u32> = Generator::new(move |co| {
        let _c = captured;
        co.yield_(1);
    });
    mem::forget(g);
    assert_eq!(dropped.get(), 0);
    run_work(7);
}

const PATTERN: u8 = 0xA5;
const PATTERN_LEN: usize = 4096;

#[test]
fn a_forgotten_generators_stack_is_never_reused() {
    // The forgotten body reports where its buffer lives; later generators
    // (enough to drain and refill this thread's stack pool) must never put
    // their locals in that stack, and the buffer must keep its contents.
    let mut g: Generator<'_, usize> = Generator::new(|co| {
        let buf = [PATTERN; PATTERN_LEN];
        co.yield_(black_box(&buf).as_ptr() as usize);
        black_box(&buf);
    });
    let addr = g.start().yielded().unwrap();
    // Bodies this shallow keep their locals within a few KiB of their stack's
    // top, while distinct stacks are at least a stack (plus guard) apart, so a
    // reused stack would put a new local within half a stack of `addr`.
    let span = g.stack_size() / 2;
    mem::forget(g);

    let mut alive = Vec::new();
    for round in 0..3u64 {
        for i in 0..1_500u64 {
            let mut h = Generator::new(move |co: &Co<usize, u64>| {
                let local = [round as u8; 64];
                let back = co.yield_(black_box(&local).as_ptr() as usize);
                back + u64::from(local[63])
            });
            let local_addr = h.start().yielded().unwrap();
            assert!(
                local_addr.abs_diff(addr) > span,
                "a new generator's stack ({local_addr:#x}) overlaps the forgotten one ({addr:#x})"
            );
            if i % 2 == 0 {
                assert_eq!(h.send(i), GeneratorState::Complete(i + round));
            } else {
                alive.push(h);
            }
        }
        alive.clear();
    }
    // SAFETY: the forgotten generator's stack is leaked, so it stays mapped
    // and nothing else writes to it; `addr` points at its live buffer of
    // PATTERN_LEN bytes, and the int-to-pointer cast takes the provenance
    // exposed by the `as usize` cast above.
    let intact = (0..PATTERN_LEN)
        .all(|i| unsafe { std::ptr::read_volatile((addr as *const u8).add(i)) } == PATTERN);
    assert!(intact, "the forgotten generator's stack was overwritten");
}
