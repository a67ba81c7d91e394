//! Generator shapes measured in more than one place: the relay chains of
//! the peers that have no O(1) delegation, and the create-to-drop loops of
//! corun and raw corosensei. `benches/generator.rs`,
//! `benches/generator_plain.rs` and the bench report include this file with
//! `#[path]`, so that each measures the same code.

#![allow(dead_code)] // each includer uses a part

use corosensei::stack::DefaultStack;
use corosensei::{Coroutine, CoroutineResult, Yielder};
use corun::{Co, Generator, GeneratorState};
use genawaiter::GeneratorState as GaState;
use generator::{Gn, Scope};
use std::future::Future;
use std::hint::black_box;
use std::pin::Pin;
use std::time::Instant;

type BoxedFuture = Pin<Box<dyn Future<Output = ()>>>;
/// genawaiter's generator of the chains.
pub type GaGen = genawaiter::rc::Gen<u64, u64, BoxedFuture>;

/// genawaiter's equivalent of a `yield_from` chain `depth` deep ending in
/// an echo: each level relays every value by hand.
pub fn genawaiter_chain(depth: usize) -> GaGen {
    if depth == 0 {
        return genawaiter::rc::Gen::new(|co| -> BoxedFuture {
            Box::pin(async move {
                let mut x = 0u64;
                loop {
                    x = co.yield_(x.wrapping_add(1)).await;
                }
            })
        });
    }
    genawaiter::rc::Gen::new(move |co| -> BoxedFuture {
        Box::pin(async move {
            let mut inner = genawaiter_chain(depth - 1);
            let mut x = 0u64;
            while let GaState::Yielded(y) = inner.resume_with(x) {
                x = co.yield_(y).await;
            }
        })
    })
}

/// generator-rs's `yield_from` chain, which relays through every level.
pub fn generator_rs_chain(depth: usize) -> generator::Generator<'static, u64, u64> {
    if depth == 0 {
        return Gn::<u64>::new_scoped(|mut s: Scope<u64, u64>| {
            let mut x = 0u64;
            loop {
                x = s.yield_(x.wrapping_add(1)).unwrap_or(0);
            }
        });
    }
    Gn::<u64>::new_scoped(move |mut s: Scope<u64, u64>| {
        s.yield_from(generator_rs_chain(depth - 1));
        0
    })
}

/// ns a generator that yields once takes to be made, started, finished
/// and dropped, over `n` of them.
pub fn create_corun(n: u64) -> f64 {
    let mut acc = 0u64;
    let t = Instant::now();
    for i in 0..n {
        let mut g = Generator::new(move |co: &Co<u64, u64>| co.yield_(i));
        if let GeneratorState::Yielded(v) = g.start() {
            acc = acc.wrapping_add(v);
        }
        if let GeneratorState::Complete(v) = g.send(black_box(1)) {
            acc = acc.wrapping_add(v);
        }
    }
    let r = t.elapsed().as_nanos() as f64 / n as f64;
    black_box(acc);
    r
}

/// The same on raw corosensei, handing one stack from coroutine to
/// coroutine: the floor a pooled stack can reach.
pub fn create_corosensei(n: u64) -> f64 {
    let mut stack = Some(DefaultStack::new(corun::DEFAULT_STACK_SIZE).expect("map a stack"));
    let mut acc = 0u64;
    let t = Instant::now();
    for i in 0..n {
        let s = stack.take().expect("the stack");
        let mut c = Coroutine::with_stack(s, move |y: &Yielder<u64, u64>, _x: u64| y.suspend(i));
        if let CoroutineResult::Yield(v) = c.resume(0) {
            acc = acc.wrapping_add(v);
        }
        if let CoroutineResult::Return(v) = c.resume(black_box(1)) {
            acc = acc.wrapping_add(v);
        }
        stack = Some(c.into_stack());
    }
    let r = t.elapsed().as_nanos() as f64 / n as f64;
    black_box(acc);
    r
}
