//! Waiting on sockets: cancellation mid-read, a shutdown that wakes a
//! blocked reader, std-style timeouts, `corun::timeout` around a read, what
//! `tasks()` shows, the deadlock detector, a large transfer through a
//! slow reader, and reads and writes of empty buffers.

mod common;

use common::{counter, DropCount};
use corun::net::{TcpListener, TcpStream, UdpSocket, UnixStream};
use corun::{Executor, TaskState};
use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::rc::Rc;
use std::time::Duration;

/// A connected pair of TCP streams, made in the running task.
fn tcp_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (server, _) = listener.accept().unwrap();
    (client, server)
}

#[test]
fn tasks_shows_the_io_operation_a_task_waits_on() {
    let ex = Executor::new();
    let (a, b) = ex.block_on(tcp_pair);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let reader = ex.spawn(move || {
        let mut buf = [0; 8];
        (&a).read(&mut buf).map(|_| ())
    });
    let accepter = ex.spawn(move || listener.accept().map(|_| ()));
    // Future tasks show the operation too, not their future's type.
    let (c, d) = ex.block_on(tcp_pair);
    let async_reader = ex.spawn_future(async move {
        let mut buf = [0; 8];
        futures::AsyncReadExt::read(&mut &c, &mut buf)
            .await
            .map(|_| ())
    });
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    let async_receiver = ex.spawn_future(async move {
        let mut buf = [0; 8];
        udp.recv_from_async(&mut buf).await.map(|_| ())
    });
    ex.block_on(corun::yield_now);
    let states: Vec<TaskState> = ex.tasks().into_iter().map(|t| t.state).collect();
    assert!(states.contains(&TaskState::Blocked {
        on: "TcpStream::read"
    }));
    assert!(states.contains(&TaskState::Blocked {
        on: "TcpListener::accept"
    }));
    assert!(ex.dump().contains("blocked on TcpStream::read"));
    let futures_on: Vec<&str> = ex
        .tasks()
        .into_iter()
        .filter(|t| t.kind == corun::TaskKind::Future)
        .filter_map(|t| match t.state {
            TaskState::Blocked { on } => Some(on),
            _ => None,
        })
        .collect();
    assert_eq!(futures_on, ["TcpStream::read", "UdpSocket::recv_from"]);
    reader.cancel();
    accepter.cancel();
    async_reader.cancel();
    async_receiver.cancel();
    ex.run();
    drop((b, d));
}

#[test]
fn a_future_task_polled_again_while_its_io_waits_still_shows_the_operation() {
    let ex = Executor::new();
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    let task = ex.spawn_future(async move {
        let mut buf = [0; 8];
        let nap = corun::time::sleep_future(Duration::from_millis(5));
        let _ = futures::join!(udp.recv_from_async(&mut buf), nap);
    });
    // The nap ends, and the task is polled again with its receive waiting.
    ex.block_on(|| corun::sleep(Duration::from_millis(30)));
    let states: Vec<TaskState> = ex.tasks().into_iter().map(|t| t.state).collect();
    assert_eq!(
        states,
        [TaskState::Blocked {
            on: "UdpSocket::recv_from"
        }]
    );
    task.cancel();
    ex.run();
}

#[test]
fn a_task_cancelled_mid_read_unwinds_closes_its_socket_and_deregisters() {
    let ex = Executor::new();
    let dropped = counter();
    let (a, mut b) = ex.block_on(tcp_pair);
    let d = dropped.clone();
    let reader = ex.spawn(move || {
        let _guard = DropCount(d);
        let mut a = a;
        let mut buf = [0; 8];
        a.read(&mut buf).unwrap() // cancelled here
    });
    ex.block_on(corun::yield_now);
    reader.cancel();
    let result = ex.block_on(|| reader.join());
    assert!(result.unwrap_err().is_cancelled());
    assert_eq!(dropped.get(), 1, "the task's destructors ran");
    assert!(ex.tasks().is_empty());
    // The socket was closed with the task: the peer reads the end.
    let n = ex.block_on(|| b.read(&mut [0; 8]).unwrap());
    assert_eq!(n, 0);
    // Data for the gone socket's old registration wakes nothing and breaks
    // nothing: the executor goes on serving new sockets.
    let (mut c, mut d) = ex.block_on(tcp_pair);
    ex.block_on(|| {
        c.write_all(b"still works").unwrap();
        let mut got = [0; 11];
        d.read_exact(&mut got).unwrap();
        assert_eq!(&got, b"still works");
    });
}

#[test]
fn shutdown_both_by_one_task_wakes_another_blocked_in_read() {
    let ex = Executor::new();
    let n = ex.block_on(|| {
        let (a, _b) = tcp_pair();
        let a = Rc::new(a);
        let reader = corun::spawn({
            let a = a.clone();
            move || (&*a).read(&mut [0; 8])
        });
        corun::yield_now(); // the reader is blocked in read
        a.shutdown(Shutdown::Both).unwrap();
        reader.join().unwrap()
    });
    match n {
        Ok(0) => {}
        Err(e) => assert_ne!(e.kind(), io::ErrorKind::WouldBlock),
        Ok(n) => panic!("read {n} bytes after shutdown"),
    }
}

#[test]
fn shutdown_wakes_a_unix_stream_reader_too() {
    let ex = Executor::new();
    let n = ex.block_on(|| {
        let (a, _b) = UnixStream::pair().unwrap();
        let a = Rc::new(a);
        let reader = corun::spawn({
            let a = a.clone();
            move || (&*a).read(&mut [0; 8]).unwrap()
        });
        corun::yield_now();
        a.shutdown(Shutdown::Read).unwrap();
        reader.join().unwrap()
    });
    assert_eq!(n, 0);
}

#[test]
fn a_read_past_its_std_timeout_fails_with_would_block() {
    let ex = Executor::new();
    ex.block_on(|| {
        let (a, mut b) = tcp_pair();
        let mut a = a;
        a.set_read_timeout(Some(Duration::from_millis(10))).unwrap();
        assert_eq!(a.read_timeout().unwrap(), Some(Duration::from_millis(10)));
        let err = a.read(&mut [0; 8]).unwrap_err();
        assert!(
            matches!(
                err.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
            ),
            "{err}"
        );
        // The stream still works after a timeout.
        b.write_all(b"late").unwrap();
        let mut got = [0; 4];
        a.read_exact(&mut got).unwrap();
        assert_eq!(&got, b"late");
        assert_eq!(
            a.set_read_timeout(Some(Duration::ZERO)).unwrap_err().kind(),
            io::ErrorKind::InvalidInput
        );
    });
}

#[test]
fn a_std_timeout_outside_a_task_blocks_then_fails_as_std() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut s = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let _peer = listener.accept().unwrap();
    s.set_read_timeout(Some(Duration::from_millis(10))).unwrap();
    let err = s.read(&mut [0; 8]).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
}

#[test]
fn corun_timeout_around_a_read_unwinds_the_read() {
    let ex = Executor::new();
    let dropped = counter();
    let d = dropped.clone();
    let r = ex.block_on(|| {
        let (mut a, _b) = tcp_pair();
        let r = corun::timeout(Duration::from_millis(10), || {
            let _guard = DropCount(d);
            a.read(&mut [0; 8])
        });
        // The stream is usable after the timed-out read.
        a.write_all(b"x").unwrap();
        r
    });
    assert!(r.is_err());
    assert_eq!(dropped.get(), 1);
}

/// A plain thread that accepts one connection and, a little later, writes
/// `msg` on it: the peer of a task that must wait for I/O.
fn a_peer_that_writes_later(
    msg: &'static [u8],
) -> (std::net::SocketAddr, std::thread::JoinHandle<()>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let writer = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        std::thread::sleep(Duration::from_millis(20));
        conn.write_all(msg).unwrap();
    });
    (addr, writer)
}

#[test]
fn a_task_waiting_on_io_is_not_a_deadlock() {
    // The only task waits for a socket; its peer is a plain thread that
    // writes later. The executor must wait in the poll, not panic.
    let ex = Executor::new();
    let (addr, writer) = a_peer_that_writes_later(b"eventually");
    let got = ex.block_on(|| {
        let mut s = TcpStream::connect(addr).unwrap();
        let mut got = String::new();
        s.read_to_string(&mut got).unwrap();
        got
    });
    writer.join().unwrap();
    assert_eq!(got, "eventually");
}

#[test]
fn sixty_four_mib_through_a_slow_reader_arrive_whole() {
    const TOTAL: usize = 64 << 20;
    let ex = Executor::new();
    let (sum, len) = ex.block_on(|| {
        let (mut a, mut b) = tcp_pair();
        let writer = corun::spawn(move || {
            let chunk: Vec<u8> = (0..=255u8).cycle().take(1 << 20).collect();
            for _ in 0..TOTAL / chunk.len() {
                a.write_all(&chunk).unwrap(); // suspends while the reader lags
            }
        });
        let mut buf = vec![0; 64 << 10];
        let (mut sum, mut len, mut reads) = (0u64, 0usize, 0u32);
        loop {
            let n = b.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            for (i, byte) in buf[..n].iter().enumerate() {
                assert_eq!(*byte, ((len + i) % 256) as u8, "byte {} is wrong", len + i);
            }
            sum += buf[..n].iter().map(|&x| x as u64).sum::<u64>();
            len += n;
            reads += 1;
            if reads % 64 == 0 {
                corun::sleep(Duration::from_millis(1)); // a slow reader
            }
        }
        writer.join().unwrap();
        (sum, len)
    });
    assert_eq!(len, TOTAL);
    assert_eq!(sum, (TOTAL as u64 / 256) * (255 * 256 / 2));
}

#[test]
fn an_idle_socket_does_not_hide_a_deadlock() {
    let ex = Executor::new();
    let message = common::panic_message(|| {
        ex.block_on(|| {
            let _idle = TcpListener::bind("127.0.0.1:0").unwrap(); // registered, awaited by none
            let (_tx, rx) = corun::sync::channel::<u8>(1);
            rx.recv()
        })
    });
    assert!(message.contains("deadlock"), "{message}");
}

#[test]
fn scoped_tasks_and_generators_inside_tasks_wait_on_sockets_too() {
    let ex = Executor::new();
    let (lines, yielded) = ex.block_on(|| {
        let (a, b) = tcp_pair();
        let mut lines = Vec::new();
        corun::scope(|s| {
            s.spawn(|| {
                let mut reader = std::io::BufReader::new(&b);
                for _ in 0..2 {
                    let mut line = String::new();
                    std::io::BufRead::read_line(&mut reader, &mut line).unwrap();
                    lines.push(line);
                }
            });
            s.spawn(|| {
                corun::sleep(Duration::from_millis(1));
                (&a).write_all(b"one\ntwo\n").unwrap();
            });
        });
        // A generator whose body reads a socket: the read suspends the task.
        let (mut c, d) = tcp_pair();
        let words = corun::Generator::new(move |co| {
            let mut buf = [0; 4];
            let mut d = d;
            while d.read_exact(&mut buf).is_ok() {
                co.yield_(String::from_utf8(buf.to_vec()).unwrap());
            }
        });
        let writer = corun::spawn(move || {
            c.write_all(b"abcdwxyz").unwrap();
        });
        let yielded: Vec<String> = words.collect();
        writer.join().unwrap();
        (lines, yielded)
    });
    assert_eq!(lines, ["one\n", "two\n"]);
    assert_eq!(yielded, ["abcd", "wxyz"]);
}

/// A watchdog for a call that must not wait: long enough for any machine,
/// short enough that a regression fails instead of hanging.
const MUST_NOT_WAIT: Duration = Duration::from_secs(5);

/// Checks that reads and writes of empty buffers return `Ok(0)` at once, in
/// both styles, even where the fd is known not ready (where a call with a
/// buffer waits for an event first).
fn empty_calls_return_at_once<R, W>(reader: &R, writer: &W)
where
    for<'a> &'a R: Read + futures::io::AsyncRead,
    for<'a> &'a W: Write + futures::io::AsyncWrite,
{
    // A read that waits and gives up leaves the fd registered, known not
    // readable.
    let mut buf = [0; 16];
    assert!(corun::timeout(Duration::from_millis(10), || Read::read(
        &mut { reader },
        &mut buf
    ))
    .is_err());
    let read = corun::timeout(MUST_NOT_WAIT, || {
        let mut r = reader;
        (
            Read::read(&mut r, &mut []).unwrap(),
            Read::read_vectored(&mut r, &mut []).unwrap(),
        )
    });
    assert_eq!(read.expect("an empty read waited"), (0, 0));
    let read = corun::timeout(MUST_NOT_WAIT, || {
        corun::await_(futures::io::AsyncReadExt::read(&mut { reader }, &mut []))
    });
    assert_eq!(read.expect("an empty poll_read waited").unwrap(), 0);

    // Writes until the kernel's buffer is full and a write waits and gives
    // up: the fd is known not writable.
    let chunk = vec![b'x'; 1 << 20];
    while let Ok(wrote) = corun::timeout(Duration::from_millis(10), || {
        Write::write(&mut { writer }, &chunk)
    }) {
        wrote.unwrap();
    }
    let written = corun::timeout(MUST_NOT_WAIT, || {
        let mut w = writer;
        (
            Write::write(&mut w, &[]).unwrap(),
            Write::write_vectored(&mut w, &[]).unwrap(),
        )
    });
    assert_eq!(written.expect("an empty write waited"), (0, 0));
    let written = corun::timeout(MUST_NOT_WAIT, || {
        corun::await_(futures::io::AsyncWriteExt::write(&mut { writer }, &[]))
    });
    assert_eq!(written.expect("an empty poll_write waited").unwrap(), 0);

    // The data written is all there, still readable as usual.
    let n = Read::read(&mut { reader }, &mut buf).unwrap();
    assert!(n > 0 && buf[..n].iter().all(|&b| b == b'x'));
}

#[test]
fn empty_reads_and_writes_return_at_once_on_every_stream() {
    let ex = Executor::new();
    ex.block_on(|| {
        let (a, b) = tcp_pair();
        empty_calls_return_at_once(&b, &a);
        let (a, b) = UnixStream::pair().unwrap();
        empty_calls_return_at_once(&b, &a);
        let (reader, writer) = corun::io::pipe().unwrap();
        empty_calls_return_at_once(&reader, &writer);
    });
}

#[test]
fn an_empty_read_outside_a_task_returns_at_once() {
    // A Unix socket's kernel says `WouldBlock` to a zero-byte `recv` with no
    // data: that must not make the thread wait in `poll` either.
    let (a, b) = UnixStream::pair().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send((&b).read(&mut []).map_err(|e| e.kind()));
    });
    let got = rx.recv_timeout(MUST_NOT_WAIT);
    drop(a); // ends the thread's read, if it waits
    assert_eq!(got.expect("an empty read waited"), Ok(0));
}

/// Runs `body` on its own thread with its own executor, which must panic
/// reporting a deadlock; a hang fails the test.
fn must_report_a_deadlock(body: impl FnOnce() + Send + 'static) {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(common::panic_message(move || {
            Executor::new().block_on(body)
        }));
    });
    let message = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the deadlock went unreported: the executor waits forever");
    assert!(message.contains("deadlock"), "{message}");
}

#[test]
fn a_cancelled_future_task_that_waited_on_a_read_does_not_hide_a_deadlock() {
    must_report_a_deadlock(|| {
        // Both ends stay open: no event will ever come for the stream.
        let (a, b) = UnixStream::pair().unwrap();
        let b = Rc::new(b);
        let reader = b.clone();
        let read = corun::spawn_future(async move {
            let mut buf = [0; 8];
            futures::io::AsyncReadExt::read(&mut &*reader, &mut buf).await
        });
        corun::yield_now(); // the read is polled: its waker waits in the reactor
        read.cancel();
        assert!(read.join().unwrap_err().is_cancelled());
        let (_tx, rx) = corun::sync::channel::<u8>(1);
        let _ = rx.recv(); // no one can ever send
        drop((a, b));
    });
}

#[test]
fn a_future_task_that_ended_with_its_waker_left_on_a_read_does_not_hide_a_deadlock() {
    must_report_a_deadlock(|| {
        let (a, b) = UnixStream::pair().unwrap();
        let b = Rc::new(b);
        let reader = b.clone();
        let polled_once = corun::spawn_future(std::future::poll_fn(move |cx| {
            let mut buf = [0; 8];
            let mut r = &*reader;
            let pin = std::pin::Pin::new(&mut r);
            assert!(futures::io::AsyncRead::poll_read(pin, cx, &mut buf).is_pending());
            std::task::Poll::Ready(()) // done, its waker left behind
        }));
        polled_once.join().unwrap();
        let (_tx, rx) = corun::sync::channel::<u8>(1);
        let _ = rx.recv();
        drop((a, b));
    });
}

#[test]
fn a_future_task_waiting_on_a_read_is_not_a_deadlock() {
    let ex = Executor::new();
    let (addr, writer) = a_peer_that_writes_later(b"later");
    let got = ex.block_on(|| {
        let s = TcpStream::connect(addr).unwrap();
        let read = corun::spawn_future(async move {
            let mut got = String::new();
            futures::io::AsyncReadExt::read_to_string(&mut &s, &mut got)
                .await
                .unwrap();
            got
        });
        read.join().unwrap()
    });
    writer.join().unwrap();
    assert_eq!(got, "later");
}
