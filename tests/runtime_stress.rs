//! Real-thread stress of `corun::sync::mpsc` across workers, for what loom
//! cannot see (stack switches, millions of messages): four producers (two
//! tasks on one worker, two plain threads) send into receiver tasks on the
//! other worker, while receivers close and senders stop at random points.
//! Every message sent `Ok` must be received exactly once, and every refused
//! one handed back unchanged.
//!
//! Each producer sends 1,000,000 messages in a release build
//! (`cargo test --release --test runtime_stress`) and 100,000 in a debug one
//! (`cargo test`), unless `CORUN_STRESS_MESSAGES` gives the number.

use corun::sync::mpsc::{channel, unbounded_channel, Receiver, Sender};
use corun::Runtime;

const PRODUCERS: usize = 4;

fn messages_per_producer() -> u64 {
    std::env::var("CORUN_STRESS_MESSAGES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(if cfg!(debug_assertions) {
            100_000
        } else {
            1_000_000
        })
}

/// xorshift64*: random points, reproducible from the seed a failure names.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// `Some(point)` in `0..n` half of the time: where to close or stop.
    fn maybe_point(&mut self, n: u64) -> Option<u64> {
        self.next()
            .is_multiple_of(2)
            .then(|| self.next() % n.max(1))
    }
}

/// A message: its producer and its sequence number, checked on arrival.
type Message = (usize, u64);

/// What a producer saw: how many of its messages were sent `Ok` (always
/// its first ones; the first refusal ends it).
struct Sent {
    producer: usize,
    ok: u64,
}

fn produce(producer: usize, tx: Sender<Message>, n: u64, stop_at: Option<u64>) -> Sent {
    for seq in 0..n {
        if stop_at == Some(seq) {
            // The sender is dropped here: this producer closes its side.
            return Sent { producer, ok: seq };
        }
        if let Err(refused) = tx.send((producer, seq)) {
            assert_eq!(
                refused.into_inner(),
                (producer, seq),
                "a refused send hands back its own value"
            );
            return Sent { producer, ok: seq };
        }
    }
    Sent { producer, ok: n }
}

/// Receives until the channel ends, closing it after `close_at` messages;
/// returns, per producer, a bit per sequence number received.
fn consume(rx: Receiver<Message>, n: u64, close_at: Option<u64>) -> Vec<Vec<u64>> {
    let words = n.div_ceil(64) as usize;
    let mut seen = vec![vec![0u64; words]; PRODUCERS];
    let mut count = 0u64;
    while let Ok((producer, seq)) = rx.recv() {
        if close_at == Some(count) {
            // Sends fail from now on; what is queued still arrives.
            rx.close();
        }
        count += 1;
        assert!(seq < n, "a message from nowhere: {seq}");
        let (word, bit) = ((seq / 64) as usize, seq % 64);
        assert!(
            seen[producer][word] & (1 << bit) == 0,
            "message {seq} of producer {producer} received twice"
        );
        seen[producer][word] |= 1 << bit;
    }
    seen
}

/// Checks that exactly messages `0..ok` of `sent.producer` were seen.
fn check(sent: &Sent, seen: &[Vec<u64>], seed: u64) {
    let row = &seen[sent.producer];
    let received: u64 = row.iter().map(|w| u64::from(w.count_ones())).sum();
    assert_eq!(
        received, sent.ok,
        "seed {seed}: producer {} sent {} Ok, {received} arrived",
        sent.producer, sent.ok
    );
    let mut sum = 0u64;
    for (w, word) in row.iter().enumerate() {
        for bit in 0..64 {
            if word & (1 << bit) != 0 {
                sum += w as u64 * 64 + bit;
            }
        }
    }
    // 0..ok has this sum only if no message outside it came instead.
    assert_eq!(
        sum,
        sent.ok * sent.ok.saturating_sub(1) / 2,
        "seed {seed}: producer {}: the checksum of what arrived is off",
        sent.producer
    );
}

fn round(rt: &Runtime, seed: u64, n: u64) {
    let mut rng = Rng(seed);
    // Channel 0: bounded (senders wait for room); channel 1: unbounded.
    let (tx0, rx0) = channel::<Message>(64);
    let (tx1, rx1) = unbounded_channel::<Message>();
    let total = n * 2;
    let receivers = [
        rt.spawn_on(1, {
            let close_at = rng.maybe_point(total);
            move || consume(rx0, n, close_at)
        }),
        rt.spawn_on(1, {
            let close_at = rng.maybe_point(total);
            move || consume(rx1, n, close_at)
        }),
    ];
    // Producers 0 and 2: tasks on worker 0; 1 and 3: plain threads.
    let senders = [tx0.clone(), tx0, tx1.clone(), tx1];
    let mut tasks = Vec::new();
    let mut threads = Vec::new();
    for (producer, tx) in senders.into_iter().enumerate() {
        let stop_at = rng.maybe_point(n);
        if producer % 2 == 0 {
            tasks.push(rt.spawn_on(0, move || produce(producer, tx, n, stop_at)));
        } else {
            threads.push(std::thread::spawn(move || {
                produce(producer, tx, n, stop_at)
            }));
        }
    }
    let mut sent: Vec<Sent> = tasks.into_iter().map(|t| t.join().unwrap()).collect();
    sent.extend(threads.into_iter().map(|t| t.join().unwrap()));
    let [seen0, seen1] = receivers.map(|r| r.join().unwrap());
    for s in &sent {
        let seen = if s.producer < 2 { &seen0 } else { &seen1 };
        check(s, seen, seed);
    }
    // A producer on the other channel sent nothing here.
    assert!(seen0[2..]
        .iter()
        .chain(&seen1[..2])
        .flatten()
        .all(|&w| w == 0));
}

#[test]
fn four_producers_into_tasks_on_another_worker_lose_and_duplicate_nothing() {
    let rt = Runtime::builder()
        .workers(2)
        .pin_cores(false)
        .build()
        .unwrap();
    let n = messages_per_producer();
    for seed in [0x9e37_79b9_7f4a_7c15u64, 7, 1 << 40, 12345] {
        round(&rt, seed, n);
    }
}
