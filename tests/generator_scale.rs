//! Many generators at once, stack pooling, stack sizes, stack measurement and
//! the errors for a stack that cannot be mapped or is impossibly large.

use corun::{Co, Generator, GeneratorBuilder, GeneratorState, StackError, DEFAULT_STACK_SIZE};
use std::cell::Cell;
use std::hint::black_box;

mod common;
use common::DropCount;

#[test]
fn ten_thousand_suspended_generators_then_all_dropped() {
    const N: usize = 10_000;
    let dropped = Cell::new(0);
    let mut gens: Vec<Generator<'_, usize>> = (0..N)
        .map(|i| {
            let dropped = &dropped;
            Generator::new(move |co| {
                let _c = DropCount(dropped);
                co.yield_(i);
                co.yield_(i + N);
            })
        })
        .collect();
    for (i, g) in gens.iter_mut().enumerate() {
        assert_eq!(g.start(), GeneratorState::Yielded(i));
    }
    assert_eq!(dropped.get(), 0);
    // Every body still holds its own state after all the others ran.
    for (i, g) in gens.iter_mut().enumerate().step_by(97) {
        assert_eq!(g.send(()), GeneratorState::Yielded(i + N));
    }
    drop(gens);
    assert_eq!(dropped.get(), N, "every suspended body was unwound");
}

#[test]
fn a_hundred_thousand_sequential_generators_reuse_pooled_stacks() {
    let dropped = Cell::new(0);
    let mut total = 0u64;
    for i in 0..100_000u64 {
        let dropped = &dropped;
        let mut g: Generator<'_, u64, u64, u64> = Generator::new(move |co| {
            let _c = DropCount(dropped);
            co.yield_(i) * 2
        });
        assert_eq!(g.start(), GeneratorState::Yielded(i));
        match g.send(i % 7) {
            GeneratorState::Complete(r) => total += r,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(total, (0..100_000u64).map(|i| (i % 7) * 2).sum());
    assert_eq!(dropped.get(), 100_000);
}

#[test]
fn a_hundred_thousand_generators_closed_while_suspended() {
    let dropped = Cell::new(0);
    for i in 0..100_000usize {
        let dropped = &dropped;
        let mut g: Generator<'_, usize> = Generator::new(move |co| {
            let _c = DropCount(dropped);
            loop {
                co.yield_(i);
            }
        });
        assert_eq!(g.start(), GeneratorState::Yielded(i));
        if i % 2 == 0 {
            g.close();
        }
    }
    assert_eq!(dropped.get(), 100_000);
}

/// Uses about `bytes` of stack: recursion with a page-sized frame each.
fn use_stack(bytes: usize) -> u64 {
    let buf = [bytes as u8; 4096];
    let here = black_box(&buf).iter().map(|&b| u64::from(b)).sum::<u64>();
    if bytes > 4096 {
        here + use_stack(bytes - 4096)
    } else {
        here
    }
}

#[test]
fn builder_stack_size_is_respected() {
    assert_eq!(DEFAULT_STACK_SIZE, 64 * 1024);
    let g: Generator<'_, u32> = Generator::new(|co| co.yield_(1));
    assert!(g.stack_size() >= DEFAULT_STACK_SIZE);

    for requested in [1, 4096, 10_000, 65_536, 256 * 1024, 1 << 20, 8 << 20] {
        let mut g: Generator<'_, u64> =
            GeneratorBuilder::new()
                .stack_size(requested)
                .build(move |co| {
                    // Tiny stacks get a tiny body: one page is all a 4 KiB stack has.
                    let used = if requested >= 64 * 1024 {
                        use_stack(requested / 2)
                    } else {
                        0
                    };
                    co.yield_(used)
                });
        let size = g.stack_size();
        assert!(size >= requested, "{size} < {requested}");
        assert_eq!(size % 4096, 0, "rounded to whole pages");
        assert!(size < requested + 65_536, "{size} is far above {requested}");
        // Half the requested stack is usable (the rest covers the frames'
        // overhead in an unoptimised build).
        assert!(g.start().is_yielded(), "requested {requested}");
    }
}

#[test]
fn stacks_of_different_sizes_are_pooled_apart() {
    for round in 0..3 {
        for requested in [16 * 1024, 512 * 1024] {
            let mut g: Generator<'_, u64> = GeneratorBuilder::new()
                .stack_size(requested)
                .build(move |co| co.yield_(use_stack(requested / 2)));
            assert!(g.stack_size() >= requested, "round {round}");
            assert!(g.start().is_yielded());
        }
    }
}

#[test]
fn measure_stack_usage_reports_what_the_body_touched() {
    const BUF: usize = 32 * 1024;
    let mut g: Generator<'_, u32> = GeneratorBuilder::new().measure_stack_usage().build(|co| {
        let buf = [1u8; BUF];
        co.yield_(black_box(&buf).iter().map(|&b| u32::from(b)).sum());
    });
    let before = g.stack_high_water().expect("measured");
    assert!(
        before < BUF,
        "nothing ran yet, but {before} bytes are marked"
    );
    assert_eq!(g.start(), GeneratorState::Yielded(BUF as u32));
    let during = g.stack_high_water().unwrap();
    assert!(during >= BUF, "{during} < {BUF}");
    assert!(during <= g.stack_size());
    assert_eq!(g.send(()), GeneratorState::Complete(()));
    // Kept after the end (finishing the body may have gone a little deeper).
    let after = g.stack_high_water().unwrap();
    assert!(
        after >= during && after < during + 4096,
        "{after} vs {during}"
    );
}

#[test]
fn measure_stack_usage_on_a_big_stack() {
    const USED: usize = 512 * 1024;
    let mut g: Generator<'_, u64> = GeneratorBuilder::new()
        .stack_size(1 << 20)
        .measure_stack_usage()
        .build(|co| co.yield_(use_stack(USED)));
    assert!(g.start().is_yielded());
    let mark = g.stack_high_water().unwrap();
    assert!(mark >= USED && mark <= g.stack_size(), "{mark}");
}

#[test]
fn unmeasured_generators_report_no_high_water() {
    let mut g: Generator<'_, u32> = Generator::new(|co| co.yield_(1));
    assert_eq!(g.stack_high_water(), None);
    g.start();
    assert_eq!(g.stack_high_water(), None);
}

#[test]
fn try_new_and_try_build_succeed_normally() {
    let mut g: Generator<'_, u32> = Generator::try_new(|co| co.yield_(3)).unwrap();
    assert_eq!(g.start(), GeneratorState::Yielded(3));
    let mut g: Generator<'_, u32> = GeneratorBuilder::new()
        .stack_size(128 * 1024)
        .try_build(|co| co.yield_(4))
        .unwrap();
    assert_eq!(g.start(), GeneratorState::Yielded(4));
}

fn huge() -> Result<Generator<'static, u32>, StackError> {
    GeneratorBuilder::new()
        .stack_size(1 << 50)
        .try_build(|co: &Co<u32>| co.yield_(1))
}

#[test]
fn an_unmappable_stack_is_a_stack_error() {
    let err = huge().unwrap_err();
    let text = err.to_string();
    assert!(text.contains("could not map"), "{text}");
    assert!(text.contains("vm.max_map_count"), "{text}");
    assert!(err.requested_size() >= 1 << 50);
    assert!(err.os_error().raw_os_error().is_some());
    assert!(std::error::Error::source(&err).is_some());
    assert!(format!("{err:?}").contains("StackError"));
    // The thread goes on making generators after the failure.
    let mut g: Generator<'_, u32> = Generator::new(|co| co.yield_(5));
    assert_eq!(g.start(), GeneratorState::Yielded(5));
}

/// Sizes near `usize::MAX` are a `StackError` too: rounding them up to whole
/// pages must not overflow.
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

#[test]
fn build_panics_with_the_stack_errors_message() {
    let r = std::panic::catch_unwind(|| {
        Generator::<u32>::builder()
            .stack_size(1 << 50)
            .build(|co: &Co<u32>| co.yield_(1))
    });
    let payload = r.expect_err("build must panic");
    let msg = payload
        .downcast_ref::<String>()
        .expect("a formatted message");
    assert!(msg.contains("vm.max_map_count"), "{msg}");
}

#[test]
fn the_builder_form_the_docs_write_infers_its_types_from_the_body() {
    // As the README and the overflow message write it, with no annotation.
    let g = Generator::builder().stack_size(128 * 1024).build(|co| {
        co.yield_(1u8);
        co.yield_(2);
    });
    assert!(g.stack_size() >= 128 * 1024);
    assert_eq!(g.collect::<Vec<_>>(), [1, 2]);
    let mut sent = Generator::builder().build(|co| co.yield_(5u32) * 2);
    assert_eq!(sent.start(), GeneratorState::Yielded(5));
    assert_eq!(sent.send(4), GeneratorState::Complete(8));
}

/// A mailbox too big for the unchecked reservation (values of 8 KiB) is
/// set aside with the checked one, and one that leaves too little stack is
/// refused with an error.
#[test]
fn big_values_fit_on_a_big_enough_stack() {
    // A roomy stack: an unoptimised body copies the values a few times.
    let mut g: Generator<'_, [u64; 1024], [u64; 1024]> =
        GeneratorBuilder::new().stack_size(1024 * 1024).build(|co| {
            let got = co.yield_([7; 1024]);
            co.yield_(got);
        });
    assert_eq!(g.start(), GeneratorState::Yielded([7; 1024]));
    assert_eq!(g.send([9; 1024]), GeneratorState::Yielded([9; 1024]));
    let err = GeneratorBuilder::<[u8; 200_000]>::new()
        .try_build(|co| co.yield_([1; 200_000]))
        .unwrap_err();
    assert_eq!(err.requested_size(), 64 * 1024, "the stack's size: {err}");
    assert!(err.to_string().contains("values take 2000"), "{err}");
}

/// Generators of two sizes taking turns: each miss of the hot stack puts
/// the other size's stack back in the pool, and both go on working.
#[test]
fn stack_sizes_taking_turns_each_get_their_own_size() {
    for i in 0..50u32 {
        let size = if i % 2 == 0 { 64 * 1024 } else { 256 * 1024 };
        let mut g: Generator<'_, u32> = GeneratorBuilder::new()
            .stack_size(size)
            .build(|co| co.yield_(i));
        assert!(g.stack_size() >= size);
        assert_eq!(g.start(), GeneratorState::Yielded(i));
        assert_eq!(g.send(()), GeneratorState::Complete(()));
    }
}

/// A generator made in a thread-local destructor that runs after the stack
/// pool's (registered before the pool was first used, so run after it)
/// still gets a stack, runs, and gives the stack back to no pool.
#[test]
fn generators_made_after_the_pool_is_gone_still_run() {
    use std::sync::atomic::{AtomicU32, Ordering};
    static YIELDED: AtomicU32 = AtomicU32::new(0);
    struct Late;
    impl Drop for Late {
        fn drop(&mut self) {
            for _ in 0..3 {
                let mut g: Generator<'_, u32> = Generator::new(|co| co.yield_(1));
                if let GeneratorState::Yielded(v) = g.start() {
                    YIELDED.fetch_add(v, Ordering::Relaxed);
                }
                assert_eq!(g.send(()), GeneratorState::Complete(()));
            }
        }
    }
    thread_local! {
        static LATE: Late = const { Late };
    }
    std::thread::spawn(|| {
        LATE.with(|_| ());
        let mut g: Generator<'_, u32> = Generator::new(|co| co.yield_(1));
        assert_eq!(g.start(), GeneratorState::Yielded(1));
    })
    .join()
    .unwrap();
    assert_eq!(YIELDED.load(Ordering::Relaxed), 3);
}

#[test]
fn values_too_big_for_the_stack_ask_for_a_larger_stack_not_a_smaller_one() {
    type Big = [u8; 256 * 1024];
    let err = Generator::<Big>::try_new(|co| {
        co.yield_([0; 256 * 1024]);
    })
    .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("yielded and sent values take"), "{text}");
    assert!(text.contains("larger stack"), "{text}");
    assert!(!text.contains("smaller"), "{text}");
    // With the stack it names (577 KiB here: the values and a header,
    // twice, and 64 KiB), it builds and runs.
    assert!(text.contains("at least 577 KiB"), "{text}");
    let mut big: Generator<'_, Big, (), u8> = GeneratorBuilder::new()
        .stack_size(577 * 1024)
        .try_build(|_: &Co<Big>| 7)
        .unwrap();
    assert!(matches!(big.start(), GeneratorState::Complete(7)));
}
