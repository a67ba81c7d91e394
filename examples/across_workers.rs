//! The `sync::shared` primitives on a per-core runtime: a `Barrier` that
//! starts every worker's phase together, a `Semaphore` that bounds a
//! resource all workers share (three "database connections" for twelve
//! jobs), and an `Event` that tells every worker's long-running task to
//! stop. Then an event bus every worker listens to (`broadcast`), a
//! configuration they read while a plain thread reloads it (`RwLock`),
//! and a connection made once however many tasks ask for it at the same
//! moment (`OnceCell`). Each wait suspends only its task; the worker runs
//! the others.
//!
//! Run: `cargo run --release --example across_workers`
use corun::sync::shared::{broadcast, Barrier, Event, OnceCell, RwLock, Semaphore};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let rt = corun::Runtime::builder().workers(2).build()?;
    let workers = rt.workers();

    // 1. A barrier: each worker loads its part, then all start together.
    let start = Arc::new(Barrier::new(workers));
    let leaders: Vec<bool> = rt.run_on_all({
        let start = start.clone();
        move |worker| {
            corun::sleep(Duration::from_millis(1 + worker as u64)); // loading
            start.wait().expect("nobody aborts").is_leader()
        }
    });
    println!("phase 1: {workers} workers passed the barrier together");
    assert_eq!(leaders.iter().filter(|&&l| l).count(), 1);

    // 2. A semaphore: twelve jobs over both workers, at most three at once.
    let db = Arc::new(Semaphore::new(3));
    let (busy, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let jobs: Vec<_> = (0..12)
        .map(|_| {
            let (db, busy, most) = (db.clone(), busy.clone(), most.clone());
            rt.spawn(move || {
                let _conn = db.acquire().expect("never closed");
                let now = busy.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                corun::sleep(Duration::from_millis(2)); // the query
                busy.fetch_sub(1, Ordering::SeqCst);
            })
        })
        .collect();
    for job in jobs {
        job.join()?;
    }
    let most = most.load(Ordering::SeqCst);
    println!("phase 2: 12 jobs, at most {most} connections in use at once");
    assert!(most <= 3);

    // 3. An event: a ticker on every worker runs until told to stop.
    let stop = Arc::new(Event::new());
    let tickers: Vec<_> = (0..workers)
        .map(|w| {
            let stop = stop.clone();
            rt.spawn_on(w, move || {
                let mut ticks = 0u32;
                while !stop.wait_timeout(Duration::from_millis(1)) {
                    ticks += 1;
                }
                ticks
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(10));
    stop.set(); // from this plain thread
    for (w, t) in tickers.into_iter().enumerate() {
        println!(
            "phase 3: worker {w}'s ticker stopped after {} ticks",
            t.join()?
        );
    }

    // 4. An event bus: one publisher, a listener task on every worker, and
    // every listener gets every event, in order.
    let (bus, _) = broadcast::channel::<String>(16);
    let listeners: Vec<_> = (0..workers)
        .map(|w| {
            let mut events = bus.subscribe();
            rt.spawn_on(w, move || {
                let mut seen = Vec::new();
                while let Ok(e) = events.recv() {
                    seen.push(e);
                }
                seen
            })
        })
        .collect();
    for e in ["deploy started", "deploy finished"] {
        bus.send(e.to_string())?; // from this plain thread
    }
    drop(bus); // the listeners' loops end after the last event
    for (w, l) in listeners.into_iter().enumerate() {
        let seen = l.join()?;
        println!("phase 4: worker {w} heard {seen:?}");
        assert_eq!(seen, ["deploy started", "deploy finished"]);
    }

    // 5. Configuration read by every worker's tasks while a thread reloads
    // it, and a connection made once for all the tasks that need it.
    let config = Arc::new(RwLock::new((1u32, "v1")));
    let conn = Arc::new(OnceCell::new());
    let connects = Arc::new(AtomicUsize::new(0));
    let readers: Vec<_> = (0..8)
        .map(|_| {
            let (config, conn, connects) = (config.clone(), conn.clone(), connects.clone());
            rt.spawn(move || {
                let c = conn.get_or_init(|| {
                    connects.fetch_add(1, Ordering::SeqCst);
                    corun::sleep(Duration::from_millis(2)); // "connecting": the others wait
                    "db-connection"
                });
                let (version, name) = *config.read(); // never a half-written pair
                assert_eq!(name, format!("v{version}"));
                *c
            })
        })
        .collect();
    *config.write() = (2, "v2"); // from this plain thread
    for r in readers {
        assert_eq!(r.join()?, "db-connection");
    }
    println!(
        "phase 5: 8 tasks shared {} connection; the config is now {:?}",
        connects.load(Ordering::SeqCst),
        *config.read()
    );
    assert_eq!(connects.load(Ordering::SeqCst), 1);
    Ok(())
}
