//! Plain `Instant`-timed generator benchmarks, beside criterion's
//! (`benches/generator.rs`): criterion's closure can hide effects of where
//! the caller's code is inlined, so this binary times the loops users
//! write, with no harness around them.
//!
//! Each round measures every case once, in the same order (corun and raw
//! corosensei interleaved), and the binary prints the median of the rounds
//! and the ratio to raw corosensei measured in the same rounds:
//!
//! - `send/local`: the generator is a local of the timing function;
//! - `send/&mut`: the loop runs in a non-inlined function given `&mut`;
//! - `send/box`: the generator lives in a `Box`;
//! - `send/fn call`: each send is a call of a non-inlined function given
//!   `&mut` (criterion's `corun_mut_in_fn` shape);
//! - `create_run_drop`: make, start, finish and drop a generator that
//!   yields once, against corosensei on one reused stack;
//! - `yield_from`: a send through a chain of `yield_from` 1 and 64 deep;
//!   the ratio of depth 64 to depth 1 is what "delegation costs nothing per
//!   level" promises (at most 1.05).
//!
//! Run: `cargo bench --bench generator_plain` (add `-- ROUNDS` to change the
//! number of rounds, 15 by default).

use corosensei::stack::DefaultStack;
use corosensei::{Coroutine, CoroutineResult, Yielder};
use corun::{Co, Generator, GeneratorState};
use std::hint::black_box;
use std::time::Instant;

#[path = "common/generator_peers.rs"]
mod generator_peers;
#[path = "common/plain.rs"]
mod plain;
use plain::{ns, Case};

const SENDS: u64 = 2_000_000;
const CREATES: u64 = 200_000;

fn echo<'a>() -> Generator<'a, u64, u64, ()> {
    let mut g = Generator::new(|co: &Co<u64, u64>| {
        let mut x = 0u64;
        loop {
            x = co.yield_(x.wrapping_add(1));
        }
    });
    g.start();
    g
}

fn send_local() -> f64 {
    let mut g = echo();
    let mut acc = 0u64;
    let t = Instant::now();
    for i in 0..SENDS {
        if let GeneratorState::Yielded(v) = g.send(black_box(i)) {
            acc = acc.wrapping_add(v);
        }
    }
    let r = ns(t, SENDS);
    black_box(acc);
    r
}

#[inline(never)]
fn send_mut_loop(g: &mut Generator<'_, u64, u64, ()>) -> u64 {
    let mut acc = 0u64;
    for i in 0..SENDS {
        if let GeneratorState::Yielded(v) = g.send(black_box(i)) {
            acc = acc.wrapping_add(v);
        }
    }
    acc
}

fn send_mut() -> f64 {
    let mut g = echo();
    let t = Instant::now();
    black_box(send_mut_loop(&mut g));
    ns(t, SENDS)
}

fn send_box() -> f64 {
    let mut g = Box::new(echo());
    let mut acc = 0u64;
    let t = Instant::now();
    for i in 0..SENDS {
        if let GeneratorState::Yielded(v) = black_box(&mut *g).send(black_box(i)) {
            acc = acc.wrapping_add(v);
        }
    }
    let r = ns(t, SENDS);
    black_box(acc);
    r
}

#[inline(never)]
fn send_one(g: &mut Generator<'_, u64, u64, ()>, x: u64) -> u64 {
    match g.send(x) {
        GeneratorState::Yielded(v) => v,
        GeneratorState::Complete(()) => 0,
    }
}

fn send_call() -> f64 {
    let mut g = echo();
    let mut acc = 0u64;
    let t = Instant::now();
    for i in 0..SENDS {
        acc = acc.wrapping_add(send_one(&mut g, black_box(i)));
    }
    let r = ns(t, SENDS);
    black_box(acc);
    r
}

fn raw_send() -> f64 {
    let stack = DefaultStack::new(corun::DEFAULT_STACK_SIZE).expect("map a stack");
    let mut c = Coroutine::with_stack(stack, |y: &Yielder<u64, u64>, mut x: u64| loop {
        x = y.suspend(x.wrapping_add(1));
    });
    c.resume(0);
    let mut acc = 0u64;
    let t = Instant::now();
    for i in 0..SENDS {
        if let CoroutineResult::Yield(v) = c.resume(black_box(i)) {
            acc = acc.wrapping_add(v);
        }
    }
    let r = ns(t, SENDS);
    black_box(acc);
    r
}

fn create_corun() -> f64 {
    generator_peers::create_corun(CREATES)
}

fn create_raw() -> f64 {
    generator_peers::create_corosensei(CREATES)
}

const DELEGATED_SENDS: u64 = 500_000;

/// `depth` generators each doing `yield_from` on the next, ending in the
/// echo.
fn chain<'a>(depth: usize) -> Generator<'a, u64, u64, ()> {
    if depth == 0 {
        Generator::new(|co: &Co<u64, u64>| {
            let mut x = 0u64;
            loop {
                x = co.yield_(x.wrapping_add(1));
            }
        })
    } else {
        Generator::new(move |co: &Co<u64, u64>| co.yield_from(chain(depth - 1)))
    }
}

fn send_delegated(depth: usize) -> f64 {
    let mut g = chain(depth);
    g.start();
    let mut acc = 0u64;
    let t = Instant::now();
    for i in 0..DELEGATED_SENDS {
        if let GeneratorState::Yielded(v) = g.send(black_box(i)) {
            acc = acc.wrapping_add(v);
        }
    }
    let r = ns(t, DELEGATED_SENDS);
    black_box(acc);
    r
}

fn depth_1() -> f64 {
    send_delegated(1)
}

fn depth_64() -> f64 {
    send_delegated(64)
}

fn main() {
    // (name, function, index of the peer it is compared with)
    let cases: [Case; 9] = [
        ("send/raw corosensei", raw_send, 0),
        ("send/local", send_local, 0),
        ("send/&mut", send_mut, 0),
        ("send/box", send_box, 0),
        ("send/fn call", send_call, 0),
        (
            "create_run_drop/raw corosensei, reused stack",
            create_raw,
            5,
        ),
        ("create_run_drop/corun", create_corun, 5),
        ("yield_from/depth 1", depth_1, 7),
        ("yield_from/depth 64 [ratio to depth 1]", depth_64, 7),
    ];
    plain::run(&cases, 15);
}
