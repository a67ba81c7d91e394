//! Starting and stopping the worker threads.
//!
//! Shutdown, in order:
//! 1. Every inbox closes with one deadline: new spawns are refused (the
//!    closure handed back, or a handle whose join says so); jobs already
//!    pushed still become tasks.
//! 2. Each worker lets its tasks run until none is left or the deadline
//!    passes, then drops its executor: what is left is cancelled, each task
//!    unwinding so its destructors run, and every handle learns its end.
//! 3. The threads are joined, except the caller's own when the last owner
//!    of a runtime drops it on one of its workers (that thread ends on its
//!    own once its executor is gone).
//! 4. One caller joins; a second, concurrent one (another thread calling
//!    `shutdown_timeout`, or a drop) waits until that is done, unless it
//!    runs on one of the workers, which the first caller is waiting for.
//!    A caller on a worker joins the other threads and puts its own
//!    thread's handle back, so a later caller from outside joins it too.

use super::stall::{Monitor, StallReport};
use super::thread::{self, WorkerStart};
use super::worker::WorkerShared;
use super::{BuildError, Runtime, RuntimeBuilder, Shared};
use crate::executor::turn_clock::TurnClock;
use crate::loom::{lock, Arc, Condvar, Mutex};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Runtime ids, to tell a runtime's own worker threads (std's atomic: an id
/// counter is not part of any cross-thread protocol).
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// The worker threads, and how far their joining has come (rule 4).
#[derive(Default)]
pub(super) struct Threads {
    handles: Vec<std::thread::JoinHandle<()>>,
    joining: bool,
    joined: bool,
}

impl Runtime {
    pub(super) fn start(builder: RuntimeBuilder) -> Result<Runtime, BuildError> {
        let n = match builder.workers {
            Some(0) => return Err(BuildError::NoWorkers),
            Some(n) => n,
            None => std::thread::available_parallelism().map_or(1, |n| n.get()),
        };
        let cores = match (&builder.cores, builder.pin_cores) {
            (_, false) => Vec::new(),
            (Some(ids), true) => ids.iter().map(|&id| core_affinity::CoreId { id }).collect(),
            (None, true) => core_affinity::get_core_ids().unwrap_or_default(),
        };
        let shared = Arc::new(Shared {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            workers: (0..n).map(|_| Arc::new(WorkerShared::new())).collect(),
            placement: super::placement::Placer::new(builder.placement),
        });
        let clocks: Option<Vec<Arc<TurnClock>>> = builder
            .stall_warning
            .map(|_| (0..n).map(|_| Arc::new(TurnClock::default())).collect());
        let mut runtime = Runtime {
            shared: shared.clone(),
            threads: Mutex::new(Threads::default()),
            threads_joined: Condvar::new(),
            pinned: Vec::new(),
            monitor: Mutex::new(None),
        };
        for index in 0..n {
            let core = (!cores.is_empty()).then(|| cores[index % cores.len()]);
            let start = WorkerStart {
                runtime_id: shared.id,
                index,
                workers: shared.workers.clone(),
                stack_size: builder.stack_size,
                spin_before_park: builder.spin_before_park,
                start_paused: builder.start_paused,
                core,
                clock: clocks.as_ref().map(|c| c[index].clone()),
            };
            let (tx, rx) = std::sync::mpsc::channel();
            let thread = std::thread::Builder::new()
                .name(format!("corun-worker-{index}"))
                .spawn(move || thread::run(start, tx))?;
            lock(&runtime.threads).handles.push(thread);
            // On error, dropping `runtime` stops the workers already started.
            let ok = rx
                .recv()
                .map_err(|_| std::io::Error::other("a worker thread died while starting"))??;
            if let (Some(core), false) = (core, ok) {
                eprintln!(
                    "corun: worker {index} could not be pinned to core {} (the OS refused); \
                     it runs unpinned",
                    core.id
                );
            }
            runtime.pinned.push(core.filter(|_| ok).map(|c| c.id));
        }
        if let (Some(threshold), Some(clocks)) = (builder.stall_warning, clocks) {
            let report = builder
                .on_stall
                .unwrap_or_else(|| std::sync::Arc::new(|r: &StallReport| eprintln!("{r}")));
            *lock(&runtime.monitor) = Some(Monitor::start(clocks, threshold, report)?);
        }
        Ok(runtime)
    }

    /// Stops taking work, lets the tasks run until `timeout` has passed or
    /// none is left, cancels the rest (each unwinds: destructors run), and
    /// joins the worker threads. Returns once every thread has ended. A
    /// second call, or a drop after it, has nothing left to do; a second
    /// call from another thread while the first still runs waits for it
    /// (it may shorten the deadline). Called from a task on one of the
    /// runtime's own workers, it returns without joining that thread,
    /// which ends once its executor is gone.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let rt = corun::Runtime::builder().workers(2).build()?;
    /// let quick = rt.spawn(|| corun::sleep(Duration::from_millis(1)));
    /// let slow = rt.spawn(|| corun::sleep(Duration::from_secs(3600)));
    /// rt.shutdown_timeout(Duration::from_millis(200));
    /// assert!(quick.join().is_ok());
    /// assert!(slow.join().unwrap_err().is_cancelled());
    /// assert!(rt.spawn(|| 1).join().unwrap_err().is_cancelled()); // refused
    /// # Ok::<(), corun::runtime::BuildError>(())
    /// ```
    pub fn shutdown_timeout(&self, timeout: Duration) {
        let deadline = Instant::now()
            .checked_add(timeout)
            .unwrap_or_else(|| Instant::now() + Duration::from_secs(86400 * 365));
        for worker in &self.shared.workers {
            worker.inbox.close(deadline);
        }
        let own = super::current::current_runtime() == Some(self.shared.id);
        let threads = {
            let mut threads = lock(&self.threads);
            loop {
                if threads.joined || (threads.joining && own) {
                    return;
                }
                if !threads.joining {
                    break;
                }
                // Rule 4.
                threads = self
                    .threads_joined
                    .wait(threads)
                    .unwrap_or_else(|e| e.into_inner());
            }
            threads.joining = true;
            std::mem::take(&mut threads.handles)
        };
        // Whatever happens below, a second caller must not wait forever.
        // A caller on one of the workers cannot join its own thread: it
        // puts that handle back, for a later caller from outside to join.
        let kept = std::cell::RefCell::new(Vec::new());
        let _joined = crate::executor::call_on_drop::CallOnDrop(|| {
            let mut threads = lock(&self.threads);
            threads.handles.append(&mut kept.borrow_mut());
            threads.joining = false;
            threads.joined = threads.handles.is_empty();
            self.threads_joined.notify_all();
        });
        let me = std::thread::current().id();
        for thread in threads {
            if own && thread.thread().id() == me {
                kept.borrow_mut().push(thread);
                continue;
            }
            if thread.join().is_err() {
                eprintln!("corun: a runtime worker thread panicked");
            }
        }
        if let Some(mut monitor) = lock(&self.monitor).take() {
            monitor.stop();
        }
        // A worker that died left its jobs; dropping them tells their
        // handles (a worker that ended normally left none).
        for worker in &self.shared.workers {
            drop(worker.inbox.take_all());
        }
    }
}

impl Drop for Runtime {
    /// Cancels every task still alive (destructors run) and joins the
    /// threads: [`shutdown_timeout`](Runtime::shutdown_timeout) with no
    /// time to finish.
    fn drop(&mut self) {
        self.shutdown_timeout(Duration::ZERO);
    }
}
