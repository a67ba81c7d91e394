//! A chat room: every line a client sends goes to every client, through a
//! `sync::broadcast` channel. Each connection is two tasks, written as
//! blocking code: one reads the client's lines into the room, one writes
//! the room's lines to the client. A client too slow to keep up is told
//! how many lines it missed instead of holding the room back.
//!
//! The example runs its own clients and checks what they heard.
//!
//! Run: `cargo run --release --example chat_server`
use corun::net::{TcpListener, TcpStream};
use corun::sync::broadcast::{self, RecvError};
use corun::{spawn, Executor};
use std::io::{BufRead, BufReader, Write};
use std::rc::Rc;

const CLIENTS: usize = 4;

/// Serves one client until it hangs up.
fn serve(conn: TcpStream, room: broadcast::Sender<String>) {
    let conn = Rc::new(conn);
    let name = conn
        .peer_addr()
        .map_or("?".to_string(), |a| a.port().to_string());
    let mut heard = room.subscribe();
    let out = conn.clone();
    let writer = spawn(move || loop {
        let line = match heard.recv() {
            Ok(line) => line,
            Err(RecvError::Lagged(n)) => format!("(you missed {n} lines)"),
            Err(_) => return, // the room closed
        };
        if writeln!(&*out, "{line}").is_err() {
            return; // the client hung up
        }
    });
    for line in BufReader::new(&*conn).lines() {
        let Ok(line) = line else { break };
        // Nobody left to hear it is not an error for a chat room.
        let _ = room.send(format!("{name}: {line}"));
    }
    writer.cancel(); // the client left: stop writing to it
}

fn main() -> std::io::Result<()> {
    let ex = Executor::new();
    ex.block_on(|| {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let (room, _) = broadcast::channel::<String>(64);
        let r = room.clone();
        drop(spawn(move || loop {
            match listener.accept() {
                Ok((conn, _)) => drop(spawn({
                    let room = r.clone();
                    move || serve(conn, room)
                })),
                Err(e) => eprintln!("accept: {e}"),
            }
        }));
        // The clients: each joins, waits until everyone has joined, says
        // hello, and listens until it has heard every hello.
        let clients: Vec<_> = (0..CLIENTS)
            .map(|i| {
                let room = room.clone();
                spawn(move || -> std::io::Result<Vec<String>> {
                    let conn = TcpStream::connect(addr)?;
                    while room.receiver_count() < CLIENTS {
                        corun::yield_now();
                    }
                    writeln!(&conn, "hello from client {i}")?;
                    let mut heard = Vec::new();
                    for line in BufReader::new(&conn).lines().take(CLIENTS) {
                        heard.push(line?);
                    }
                    Ok(heard)
                })
            })
            .collect();
        for (i, client) in clients.into_iter().enumerate() {
            let heard = client.join().expect("a client does not panic")?;
            println!(
                "client {i} heard {} lines, first: {}",
                heard.len(),
                heard[0]
            );
            let mut hellos: Vec<_> = heard
                .iter()
                .map(|l| l.split_once(": ").map(|(_, m)| m).unwrap_or(l))
                .collect();
            hellos.sort();
            let expected: Vec<String> = (0..CLIENTS)
                .map(|c| format!("hello from client {c}"))
                .collect();
            assert_eq!(hellos, expected, "client {i} heard every hello once");
        }
        Ok(())
    })
}
