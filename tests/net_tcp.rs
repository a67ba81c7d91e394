//! TCP: echo round trips in both task styles, connect and accept, std-style
//! use outside a task, and the fault paths (refused, reset, broken pipe,
//! address in use, peer closing mid-read).

use corun::net::{TcpListener, TcpStream};
use corun::Executor;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::Shutdown;

fn echo_server(listener: TcpListener, clients: usize) {
    for _ in 0..clients {
        let (conn, _) = listener.accept().unwrap();
        drop(corun::spawn(move || {
            let mut reader = BufReader::new(&conn);
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap() > 0 {
                (&conn).write_all(line.as_bytes()).unwrap();
                line.clear();
            }
        }));
    }
}

#[test]
fn echo_between_stackful_tasks() {
    let ex = Executor::new();
    let replies = ex.block_on(|| {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = corun::spawn(move || echo_server(listener, 20));
        let clients: Vec<_> = (0..20)
            .map(|i| {
                corun::spawn(move || {
                    let mut s = TcpStream::connect(addr).unwrap();
                    let mut reader = BufReader::new(s.try_clone().unwrap());
                    let mut got = Vec::new();
                    for round in 0..10 {
                        writeln!(s, "client {i} round {round}").unwrap();
                        let mut line = String::new();
                        reader.read_line(&mut line).unwrap();
                        got.push(line);
                    }
                    got
                })
            })
            .collect();
        let replies: Vec<Vec<String>> = clients.into_iter().map(|c| c.join().unwrap()).collect();
        server.join().unwrap();
        replies
    });
    for (i, got) in replies.iter().enumerate() {
        for (round, line) in got.iter().enumerate() {
            assert_eq!(line, &format!("client {i} round {round}\n"));
        }
    }
}

#[test]
fn outside_a_task_the_calls_block_the_thread_as_std() {
    let ex = Executor::new();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let client = std::thread::spawn(move || {
        let mut s = TcpStream::connect(addr).unwrap(); // plain thread: blocks
        s.write_all(b"from a thread").unwrap();
        s.shutdown(Shutdown::Write).unwrap();
        let mut reply = String::new();
        s.read_to_string(&mut reply).unwrap();
        reply
    });
    ex.block_on(|| {
        let (mut conn, _) = listener.accept().unwrap();
        let mut got = Vec::new();
        conn.read_to_end(&mut got).unwrap();
        conn.write_all(&got).unwrap();
    });
    assert_eq!(client.join().unwrap(), "from a thread");
}

#[test]
fn connection_refused_is_an_error_of_that_kind() {
    // A port that was just free: bind, learn it, close it.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let ex = Executor::new();
    let err = ex.block_on(|| TcpStream::connect(addr).unwrap_err());
    assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);
    // And outside a task.
    let err = TcpStream::connect(addr).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);
}

#[test]
fn address_in_use_is_an_error_of_that_kind() {
    let ex = Executor::new();
    ex.block_on(|| {
        let a = TcpListener::bind("127.0.0.1:0").unwrap();
        let err = TcpListener::bind(a.local_addr().unwrap()).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AddrInUse);
    });
}

#[test]
fn a_peer_closing_mid_read_gives_ok_zero() {
    let ex = Executor::new();
    let n = ex.block_on(|| {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(corun::spawn(move || {
            let (conn, _) = listener.accept().unwrap();
            corun::sleep(std::time::Duration::from_millis(5)); // the reader waits meanwhile
            drop(conn);
        }));
        let mut s = TcpStream::connect(addr).unwrap();
        let mut buf = [0; 16];
        s.read(&mut buf).unwrap()
    });
    assert_eq!(n, 0);
}

#[test]
fn reset_by_peer_and_broken_pipe_are_errors_of_their_kinds() {
    let ex = Executor::new();
    ex.block_on(|| {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let peer = corun::spawn(move || {
            let (conn, _) = listener.accept().unwrap();
            // Unread data at close makes the kernel send a reset.
            corun::sleep(std::time::Duration::from_millis(5));
            drop(conn);
        });
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(b"never read").unwrap();
        peer.join().unwrap();
        // Writes keep failing once the reset came; the first may still be taken.
        let mut kinds = Vec::new();
        for _ in 0..10 {
            match s.write_all(b"more") {
                Ok(()) => corun::sleep(std::time::Duration::from_millis(1)),
                Err(e) => {
                    kinds.push(e.kind());
                    if kinds.len() == 2 {
                        break;
                    }
                }
            }
        }
        assert!(
            kinds.iter().all(|k| matches!(
                k,
                io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe
            )),
            "{kinds:?}"
        );
        assert!(!kinds.is_empty());
        let mut buf = [0; 4];
        match s.read(&mut buf) {
            Ok(0) => {}
            Err(e) => assert_eq!(e.kind(), io::ErrorKind::ConnectionReset),
            Ok(n) => panic!("read {n} bytes from a reset connection"),
        }
    });
}

#[test]
fn a_host_name_is_resolved_off_the_executor() {
    let ex = Executor::new();
    ex.block_on(|| {
        let listener = TcpListener::bind("localhost:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(corun::spawn(move || drop(listener.accept().unwrap())));
        let s = TcpStream::connect(("localhost", port)).unwrap();
        assert_eq!(s.peer_addr().unwrap().port(), port);
    });
}

#[test]
fn std_conversions_keep_the_socket_working() {
    let ex = Executor::new();
    ex.block_on(|| {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let listener = TcpListener::from_std(std_listener).unwrap();
        let addr = listener.local_addr().unwrap();
        drop(corun::spawn(move || {
            let (conn, _) = listener.accept().unwrap();
            let mut std_conn = conn.into_std().unwrap(); // blocking again
            std_conn.write_all(b"std").unwrap();
        }));
        let s = TcpStream::connect(addr).unwrap();
        let mut s = TcpStream::from_std(s.into_std().unwrap()).unwrap();
        let mut got = String::new();
        s.read_to_string(&mut got).unwrap();
        assert_eq!(got, "std");
        assert!(format!("{s:?}").starts_with("TcpStream"));
    });
}

#[test]
fn reuseport_listeners_share_a_port() {
    let ex = Executor::new();
    ex.block_on(|| {
        let a = TcpListener::bind_reuseport("127.0.0.1:0").unwrap();
        let addr = a.local_addr().unwrap();
        let b = TcpListener::bind_reuseport(addr).unwrap();
        let server = corun::spawn(move || {
            // Whichever listener the kernel picks, each connection is accepted.
            let a = std::rc::Rc::new(a);
            let b = std::rc::Rc::new(b);
            let ha = corun::spawn({
                let a = a.clone();
                move || a.accept().map(|_| ())
            });
            let hb = corun::spawn({
                let b = b.clone();
                move || b.accept().map(|_| ())
            });
            (ha, hb)
        });
        let (ha, hb) = server.join().unwrap();
        let mut conns = Vec::new();
        while !ha.is_finished() || !hb.is_finished() {
            conns.push(TcpStream::connect(addr).unwrap());
            corun::sleep(std::time::Duration::from_millis(1));
        }
        ha.join().unwrap().unwrap();
        hb.join().unwrap().unwrap();
    });
}

mod future_style {
    use super::echo_server;
    use corun::net::{TcpListener, TcpStream};
    use corun::Executor;
    use futures::io::{AsyncReadExt, AsyncWriteExt};

    #[test]
    fn echo_between_future_tasks() {
        let ex = Executor::new();
        let server = ex.spawn_future(async {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let client = corun::spawn_future(async move {
                let mut s = TcpStream::connect_async(addr).await.unwrap();
                s.write_all(b"async ping").await.unwrap();
                s.close().await.unwrap(); // shuts down the writing half
                let mut reply = Vec::new();
                s.read_to_end(&mut reply).await.unwrap();
                reply
            });
            let (mut conn, _) = listener.accept_async().await.unwrap();
            let mut buf = Vec::new();
            conn.read_to_end(&mut buf).await.unwrap();
            conn.write_all(&buf).await.unwrap();
            drop(conn);
            client.await.unwrap()
        });
        let reply = ex.block_on(|| server.join().unwrap());
        assert_eq!(reply, b"async ping");
    }

    #[test]
    fn a_stackful_server_serves_a_future_client_and_back() {
        let ex = Executor::new();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap(); // made outside any task
        let addr = listener.local_addr().unwrap();
        drop(ex.spawn(move || echo_server(listener, 1)));
        let client = ex.spawn_future(async move {
            let mut s = TcpStream::connect_async(addr).await.unwrap();
            s.write_all(b"mixed\n").await.unwrap();
            let mut buf = [0; 6];
            s.read_exact(&mut buf).await.unwrap();
            buf
        });
        assert_eq!(&ex.block_on(|| client.join().unwrap()), b"mixed\n");
    }
}

#[test]
fn data_and_fin_in_one_event_give_the_data_then_ok_zero() {
    let ex = Executor::new();
    let got = ex.block_on(|| {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = corun::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            corun::yield_now(); // let the client wait in read first
            conn.write_all(b"bye").unwrap();
            drop(conn); // FIN right behind the data
        });
        let mut s = TcpStream::connect(addr).unwrap();
        let mut got = Vec::new();
        s.read_to_end(&mut got).unwrap();
        server.join().unwrap();
        got
    });
    assert_eq!(got, b"bye");
}
