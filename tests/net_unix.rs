//! Unix-domain sockets: stream echo in both task styles, datagrams, a
//! peer closing mid-read, and a write to a closed peer.

use corun::net::{UnixDatagram, UnixListener, UnixStream};
use corun::Executor;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::PathBuf;

/// A fresh socket path under the temp dir, removed when dropped.
struct TempSocket(PathBuf);

impl TempSocket {
    fn new(name: &str) -> Self {
        let path = std::env::temp_dir().join(format!("corun-{}-{name}.sock", std::process::id()));
        let _ = std::fs::remove_file(&path);
        TempSocket(path)
    }
}

impl Drop for TempSocket {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn stream_echo_between_stackful_tasks() {
    let path = TempSocket::new("stackful");
    let ex = Executor::new();
    let replies = ex.block_on(|| {
        let listener = UnixListener::bind(&path.0).unwrap();
        let server = corun::spawn(move || {
            for _ in 0..5 {
                let (conn, _) = listener.accept().unwrap();
                drop(corun::spawn(move || {
                    let mut line = String::new();
                    let mut reader = BufReader::new(&conn);
                    while reader.read_line(&mut line).unwrap() > 0 {
                        (&conn).write_all(line.as_bytes()).unwrap();
                        line.clear();
                    }
                }));
            }
        });
        let clients: Vec<_> = (0..5)
            .map(|i| {
                let p = path.0.clone();
                corun::spawn(move || {
                    let s = UnixStream::connect(p).unwrap();
                    writeln!(&s, "unix {i}").unwrap();
                    let mut line = String::new();
                    BufReader::new(&s).read_line(&mut line).unwrap();
                    line
                })
            })
            .collect();
        let replies: Vec<String> = clients.into_iter().map(|c| c.join().unwrap()).collect();
        server.join().unwrap();
        replies
    });
    for (i, r) in replies.iter().enumerate() {
        assert_eq!(r, &format!("unix {i}\n"));
    }
}

#[test]
fn stream_echo_between_future_tasks() {
    use futures::io::{AsyncReadExt, AsyncWriteExt};
    let path = TempSocket::new("future");
    let ex = Executor::new();
    let listener = UnixListener::bind(&path.0).unwrap();
    let server = ex.spawn_future(async move {
        let (mut conn, _) = listener.accept_async().await.unwrap();
        let mut buf = [0; 5];
        AsyncReadExt::read_exact(&mut conn, &mut buf).await.unwrap();
        AsyncWriteExt::write_all(&mut conn, &buf).await.unwrap();
    });
    let p = path.0.clone();
    let client = ex.spawn_future(async move {
        let mut s = UnixStream::connect(p).unwrap();
        AsyncWriteExt::write_all(&mut s, b"async").await.unwrap();
        let mut buf = Vec::new();
        AsyncReadExt::read_to_end(&mut s, &mut buf).await.unwrap();
        buf
    });
    let reply = ex.block_on(|| {
        server.join().unwrap();
        client.join().unwrap()
    });
    assert_eq!(reply, b"async");
}

#[test]
fn a_peer_closing_gives_ok_zero_and_writing_to_it_broken_pipe() {
    let ex = Executor::new();
    ex.block_on(|| {
        let (mut a, b) = UnixStream::pair().unwrap();
        let closer = corun::spawn(move || {
            corun::sleep(std::time::Duration::from_millis(2));
            drop(b);
        });
        assert_eq!(a.read(&mut [0; 8]).unwrap(), 0);
        closer.join().unwrap();
        let err = a.write_all(b"to no one").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
    });
}

#[test]
fn datagrams_in_both_styles() {
    let ex = Executor::new();
    let (a, b) = UnixDatagram::pair().unwrap();
    let f = ex.spawn_future(async move {
        let mut buf = [0; 32];
        let n = b.recv_async(&mut buf).await.unwrap();
        b.send_async(&buf[..n]).await.unwrap();
    });
    let reply = ex.block_on(|| {
        a.send(b"ping").unwrap();
        let mut buf = [0; 32];
        let n = a.recv(&mut buf).unwrap();
        f.join().unwrap();
        buf[..n].to_vec()
    });
    assert_eq!(reply, b"ping");
}

#[test]
fn a_bound_datagram_socket_receives_from_an_unbound_one() {
    let path = TempSocket::new("dgram");
    let ex = Executor::new();
    ex.block_on(|| {
        let server = UnixDatagram::bind(&path.0).unwrap();
        let p = path.0.clone();
        let sender = corun::spawn(move || {
            let s = UnixDatagram::unbound().unwrap();
            s.send_to(b"hello", p).unwrap();
        });
        let mut buf = [0; 16];
        let (n, _) = server.recv_from(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"hello");
        sender.join().unwrap();
    });
}
