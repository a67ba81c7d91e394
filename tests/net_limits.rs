//! Limits: running out of file descriptors (`EMFILE`) and 10,000
//! connections on one executor. Both run in child processes: the first
//! lowers its own descriptor limit, the second needs a second process for
//! the clients (the hard `RLIMIT_NOFILE` here is 20,000, so one process
//! cannot hold both ends).

mod common;

use common::in_child_process;
use corun::net::{TcpListener, TcpStream};
use corun::Executor;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};

/// Sets this process's soft `RLIMIT_NOFILE` with `prlimit(1)` (a safe way
/// for a test to change its own limit).
fn set_soft_nofile(soft: u64) {
    let hard = hard_nofile();
    let status = Command::new("prlimit")
        .arg("--pid")
        .arg(std::process::id().to_string())
        .arg(format!("--nofile={}:{hard}", soft.min(hard)))
        .status()
        .expect("run prlimit");
    assert!(status.success(), "prlimit failed");
}

fn hard_nofile() -> u64 {
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap();
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .unwrap();
    let fields: Vec<&str> = line.split_whitespace().collect();
    fields[4].parse().unwrap_or(u64::MAX)
}

fn open_fds() -> u64 {
    std::fs::read_dir("/proc/self/fd").unwrap().count() as u64
}

#[test]
fn accept_fails_with_emfile_and_the_listener_works_once_fds_are_free() {
    in_child_process(
        "accept_fails_with_emfile_and_the_listener_works_once_fds_are_free",
        || {
            let ex = Executor::new();
            ex.block_on(|| {
                let listener = TcpListener::bind("127.0.0.1:0").unwrap();
                let addr = listener.local_addr().unwrap();
                set_soft_nofile(open_fds() + 16);
                // Use up every descriptor, then give one back for the client.
                let mut fillers = Vec::new();
                loop {
                    match std::fs::File::open("/dev/null") {
                        Ok(f) => fillers.push(f),
                        Err(e) => {
                            assert_eq!(e.raw_os_error(), Some(libc::EMFILE));
                            break;
                        }
                    }
                }
                fillers.pop();
                let mut client = TcpStream::connect(addr).unwrap();
                let err = listener.accept().unwrap_err();
                assert_eq!(err.raw_os_error(), Some(libc::EMFILE), "{err}");
                // Descriptors free again: the waiting connection is accepted.
                fillers.clear();
                let (mut conn, _) = listener.accept().unwrap();
                client.write_all(b"ok").unwrap();
                let mut buf = [0; 2];
                conn.read_exact(&mut buf).unwrap();
                assert_eq!(&buf, b"ok");
            });
        },
    );
}

const CONNECTIONS: usize = 10_000;
const CLIENT_ENV: &str = "CORUN_TEST_CLIENTS_FOR";

/// The client process: opens `CONNECTIONS` connections to the address in
/// `CLIENT_ENV`, holds them all open, sends one line on each and reads its
/// echo, then closes them.
#[test]
fn client_process_for_ten_thousand_connections() {
    let Ok(addr) = std::env::var(CLIENT_ENV) else {
        return; // only meaningful when started by the server test
    };
    set_soft_nofile(hard_nofile());
    let mut conns: Vec<std::net::TcpStream> = (0..CONNECTIONS)
        .map(|_| std::net::TcpStream::connect(&addr).unwrap())
        .collect();
    for (i, c) in conns.iter_mut().enumerate() {
        writeln!(c, "conn {i}").unwrap();
    }
    for (i, c) in conns.iter().enumerate() {
        let mut line = String::new();
        BufReader::new(c).read_line(&mut line).unwrap();
        assert_eq!(line, format!("conn {i}\n"));
    }
}

#[test]
fn ten_thousand_concurrent_connections_on_one_executor() {
    in_child_process(
        "ten_thousand_concurrent_connections_on_one_executor",
        || {
            set_soft_nofile(hard_nofile());
            // Small guarded stacks keep 10,000 tasks cheap.
            let ex = Executor::builder().stack_size(32 * 1024).build();
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let mut clients = Command::new(std::env::current_exe().unwrap())
                .args([
                    "client_process_for_ten_thousand_connections",
                    "--exact",
                    "--test-threads=1",
                ])
                .env(CLIENT_ENV, addr.to_string())
                .stdout(Stdio::null())
                .spawn()
                .unwrap();
            let (served, peak) = ex.block_on(|| {
                let live = std::rc::Rc::new(std::cell::Cell::new((0usize, 0usize)));
                let handlers: Vec<_> = (0..CONNECTIONS)
                    .map(|_| {
                        let (conn, _) = listener.accept().unwrap();
                        let live = live.clone();
                        corun::spawn(move || {
                            let (now, peak) = live.get();
                            live.set((now + 1, peak.max(now + 1)));
                            let mut reader = BufReader::new(&conn);
                            let mut line = String::new();
                            let mut lines = 0;
                            while reader.read_line(&mut line).unwrap() > 0 {
                                (&conn).write_all(line.as_bytes()).unwrap();
                                line.clear();
                                lines += 1;
                            }
                            let (now, peak) = live.get();
                            live.set((now - 1, peak));
                            lines
                        })
                    })
                    .collect();
                let served: usize = handlers.into_iter().map(|h| h.join().unwrap()).sum();
                (served, live.get().1)
            });
            assert!(
                clients.wait().unwrap().success(),
                "the client process failed"
            );
            assert_eq!(served, CONNECTIONS);
            assert_eq!(peak, CONNECTIONS, "all connections were open at once");
        },
    );
}
