//! A stock hyper 1.x HTTP/1.1 server on corun: hyper drives the connection
//! through corun's `futures::io` traits (`AsyncRead`/`AsyncWrite` on
//! `corun::net::TcpStream`), each connection a future task. Nobody here
//! wrote hyper; it runs on corun unchanged.
//!
//! - `cargo run --release --example hyper_server`: checks itself with a
//!   client task (two keep-alive requests) and exits.
//! - `cargo run --release --example hyper_server -- --listen 127.0.0.1:8080
//!   --max-requests 3`: prints `listening on ADDR` and serves until it has
//!   answered that many requests (CI asks it with curl).

use bytes::Bytes;
use corun::net::{TcpListener, TcpStream};
use http_body_util::Full;
use hyper::service::service_fn;
use hyper::{Request, Response};
use std::cell::Cell;
use std::convert::Infallible;
use std::io::{Read, Write};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

/// hyper's I/O traits over any `futures::io` stream. hyper reads into a
/// cursor over uninitialised memory; filling it safely goes through a small
/// stack buffer (one copy, no `unsafe`).
struct HyperIo<T>(T);

impl<T: futures::io::AsyncRead + Unpin> hyper::rt::Read for HyperIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<std::io::Result<()>> {
        let mut tmp = [0u8; 8192];
        let len = buf.remaining().min(tmp.len());
        match Pin::new(&mut self.0).poll_read(cx, &mut tmp[..len]) {
            Poll::Ready(Ok(n)) => {
                buf.put_slice(&tmp[..n]);
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T: futures::io::AsyncWrite + Unpin> hyper::rt::Write for HyperIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_close(cx)
    }
}

async fn hello(req: Request<hyper::body::Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let body = format!("Hello from hyper on corun: {}\n", req.uri().path());
    Ok(Response::new(Full::new(Bytes::from(body))))
}

/// Accepts (a stackful task) and serves each connection with hyper (a
/// future task) until `max` requests are answered.
fn serve(listener: TcpListener, max: Option<usize>) {
    let answered = Rc::new(Cell::new(0usize));
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
            drop(corun::spawn_future(async move {
                let service = service_fn(|req| {
                    answered.set(answered.get() + 1);
                    hello(req)
                });
                let served = hyper::server::conn::http1::Builder::new()
                    .serve_connection(HyperIo(conn), service)
                    .await;
                if let Err(e) = served {
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

fn self_check(addr: std::net::SocketAddr) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(b"GET /one HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    s.write_all(b"GET /two HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut all = String::new();
    s.read_to_string(&mut all).unwrap();
    assert_eq!(all.matches("HTTP/1.1 200 OK").count(), 2, "{all}");
    assert!(all.contains("Hello from hyper on corun: /one"));
    assert!(all.contains("Hello from hyper on corun: /two"));
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
                std::io::stdout().flush().unwrap();
                serve(listener, max);
            });
        }
        None => {
            ex.block_on(|| {
                let listener = TcpListener::bind("127.0.0.1:0").unwrap();
                let addr = listener.local_addr().unwrap();
                let server = corun::spawn(move || serve(listener, Some(2)));
                corun::spawn(move || self_check(addr)).join().unwrap();
                server.join().unwrap();
            });
            println!("hyper_server: two keep-alive requests answered by hyper on corun");
        }
    }
}
