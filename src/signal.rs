//! Unix signals as waits that suspend only the calling task: tokio's
//! `signal::ctrl_c` and `signal::unix::signal`, Python's
//! `loop.add_signal_handler`.
//!
//! How a delivery reaches a task: each [`Signal`] owns a socketpair whose
//! write end signal-hook's handler writes a byte to (the self-pipe
//! pattern: the handler does nothing else, so it is async-signal-safe),
//! and whose read end sits on the executor's reactor like any socket. A
//! wait drains the socket before it returns, so deliveries that came
//! together count as one, as the kernel's own pending signals do.
//!
//! Rules:
//! 1. Each `Signal` sees every delivery of its signal from its creation
//!    on; deliveries since the last wait are folded into one.
//! 2. While at least one `Signal` of a signal is alive, the signal's
//!    default action (for SIGINT and SIGTERM: terminate) does not run.
//! 3. When the last one goes, the default action is back: a Ctrl-C after
//!    the graceful-shutdown listener is dropped ends the process, as if
//!    corun had never listened. (tokio never restores it, and a process
//!    that stopped listening ignores SIGINT from then on.) The handler
//!    itself stays installed, as signal-hook's handlers do, and emulates
//!    the default; another handler installed through signal-hook for the
//!    same signal runs as well.
//! 4. SIGKILL, SIGSTOP and the synchronous fault signals (SIGSEGV, SIGBUS,
//!    SIGILL, SIGFPE, SIGTRAP) cannot be listened to: an error says so.

use crate::executor::reactor::Direction;
use crate::io::Evented;
use std::collections::HashMap;
use std::fmt;
use std::io::{self, Read};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

/// Which signal to listen for (tokio's `SignalKind`): the usual ones by
/// name, any other by number.
///
/// ```
/// use corun::signal::SignalKind;
///
/// assert_eq!(SignalKind::terminate().as_raw_value(), 15);
/// assert_eq!(SignalKind::from_raw(15), SignalKind::terminate());
/// assert_eq!(SignalKind::interrupt().to_string(), "SIGINT");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SignalKind(i32);

impl SignalKind {
    /// The signal numbered `signum` (as `libc::SIGUSR1` and friends).
    pub const fn from_raw(signum: i32) -> Self {
        SignalKind(signum)
    }

    /// The signal's number.
    pub const fn as_raw_value(&self) -> i32 {
        self.0
    }

    /// SIGINT: Ctrl-C at a terminal.
    pub const fn interrupt() -> Self {
        SignalKind(libc::SIGINT)
    }

    /// SIGTERM: the polite request to stop (`kill`, systemd, Kubernetes).
    pub const fn terminate() -> Self {
        SignalKind(libc::SIGTERM)
    }

    /// SIGHUP: the terminal went away; daemons take it as "reload".
    pub const fn hangup() -> Self {
        SignalKind(libc::SIGHUP)
    }

    /// SIGQUIT: Ctrl-\ at a terminal.
    pub const fn quit() -> Self {
        SignalKind(libc::SIGQUIT)
    }

    /// SIGUSR1.
    pub const fn user_defined1() -> Self {
        SignalKind(libc::SIGUSR1)
    }

    /// SIGUSR2.
    pub const fn user_defined2() -> Self {
        SignalKind(libc::SIGUSR2)
    }

    /// SIGCHLD: a child process stopped or ended.
    pub const fn child() -> Self {
        SignalKind(libc::SIGCHLD)
    }

    /// SIGWINCH: the terminal changed size.
    pub const fn window_change() -> Self {
        SignalKind(libc::SIGWINCH)
    }

    /// SIGPIPE: a write to a pipe or socket with no reader.
    pub const fn pipe() -> Self {
        SignalKind(libc::SIGPIPE)
    }

    /// SIGALRM: an `alarm` timer fired.
    pub const fn alarm() -> Self {
        SignalKind(libc::SIGALRM)
    }
}

impl fmt::Display for SignalKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match signal_hook::low_level::signal_name(self.0) {
            Some(name) => f.write_str(name),
            None => write!(f, "signal {}", self.0),
        }
    }
}

impl fmt::Debug for SignalKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SignalKind({self})")
    }
}

impl From<i32> for SignalKind {
    fn from(signum: i32) -> Self {
        SignalKind(signum)
    }
}

/// A listener for one signal (tokio's `unix::Signal`): from its creation
/// on, every delivery of the signal wakes [`recv`](Signal::recv), with
/// deliveries that came before the wait folded into one (rule 1).
///
/// While any `Signal` of a signal is alive, the signal's default action is
/// held off; when the last is dropped it is back (rules 2 and 3).
///
/// ```
/// use corun::signal::{signal, SignalKind};
///
/// let ex = corun::Executor::new();
/// ex.block_on(|| {
///     let mut hangups = signal(SignalKind::hangup()).unwrap();
///     let reloader = corun::spawn(move || {
///         hangups.recv().unwrap(); // suspends this task only
///         "reloaded"
///     });
///     corun::yield_now();
///     corun::signal::raise(SignalKind::hangup()).unwrap(); // as `kill -HUP` would
///     assert_eq!(reloader.join().unwrap(), "reloaded");
/// });
/// ```
pub struct Signal {
    kind: SignalKind,
    reader: Evented<UnixStream>,
    id: signal_hook::SigId,
    /// Dropped after `drop` unregistered the handler's write end: only
    /// then may the default action come back (rule 3).
    _listener: Listener,
}

/// Starts listening for `kind`; see [`Signal`].
///
/// # Errors
///
/// `InvalidInput` for a signal that cannot be caught or must not be
/// (rule 4), and whatever making the socketpair or installing the handler
/// returns.
///
/// ```
/// use corun::signal::{signal, SignalKind};
///
/// let err = signal(SignalKind::from_raw(9)).unwrap_err(); // SIGKILL
/// assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
/// assert!(err.to_string().contains("SIGKILL cannot be listened to"));
/// ```
pub fn signal(kind: SignalKind) -> io::Result<Signal> {
    let signum = kind.as_raw_value();
    if signal_hook::consts::FORBIDDEN.contains(&signum)
        || [libc::SIGBUS, libc::SIGTRAP].contains(&signum)
    {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "corun::signal::signal: {kind} cannot be listened to (the kernel does not \
                 let SIGKILL and SIGSTOP be caught, and the fault signals belong to the \
                 code that faults)"
            ),
        ));
    }
    let (read, write) = UnixStream::pair()?;
    read.set_nonblocking(true)?;
    write.set_nonblocking(true)?;
    // Counted in first, so the default is held off before the first
    // delivery can reach the socket; a failed install counts it out again.
    let listener = Listener::count_in(signum);
    let id = signal_hook::low_level::pipe::register(signum, write)?;
    Ok(Signal {
        kind,
        reader: Evented::new(read),
        id,
        _listener: listener,
    })
}

impl Signal {
    /// Waits for the next delivery of the signal, suspending the calling
    /// task (outside a task, blocking the thread); returns at once if one
    /// came since the last wait.
    ///
    /// # Errors
    ///
    /// If the task is unwinding (cancelled) and would have to wait, and
    /// whatever reading the socket returns (nothing, in practice).
    pub fn recv(&mut self) -> io::Result<()> {
        self.reader
            .blocking(Direction::Read, None, "Signal::recv", drain)
    }

    /// [`recv`](Signal::recv) as a future, for future tasks and async code
    /// on a corun executor.
    ///
    /// ```
    /// use corun::signal::{signal, SignalKind};
    ///
    /// let ex = corun::Executor::new();
    /// let mut usr2 = signal(SignalKind::user_defined2()).unwrap();
    /// let waiter = ex.spawn_future(async move { usr2.recv_async().await.is_ok() });
    /// ex.block_on(|| {
    ///     corun::yield_now();
    ///     corun::signal::raise(SignalKind::user_defined2()).unwrap();
    ///     assert!(waiter.join().unwrap());
    /// });
    /// ```
    pub async fn recv_async(&mut self) -> io::Result<()> {
        self.reader
            .op_async(Direction::Read, "Signal::recv_async", drain)
            .await
    }

    /// Whether the signal came since the last wait; takes that delivery
    /// if so, and never waits.
    pub fn try_recv(&mut self) -> bool {
        drain(self.reader.get_ref()).is_ok()
    }

    /// The signal this listens for.
    pub fn kind(&self) -> SignalKind {
        self.kind
    }
}

impl Drop for Signal {
    fn drop(&mut self) {
        // The handler's write end goes with its action; then `_listener`
        // counts this one out, and the last brings the default back.
        signal_hook::low_level::unregister(self.id);
    }
}

impl fmt::Debug for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signal").field("kind", &self.kind).finish()
    }
}

/// Waits for the next Ctrl-C (SIGINT) from now on, suspending the calling
/// task: tokio's `signal::ctrl_c`, for a graceful shutdown. Until it
/// returns, Ctrl-C does not end the process; after, it does again
/// (rule 3). To see every Ctrl-C, keep one
/// [`signal`]`(SignalKind::interrupt())` instead.
///
/// # Errors
///
/// As [`signal`] and [`Signal::recv`].
///
/// ```
/// let ex = corun::Executor::new();
/// ex.block_on(|| {
///     let server = corun::spawn(|| {
///         corun::signal::ctrl_c().unwrap();
///         "shutting down"
///     });
///     corun::yield_now();
///     corun::signal::raise(corun::signal::SignalKind::interrupt()).unwrap(); // the user's Ctrl-C
///     assert_eq!(server.join().unwrap(), "shutting down");
/// });
/// ```
pub fn ctrl_c() -> io::Result<()> {
    signal(SignalKind::interrupt())?.recv()
}

/// [`ctrl_c`] as a future, for future tasks and async code. The listener
/// starts when the future is first polled.
pub async fn ctrl_c_async() -> io::Result<()> {
    signal(SignalKind::interrupt())?.recv_async().await
}

/// Sends `kind` to this process (`kill -s SIG $$`, C's `raise`): to test
/// a handler, or to stop the process from inside as a supervisor would.
///
/// ```
/// use corun::signal::{raise, signal, SignalKind};
///
/// let mut usr1 = signal(SignalKind::user_defined1()).unwrap();
/// raise(SignalKind::user_defined1()).unwrap();
/// assert!(usr1.try_recv());
/// assert!(!usr1.try_recv()); // taken
/// ```
pub fn raise(kind: SignalKind) -> io::Result<()> {
    signal_hook::low_level::raise(kind.as_raw_value())
}

/// Takes every byte the handler wrote: `Ok` if there was one, `WouldBlock`
/// if none (so the caller waits for the socket).
fn drain(mut socket: &UnixStream) -> io::Result<()> {
    let mut buf = [0u8; 64];
    let mut got = false;
    loop {
        match socket.read(&mut buf) {
            Ok(0) => {
                // The write end is held by the handler's action until this
                // listener unregisters it, so it cannot have gone.
                return Err(io::Error::other(
                    "corun::signal: the signal handler's socket closed",
                ));
            }
            Ok(_) => got = true,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock && got => return Ok(()),
            Err(e) => return Err(e),
        }
    }
}

/// Per signal: how many listeners it has, and the flag its default-action
/// handler reads, set while nobody listens so the default runs (rules 2
/// and 3).
struct SignalEntry {
    listeners: usize,
    nobody_listens: Arc<AtomicBool>,
}

fn lock_entries() -> MutexGuard<'static, HashMap<i32, SignalEntry>> {
    static ENTRIES: OnceLock<Mutex<HashMap<i32, SignalEntry>>> = OnceLock::new();
    // Nothing in the map is left half-changed if a panic strikes.
    ENTRIES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}

/// One listener of a signal, counted in while it lives.
struct Listener {
    signum: i32,
}

impl Listener {
    /// Counts a listener in, installing the signal's default-action handler
    /// the first time any listener of it starts.
    fn count_in(signum: i32) -> Listener {
        let mut entries = lock_entries();
        let entry = entries.entry(signum).or_insert_with(|| {
            let nobody_listens = Arc::new(AtomicBool::new(false));
            // A signal whose default signal-hook does not know (a real-time
            // one) has no default to bring back: it stays ignored once
            // nobody listens, as it was while they did.
            let _ = signal_hook::flag::register_conditional_default(signum, nobody_listens.clone());
            SignalEntry {
                listeners: 0,
                nobody_listens,
            }
        });
        entry.listeners += 1;
        entry.nobody_listens.store(false, Ordering::SeqCst);
        Listener { signum }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let mut entries = lock_entries();
        let entry = entries
            .get_mut(&self.signum)
            .expect("a counted-in signal keeps its entry");
        entry.listeners -= 1;
        if entry.listeners == 0 {
            entry.nobody_listens.store(true, Ordering::SeqCst);
        }
    }
}
