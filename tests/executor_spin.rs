//! `ExecutorBuilder::spin_before_park`: an executor that polls before it
//! sleeps still sees every kind of wake (timers, I/O, other threads) and
//! still reports deadlocks.

use corun::net::{TcpListener, TcpStream};
use corun::sync::channel;
use corun::Executor;
use std::io::{Read, Write};
use std::time::{Duration, Instant};

mod common;
use common::panic_message;

fn spinning(spin: Duration) -> Executor {
    Executor::builder().spin_before_park(spin).build()
}

#[test]
fn a_timer_shorter_than_the_spin_fires_on_time_and_a_longer_one_too() {
    let ex = spinning(Duration::from_millis(20));
    let (short, long) = ex.block_on(|| {
        let t = Instant::now();
        corun::sleep(Duration::from_millis(1));
        let short = t.elapsed();
        let t = Instant::now();
        corun::sleep(Duration::from_millis(40));
        (short, t.elapsed())
    });
    assert!(short >= Duration::from_millis(1), "{short:?}");
    assert!(long >= Duration::from_millis(40), "{long:?}");
}

#[test]
fn a_wake_from_another_thread_during_the_spin_runs_the_task() {
    let ex = spinning(Duration::from_millis(50));
    let (tx, rx) = corun::sync::mpsc::channel::<u64>(4);
    let sender = std::thread::spawn(move || {
        for i in 0..100 {
            if i % 10 == 0 {
                std::thread::sleep(Duration::from_micros(200));
            }
            tx.send(i).unwrap();
        }
    });
    let sum = ex.block_on(move || {
        let mut sum = 0;
        while let Ok(v) = rx.recv() {
            sum += v;
        }
        sum
    });
    sender.join().unwrap();
    assert_eq!(sum, (0..100).sum::<u64>());
}

#[test]
fn a_wake_after_the_spin_ended_still_reaches_the_sleeping_thread() {
    let ex = spinning(Duration::from_micros(10));
    let (tx, rx) = corun::sync::mpsc::channel::<&str>(1);
    let sender = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(30)); // long after the spin
        tx.send("late").unwrap();
    });
    assert_eq!(ex.block_on(move || rx.recv().unwrap()), "late");
    sender.join().unwrap();
}

#[test]
fn sockets_are_served_while_spinning() {
    let ex = spinning(Duration::from_micros(100));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let listener = TcpListener::from_std(listener).unwrap();
    // The client is a plain thread, so the executor really waits for I/O.
    let client = std::thread::spawn(move || {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        let mut echoed = Vec::new();
        for i in 0..50u8 {
            s.write_all(&[i; 10]).unwrap();
            let mut buf = [0u8; 10];
            s.read_exact(&mut buf).unwrap();
            echoed.push(buf[0]);
        }
        echoed
    });
    ex.block_on(move || {
        let (conn, _) = listener.accept().unwrap();
        let conn: TcpStream = conn;
        let mut buf = [0u8; 64];
        loop {
            match (&conn).read(&mut buf).unwrap() {
                0 => break,
                n => (&conn).write_all(&buf[..n]).unwrap(),
            }
        }
    });
    assert_eq!(client.join().unwrap(), (0..50).collect::<Vec<u8>>());
}

#[test]
fn a_deadlock_is_still_reported_while_spinning() {
    let ex = spinning(Duration::from_millis(5));
    let (_tx, rx) = channel::<u32>(1);
    let text = panic_message(|| ex.block_on(move || rx.recv()));
    assert!(text.contains("deadlock"), "{text}");
}
