//! Generator benchmarks: corun against its peers, each group measuring corun
//! and the peers in the same process, one right after another, so that their
//! ratio is meaningful on a machine whose absolute speed drifts from run to
//! run (see shared/BENCHMARKING.md).
//!
//! Groups:
//!
//! - `send_round_trip`: one send → yield → back on a suspended, endless
//!   generator of `u64` (`Generator<u64, u64>::send`): the generator a local
//!   (`corun`), behind `&mut` in a non-inlined function (`corun_mut_in_fn`)
//!   and in a `Box` (`corun_boxed`). `benches/generator_plain.rs` times the
//!   same shapes without criterion's closure around them. Peers: raw corosensei
//!   resume/suspend (the floor corun builds on), genawaiter (`rc`,
//!   `resume_with`) and generator-rs (`Gn::new_scoped`, `send`).
//! - `create_run_drop`: make a generator that yields once, start it, run it to
//!   completion and drop it. Peers: raw corosensei on one reused stack
//!   (`with_stack` … `into_stack`) and on a freshly mapped one, genawaiter
//!   (`rc`), generator-rs with a fresh stack (`new_scoped`) and re-armed on
//!   its own stack (`scoped_init` on a finished generator).
//! - `delegation_depth`: the cost of one value sent to the root of a chain of
//!   `co.yield_from(Generator::new(..))` 1, 8 and 64 deep, whose innermost
//!   generator never ends. No peer delegates in O(1); genawaiter with a
//!   hand-written relay loop per level and generator-rs's `yield_from` (which
//!   relays too) are shown for context.
//! - `iterate`: create a generator yielding `0..N` and sum it as an
//!   `Iterator`, against a plain range and genawaiter's `IntoIterator`.
//!
//! Run (short):
//!
//! ```text
//! cargo bench --bench generator -- --warm-up-time 1 --measurement-time 3
//! ```
//!
//! Add a filter such as `send_round_trip` after `--` to run one group.

use corosensei::stack::DefaultStack;
use corosensei::{Coroutine, CoroutineResult, Yielder};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use genawaiter::GeneratorState as GaState;
use generator::{Gn, Scope};
use std::hint::black_box;

use corun::{Generator, GeneratorState};

#[path = "common/generator_peers.rs"]
mod generator_peers;
use generator_peers::{genawaiter_chain, generator_rs_chain};

/// Stack size given to the corosensei peers: corun's default, so that the
/// peers touch the same amount of memory.
const STACK: usize = corun::DEFAULT_STACK_SIZE;

/// Items per `iterate` run.
const N: u64 = 1000;

/// Unwraps a corun yield; anything else means the benchmark is broken.
#[inline(always)]
fn yielded<Y, R>(s: GeneratorState<Y, R>) -> Y {
    match s {
        GeneratorState::Yielded(y) => y,
        GeneratorState::Complete(_) => panic!("the generator completed"),
    }
}

#[inline(always)]
fn ga_yielded<Y, R>(s: GaState<Y, R>) -> Y {
    match s {
        GaState::Yielded(y) => y,
        GaState::Complete(_) => panic!("the genawaiter generator completed"),
    }
}

#[inline(always)]
fn coro_yielded<Y, R>(s: CoroutineResult<Y, R>) -> Y {
    match s {
        CoroutineResult::Yield(y) => y,
        CoroutineResult::Return(_) => panic!("the coroutine returned"),
    }
}

// ---------------------------------------------------------------- send_round_trip

/// An endless corun generator that answers each `x` sent with `x + 1`.
fn corun_echo<'a>() -> Generator<'a, u64, u64, ()> {
    Generator::new(|co| {
        let mut x = 0u64;
        loop {
            x = co.yield_(x.wrapping_add(1));
        }
    })
}

/// `send` behind `&mut` in a function the caller cannot inline.
#[inline(never)]
fn send_through_mut(g: &mut Generator<'_, u64, u64, ()>, x: u64) -> u64 {
    yielded(g.send(x))
}

fn send_round_trip(c: &mut Criterion) {
    let mut group = c.benchmark_group("send_round_trip");

    let mut g = corun_echo();
    assert_eq!(g.start(), GeneratorState::Yielded(1));
    assert_eq!(g.send(41), GeneratorState::Yielded(42));
    group.bench_function("corun", |b| {
        let mut x = 0u64;
        b.iter(|| x = yielded(g.send(black_box(x))))
    });

    let mut g = corun_echo();
    g.start();
    group.bench_function("corun_mut_in_fn", |b| {
        let mut x = 0u64;
        b.iter(|| x = send_through_mut(&mut g, black_box(x)))
    });

    let mut g = Box::new(corun_echo());
    g.start();
    group.bench_function("corun_boxed", |b| {
        let mut x = 0u64;
        b.iter(|| x = yielded(black_box(&mut *g).send(black_box(x))))
    });

    let stack = DefaultStack::new(STACK).expect("map a stack");
    let mut raw = Coroutine::with_stack(stack, |y: &Yielder<u64, u64>, mut x: u64| loop {
        x = y.suspend(x.wrapping_add(1));
    });
    assert_eq!(coro_yielded(raw.resume(41)), 42);
    group.bench_function("corosensei", |b| {
        let mut x = 0u64;
        b.iter(|| x = coro_yielded(raw.resume(black_box(x))))
    });

    let mut ga = genawaiter::rc::Gen::new(|co: genawaiter::rc::Co<u64, u64>| async move {
        let mut x = 0u64;
        loop {
            x = co.yield_(x.wrapping_add(1)).await;
        }
    });
    // genawaiter drops the argument of the first resume (it starts the body).
    assert_eq!(ga_yielded(ga.resume_with(0)), 1);
    assert_eq!(ga_yielded(ga.resume_with(41)), 42);
    group.bench_function("genawaiter_rc", |b| {
        let mut x = 0u64;
        b.iter(|| x = ga_yielded(ga.resume_with(black_box(x))))
    });

    let mut gn = Gn::<u64>::new_scoped(|mut s: Scope<u64, u64>| {
        let mut x = 0u64;
        loop {
            x = s.yield_(x.wrapping_add(1)).unwrap_or(0);
        }
    });
    assert_eq!(gn.send(0), 1);
    assert_eq!(gn.send(41), 42);
    group.bench_function("generator_rs", |b| {
        let mut x = 0u64;
        b.iter(|| x = gn.send(black_box(x)))
    });

    group.finish();
}

// ---------------------------------------------------------------- create_run_drop

fn corun_once() -> u64 {
    let mut g: Generator<'_, u64> = Generator::new(|co| co.yield_(black_box(1)));
    let y = yielded(g.start());
    assert!(g.send(()).is_complete());
    y
}

fn corosensei_once(stack: DefaultStack) -> (u64, DefaultStack) {
    let mut c = Coroutine::with_stack(stack, |y: &Yielder<(), u64>, ()| {
        y.suspend(black_box(1));
    });
    let v = coro_yielded(c.resume(()));
    assert!(matches!(c.resume(()), CoroutineResult::Return(())));
    (v, c.into_stack())
}

fn genawaiter_once() -> u64 {
    let mut g = genawaiter::rc::Gen::new(|co: genawaiter::rc::Co<u64>| async move {
        co.yield_(black_box(1)).await;
    });
    let v = ga_yielded(g.resume());
    assert!(matches!(g.resume(), GaState::Complete(())));
    v
}

/// A generator-rs body that yields once and returns 0.
fn gn_body(mut s: Scope<'_, 'static, (), u64>) -> u64 {
    s.yield_(black_box(1));
    0
}

fn generator_rs_run(g: &mut generator::Generator<'static, (), u64>) -> u64 {
    let v = g.resume().expect("a yield");
    // generator-rs hands out the body's return value as the last resume.
    let _ = g.resume();
    assert!(g.is_done());
    v
}

fn create_run_drop(c: &mut Criterion) {
    let mut group = c.benchmark_group("create_run_drop");

    assert_eq!(corun_once(), 1);
    group.bench_function("corun", |b| b.iter(corun_once));

    let mut slot = Some(DefaultStack::new(STACK).expect("map a stack"));
    group.bench_function("corosensei_reused_stack", |b| {
        b.iter(|| {
            let (v, stack) = corosensei_once(slot.take().expect("the stack is back"));
            slot = Some(stack);
            v
        })
    });
    group.bench_function("corosensei_fresh_stack", |b| {
        b.iter(|| corosensei_once(DefaultStack::new(STACK).expect("map a stack")).0)
    });

    assert_eq!(genawaiter_once(), 1);
    group.bench_function("genawaiter_rc", |b| b.iter(genawaiter_once));

    group.bench_function("generator_rs_fresh_stack", |b| {
        b.iter(|| generator_rs_run(&mut Gn::<()>::new_scoped(gn_body)))
    });

    let mut reused = Gn::<()>::new_scoped(gn_body);
    assert_eq!(generator_rs_run(&mut reused), 1);
    group.bench_function("generator_rs_reinit", |b| {
        b.iter(|| {
            reused.scoped_init(gn_body);
            generator_rs_run(&mut reused)
        })
    });

    group.finish();
}

// ---------------------------------------------------------------- delegation_depth

const DEPTHS: [usize; 3] = [1, 8, 64];

/// `depth` generators each doing `yield_from` on the next, ending in an
/// endless echo. Depth 0 is the echo alone.
fn corun_chain(depth: usize) -> Generator<'static, u64, u64, ()> {
    if depth == 0 {
        corun_echo()
    } else {
        Generator::new(move |co| co.yield_from(corun_chain(depth - 1)))
    }
}

fn delegation_depth(c: &mut Criterion) {
    let mut group = c.benchmark_group("delegation_depth");
    for depth in DEPTHS {
        let mut g = corun_chain(depth);
        assert_eq!(g.start(), GeneratorState::Yielded(1));
        assert_eq!(g.send(41), GeneratorState::Yielded(42));
        group.bench_with_input(BenchmarkId::new("corun", depth), &depth, |b, _| {
            let mut x = 0u64;
            b.iter(|| x = yielded(g.send(black_box(x))))
        });
        drop(g);

        let mut ga = genawaiter_chain(depth);
        assert_eq!(ga_yielded(ga.resume_with(0)), 1);
        assert_eq!(ga_yielded(ga.resume_with(41)), 42);
        group.bench_with_input(
            BenchmarkId::new("genawaiter_relay", depth),
            &depth,
            |b, _| {
                let mut x = 0u64;
                b.iter(|| x = ga_yielded(ga.resume_with(black_box(x))))
            },
        );
        drop(ga);

        let mut gn = generator_rs_chain(depth);
        gn.send(0);
        assert_eq!(gn.send(41), 42);
        group.bench_with_input(
            BenchmarkId::new("generator_rs_yield_from", depth),
            &depth,
            |b, _| {
                let mut x = 0u64;
                b.iter(|| x = gn.send(black_box(x)))
            },
        );
    }
    group.finish();
}

// ---------------------------------------------------------------- iterate

fn iterate(c: &mut Criterion) {
    let mut group = c.benchmark_group("iterate");
    group.throughput(Throughput::Elements(N));
    let expected = N * (N - 1) / 2;

    // Every item goes through black_box so that the plain range is not
    // summed in closed form.
    let plain = || (0..black_box(N)).map(black_box).sum::<u64>();
    let corun_sum = || {
        Generator::new(|co| co.yield_from_iter(0..black_box(N)))
            .map(black_box)
            .sum::<u64>()
    };
    let genawaiter_sum = || {
        genawaiter::rc::Gen::new(|co: genawaiter::rc::Co<u64>| async move {
            for i in 0..black_box(N) {
                co.yield_(i).await;
            }
        })
        .into_iter()
        .map(black_box)
        .sum::<u64>()
    };
    assert_eq!(plain(), expected);
    assert_eq!(corun_sum(), expected);
    assert_eq!(genawaiter_sum(), expected);

    group.bench_function("corun", |b| b.iter(corun_sum));
    group.bench_function("plain_iterator", |b| b.iter(plain));
    group.bench_function("genawaiter_rc", |b| b.iter(genawaiter_sum));
    group.finish();
}

criterion_group!(
    benches,
    send_round_trip,
    create_run_drop,
    delegation_depth,
    iterate
);
criterion_main!(benches);
