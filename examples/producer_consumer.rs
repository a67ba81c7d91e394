//! Producers and consumers over a bounded channel: backpressure, closing,
//! and a semaphore that limits how many tasks work at once. Python's
//! `asyncio.Queue(maxsize)` and `asyncio.Semaphore`.
//!
//! ```python
//! async def producer(name, q):
//!     for i in range(4):
//!         await q.put(f"{name}-{i}")   # waits while the queue is full
//!
//! async def main():
//!     q = asyncio.Queue(maxsize=3)
//!     producers = [asyncio.create_task(producer(n, q)) for n in "abc"]
//!     ...
//! ```
//!
//! Run: `cargo run --release --example producer_consumer`
use corun::sync::{channel, Semaphore, TrySendError};
use corun::task::TaskState;
use corun::Executor;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

const CAPACITY: usize = 3;
const PRODUCERS: [&str; 3] = ["a", "b", "c"];
const ITEMS: usize = 4;

/// What happened, in order, as seen by the tasks.
enum Event {
    Sent,
    Received,
}

/// Shared bookkeeping: the event log and how many values are in the
/// channel (sent and not yet received).
#[derive(Default)]
struct Stats {
    log: RefCell<Vec<Event>>,
    in_flight: Cell<usize>,
    max_in_flight: Cell<usize>,
    full_waits: Cell<usize>,
}

fn main() {
    let ex = Executor::new();
    backpressure(&ex);
    closed_channel(&ex);
    limited_concurrency(&ex);
}

/// Several producers, one consumer, a channel of 3: producers suspend when
/// it is full, and dropping every sender ends the consumer's loop.
fn backpressure(ex: &Executor) {
    println!(
        "== {} producers, 1 consumer, capacity {CAPACITY}",
        PRODUCERS.len()
    );
    let stats = Rc::new(Stats::default());
    let (tx, rx) = channel::<String>(CAPACITY);

    let received = ex.block_on(|| {
        let producers: Vec<_> = PRODUCERS
            .iter()
            .map(|&name| {
                let (tx, stats) = (tx.clone(), stats.clone());
                corun::spawn(move || {
                    for i in 0..ITEMS {
                        match tx.try_send(format!("{name}-{i}")) {
                            Ok(()) => {}
                            Err(TrySendError::Full(item)) => {
                                // No room: `send` suspends this task until
                                // the consumer takes a value.
                                println!("  {name} waits: channel full");
                                stats.full_waits.set(stats.full_waits.get() + 1);
                                tx.send(item).expect("the consumer is alive");
                            }
                            Err(TrySendError::Closed(_)) => unreachable!("the consumer is alive"),
                        }
                        record_sent(&stats, format!("{name}-{i}"));
                    }
                    // `tx` is dropped here: one sender fewer.
                })
            })
            .collect();
        // The consumer keeps no sender: once every producer has ended, the
        // channel is closed and `for v in &rx` stops.
        drop(tx);

        // Let the producers run first: they fill the channel and block.
        corun::yield_now();
        print!("{}", ex.dump());
        let blocked = ex
            .tasks()
            .iter()
            .filter(|t| matches!(t.state, TaskState::Blocked { on: "Sender::send" }))
            .count();
        assert_eq!(blocked, PRODUCERS.len(), "every producer waits for room");
        assert_eq!(rx.len(), CAPACITY, "the channel is full");

        let mut received = Vec::new();
        for item in &rx {
            assert!(
                rx.len() < CAPACITY,
                "the channel never holds more than its capacity"
            );
            stats.in_flight.set(stats.in_flight.get() - 1);
            println!("  consumer got {item} (left in the channel: {})", rx.len());
            stats.log.borrow_mut().push(Event::Received);
            received.push(item);
            corun::yield_now(); // let the producers refill
        }
        println!("  consumer: channel closed, loop ended");
        for p in producers {
            p.join().unwrap();
        }
        received
    });

    let total = PRODUCERS.len() * ITEMS;
    assert_eq!(received.len(), total);
    // Each producer's items arrive in the order it sent them.
    for name in PRODUCERS {
        let mine: Vec<String> = received
            .iter()
            .filter(|s| s.starts_with(name))
            .cloned()
            .collect();
        let sent: Vec<String> = (0..ITEMS).map(|i| format!("{name}-{i}")).collect();
        assert_eq!(mine, sent);
    }
    // Backpressure: the channel filled up, but never beyond its capacity,
    // and producers had to wait.
    assert_eq!(stats.max_in_flight.get(), CAPACITY);
    assert!(stats.full_waits.get() > 0);
    // Sends and receives interleave: producers were still sending after
    // the consumer began receiving.
    let log = stats.log.borrow();
    let first_recv = log
        .iter()
        .position(|e| matches!(e, Event::Received))
        .unwrap();
    let last_send = log.iter().rposition(|e| matches!(e, Event::Sent)).unwrap();
    assert!(first_recv < last_send);
    println!(
        "{total} items; at most {} in the channel; {} sends had to wait",
        stats.max_in_flight.get(),
        stats.full_waits.get()
    );
}

fn record_sent(stats: &Stats, item: String) {
    let now = stats.in_flight.get() + 1;
    assert!(now <= CAPACITY, "a send never overfills the channel");
    stats.in_flight.set(now);
    stats.max_in_flight.set(stats.max_in_flight.get().max(now));
    println!("  sent {item} (in the channel: {now})");
    stats.log.borrow_mut().push(Event::Sent);
}

/// The consumer goes away while a producer waits for room: the waiting
/// `send` fails and hands its value back.
fn closed_channel(ex: &Executor) {
    println!("\n== the consumer leaves: a send hands its value back");
    let (tx, rx) = channel::<String>(1);
    let consumer = ex.spawn(move || {
        let first = rx.recv().unwrap();
        println!("  consumer got {first:?} and leaves");
        // `rx` is dropped here: the channel is closed for sending.
        first
    });
    let (sent, returned) = ex.block_on(|| {
        let mut sent = Vec::new();
        for word in ["first", "second", "third"] {
            match tx.send(word.to_string()) {
                Ok(()) => sent.push(word),
                Err(e) => {
                    let back = e.into_inner();
                    println!("  send failed: {back:?} came back to the producer");
                    return (sent, back);
                }
            }
        }
        unreachable!("the consumer left, so a send must fail");
    });
    assert_eq!(sent, ["first"]);
    assert_eq!(returned, "second");
    assert_eq!(ex.block_on(|| consumer.join().unwrap()), "first");
}

/// Eight jobs, at most three at a time.
fn limited_concurrency(ex: &Executor) {
    println!("\n== a semaphore lets 3 of 8 jobs run at once");
    let sem = Semaphore::new(3);
    let (running, max_running, done) = (Cell::new(0), Cell::new(0), Cell::new(0));
    ex.block_on(|| {
        // Scoped tasks may borrow the semaphore and the counters.
        corun::scope(|s| {
            for job in 0..8 {
                let (sem, running, max_running, done) = (&sem, &running, &max_running, &done);
                s.spawn(move || {
                    let _permit = sem.acquire().unwrap();
                    running.set(running.get() + 1);
                    max_running.set(max_running.get().max(running.get()));
                    println!("  job {job} starts ({} running)", running.get());
                    corun::sleep(Duration::from_millis(2));
                    running.set(running.get() - 1);
                    done.set(done.get() + 1);
                });
            }
        });
    });
    println!(
        "{} jobs done, at most {} at once",
        done.get(),
        max_running.get()
    );
    assert_eq!(done.get(), 8);
    assert_eq!(max_running.get(), 3);
    assert_eq!(sem.available_permits(), 3);
}
