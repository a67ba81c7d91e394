//! A minimal HTTP/1.1 keep-alive responder, written as blocking code on one
//! executor, with `httparse` for parsing: one task per connection reads a
//! request, answers `Hello, world!`, and goes on with the next request on
//! the same connection until the client closes or asks to.
//!
//! - `cargo run --release --example http_hello`: checks itself with a few
//!   requests from a client task (keep-alive, then `Connection: close`)
//!   and exits.
//! - `cargo run --release --example http_hello -- --listen 127.0.0.1:8080
//!   --max-requests 3`: prints `listening on ADDR`, serves until it has
//!   answered that many requests (CI checks it with curl), then exits.

use corun::net::{TcpListener, TcpStream};
use std::cell::Cell;
use std::io::{self, Read, Write};
use std::rc::Rc;

const BODY: &str = "Hello, world!";

/// Serves one connection; returns how many requests it answered.
fn serve(mut conn: TcpStream, answered: &Cell<usize>) -> io::Result<()> {
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    loop {
        // Read until one whole request head is in the buffer.
        let (head_len, close) = loop {
            let mut headers = [httparse::EMPTY_HEADER; 32];
            let mut req = httparse::Request::new(&mut headers);
            match req.parse(&buf) {
                Ok(httparse::Status::Complete(len)) => {
                    let wants_close = req.headers.iter().any(|h| {
                        h.name.eq_ignore_ascii_case("connection")
                            && h.value.eq_ignore_ascii_case(b"close")
                    });
                    let body: usize = req
                        .headers
                        .iter()
                        .find(|h| h.name.eq_ignore_ascii_case("content-length"))
                        .and_then(|h| std::str::from_utf8(h.value).ok()?.trim().parse().ok())
                        .unwrap_or(0);
                    break (len + body, wants_close || req.version == Some(0));
                }
                Ok(httparse::Status::Partial) => {}
                Err(e) => {
                    conn.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")?;
                    return Err(io::Error::new(io::ErrorKind::InvalidData, e));
                }
            }
            let n = conn.read(&mut chunk)?;
            if n == 0 {
                return Ok(()); // the client closed between requests
            }
            buf.extend_from_slice(&chunk[..n]);
        };
        while buf.len() < head_len {
            let n = conn.read(&mut chunk)?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        buf.drain(..head_len);
        let connection = if close { "close" } else { "keep-alive" };
        // One write per response: `write!` on the socket would send each
        // piece apart, and Nagle's algorithm then holds the last one back
        // until the client's delayed ACK (40 ms per response under wrk).
        let reply = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: {connection}\r\n\r\n{BODY}",
            BODY.len()
        );
        conn.write_all(reply.as_bytes())?;
        answered.set(answered.get() + 1);
        if close {
            return Ok(());
        }
    }
}

/// Accepts and serves until `max` requests are answered (or forever).
fn server(listener: TcpListener, max: Option<usize>) {
    let answered = Rc::new(Cell::new(0));
    let done = Rc::new(corun::sync::Event::new());
    let acceptor = {
        let (answered, done) = (answered.clone(), done.clone());
        corun::spawn(move || loop {
            let (conn, _) = match listener.accept() {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("accept: {e}");
                    continue;
                }
            };
            let (answered, done) = (answered.clone(), done.clone());
            drop(corun::spawn(move || {
                if let Err(e) = serve(conn, &answered) {
                    eprintln!("connection: {e}");
                }
                if max.is_some_and(|m| answered.get() >= m) {
                    done.set();
                }
            }));
        })
    };
    done.wait();
    acceptor.cancel();
}

/// One client connection: three keep-alive requests, then a closing one.
fn self_check(addr: std::net::SocketAddr) -> usize {
    let mut s = TcpStream::connect(addr).unwrap();
    let mut replies = 0;
    for (i, path) in ["/", "/a", "/b", "/last"].iter().enumerate() {
        let close = if i == 3 { "Connection: close\r\n" } else { "" };
        write!(s, "GET {path} HTTP/1.1\r\nHost: x\r\n{close}\r\n").unwrap();
        // Read one response: its head, then Content-Length bytes.
        let mut got = Vec::new();
        let mut byte = [0u8; 1];
        while !got.ends_with(b"\r\n\r\n") {
            s.read_exact(&mut byte).unwrap();
            got.push(byte[0]);
        }
        let mut body = vec![0; BODY.len()];
        s.read_exact(&mut body).unwrap();
        assert!(got.starts_with(b"HTTP/1.1 200 OK"));
        assert_eq!(body, BODY.as_bytes());
        replies += 1;
    }
    assert_eq!(
        s.read(&mut [0; 1]).unwrap(),
        0,
        "closed after Connection: close"
    );
    replies
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .map(|i| args[i + 1].clone())
    };
    let ex = corun::Executor::new();
    match value("--listen") {
        Some(addr) => {
            let max = value("--max-requests").map(|n| n.parse().unwrap());
            ex.block_on(|| {
                let listener = TcpListener::bind(addr.as_str()).unwrap();
                println!("listening on {}", listener.local_addr().unwrap());
                io::stdout().flush().unwrap();
                server(listener, max);
            });
        }
        None => {
            let replies = ex.block_on(|| {
                let listener = TcpListener::bind("127.0.0.1:0").unwrap();
                let addr = listener.local_addr().unwrap();
                let srv = corun::spawn(move || server(listener, Some(4)));
                let replies = corun::spawn(move || self_check(addr)).join().unwrap();
                srv.join().unwrap();
                replies
            });
            println!("http_hello: {replies} keep-alive responses on one connection, all correct");
        }
    }
}
