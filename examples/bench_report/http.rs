//! HTTP/1.1 keep-alive requests per second, measured by `wrk`, against the
//! `http_hello` and `hyper_server` examples (corun, each its own process)
//! and a tokio `current_thread` + hyper server in this process, written
//! here with the same body and the same small I/O adapter as
//! `hyper_server`. Servers sit on core 0, `wrk` on core 1 (via `taskset`
//! when it is there).

use bytes::Bytes;
use http_body_util::Full;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::{Child, Command, Stdio};
use std::task::{Context, Poll};

/// One server's figures from one `wrk` run.
#[derive(Clone, Copy, Debug, Default)]
pub struct WrkRun {
    pub req_per_sec: f64,
    pub p99_ms: f64,
    pub errors: u64,
}

pub fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()))
}

/// `taskset -c CORE prog` where taskset exists, else `prog`.
fn pinned(core: usize, prog: &Path) -> Command {
    if on_path("taskset") {
        let mut c = Command::new("taskset");
        c.arg("-c").arg(core.to_string()).arg(prog);
        c
    } else {
        Command::new(prog)
    }
}

/// A child server, killed when dropped.
pub struct Server(Child, pub SocketAddr);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The example binaries sit beside this one; builds them if missing.
fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    let path = exe.with_file_name(name);
    if !path.is_file() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let ok = Command::new(cargo)
            .args(["build", "--release", "--quiet", "--example", name])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok && path.is_file(), "could not build the {name} example");
    }
    path
}

/// Starts `--listen 127.0.0.1:0` and reads the address it prints.
pub fn start_example(name: &str) -> Server {
    let mut child = pinned(0, &example(name))
        .args(["--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null()) // hyper_server logs every connection wrk drops
        .spawn()
        .expect("start the example");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("its stdout"))
        .read_line(&mut line)
        .expect("its first line");
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("{name} printed {line:?}"));
    Server(child, addr)
}

/// One `wrk` run: one thread, 100 connections, `secs` seconds.
pub fn wrk(addr: SocketAddr, secs: u32) -> WrkRun {
    let out = pinned(1, Path::new("wrk"))
        .args(["-t1", "-c100", &format!("-d{secs}s"), "--latency"])
        .arg(format!("http://{addr}/"))
        .output()
        .expect("run wrk");
    let text = String::from_utf8_lossy(&out.stdout);
    let field = |key: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(key).map(|r| r.trim().to_owned()))
    };
    let rps = field("Requests/sec:").and_then(|v| v.parse().ok());
    let rps = rps.unwrap_or_else(|| panic!("wrk printed no rate:\n{text}"));
    let p99_ms = field("99%").map_or(f64::NAN, |v| duration_ms(&v));
    let errors = field("Socket errors:").map_or(0, |v| {
        v.split(',')
            .filter_map(|p| p.split_whitespace().last()?.parse::<u64>().ok())
            .sum()
    }) + field("Non-2xx or 3xx responses:").map_or(0, |v| v.parse().unwrap_or(0));
    WrkRun {
        req_per_sec: rps,
        p99_ms,
        errors,
    }
}

/// wrk's durations: `812.00us`, `1.52ms`, `2.01s`.
fn duration_ms(v: &str) -> f64 {
    let split = v.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(v.len());
    let x: f64 = v[..split].parse().unwrap_or(f64::NAN);
    match &v[split..] {
        "us" => x / 1e3,
        "ms" => x,
        "s" => x * 1e3,
        "m" => x * 6e4,
        _ => f64::NAN,
    }
}

/// hyper's I/O traits over a tokio stream, as `hyper_server` has them over
/// corun's: reads go through a stack buffer (one copy, no `unsafe`).
struct TokioIo(tokio::net::TcpStream);

impl hyper::rt::Read for TokioIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<std::io::Result<()>> {
        let mut tmp = [0u8; 8192];
        let len = buf.remaining().min(tmp.len());
        let mut rb = tokio::io::ReadBuf::new(&mut tmp[..len]);
        match tokio::io::AsyncRead::poll_read(Pin::new(&mut self.0), cx, &mut rb) {
            Poll::Ready(Ok(())) => {
                buf.put_slice(rb.filled());
                Poll::Ready(Ok(()))
            }
            other => other,
        }
    }
}

impl hyper::rt::Write for TokioIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        tokio::io::AsyncWrite::poll_write(Pin::new(&mut self.0), cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        tokio::io::AsyncWrite::poll_flush(Pin::new(&mut self.0), cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        tokio::io::AsyncWrite::poll_shutdown(Pin::new(&mut self.0), cx)
    }
}

/// Starts tokio `current_thread` + hyper on a thread pinned to core 0; it
/// serves until the process ends.
pub fn start_tokio_hyper() -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        crate::echo::pin(0);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
            .expect("tokio");
        let local = tokio::task::LocalSet::new();
        local.block_on(&rt, async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            tx.send(listener.local_addr().expect("addr")).expect("send");
            loop {
                let Ok((conn, _)) = listener.accept().await else {
                    continue;
                };
                tokio::task::spawn_local(async move {
                    let service = hyper::service::service_fn(|req| async move {
                        let req: hyper::Request<hyper::body::Incoming> = req;
                        let body = format!("Hello from hyper on tokio: {}\n", req.uri().path());
                        Ok::<_, std::convert::Infallible>(hyper::Response::new(Full::new(
                            Bytes::from(body),
                        )))
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo(conn), service)
                        .await;
                });
            }
        });
    });
    rx.recv().expect("the tokio + hyper server's address")
}
