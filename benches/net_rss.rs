//! Resident memory per idle connection: a server accepts [`CONNS`]
//! connections, echoes one byte on each (so every connection's task has
//! run and now waits in `read`), and reports how much its RSS grew,
//! divided by the connections. corun (one stackful task per connection,
//! default stacks) against tokio `current_thread` (one future per
//! connection). Each server runs in a child process of its own, and the
//! clients in another (the hard `RLIMIT_NOFILE` here is 20,000, so one
//! process cannot hold both ends).
//!
//! Not a criterion bench: it prints one line per server.
//!
//! ```text
//! cargo bench --bench net_rss
//! ```

use std::io::{Read, Write};
use std::process::{Command, Stdio};

const CONNS: usize = 10_000;
const ROLE: &str = "NET_RSS_ROLE";

fn rss_kib() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

fn raise_nofile() {
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap();
    let hard = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(4).map(str::to_owned))
        .unwrap();
    let _ = Command::new("prlimit")
        .args(["--pid", &std::process::id().to_string()])
        .arg(format!("--nofile={hard}:{hard}"))
        .status();
}

/// Starts the client process against `addr`.
fn clients(addr: std::net::SocketAddr) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .env(ROLE, format!("client {addr}"))
        .stdin(Stdio::piped())
        .spawn()
        .unwrap()
}

fn client(addr: &str) {
    raise_nofile();
    let conns: Vec<std::net::TcpStream> = (0..CONNS)
        .map(|_| {
            let mut c = std::net::TcpStream::connect(addr).unwrap();
            c.write_all(b"x").unwrap();
            let mut b = [0];
            c.read_exact(&mut b).unwrap();
            c
        })
        .collect();
    // Hold them until the server is done measuring (it closes our stdin).
    let _ = std::io::stdin().read(&mut [0]);
    drop(conns);
}

fn corun_server() {
    use corun::net::TcpListener;
    use std::cell::Cell;
    use std::rc::Rc;
    raise_nofile();
    let ex = corun::Executor::new();
    ex.block_on(|| {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let before = rss_kib();
        let mut client = clients(listener.local_addr().unwrap());
        let echoed = Rc::new(Cell::new(0));
        let done = Rc::new(corun::sync::Event::new());
        for _ in 0..CONNS {
            let (conn, _) = listener.accept().unwrap();
            let (echoed, done) = (echoed.clone(), done.clone());
            drop(corun::spawn(move || {
                let mut b = [0];
                let mut conn = conn;
                while conn.read(&mut b).unwrap_or(0) == 1 {
                    conn.write_all(&b).unwrap();
                    echoed.set(echoed.get() + 1);
                    if echoed.get() == CONNS {
                        done.set();
                    }
                }
            }));
        }
        done.wait();
        let after = rss_kib();
        report("corun (stackful task per connection)", before, after);
        drop(client.stdin.take());
        client.wait().unwrap();
    });
}

fn tokio_server() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    raise_nofile();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .unwrap();
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let before = rss_kib();
        let mut client = clients(listener.local_addr().unwrap());
        let echoed = std::rc::Rc::new(std::cell::Cell::new(0));
        let done = std::rc::Rc::new(tokio::sync::Notify::new());
        for _ in 0..CONNS {
            let (mut conn, _) = listener.accept().await.unwrap();
            let (echoed, done) = (echoed.clone(), done.clone());
            tokio::task::spawn_local(async move {
                let mut b = [0];
                while conn.read(&mut b).await.unwrap_or(0) == 1 {
                    conn.write_all(&b).await.unwrap();
                    echoed.set(echoed.get() + 1);
                    if echoed.get() == CONNS {
                        done.notify_one();
                    }
                }
            });
        }
        done.notified().await;
        let after = rss_kib();
        report(
            "tokio current_thread (future per connection)",
            before,
            after,
        );
        drop(client.stdin.take());
        client.wait().unwrap();
    });
}

fn report(who: &str, before: usize, after: usize) {
    let per = after.saturating_sub(before) as f64 / CONNS as f64;
    println!("{who}: {CONNS} idle connections, RSS {before} KiB -> {after} KiB: {per:.2} KiB per connection");
}

fn main() {
    match std::env::var(ROLE).ok().as_deref() {
        Some("corun") => corun_server(),
        Some("tokio") => tokio_server(),
        Some(role) if role.starts_with("client ") => client(&role["client ".len()..]),
        _ => {
            for server in ["corun", "tokio"] {
                let status = Command::new(std::env::current_exe().unwrap())
                    .env(ROLE, server)
                    .status()
                    .unwrap();
                assert!(status.success(), "the {server} server failed");
            }
        }
    }
}
