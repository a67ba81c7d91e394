//! The measures: each function times `n` operations and returns ns/op.

use crate::generator_peers::{genawaiter_chain, generator_rs_chain};
use corosensei::stack::DefaultStack;
use corosensei::{Coroutine, CoroutineResult, Yielder};
use corun::{Co, Executor, Generator, GeneratorState};
use genawaiter::GeneratorState as GaState;
use generator::{Gn, Scope};
use std::hint::black_box;
use std::time::Instant;

fn ns(t: Instant, n: u64) -> f64 {
    t.elapsed().as_nanos() as f64 / n as f64
}

fn echo<'a>() -> Generator<'a, u64, u64, ()> {
    Generator::new(|co: &Co<u64, u64>| {
        let mut x = 0u64;
        loop {
            x = co.yield_(x.wrapping_add(1));
        }
    })
}

fn drive_corun(mut g: Generator<'_, u64, u64, ()>, n: u64) -> f64 {
    g.start();
    let t = Instant::now();
    for i in 0..n {
        if let GeneratorState::Yielded(v) = g.send(black_box(i)) {
            black_box(v);
        }
    }
    ns(t, n)
}

pub fn send_corun(n: u64) -> f64 {
    drive_corun(echo(), n)
}

pub fn send_corosensei(n: u64) -> f64 {
    let stack = DefaultStack::new(corun::DEFAULT_STACK_SIZE).expect("a stack");
    let mut c = Coroutine::with_stack(stack, |y: &Yielder<u64, u64>, mut x: u64| loop {
        x = y.suspend(x.wrapping_add(1));
    });
    c.resume(0);
    let t = Instant::now();
    for i in 0..n {
        if let CoroutineResult::Yield(v) = c.resume(black_box(i)) {
            black_box(v);
        }
    }
    ns(t, n)
}

fn corun_chain(depth: usize) -> Generator<'static, u64, u64, ()> {
    if depth == 0 {
        echo()
    } else {
        Generator::new(move |co| co.yield_from(corun_chain(depth - 1)))
    }
}

pub fn depth_corun(depth: usize, n: u64) -> f64 {
    drive_corun(corun_chain(depth), n)
}

pub fn depth_genawaiter(depth: usize, n: u64) -> f64 {
    let mut g = genawaiter_chain(depth);
    g.resume_with(0);
    let t = Instant::now();
    for i in 0..n {
        black_box(g.resume_with(black_box(i)));
    }
    ns(t, n)
}

pub fn depth_generator_rs(depth: usize, n: u64) -> f64 {
    let mut g = generator_rs_chain(depth);
    g.send(0);
    let t = Instant::now();
    for i in 0..n {
        black_box(g.send(black_box(i)));
    }
    ns(t, n)
}

pub fn spawn_corun(n: u64) -> f64 {
    Executor::new().block_on(|| {
        let t = Instant::now();
        for i in 0..n {
            black_box(corun::spawn(move || black_box(i)).join().unwrap());
        }
        ns(t, n)
    })
}

fn local_set() -> (tokio::runtime::Runtime, tokio::task::LocalSet) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("tokio");
    (rt, tokio::task::LocalSet::new())
}

pub fn spawn_tokio(n: u64) -> f64 {
    let (rt, local) = local_set();
    local.block_on(&rt, async {
        let t = Instant::now();
        for i in 0..n {
            black_box(
                tokio::task::spawn_local(async move { black_box(i) })
                    .await
                    .unwrap(),
            );
        }
        ns(t, n)
    })
}

pub fn spawn_local_pool(n: u64) -> f64 {
    use futures::task::LocalSpawnExt;
    let mut pool = futures::executor::LocalPool::new();
    let sp = pool.spawner();
    let t = Instant::now();
    pool.run_until(async move {
        for i in 0..n {
            let h = sp
                .spawn_local_with_handle(async move { black_box(i) })
                .expect("spawn");
            black_box(h.await);
        }
    });
    ns(t, n)
}

pub fn spawn_may(n: u64) -> f64 {
    let t = Instant::now();
    for i in 0..n {
        // SAFETY: the body uses no thread-local storage across yields.
        let h = unsafe { may::coroutine::spawn(move || black_box(i)) };
        black_box(h.join().unwrap());
    }
    ns(t, n)
}

pub fn switch_corun(n: u64) -> f64 {
    let ex = Executor::new();
    let t = Instant::now();
    for _ in 0..2 {
        drop(ex.spawn(move || {
            for _ in 0..n / 2 {
                corun::yield_now();
            }
        }));
    }
    ex.run();
    ns(t, n)
}

pub fn switch_tokio(n: u64) -> f64 {
    let (rt, local) = local_set();
    local.block_on(&rt, async move {
        let t = Instant::now();
        let tasks = [(); 2].map(|_| {
            tokio::task::spawn_local(async move {
                for _ in 0..n / 2 {
                    tokio::task::yield_now().await;
                }
            })
        });
        for task in tasks {
            task.await.unwrap();
        }
        ns(t, n)
    })
}

pub fn switch_may(n: u64) -> f64 {
    let t = Instant::now();
    // SAFETY: the bodies use no thread-local storage across yields.
    let hs: Vec<_> = (0..2)
        .map(|_| unsafe {
            may::coroutine::spawn(move || {
                for _ in 0..n / 2 {
                    may::coroutine::yield_now();
                }
            })
        })
        .collect();
    for h in hs {
        h.join().unwrap();
    }
    ns(t, n)
}

pub fn chan_corun(n: u64) -> f64 {
    let ex = Executor::new();
    let (tx, rx) = corun::sync::channel::<u64>(1024);
    let t = Instant::now();
    drop(ex.spawn(move || {
        for i in 0..n {
            tx.send(i).unwrap();
        }
    }));
    black_box(ex.block_on(move || rx.iter().fold(0u64, u64::wrapping_add)));
    ns(t, n)
}

pub fn chan_tokio(n: u64) -> f64 {
    let (rt, local) = local_set();
    local.block_on(&rt, async move {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<u64>(1024);
        let t = Instant::now();
        tokio::task::spawn_local(async move {
            for i in 0..n {
                tx.send(i).await.unwrap();
            }
        });
        let mut sum = 0u64;
        while let Some(v) = rx.recv().await {
            sum = sum.wrapping_add(v);
        }
        black_box(sum);
        ns(t, n)
    })
}

pub fn cross_corun(rt: &corun::Runtime, n: u64) -> f64 {
    let (tx, rx) = corun::sync::mpsc::channel::<u64>(1024);
    let receiver = rt.spawn(move || rx.iter().sum::<u64>());
    let t = Instant::now();
    for i in 0..n {
        tx.send(i).unwrap();
    }
    drop(tx);
    black_box(receiver.join().unwrap());
    ns(t, n)
}

pub fn cross_crossbeam(n: u64) -> f64 {
    let (tx, rx) = crossbeam_channel::bounded::<u64>(1024);
    let receiver = std::thread::spawn(move || rx.iter().sum::<u64>());
    let t = Instant::now();
    for i in 0..n {
        tx.send(i).unwrap();
    }
    drop(tx);
    black_box(receiver.join().unwrap());
    ns(t, n)
}

pub fn is_prime(n: u64) -> bool {
    n >= 2
        && (2..)
            .take_while(|d| d * d <= n)
            .all(|d| !n.is_multiple_of(d))
}

/// Ns for the whole primality map of `0..n` (sequential, corun, rayon).
pub fn primes_seq(n: u64) -> f64 {
    let t = Instant::now();
    black_box((0..n).filter(|&x| is_prime(x)).count());
    t.elapsed().as_nanos() as f64
}

pub fn primes_pool(pool: &corun::Pool, n: u64) -> f64 {
    let t = Instant::now();
    black_box(pool.map(0..n, is_prime));
    t.elapsed().as_nanos() as f64
}

pub fn primes_rayon(pool: &rayon::ThreadPool, n: u64) -> f64 {
    use rayon::prelude::*;
    let t = Instant::now();
    pool.install(|| black_box((0..n).into_par_iter().map(is_prime).collect::<Vec<bool>>()));
    t.elapsed().as_nanos() as f64
}

/// Create, start, finish and drop a generator that yields once; the same
/// on corosensei, handing one stack from coroutine to coroutine.
pub use crate::generator_peers::{create_corosensei, create_corun};

pub fn create_genawaiter(n: u64) -> f64 {
    let mut acc = 0u64;
    let t = Instant::now();
    for i in 0..n {
        let mut g = genawaiter::rc::Gen::new(move |co| async move { co.yield_(i).await });
        if let GaState::Yielded(v) = g.resume_with(0) {
            acc = acc.wrapping_add(v);
        }
        if let GaState::Complete(v) = g.resume_with(black_box(1)) {
            acc = acc.wrapping_add(v);
        }
    }
    black_box(acc);
    ns(t, n)
}

/// generator-rs maps a fresh 32 KiB stack for every generator.
pub fn create_generator_rs(n: u64) -> f64 {
    let mut acc = 0u64;
    let t = Instant::now();
    for i in 0..n {
        let mut g = Gn::<u64>::new_scoped(move |mut s: Scope<u64, u64>| s.yield_(i).unwrap_or(0));
        acc = acc.wrapping_add(g.send(0));
        acc = acc.wrapping_add(g.send(black_box(1)));
        assert!(g.is_done());
    }
    black_box(acc);
    ns(t, n)
}
