//! Echo over loopback TCP, shared by `benches/net.rs` and the bench report
//! (both include this file with `#[path]`): corun, tokio `current_thread`
//! and may (one worker) as echo servers, all driven by one mio client.
//!
//! Each server runs on one thread pinned to core 0; the client runs on a
//! thread pinned to core 1. It opens [`CONNS`] connections and keeps one
//! [`MSG`]-byte message in flight on each: it sends, waits for the whole
//! echo, records the round trip, and sends again. It makes two system
//! calls a message (a write, a read), as the servers do, so that it is not
//! the slower side. The servers are driven in
//! turn, interleaved, and the figures are medians of the runs, since only
//! same-process ratios mean much on a shared VM (shared/BENCHMARKING.md).

use mio::net::TcpStream as MioStream;
use mio::{Events, Interest, Poll, Token};
use std::io::{ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Connections the client keeps open, one message in flight on each.
pub const CONNS: usize = 100;
/// Bytes per message.
pub const MSG: usize = 100;
/// Every server this module can start, in the order reports list them.
/// `corun_spin` is corun with `spin_before_park` ([`SPIN`]): its thread
/// polls before it sleeps, so the client's sends rarely have to wake it.
pub const SERVERS: [&str; 4] = ["corun", "corun_spin", "tokio", "may"];
/// `corun_spin`'s `spin_before_park`.
pub const SPIN: Duration = Duration::from_micros(50);

/// One server's medians over the runs.
#[derive(Clone, Copy, Debug)]
pub struct EchoStats {
    /// Echoed messages per second, all connections together.
    pub msgs_per_sec: f64,
    /// Median round trip, µs.
    pub p50_us: f64,
    /// 99th-percentile round trip, µs.
    pub p99_us: f64,
}

/// Pins the calling thread to `core` (modulo the cores there are).
#[allow(dead_code)] // the report pins its HTTP server with it; benches/net.rs does not
pub fn pin(core: usize) {
    if let Some(ids) = core_affinity::get_core_ids() {
        if let Some(id) = ids.get(core % ids.len()) {
            core_affinity::set_for_current(*id);
        }
    }
}

/// Starts a server thread (it serves until the process ends); returns the
/// address it listens on.
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
            other => panic!("no echo server named {other}"),
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
                        // A short read drained the socket: the next data
                        // brings a new edge, so no read to see WouldBlock
                        // (the servers skip it too; it was a third of the
                        // client's system calls).
                        if n < buf.len() {
                            break;
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

fn pct_us(sorted: &[Duration], p: f64) -> f64 {
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)].as_secs_f64() * 1e6
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Starts the servers named in `kinds` and drives each `runs` times,
/// interleaved, with `rounds` round trips per connection and run, after a
/// short warm-up (stacks, buffers, connections); returns medians in the
/// order of `kinds`.
pub fn measure(kinds: &[&str], rounds: usize, runs: usize) -> Vec<EchoStats> {
    let addrs: Vec<SocketAddr> = kinds.iter().map(|k| start(k)).collect();
    std::thread::spawn(move || {
        pin(1);
        for addr in &addrs {
            client(*addr, rounds.min(20));
        }
        let mut results = vec![(Vec::new(), Vec::new(), Vec::new()); addrs.len()];
        for _ in 0..runs {
            for (i, addr) in addrs.iter().enumerate() {
                let (rate, lat) = client(*addr, rounds);
                results[i].0.push(rate);
                results[i].1.push(pct_us(&lat, 0.50));
                results[i].2.push(pct_us(&lat, 0.99));
            }
        }
        results
            .into_iter()
            .map(|(rate, p50, p99)| EchoStats {
                msgs_per_sec: median(rate),
                p50_us: median(p50),
                p99_us: median(p99),
            })
            .collect()
    })
    .join()
    .expect("the echo client")
}
