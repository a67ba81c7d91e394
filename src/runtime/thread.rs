//! A worker thread: pins itself, makes its executor, and runs the
//! dispatcher task on it until the runtime closes.

use super::current::WORKER;
use super::worker::WorkerShared;
use crate::loom::Arc;

/// Pins the calling thread to `core`; `false` if the OS refuses. A core
/// number beyond what a CPU set can name is refused here (core_affinity
/// would index past its set).
fn pin(core: core_affinity::CoreId) -> bool {
    core.id < libc::CPU_SETSIZE as usize && core_affinity::set_for_current(core)
}

/// How a worker thread starts: its runtime, its index, its settings.
pub(crate) struct WorkerStart {
    pub(crate) runtime_id: u64,
    pub(crate) index: usize,
    /// Every worker's shared state, this one's at `index`.
    pub(crate) workers: Vec<Arc<WorkerShared>>,
    pub(crate) stack_size: Option<usize>,
    pub(crate) spin_before_park: std::time::Duration,
    pub(crate) start_paused: bool,
    pub(crate) core: Option<core_affinity::CoreId>,
    /// The turn clock of stall warnings, if they are on.
    pub(crate) clock: Option<Arc<crate::executor::turn_clock::TurnClock>>,
}

/// The worker thread's body. `started` gets whether pinning worked (or why
/// the executor could not be made) before any job runs.
pub(crate) fn run(start: WorkerStart, started: std::sync::mpsc::Sender<std::io::Result<bool>>) {
    WORKER.with(|w| w.set(Some((start.runtime_id, start.index))));
    let pinned = start.core.is_some_and(pin);
    let mut builder = crate::Executor::builder()
        .spin_before_park(start.spin_before_park)
        .start_paused(start.start_paused);
    if let Some(bytes) = start.stack_size {
        builder = builder.stack_size(bytes);
    }
    let executor = match builder.try_build() {
        Ok(executor) => executor,
        Err(e) => {
            let _ = started.send(Err(e));
            return;
        }
    };
    let _ = started.send(Ok(pinned));
    drop(started);
    let clock = start.clock;
    executor.block_on(|| {
        if let Some(clock) = clock {
            crate::executor::hooks::install_turn_clock(clock);
        }
        super::dispatch::dispatch(start.index, &start.workers)
    });
    // Step 4: unwinds every task still alive; their guards store the rest.
    drop(executor);
}
