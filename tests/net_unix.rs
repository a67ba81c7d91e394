//! Unix-domain sockets: stream echo in both task styles, datagrams, a
//! peer closing mid-read, a write to a closed peer, cloned sockets, and a
//! datagram socket shut down one half at a time.

mod common;

use corun::net::{UnixDatagram, UnixListener, UnixStream};
use corun::Executor;
use std::cell::Cell;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::Shutdown;
use std::path::PathBuf;
use std::rc::Rc;
use std::time::Duration;

/// Read timeouts that keep a broken wait from hanging a test.
const WATCHDOG: Option<Duration> = Some(Duration::from_secs(30));

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

#[test]
fn bound_datagram_sockets_answer_each_other_by_path_in_future_tasks() {
    let (server_path, client_path) = (TempSocket::new("dgram-srv"), TempSocket::new("dgram-cli"));
    let ex = Executor::new();
    let server = UnixDatagram::bind(&server_path.0).unwrap();
    let client = UnixDatagram::bind(&client_path.0).unwrap();
    let to_server = server_path.0.clone();
    let got = ex.block_on(|| {
        let echo = corun::spawn_future(async move {
            let mut buf = [0; 16];
            let (n, from) = server.recv_from_async(&mut buf).await.unwrap();
            let back = from.as_pathname().expect("a bound sender").to_owned();
            server.send_to_async(&buf[..n], back).await.unwrap()
        });
        let ask = corun::spawn_future(async move {
            client.send_to_async(b"marco", &to_server).await.unwrap();
            let mut buf = [0; 16];
            let (n, from) = client.recv_from_async(&mut buf).await.unwrap();
            (buf[..n].to_vec(), from.as_pathname().map(|p| p.to_owned()))
        });
        assert_eq!(echo.join().unwrap(), 5);
        ask.join().unwrap()
    });
    assert_eq!(got, (b"marco".to_vec(), Some(server_path.0.clone())));
}

#[test]
fn a_stream_clone_is_the_same_connection_registered_on_its_own() {
    let ex = Executor::new();
    ex.block_on(|| {
        let (a, b) = UnixStream::pair().unwrap();
        a.set_read_timeout(WATCHDOG).unwrap();
        b.set_read_timeout(WATCHDOG).unwrap();
        let clone = a.try_clone().unwrap();
        assert_eq!(clone.read_timeout().unwrap(), WATCHDOG);
        let echo = corun::spawn(move || {
            let mut buf = [0; 64];
            loop {
                let n = (&b).read(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                (&b).write_all(&buf[..n]).unwrap();
            }
        });
        // The original waits to read in one task while the clone writes.
        let reader = corun::spawn(move || {
            let mut buf = [0; 5];
            (&a).read_exact(&mut buf).unwrap();
            buf
        });
        corun::yield_now();
        (&clone).write_all(b"first").unwrap();
        assert_eq!(&reader.join().unwrap(), b"first");
        // The original is gone, deregistered: the clone waits on its own.
        (&clone).write_all(b"again").unwrap();
        let mut buf = [0; 5];
        (&clone).read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"again");
        clone.shutdown(Shutdown::Write).unwrap();
        echo.join().unwrap();
    });
}

#[test]
fn a_datagram_clone_is_the_same_socket_registered_on_its_own() {
    let ex = Executor::new();
    ex.block_on(|| {
        let (a, b) = UnixDatagram::pair().unwrap();
        a.set_read_timeout(WATCHDOG).unwrap();
        let clone = a.try_clone().unwrap();
        assert_eq!(clone.read_timeout().unwrap(), WATCHDOG);
        let receiver = corun::spawn(move || {
            let mut buf = [0; 16];
            let n = a.recv(&mut buf).unwrap();
            buf[..n].to_vec()
        });
        corun::yield_now();
        b.send(b"one").unwrap();
        assert_eq!(receiver.join().unwrap(), b"one");
        let sender = corun::spawn(move || {
            corun::sleep(Duration::from_millis(2));
            b.send(b"two").unwrap();
        });
        let mut buf = [0; 16];
        let n = clone.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"two");
        sender.join().unwrap();
    });
}

/// Runs `body` (a send or a receive on a socket whose queue is full or
/// empty) in a future task, counting its polls.
fn counted_future_task<T: 'static>(
    ex: &Executor,
    body: impl std::future::Future<Output = T> + 'static,
) -> (corun::JoinHandle<T>, Rc<Cell<usize>>) {
    let polls = Rc::new(Cell::new(0));
    let p = polls.clone();
    let mut body = Box::pin(body);
    let task = ex.spawn_future(std::future::poll_fn(move |cx| {
        p.set(p.get() + 1);
        std::future::Future::poll(body.as_mut(), cx)
    }));
    (task, polls)
}

#[test]
fn shutting_down_a_datagrams_writing_half_leaves_its_reader_alone() {
    let ex = Executor::new();
    let (a, b) = UnixDatagram::pair().unwrap();
    let a = Rc::new(a);
    let reader = a.clone();
    let (recv, polls) = counted_future_task(&ex, async move {
        let mut buf = [0; 16];
        let n = reader.recv_async(&mut buf).await.unwrap();
        buf[..n].to_vec()
    });
    let got = ex.block_on(|| {
        corun::yield_now();
        assert_eq!(polls.get(), 1, "the receive waits");
        a.shutdown(Shutdown::Write).unwrap();
        // A wake through the task's waker is collected when the executor
        // next looks for events, as it does in a sleep.
        corun::sleep(Duration::from_millis(1));
        assert_eq!(polls.get(), 1, "shutting down writing woke the reader");
        let err = a.send(b"x").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
        b.send(b"still read").unwrap();
        recv.join().unwrap()
    });
    assert_eq!(got, b"still read");
}

#[test]
fn shutting_down_a_datagrams_reading_half_leaves_its_writer_alone() {
    let ex = Executor::new();
    let (a, b) = UnixDatagram::pair().unwrap();
    let a = Rc::new(a);
    // Fills the peer's queue until a send waits (and gives up).
    ex.block_on(|| {
        while let Ok(sent) = corun::timeout(Duration::from_millis(10), || a.send(b"fill")) {
            sent.unwrap();
        }
    });
    let writer = a.clone();
    let (send, polls) =
        counted_future_task(
            &ex,
            async move { writer.send_async(b"last").await.unwrap() },
        );
    let sent = ex.block_on(|| {
        corun::yield_now();
        assert_eq!(polls.get(), 1, "the send waits for room");
        a.shutdown(Shutdown::Read).unwrap();
        // A wake through the task's waker is collected when the executor
        // next looks for events, as it does in a sleep.
        corun::sleep(Duration::from_millis(1));
        assert_eq!(polls.get(), 1, "shutting down reading woke the writer");
        // Room comes once the peer drains its queue (the kernel reports it
        // only when most of the room is back): the send goes through.
        let mut buf = [0; 16];
        while let Ok(received) = corun::timeout(Duration::from_millis(10), || b.recv(&mut buf)) {
            assert_eq!(received.unwrap(), 4);
        }
        send.join().unwrap()
    });
    assert_eq!(sent, 4);
}

#[test]
fn a_receive_on_a_datagram_whose_reading_half_was_shut_down_gives_zero() {
    let ex = Executor::new();
    ex.block_on(|| {
        let (a, _b) = UnixDatagram::pair().unwrap();
        a.set_read_timeout(WATCHDOG).unwrap();
        let a = Rc::new(a);
        let reader = a.clone();
        let waiting = corun::spawn(move || reader.recv(&mut [0; 16]).unwrap());
        let reader = a.clone();
        let waiting_async =
            corun::spawn_future(async move { reader.recv_async(&mut [0; 16]).await.unwrap() });
        let reader = a.clone();
        let waiting_from =
            corun::spawn_future(
                async move { reader.recv_from_async(&mut [0; 16]).await.unwrap().0 },
            );
        corun::yield_now();
        a.shutdown(Shutdown::Read).unwrap();
        // As std's blocking receive: end of data, at once, in either style.
        assert_eq!(waiting.join().unwrap(), 0);
        assert_eq!(waiting_async.join().unwrap(), 0);
        assert_eq!(waiting_from.join().unwrap(), 0);
        assert_eq!(a.recv(&mut [0; 16]).unwrap(), 0);
        let (n, from) = a.recv_from(&mut [0; 16]).unwrap();
        assert_eq!(n, 0);
        assert!(from.is_unnamed(), "{from:?}");
    });
    // On a plain thread too (it polls the fd, which stays readable).
    let (a, _b) = UnixDatagram::pair().unwrap();
    a.set_read_timeout(WATCHDOG).unwrap();
    a.shutdown(Shutdown::Read).unwrap();
    assert_eq!(a.recv(&mut [0; 16]).unwrap(), 0);
    assert_eq!(a.recv_from(&mut [0; 16]).unwrap().0, 0);
}

#[test]
fn a_datagram_clone_shares_its_reading_halfs_shutdown() {
    let ex = Executor::new();
    ex.block_on(|| {
        let (a, _b) = UnixDatagram::pair().unwrap();
        a.set_read_timeout(WATCHDOG).unwrap();
        let before = a.try_clone().unwrap();
        a.shutdown(Shutdown::Read).unwrap();
        let after = a.try_clone().unwrap();
        // The same socket: each handle sees the end at once, as std's do.
        assert_eq!(before.recv(&mut [0; 16]).unwrap(), 0);
        assert_eq!(after.recv(&mut [0; 16]).unwrap(), 0);
        let (c, _d) = UnixDatagram::pair().unwrap();
        c.set_read_timeout(WATCHDOG).unwrap();
        c.try_clone().unwrap().shutdown(Shutdown::Read).unwrap();
        assert_eq!(c.recv(&mut [0; 16]).unwrap(), 0);
    });
}

#[test]
fn connects_past_a_full_backlog_wait_in_their_tasks_while_the_acceptor_runs() {
    // More clients than the listener's backlog (made tiny here) holds, on
    // the acceptor's own executor: a connect that finds the backlog full
    // must suspend its task (before, it blocked the thread, and the
    // acceptor never ran).
    let path = TempSocket::new("backlog");
    let p = path.0.clone();
    let got = on_a_watched_thread("a connect blocked the executor's thread", move || {
        let ex = Executor::new();
        ex.block_on(|| {
            let listener = corun::net::UnixListener::from_std(tiny_backlog_listener(&p)).unwrap();
            let clients: Vec<_> = (0..40)
                .map(|_| {
                    let p = p.clone();
                    corun::spawn(move || UnixStream::connect(&p).unwrap())
                })
                .collect();
            let futures: Vec<_> = (0..10)
                .map(|_| {
                    let p = p.clone();
                    corun::spawn_future(async move { UnixStream::connect_async(&p).await.unwrap() })
                })
                .collect();
            corun::yield_now(); // every client has tried once
            let mut kept = Vec::new();
            for _ in 0..50 {
                kept.push(listener.accept().unwrap().0);
            }
            let mut connected: Vec<UnixStream> =
                clients.into_iter().map(|c| c.join().unwrap()).collect();
            connected.extend(futures.into_iter().map(|f| f.join().unwrap()));
            // Every stream is a live connection to one of the accepted ones.
            for s in &connected {
                (&*s).write_all(b"!").unwrap();
            }
            for k in &kept {
                let mut byte = [0];
                (&*k).read_exact(&mut byte).unwrap();
                assert_eq!(&byte, b"!");
            }
            let connected = connected.len();
            (kept.len(), connected)
        })
    });
    assert_eq!(got, (50, 50));
}

/// A listener at `path` whose backlog holds about one connection (std's
/// `bind` asks for the most the kernel allows).
fn tiny_backlog_listener(path: &std::path::Path) -> std::os::unix::net::UnixListener {
    use socket2::{Domain, SockAddr, Socket, Type};
    let socket = Socket::new(Domain::UNIX, Type::STREAM, None).unwrap();
    socket.bind(&SockAddr::unix(path).unwrap()).unwrap();
    socket.listen(1).unwrap();
    std::os::fd::OwnedFd::from(socket).into()
}

/// A listener whose backlog is full, with the connections that filled it
/// (nobody accepts them).
fn full_backlog_listener(
    path: &std::path::Path,
) -> (std::os::unix::net::UnixListener, Vec<socket2::Socket>) {
    let listener = tiny_backlog_listener(path);
    let mut queued = Vec::new();
    loop {
        let s = socket2::Socket::new(
            socket2::Domain::UNIX,
            socket2::Type::STREAM.nonblocking(),
            None,
        )
        .unwrap();
        match s.connect(&socket2::SockAddr::unix(path).unwrap()) {
            Ok(()) => queued.push(s),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return (listener, queued),
            Err(e) => panic!("{e}"),
        }
    }
}

#[test]
fn a_blocking_connect_in_a_future_task_to_a_full_backlog_is_refused_not_stuck() {
    let path = TempSocket::new("backlog-future");
    let p = path.0.clone();
    let message = on_a_watched_thread(
        "the future task's connect blocked its executor",
        move || {
            let (_listener, _queued) = full_backlog_listener(&p);
            let ex = Executor::new();
            let task = ex.spawn_future(async move { UnixStream::connect(&p).map(drop) });
            let e = ex.block_on(|| task.join().unwrap_err());
            common::payload_message(e.into_panic())
        },
    );
    assert!(message.contains("connect_async"), "{message}");
}

#[test]
fn a_connect_to_a_full_backlog_in_an_unwinding_task_fails_instead_of_spinning() {
    let path = TempSocket::new("backlog-unwind");
    let p = path.0.clone();
    let message = on_a_watched_thread("the unwinding connect never returned", move || {
        let (_listener, _queued) = full_backlog_listener(&p);
        struct ConnectOnDrop(
            std::path::PathBuf,
            Rc<std::cell::RefCell<Option<io::Result<UnixStream>>>>,
        );
        impl Drop for ConnectOnDrop {
            fn drop(&mut self) {
                *self.1.borrow_mut() = Some(UnixStream::connect(&self.0));
            }
        }
        let got = Rc::new(std::cell::RefCell::new(None));
        let ex = Executor::new();
        let (g, p2) = (got.clone(), p.clone());
        let task = ex.spawn(move || {
            let _guard = ConnectOnDrop(p2, g);
            corun::sleep(Duration::from_secs(3600));
        });
        ex.block_on(corun::yield_now);
        task.cancel();
        ex.run();
        let err = got.borrow_mut().take().expect("the guard ran").unwrap_err();
        err.to_string()
    });
    assert!(message.contains("unwinding"), "{message}");
}

/// Runs `body` on a thread of its own and returns what it returns, failing
/// with `hang` if it takes more than a minute (a hang fails the test
/// instead of stalling the run).
fn on_a_watched_thread<T: Send + 'static>(
    hang: &str,
    body: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(body());
    });
    finished.recv_timeout(Duration::from_secs(60)).expect(hang)
}

#[test]
fn a_socket_a_second_executor_took_over_still_wakes_the_first_ones_waiters() {
    let got = on_a_watched_thread("the first executor's waiters were stranded", || {
        let (a, b) = UnixDatagram::pair().unwrap();
        let b = Rc::new(b);
        let (first, second) = (Executor::new(), Executor::new());
        let (b1, b2) = (b.clone(), b.clone());
        let future_waiter =
            first.spawn_future(async move { b1.recv_async(&mut [0; 8]).await.unwrap() });
        let b3 = b.clone();
        let stackful_waiter = first.spawn(move || b3.recv(&mut [0; 8]).unwrap());
        first.block_on(corun::yield_now);
        // The second executor registers the fd for itself meanwhile.
        second.block_on(move || {
            let _ = corun::timeout(Duration::from_millis(5), || b2.recv(&mut [0; 8]));
        });
        a.send(b"hello").unwrap();
        a.send(b"again").unwrap();
        first.block_on(move || {
            (
                future_waiter.join().unwrap(),
                stackful_waiter.join().unwrap(),
            )
        })
    });
    assert_eq!(got, (5, 5));
}
