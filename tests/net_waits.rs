//! Waiting on sockets: cancellation mid-read, a shutdown that wakes a
//! blocked reader, std-style timeouts, `corun::timeout` around a read, what
//! `tasks()` shows, the deadlock detector, and a large transfer through a
//! slow reader.

mod common;

use common::{counter, DropCount};
use corun::net::{TcpListener, TcpStream, UnixStream};
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
    ex.block_on(corun::yield_now);
    let states: Vec<TaskState> = ex.tasks().into_iter().map(|t| t.state).collect();
    assert!(states.contains(&TaskState::Blocked {
        on: "TcpStream::read"
    }));
    assert!(states.contains(&TaskState::Blocked {
        on: "TcpListener::accept"
    }));
    assert!(ex.dump().contains("blocked on TcpStream::read"));
    reader.cancel();
    accepter.cancel();
    ex.run();
    drop(b);
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

#[test]
fn a_task_waiting_on_io_is_not_a_deadlock() {
    // The only task waits for a socket; its peer is a plain thread that
    // writes later. The executor must wait in the poll, not panic.
    let ex = Executor::new();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let writer = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        std::thread::sleep(Duration::from_millis(20));
        conn.write_all(b"eventually").unwrap();
    });
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
