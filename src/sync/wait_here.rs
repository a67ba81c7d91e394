//! Waiting for a `Future` from anywhere, for the cross-thread types: a
//! stackful task suspends (only it), any other caller blocks its thread.
//!
//! A blocked thread sleeps on a `Condvar` from the facade (`crate::loom`),
//! woken through an ordinary `Waker`, so under `--cfg loom` the models (and
//! users' own models) see every wake-up.

use crate::executor::hooks::{can_suspend, in_future_task, suspend_on, Unwinding};
use crate::loom::{lock, Condvar, Mutex};
use std::future::Future;
use std::pin::{pin, Pin};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

/// Waits for `future`: suspends the calling stackful task, or blocks the
/// calling thread. `Err` only for a task that is unwinding (it cannot wait).
///
/// # Panics
///
/// In a future task (`spawn_future`) when it would wait: see
/// [`ready_or_refuse`].
#[track_caller]
pub(crate) fn wait<F: Future>(future: F, reason: &'static str) -> Result<F::Output, Unwinding> {
    let mut future = pin!(future);
    if can_suspend() {
        suspend_on(future, reason)
    } else {
        if let Some(value) = ready_or_refuse(future.as_mut(), reason) {
            return Ok(value);
        }
        Ok(block_thread(future, None).expect("no deadline"))
    }
}

/// A future task has no stack to suspend, and blocking its worker's thread
/// would stall every task there, the one that would answer included: a
/// deadlock the detector cannot see. So a wait there takes what is ready
/// already and panics if it would have to wait, as the local channel's
/// does, saying what to use. Elsewhere it does nothing (`None`).
#[track_caller]
fn ready_or_refuse<F: Future>(future: Pin<&mut F>, reason: &str) -> Option<F::Output> {
    if !in_future_task() {
        return None;
    }
    match future.poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(value) => Some(value),
        Poll::Pending => refused(reason),
    }
}

#[cold]
#[track_caller]
fn refused(reason: &str) -> ! {
    panic!(
        "{reason}: this blocking wait was called from a future task (spawn_future), which has \
         no stack to suspend, and blocking the thread would stall every task of its executor; \
         use the async form there: {}",
        async_form(reason)
    )
}

/// What to call instead of `reason` in async code.
fn async_form(reason: &str) -> &'static str {
    const FORMS: [(&str, &str); 13] = [
        ("OnceCell::get_or_init", "get_or_init_async(..).await"),
        (
            "shared::Notify::wait_timeout",
            "corun::time::timeout_future(limit, notify.notified()).await",
        ),
        (
            "shared::Event::wait_timeout",
            "corun::time::timeout_future(limit, event.wait_async()).await",
        ),
        (
            "shared::Barrier::wait_timeout",
            "corun::time::timeout_future(limit, barrier.wait_async()).await",
        ),
        (
            "mpsc::Receiver",
            "recv_async().await, or the receiver as a Stream",
        ),
        (
            "mpsc::Sender",
            "send_async(value).await, or the sender as a Sink",
        ),
        ("mpsc::OneshotReceiver", ".await the receiver"),
        ("runtime JoinHandle", ".await the JoinHandle"),
        ("AsyncResult", "get_async().await"),
        (
            "shared::broadcast::Receiver",
            "recv_async().await, or the receiver as a Stream",
        ),
        ("shared::Notify", "notified().await"),
        ("shared::RwLock::read", "read_async().await"),
        ("shared::RwLock::write", "write_async().await"),
    ];
    FORMS
        .iter()
        .find(|(call, _)| reason.starts_with(call))
        .map_or("the type's *_async method", |(_, form)| form)
}

/// [`wait`] for at most `limit`; `Ok(None)` when the time ran out first.
#[track_caller]
pub(crate) fn wait_timeout<F: Future>(
    future: F,
    limit: Duration,
    reason: &'static str,
) -> Result<Option<F::Output>, Unwinding> {
    let mut future = pin!(future);
    if can_suspend() {
        match crate::executor::timeout(limit, || suspend_on(future.as_mut(), reason)) {
            Ok(Ok(value)) => Ok(Some(value)),
            Ok(Err(unwinding)) => Err(unwinding),
            Err(_elapsed) => Ok(None),
        }
    } else {
        // A zero limit is a poll, which a future task may do.
        if !limit.is_zero() {
            if let Some(value) = ready_or_refuse(future.as_mut(), reason) {
                return Ok(Some(value));
            }
        }
        Ok(block_thread(future, Instant::now().checked_add(limit)))
    }
}

/// The data behind a blocked thread's `Waker`.
///
/// Rules: a wake sets `woken` under the lock and signals the condition
/// variable only if the thread said, under the same lock, that it sleeps
/// (so a wake of a thread that is still polling or spinning costs no system
/// call); the thread clears `woken` when it takes the wake.
struct ThreadSignal {
    state: Mutex<Signal>,
    cv: Condvar,
}

#[derive(Default)]
struct Signal {
    woken: bool,
    sleeping: bool,
}

impl Wake for ThreadSignal {
    fn wake(self: std::sync::Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &std::sync::Arc<Self>) {
        let mut state = lock(&self.state);
        state.woken = true;
        if state.sleeping {
            self.cv.notify_one();
        }
    }
}

/// How often a blocked thread looks for its wake before it sleeps: the
/// other side often answers within a microsecond or two, and a sleep is
/// paid for by the waker's system call and the wake-up (tens of µs here).
const SPINS_BEFORE_SLEEPING: u32 = 200;

/// Blocks the calling thread until `future` is ready, whatever the thread
/// runs (for a caller that has decided it must not suspend).
pub(crate) fn block_thread_on<F: Future>(future: F) -> F::Output {
    block_thread(pin!(future), None).expect("no deadline")
}

/// Polls `future` on this thread, sleeping between polls until woken or
/// until `deadline` (then `None`).
fn block_thread<F: Future>(
    mut future: Pin<&mut F>,
    deadline: Option<Instant>,
) -> Option<F::Output> {
    let (signal, _in_use) = thread_signal();
    let waker = Waker::from(signal.clone());
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(value) = future.as_mut().poll(&mut cx) {
            return Some(value);
        }
        spin_for_wake(&signal);
        let mut state = lock(&signal.state);
        while !state.woken {
            state.sleeping = true;
            state = match deadline {
                None => signal.cv.wait(state).unwrap_or_else(|e| e.into_inner()),
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        state.sleeping = false;
                        drop(state);
                        // One last look: the value may have come just now.
                        return match future.as_mut().poll(&mut cx) {
                            Poll::Ready(value) => Some(value),
                            Poll::Pending => None,
                        };
                    }
                    wait_for(&signal.cv, state, left)
                }
            };
            state.sleeping = false;
        }
        state.woken = false;
    }
}

fn new_signal() -> std::sync::Arc<ThreadSignal> {
    std::sync::Arc::new(ThreadSignal {
        state: Mutex::new(Signal::default()),
        cv: Condvar::new(),
    })
}

/// Marks the thread's cached signal in use while a wait holds it.
struct InUse(Option<&'static std::thread::LocalKey<std::cell::Cell<bool>>>);

impl Drop for InUse {
    fn drop(&mut self) {
        if let Some(flag) = self.0 {
            let _ = flag.try_with(|f| f.set(false));
        }
    }
}

/// The signal a blocked thread sleeps on. One per thread, reused, so that
/// its waker is the same at every wait: a thread that waits again and again
/// on one shared result (`wait_timeout` in a loop) leaves one waker there,
/// not one per call (`will_wake` tells them apart otherwise). A wait
/// nested in another's poll gets a fresh one, so the two cannot take each
/// other's wakes.
#[cfg(not(loom))]
fn thread_signal() -> (std::sync::Arc<ThreadSignal>, InUse) {
    thread_local! {
        static SIGNAL: std::sync::Arc<ThreadSignal> = new_signal();
        static IN_USE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }
    let free = IN_USE.try_with(|f| !f.replace(true)).unwrap_or(false);
    match SIGNAL.try_with(|s| s.clone()) {
        Ok(signal) if free => {
            // A wake left from an earlier wait would only cost a poll;
            // none can be meant for this one, which has not polled yet.
            lock(&signal.state).woken = false;
            (signal, InUse(Some(&IN_USE)))
        }
        Ok(_) => (new_signal(), InUse(None)),
        Err(_) => {
            let _ = IN_USE.try_with(|f| f.set(false));
            (new_signal(), InUse(None))
        }
    }
}

/// Under loom every wait has its own signal (loom's objects live in one
/// model run, not in a thread-local).
#[cfg(loom)]
fn thread_signal() -> (std::sync::Arc<ThreadSignal>, InUse) {
    (new_signal(), InUse(None))
}

/// Looks for the wake a while before sleeping (not under loom, where a
/// spin is only more interleavings to explore).
fn spin_for_wake(signal: &ThreadSignal) {
    if cfg!(loom) {
        return;
    }
    for _ in 0..SPINS_BEFORE_SLEEPING {
        if lock(&signal.state).woken {
            return;
        }
        std::hint::spin_loop();
    }
}

#[cfg(not(loom))]
fn wait_for<'a>(
    cv: &Condvar,
    guard: crate::loom::MutexGuard<'a, Signal>,
    left: Duration,
) -> crate::loom::MutexGuard<'a, Signal> {
    cv.wait_timeout(guard, left)
        .unwrap_or_else(|e| e.into_inner())
        .0
}

/// loom has no clock: a timed wait is an untimed one there.
#[cfg(loom)]
fn wait_for<'a>(
    cv: &Condvar,
    guard: crate::loom::MutexGuard<'a, Signal>,
    _left: Duration,
) -> crate::loom::MutexGuard<'a, Signal> {
    cv.wait(guard).unwrap_or_else(|e| e.into_inner())
}
