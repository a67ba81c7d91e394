//! An echo server on one executor, written as blocking code: one task
//! accepts, one task per connection echoes lines back, and many client
//! tasks on the same executor talk to it. Every call that waits (accept,
//! connect, read, write) suspends only its own task. The server stops
//! after serving every client, so the example exits by itself.
//!
//! `cargo run --release --example echo_server [clients] [lines]`

use corun::net::{TcpListener, TcpStream};
use std::io::{BufRead, BufReader, Write};
use std::time::Instant;

fn serve(conn: TcpStream) -> std::io::Result<usize> {
    let mut lines = 0;
    let mut reader = BufReader::new(&conn);
    let mut line = String::new();
    while reader.read_line(&mut line)? > 0 {
        (&conn).write_all(line.as_bytes())?;
        line.clear();
        lines += 1;
    }
    Ok(lines) // the client closed its side
}

fn client(addr: std::net::SocketAddr, id: usize, lines: usize) -> std::io::Result<()> {
    let stream = TcpStream::connect(addr)?;
    let mut reader = BufReader::new(&stream);
    let mut reply = String::new();
    for n in 0..lines {
        let msg = format!("client {id} says {n}\n");
        (&stream).write_all(msg.as_bytes())?;
        reply.clear();
        reader.read_line(&mut reply)?;
        assert_eq!(reply, msg, "the echo is exact");
    }
    Ok(())
}

fn main() {
    let mut args = std::env::args()
        .skip(1)
        .map(|a| a.parse::<usize>().unwrap());
    let clients = args.next().unwrap_or(100);
    let lines = args.next().unwrap_or(20);

    let ex = corun::Executor::new();
    let start = Instant::now();
    let served = ex.block_on(|| {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        println!("echo server on {addr}");

        let server = corun::spawn(move || {
            let handlers: Vec<_> = (0..clients)
                .map(|_| {
                    let (conn, _peer) = listener.accept().unwrap();
                    corun::spawn(move || serve(conn).unwrap())
                })
                .collect();
            handlers
                .into_iter()
                .map(|h| h.join().unwrap())
                .sum::<usize>()
        });

        let clients: Vec<_> = (0..clients)
            .map(|id| corun::spawn(move || client(addr, id, lines).unwrap()))
            .collect();
        for c in clients {
            c.join().unwrap();
        }
        server.join().unwrap()
    });
    assert_eq!(served, clients * lines);
    println!(
        "{clients} clients, {served} lines echoed on one thread in {:.1} ms",
        start.elapsed().as_secs_f64() * 1e3
    );
}
