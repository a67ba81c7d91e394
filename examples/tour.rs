//! A tour of corun: generators with Python's protocol, then the executor
//! whose tasks are those coroutines.
//!
//! Run: `cargo run --release --example tour`
use corun::{Co, Executor, Generator, GeneratorState};
use std::time::Duration;

fn main() {
    println!("== an infinite generator, used as an iterator");
    let fib = Generator::new(|co| {
        let (mut a, mut b) = (0u64, 1u64);
        loop {
            co.yield_(a);
            (a, b) = (b, a + b);
        }
    });
    let first: Vec<u64> = fib.take(10).collect();
    println!("fibonacci: {first:?}");

    println!("\n== send: a running average");
    let mut avg: Generator<'_, f64, f64> = Generator::new(|co| {
        let (mut total, mut n) = (0.0, 0.0);
        let mut x = co.yield_(0.0);
        loop {
            total += x;
            n += 1.0;
            x = co.yield_(total / n);
        }
    });
    avg.start();
    for x in [10.0, 20.0, 60.0] {
        if let GeneratorState::Yielded(a) = avg.send(x) {
            println!("sent {x:>4} -> average {a}");
        }
    }

    println!("\n== yield from: delegation with a return value");
    fn sub(co: &Co<&'static str>) -> usize {
        co.yield_("sub: one");
        co.yield_("sub: two");
        2
    }
    let mut outer = Generator::new(|co| {
        let n = co.yield_from(Generator::new(sub));
        co.yield_("outer: after sub");
        n
    });
    let mut state = outer.start();
    while let GeneratorState::Yielded(v) = state {
        println!("yielded {v}");
        state = outer.send(());
    }
    println!("returned {:?}", state.complete());

    println!("\n== the executor: tasks that read like blocking code");
    executor_tour();

    println!("\n== sockets and pipes: blocking-style I/O that suspends only its task");
    io_tour();

    println!("\n== the runtime: one executor per core");
    runtime_tour();
}

fn runtime_tour() {
    let rt = corun::Runtime::builder().workers(2).build().unwrap();
    // A Send closure becomes a task on the least-loaded worker, and never
    // moves again: it may keep `Rc`s across its waits.
    let h = rt.spawn(|| {
        let local = std::rc::Rc::new(41);
        corun::sleep(Duration::from_millis(1));
        (*local + 1, corun::worker_index())
    });
    println!("spawned task returned {:?}", h.join().unwrap());
    println!("run_on_all: {:?}", rt.run_on_all(|w| format!("worker {w}")));

    // Cross-core channels: the receiving task suspends, this thread blocks.
    let (tx, rx) = corun::sync::mpsc::channel(8);
    let summer = rt.spawn_on(1, move || rx.iter().sum::<u64>());
    (1..=10).for_each(|i| tx.send(i).unwrap());
    drop(tx);
    println!("sum received on worker 1: {}", summer.join().unwrap());

    // multiprocessing.Pool's shape, without processes or pickling.
    let pool = rt.pool();
    let squares = pool.map(1..=8u64, |x| x * x);
    println!("pool.map squares: {squares:?}");
    assert_eq!(squares.iter().sum::<u64>(), 204);
}

fn executor_tour() {
    let ex = Executor::new();
    let report = ex.block_on(|| {
        // Spawn tasks: each sleeps without blocking the others.
        let workers: Vec<_> = (1..=3u64)
            .map(|i| {
                corun::spawn(move || {
                    corun::sleep(Duration::from_millis(10 * (4 - i)));
                    println!("worker {i} woke up");
                    i * 10
                })
            })
            .collect();
        let total: u64 = workers.into_iter().map(|h| h.join().unwrap()).sum();
        println!("joined workers: total {total}");

        // A generator inside a task may wait: the whole task suspends and
        // resumes straight back into the generator (Python's async generators).
        let ticks = Generator::new(|co| {
            for i in 0..3 {
                corun::sleep(Duration::from_millis(2));
                co.yield_(i);
            }
        });
        let got: Vec<u32> = ticks.collect();
        println!("async-style generator yielded {got:?}");

        // Structured concurrency: scoped tasks borrow locals.
        let mut squares = [0u64; 4];
        corun::scope(|s| {
            for (i, slot) in squares.iter_mut().enumerate() {
                s.spawn(move || {
                    corun::yield_now();
                    *slot = (i as u64 + 1).pow(2);
                });
            }
        });
        println!("scoped squares: {squares:?}");

        // Timeouts unwind the body where it waits.
        let slow = corun::timeout(Duration::from_millis(5), || {
            corun::sleep(Duration::from_secs(60))
        });
        println!("slow operation: {:?}", slow.map_err(|e| e.to_string()));
        (total, got, squares)
    });

    // Channels: `send` waits while the channel is full (backpressure), and
    // the receiver's loop ends when every sender is gone.
    let (tx, rx) = corun::sync::channel(2);
    let producer = ex.spawn(move || {
        for i in 1..=5u32 {
            tx.send(i * i).unwrap();
        }
    });
    let received: Vec<u32> = ex.block_on(|| rx.iter().collect());
    println!("received over a channel of capacity 2: {received:?}");
    assert!(producer.is_finished());
    assert_eq!(received, [1, 4, 9, 16, 25]);
    assert_eq!(report, (60, vec![0, 1, 2], [1, 4, 9, 16]));
    println!("tasks left: {}", ex.tasks().len());

    // Tests run on a paused clock: time jumps to the next deadline
    // whenever no task is ready, so a day of timers takes no real time.
    let test_ex = Executor::builder().start_paused(true).build();
    let (day, timed_out) = test_ex.block_on(|| {
        let start = corun::time::now();
        let nightly = corun::spawn(|| corun::sleep(Duration::from_secs(24 * 3600)));
        let r = corun::timeout(Duration::from_secs(3600), || nightly.join());
        (corun::time::now() - start, r.is_err())
    });
    println!("paused clock: a 1 h timeout on a 24 h sleep gave up after {day:?} of virtual time");
    assert_eq!((day, timed_out), (Duration::from_secs(3600), true));
}

fn io_tour() {
    use corun::net::{TcpListener, TcpStream};
    use std::io::{BufRead, BufReader, Read, Write};

    let ex = Executor::new();
    let (reply, piped) = ex.block_on(|| {
        // A server task: accept waits for a connection, read_line for data.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = corun::spawn(move || {
            let (conn, peer) = listener.accept().unwrap();
            println!("server: accepted a connection from {peer}");
            let mut line = String::new();
            BufReader::new(&conn).read_line(&mut line).unwrap();
            (&conn).write_all(line.to_uppercase().as_bytes()).unwrap();
        });
        // A client in this task: connect, write, read to the end.
        let mut stream = TcpStream::connect(addr).unwrap();
        stream.write_all(b"hello, reactor\n").unwrap();
        let mut reply = String::new();
        stream.read_to_string(&mut reply).unwrap();
        server.join().unwrap();
        println!("client: the server answered {:?}", reply.trim_end());

        // A pipe between two tasks; a read past a timeout gives up.
        let (mut reader, mut writer) = corun::io::pipe().unwrap();
        let w = corun::spawn(move || writer.write_all(b"through a pipe").unwrap());
        let mut piped = String::new();
        reader.read_to_string(&mut piped).unwrap();
        w.join().unwrap();
        let (idle, _peer) = corun::net::UnixStream::pair().unwrap();
        idle.set_read_timeout(Some(Duration::from_millis(5)))
            .unwrap();
        let err = (&idle).read(&mut [0; 8]).unwrap_err();
        println!("pipe: {piped:?}; an idle read after 5 ms: {:?}", err.kind());
        (reply, piped)
    });
    assert_eq!(reply, "HELLO, REACTOR\n");
    assert_eq!(piped, "through a pipe");
}
