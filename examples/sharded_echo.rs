//! One echo server per core, two ways, and how the connections spread:
//!
//! 1. `SO_REUSEPORT`: every worker of the runtime has its own listener on
//!    the same port and accepts on it; the kernel hashes each connection to
//!    one of them (nginx's `reuseport`).
//! 2. One acceptor hands each connection to the worker with the fewest live
//!    tasks (`Runtime::spawn`'s placement; Seastar's default), since the
//!    kernel's hash can spread a few connections unevenly.
//!
//! Each connection is served by a task written as blocking code; the
//! clients run on a plain thread and keep every connection open at once.
//!
//! ```sh
//! cargo run --release --example sharded_echo            # 64 connections
//! cargo run --release --example sharded_echo -- 1000    # more
//! ```

use corun::net::{TcpListener, TcpStream};
use corun::Runtime;
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const MESSAGE: &[u8] = b"hello from a client, echoed by one core's executor";

/// Echoes until the client closes; returns the worker that served it.
fn serve(mut stream: TcpStream) -> usize {
    let mut buf = [0u8; 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if stream.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
        }
    }
    corun::worker_index().expect("served on a worker")
}

/// Opens `n` connections at once, echoes one message on each, then closes
/// them all.
fn clients(addr: SocketAddr, n: usize) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut open: Vec<std::net::TcpStream> = (0..n)
            .map(|_| std::net::TcpStream::connect(addr).expect("connect"))
            .collect();
        for stream in &mut open {
            stream.write_all(MESSAGE).unwrap();
            let mut back = vec![0u8; MESSAGE.len()];
            stream.read_exact(&mut back).unwrap();
            assert_eq!(back, MESSAGE);
        }
    })
}

fn spread(per_worker: &[usize]) -> String {
    let total: usize = per_worker.iter().sum();
    per_worker
        .iter()
        .enumerate()
        .map(|(w, &n)| format!("worker {w}: {n} ({:.0}%)", 100.0 * n as f64 / total as f64))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Way 1: a listener per worker on one port.
fn reuseport(rt: &Runtime, n: usize) -> Vec<usize> {
    let workers = rt.workers();
    let first = TcpListener::bind_reuseport("127.0.0.1:0").expect("bind");
    let addr = first.local_addr().unwrap();
    let mut listeners = vec![Some(first)];
    for _ in 1..workers {
        listeners.push(Some(
            TcpListener::bind_reuseport(addr).expect("bind the same port"),
        ));
    }
    let listeners = Arc::new(Mutex::new(listeners));
    let accepted = Arc::new(AtomicUsize::new(0));
    let client = clients(addr, n);
    let counts = rt.run_on_all(move |worker| {
        let listener = listeners.lock().unwrap()[worker].take().unwrap();
        let mut served = Vec::new();
        // Accept until every client is in, looking up now and then: the
        // kernel may send all of them to the other workers.
        while accepted.load(Ordering::SeqCst) < n {
            if let Ok(Ok((stream, _peer))) =
                corun::timeout(Duration::from_millis(20), || listener.accept())
            {
                accepted.fetch_add(1, Ordering::SeqCst);
                served.push(corun::spawn(move || serve(stream)));
            }
        }
        let mine = served.len();
        for h in served {
            assert_eq!(
                h.join().unwrap(),
                worker,
                "a local task stays on its worker"
            );
        }
        mine
    });
    client.join().unwrap();
    counts
}

/// Way 2: one acceptor, the least-loaded worker for each connection.
fn acceptor(rt: &Runtime, n: usize) -> Vec<usize> {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let client = clients(listener.local_addr().unwrap(), n);
    // Outside a task the listener blocks this thread, as std's does.
    let handles: Vec<_> = (0..n)
        .map(|_| {
            let (stream, _peer) = listener.accept().expect("accept");
            rt.spawn(move || serve(stream))
        })
        .collect();
    let mut counts = vec![0; rt.workers()];
    for h in handles {
        counts[h.join().unwrap()] += 1;
    }
    client.join().unwrap();
    counts
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(64);
    let rt = Runtime::new().expect("a runtime");
    println!(
        "{n} connections, {} workers (one executor each)",
        rt.workers()
    );
    let by_kernel = reuseport(&rt, n);
    assert_eq!(by_kernel.iter().sum::<usize>(), n);
    println!("SO_REUSEPORT, the kernel's hash:  {}", spread(&by_kernel));
    let by_load = acceptor(&rt, n);
    assert_eq!(by_load.iter().sum::<usize>(), n);
    println!("one acceptor, the fewest tasks:  {}", spread(&by_load));
    println!(
        "(placement reads each worker's live tasks at spawn time; an idle worker takes a \
         task that has not started yet only when that evens the loads, so the second split \
         stays even)"
    );
}
