//! Echo over loopback TCP: corun against tokio `current_thread` and may
//! (one worker) as servers, all driven by the same client.
//!
//! Each server runs on one thread pinned to core 0; the client is a plain
//! mio loop on a thread pinned to core 1. The client opens [`CONNS`]
//! connections and keeps one [`MSG`]-byte message in flight on each: it
//! sends, waits for the whole echo, records the round trip, and sends
//! again. `corun_spin` is corun with `spin_before_park` (50 µs): its
//! thread polls before it sleeps, so the client's sends rarely have to
//! wake it. Reported: messages per second and p50/p99 round-trip latency.
//! Servers are measured in turn, interleaved, [`RUNS`] times; the table
//! gives medians and the ratio of corun's throughput to each peer's (see
//! shared/BENCHMARKING.md: only same-process ratios mean much here).
//!
//! ```text
//! cargo bench --bench net
//! ```

use mio::net::TcpStream as MioStream;
use mio::{Events, Interest, Poll, Token};
use std::io::{ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

const CONNS: usize = 100;
const MSG: usize = 100;
const ROUNDS: usize = 400; // per connection and run
const RUNS: usize = 5;
/// `corun_spin`'s `spin_before_park`.
const SPIN: Duration = Duration::from_micros(50);

fn pin(core: usize) {
    if let Some(ids) = core_affinity::get_core_ids() {
        if let Some(id) = ids.get(core % ids.len()) {
            core_affinity::set_for_current(*id);
        }
    }
}

/// Starts a server thread; returns the address it listens on.
fn start(kind: &str) -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    let kind = kind.to_owned();
    std::thread::spawn(move || {
        pin(0);
        match kind.as_str() {
            "corun" => corun_server(tx, Duration::ZERO),
            "corun_spin" => corun_server(tx, SPIN),
            "tokio" => tokio_server(tx),
            "may" => may_server(tx),
            _ => unreachable!(),
        }
    });
    rx.recv().unwrap()
}

fn corun_server(tx: std::sync::mpsc::Sender<SocketAddr>, spin: Duration) {
    use corun::net::TcpListener;
    let ex = corun::Executor::builder()
        .stack_size(32 * 1024)
        .spin_before_park(spin)
        .build();
    ex.block_on(|| {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        tx.send(listener.local_addr().unwrap()).unwrap();
        loop {
            let (conn, _) = listener.accept().unwrap();
            conn.set_nodelay(true).unwrap();
            drop(corun::spawn(move || {
                let mut buf = [0u8; 4096];
                loop {
                    match (&conn).read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => {
                            if (&conn).write_all(&buf[..n]).is_err() {
                                return;
                            }
                        }
                    }
                }
            }));
        }
    });
}

fn tokio_server(tx: std::sync::mpsc::Sender<SocketAddr>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .unwrap();
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        tx.send(listener.local_addr().unwrap()).unwrap();
        loop {
            let (mut conn, _) = listener.accept().await.unwrap();
            conn.set_nodelay(true).unwrap();
            tokio::task::spawn_local(async move {
                let mut buf = [0u8; 4096];
                loop {
                    match conn.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => {
                            if conn.write_all(&buf[..n]).await.is_err() {
                                return;
                            }
                        }
                    }
                }
            });
        }
    });
}

fn may_server(tx: std::sync::mpsc::Sender<SocketAddr>) {
    may::config().set_workers(1);
    let listener = may::net::TcpListener::bind("127.0.0.1:0").unwrap();
    tx.send(listener.local_addr().unwrap()).unwrap();
    for conn in listener.incoming() {
        let mut conn = conn.unwrap();
        conn.set_nodelay(true).unwrap();
        // SAFETY: may's spawn is unsafe because a coroutine must not use
        // thread-local storage across yields; this body uses none.
        unsafe {
            may::coroutine::spawn(move || {
                let mut buf = [0u8; 4096];
                loop {
                    match conn.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => {
                            if conn.write_all(&buf[..n]).is_err() {
                                return;
                            }
                        }
                    }
                }
            });
        }
    }
}

struct Conn {
    stream: MioStream,
    sent_at: Instant,
    got: usize,
    rounds: usize,
}

/// Drives the echo; returns (messages per second, sorted latencies).
fn client(addr: SocketAddr, rounds: usize) -> (f64, Vec<Duration>) {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(1024);
    let msg = [7u8; MSG];
    let mut conns: Vec<Conn> = (0..CONNS)
        .map(|i| {
            let std = std::net::TcpStream::connect(addr).unwrap();
            std.set_nodelay(true).unwrap();
            std.set_nonblocking(true).unwrap();
            let mut stream = MioStream::from_std(std);
            poll.registry()
                .register(&mut stream, Token(i), Interest::READABLE)
                .unwrap();
            Conn {
                stream,
                sent_at: Instant::now(),
                got: 0,
                rounds: 0,
            }
        })
        .collect();
    let mut latencies = Vec::with_capacity(CONNS * rounds);
    let start = Instant::now();
    for c in &mut conns {
        c.sent_at = Instant::now();
        c.stream.write_all(&msg).unwrap();
    }
    let mut done = 0;
    let mut buf = [0u8; 4096];
    while done < CONNS {
        poll.poll(&mut events, Some(Duration::from_secs(10)))
            .unwrap();
        assert!(!events.is_empty(), "the server stopped answering");
        for ev in events.iter() {
            let c = &mut conns[ev.token().0];
            loop {
                match c.stream.read(&mut buf) {
                    Ok(0) => panic!("the server closed a connection"),
                    Ok(n) => {
                        c.got += n;
                        while c.got >= MSG {
                            c.got -= MSG;
                            latencies.push(c.sent_at.elapsed());
                            c.rounds += 1;
                            if c.rounds == rounds {
                                done += 1;
                            } else {
                                c.sent_at = Instant::now();
                                c.stream.write_all(&msg).unwrap();
                            }
                        }
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(e) => panic!("client read: {e}"),
                }
            }
        }
    }
    let rate = (CONNS * rounds) as f64 / start.elapsed().as_secs_f64();
    latencies.sort();
    (rate, latencies)
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn main() {
    // `cargo bench` passes `--bench`; any other argument is ignored.
    // `NET_BENCH_SERVERS=corun,tokio` measures a subset (for profiling).
    let chosen = std::env::var("NET_BENCH_SERVERS").unwrap_or_default();
    let kinds: Vec<&str> = ["corun", "corun_spin", "tokio", "may"]
        .into_iter()
        .filter(|k| chosen.is_empty() || chosen.split(',').any(|c| c == *k))
        .collect();
    let addrs: Vec<SocketAddr> = kinds.iter().map(|k| start(k)).collect();
    pin(1);
    for addr in &addrs {
        client(*addr, 20); // warm up: stacks, buffers, connections
    }
    let mut results: Vec<(Vec<f64>, Vec<f64>, Vec<f64>)> = vec![Default::default(); kinds.len()];
    for _ in 0..RUNS {
        for (i, addr) in addrs.iter().enumerate() {
            let (rate, lat) = client(*addr, ROUNDS);
            results[i].0.push(rate);
            results[i].1.push(pct(&lat, 0.50).as_secs_f64() * 1e6);
            results[i].2.push(pct(&lat, 0.99).as_secs_f64() * 1e6);
        }
    }
    println!(
        "echo, {CONNS} connections, {MSG}-byte messages, loopback, server on one core; \
         medians of {RUNS} interleaved runs"
    );
    println!("| server | msgs/s | p50 µs | p99 µs | first's throughput ÷ this |");
    println!("| --- | --- | --- | --- | --- |");
    let first_rate = median(results[0].0.clone()); // the first chosen
    for (kind, (rate, p50, p99)) in kinds.iter().zip(results) {
        let rate = median(rate);
        println!(
            "| {kind} | {:.0} | {:.0} | {:.0} | {:.2} |",
            rate,
            median(p50),
            median(p99),
            first_rate / rate
        );
    }
}
