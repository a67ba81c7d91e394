//! Graceful shutdown on SIGTERM: workers take jobs from a queue; when the
//! signal comes, no new job is queued, the workers finish what was queued,
//! and the process ends cleanly. Python's `loop.add_signal_handler`,
//! tokio's `signal::unix::signal`.
//!
//! The example sends itself SIGTERM once some jobs are done, as `kill`,
//! systemd or Kubernetes would.
//!
//! Run: `cargo run --release --example graceful_shutdown`
use corun::signal::{raise, signal, SignalKind};
use corun::sync::{channel, join_all, Event};
use corun::{sleep, spawn, Executor};
use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

fn main() -> std::io::Result<()> {
    let ex = Executor::new();
    let done = Rc::new(Cell::new(0u32));
    ex.block_on(|| {
        // Listen first, so no SIGTERM from now on can end the process
        // before the workers are done.
        let mut term = signal(SignalKind::terminate())?;
        let stopping = Rc::new(Event::new());
        let (jobs, queue) = channel::<u32>(4);
        let queue = Rc::new(queue);
        let workers: Vec<_> = (0..3)
            .map(|w| {
                let (queue, done) = (queue.clone(), done.clone());
                spawn(move || {
                    for job in queue.iter() {
                        sleep(Duration::from_millis(2)); // the work
                        done.set(done.get() + 1);
                        if job % 5 == 0 {
                            println!("worker {w}: job {job} done");
                        }
                    }
                })
            })
            .collect();
        let s = stopping.clone();
        let watcher = spawn(move || {
            term.recv()?; // suspends this task only
            println!("SIGTERM: no new jobs; finishing the queued ones");
            s.set();
            std::io::Result::Ok(())
        });
        let mut queued = 0;
        while !stopping.is_set() {
            if jobs.send(queued).is_err() {
                break;
            }
            queued += 1;
            if queued == 20 {
                raise(SignalKind::terminate())?; // as `kill <pid>` would
            }
        }
        drop(jobs); // the queue closes: each worker's loop ends when it is empty
        join_all(workers);
        watcher.join().expect("the watcher does not panic")?;
        println!("queued {queued}, done {}: nothing dropped", done.get());
        assert_eq!(done.get(), queued);
        std::io::Result::Ok(())
    })
}
