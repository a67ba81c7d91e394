//! Sockets on the per-core runtime: a listener made on the main thread
//! moves into a worker's task (the I/O types are `Send`), and one
//! `bind_reuseport` listener per worker shares a port.

use corun::net::{TcpListener, TcpStream};
use corun::Runtime;
use std::io::{Read, Write};

#[test]
fn a_listener_made_on_main_serves_from_a_worker() {
    let rt = Runtime::builder().workers(2).build().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = rt.spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        let mut buf = [0; 5];
        conn.read_exact(&mut buf).unwrap();
        conn.write_all(&buf).unwrap();
        corun::worker_index()
    });
    // A plain thread: the same calls block it, as std's.
    let mut client = TcpStream::connect(addr).unwrap();
    client.write_all(b"hello").unwrap();
    let mut reply = [0; 5];
    client.read_exact(&mut reply).unwrap();
    assert_eq!(&reply, b"hello");
    assert!(server.join().unwrap().is_some());
}

#[test]
fn one_reuseport_listener_per_worker_shares_a_port() {
    let rt = Runtime::builder().workers(2).build().unwrap();
    let first = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = first.local_addr().unwrap();
    drop(first); // a free port, for every worker's listener
    let (tx, rx) = std::sync::mpsc::channel();
    let served: Vec<_> = (0..2)
        .map(|w| {
            let tx = tx.clone();
            rt.spawn_on(w, move || {
                let listener = TcpListener::bind_reuseport(addr).unwrap();
                tx.send(()).unwrap();
                let mut n = 0;
                // Serve until a client says "stop".
                loop {
                    let (mut conn, _) = listener.accept().unwrap();
                    let mut word = String::new();
                    conn.read_to_string(&mut word).unwrap();
                    if word == "stop" {
                        return n;
                    }
                    n += 1;
                }
            })
        })
        .collect();
    rx.recv().unwrap();
    rx.recv().unwrap();
    for _ in 0..20 {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.write_all(b"hi").unwrap();
    }
    // Stop both: send "stop" until each listener got one.
    let mut total = 0;
    let mut handles = served;
    while !handles.is_empty() {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.write_all(b"stop").unwrap();
        drop(s);
        std::thread::sleep(std::time::Duration::from_millis(5));
        let (done, rest): (Vec<_>, Vec<_>) = handles.into_iter().partition(|h| h.is_finished());
        total += done.into_iter().map(|h| h.join().unwrap()).sum::<usize>();
        handles = rest;
    }
    assert_eq!(total, 20);
}
