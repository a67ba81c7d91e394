//! Multi-thread peers: corun's `Runtime` against tokio's multi-thread
//! runtime (spawn + join, a channel across cores, a chunked CPU-bound map).

use crate::measures::is_prime;
use std::hint::black_box;
use std::time::Instant;

fn ns(t: Instant, n: u64) -> f64 {
    t.elapsed().as_nanos() as f64 / n as f64
}

pub fn tokio_mt(workers: usize) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .build()
        .expect("tokio multi-thread")
}

/// Spawn + join from inside a task on a worker, one at a time.
pub fn spawn_inside_corun(rt: &corun::Runtime, n: u64) -> f64 {
    rt.block_on(move || {
        let t = Instant::now();
        for i in 0..n {
            black_box(corun::spawn(move || black_box(i)).join().unwrap());
        }
        ns(t, n)
    })
}

pub fn spawn_inside_tokio(rt: &tokio::runtime::Runtime, n: u64) -> f64 {
    rt.block_on(async move {
        tokio::spawn(async move {
            let t = Instant::now();
            for i in 0..n {
                black_box(tokio::spawn(async move { black_box(i) }).await.unwrap());
            }
            ns(t, n)
        })
        .await
        .unwrap()
    })
}

/// Spawn + join from a plain thread: each join waits for a worker thread.
pub fn spawn_outside_corun(rt: &corun::Runtime, n: u64) -> f64 {
    let t = Instant::now();
    for i in 0..n {
        black_box(rt.spawn(move || black_box(i)).join().unwrap());
    }
    ns(t, n)
}

pub fn spawn_outside_tokio(rt: &tokio::runtime::Runtime, n: u64) -> f64 {
    let t = Instant::now();
    for i in 0..n {
        black_box(rt.block_on(rt.spawn(async move { black_box(i) })).unwrap());
    }
    ns(t, n)
}

/// A producer thread into a tokio mpsc receiver task on a worker.
pub fn cross_tokio(rt: &tokio::runtime::Runtime, n: u64) -> f64 {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<u64>(1024);
    let receiver = rt.spawn(async move {
        let mut sum = 0u64;
        while let Some(v) = rx.recv().await {
            sum = sum.wrapping_add(v);
        }
        sum
    });
    let t = Instant::now();
    for i in 0..n {
        tx.blocking_send(i).unwrap();
    }
    drop(tx);
    black_box(rt.block_on(receiver).unwrap());
    ns(t, n)
}

/// Primality of `0..n` in 64 chunks, one tokio task each: what a
/// `Pool::map` looks like written on tokio. Whole-map ns.
pub fn primes_tokio(rt: &tokio::runtime::Runtime, n: u64) -> f64 {
    let t = Instant::now();
    let chunk = n.div_ceil(64).max(1);
    let out = rt.block_on(async move {
        let hs: Vec<_> = (0..n)
            .step_by(chunk as usize)
            .map(|lo| {
                tokio::spawn(async move {
                    (lo..(lo + chunk).min(n))
                        .map(is_prime)
                        .collect::<Vec<bool>>()
                })
            })
            .collect();
        let mut out = Vec::with_capacity(n as usize);
        for h in hs {
            out.extend(h.await.unwrap());
        }
        out
    });
    black_box(out);
    t.elapsed().as_nanos() as f64
}
