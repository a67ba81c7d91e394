//! Helpers shared by the integration tests: panic messages, drop guards,
//! logs, a hand-driven future, child processes, and views of the executor and
//! the process.
#![allow(dead_code)] // each test binary uses its own subset

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::ops::Deref;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::process::{Command, Output};
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

// ---- Panic messages ----

/// The text of a caught panic payload, which must be a `&str` or a `String`.
pub fn payload_message(payload: Box<dyn Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(s) => *s,
        Err(p) => match p.downcast::<&'static str>() {
            Ok(s) => s.to_string(),
            Err(_) => panic!("panic payload is not a string"),
        },
    }
}

/// Runs `f`, which must panic, and returns its panic message.
pub fn panic_message<T>(f: impl FnOnce() -> T) -> String {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(_) => panic!("expected a panic"),
        Err(p) => payload_message(p),
    }
}

// ---- Drop guards ----

/// Counts drops across threads (a runtime task's capture).
pub struct Dropped(pub std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl Drop for Dropped {
    fn drop(&mut self) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Adds one to a counter when dropped, to count how often a value (a body's
/// local, a task's capture) is dropped. The counter is borrowed
/// (`&Cell<usize>`) where the test's lifetimes allow, or shared (an
/// `Rc<Cell<usize>>` from [`counter`]) for `'static` tasks.
pub struct DropCount<C: Deref<Target = Cell<usize>>>(pub C);

impl<C: Deref<Target = Cell<usize>>> Drop for DropCount<C> {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

/// A shared counter for [`DropCount`], at zero.
pub fn counter() -> Rc<Cell<usize>> {
    Rc::new(Cell::new(0))
}

/// Pushes its entry onto a log when dropped: Python's `finally`. The log is
/// borrowed (`&RefCell<Vec<T>>`) where the test's lifetimes allow, or shared
/// (a [`Log`]) for `'static` tasks.
pub struct Finally<L: Deref<Target = RefCell<Vec<T>>>, T: Clone>(pub L, pub T);

impl<L: Deref<Target = RefCell<Vec<T>>>, T: Clone> Drop for Finally<L, T> {
    fn drop(&mut self) {
        self.0.borrow_mut().push(self.1.clone());
    }
}

/// Panics with its message when dropped.
pub struct PanicsInDrop(pub &'static str);

impl Drop for PanicsInDrop {
    fn drop(&mut self) {
        panic!("{}", self.0);
    }
}

// ---- Logs ----

/// A shared log tasks push onto, in the order things happened.
pub type Log<T> = Rc<RefCell<Vec<T>>>;

/// An empty [`Log`].
pub fn log<T>() -> Log<T> {
    Rc::new(RefCell::new(Vec::new()))
}

/// Pushes `entry` onto `log` (a `&str` onto a `Log<String>` too).
pub fn push<T>(log: &Log<T>, entry: impl Into<T>) {
    log.borrow_mut().push(entry.into());
}

// ---- Waiting ----

/// A wait that outlasts every test: whatever waits this long is cancelled,
/// timed out or torn down first.
pub const LONG: Duration = Duration::from_secs(3600);

/// A future that counts its polls and is ready once `open` is set; until
/// then it keeps its latest waker in `waker`, so a test can wake it by hand
/// (even after its task is gone).
pub struct Gate {
    pub open: Rc<Cell<bool>>,
    pub polls: Rc<Cell<usize>>,
    pub waker: Rc<RefCell<Option<Waker>>>,
}

impl Future for Gate {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.polls.set(self.polls.get() + 1);
        if self.open.get() {
            return Poll::Ready(());
        }
        *self.waker.borrow_mut() = Some(cx.waker().clone());
        Poll::Pending
    }
}

/// Runs `cleanup` from a destructor of a task cancelled while it sleeps:
/// the task is unwinding then, so whatever `cleanup` waits for must not
/// suspend it.
#[allow(dead_code)]
pub fn in_cancelled_cleanup(ex: &corun::Executor, cleanup: impl FnOnce() + 'static) {
    struct Cleanup<F: FnOnce()>(Option<F>);
    impl<F: FnOnce()> Drop for Cleanup<F> {
        fn drop(&mut self) {
            if let Some(f) = self.0.take() {
                f();
            }
        }
    }
    let guard = Cleanup(Some(cleanup));
    let h = ex.spawn(move || {
        let _guard = guard;
        corun::sleep(LONG);
    });
    ex.block_on(|| {
        corun::yield_now();
        h.cancel();
        assert!(h.join().unwrap_err().is_cancelled());
    });
}

// ---- Child processes ----

/// Set, to the test's name, in a child process started by [`run_child`].
const CHILD_ENV: &str = "CORUN_TEST_CHILD";

/// Whether this process is the child [`run_child`] started for test `name`.
pub fn is_child(name: &str) -> bool {
    std::env::var(CHILD_ENV).is_ok_and(|v| v == name)
}

/// Runs the test `name` alone in a fresh process of this test binary (so an
/// abort, or a change to a process-wide limit, cannot touch this process) and
/// returns how it ended, with everything it printed (`--nocapture`).
pub fn run_child(name: &str) -> Output {
    child_command(name)
        .output()
        .expect("spawn the child test process")
}

/// The command [`run_child`] runs, for a test that sets up the child's
/// stdio itself.
pub fn child_command(name: &str) -> Command {
    let mut cmd = Command::new(std::env::current_exe().expect("test binary path"));
    cmd.args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, name);
    cmd
}

/// Runs `body` in a child process (see [`run_child`]) when called from the
/// test `name`: in the parent, waits for the child and panics with its
/// output if it failed (an abort included) or did not run the test, and
/// returns its stderr; in the child, runs `body`.
pub fn in_child_process(name: &str, body: impl FnOnce()) -> String {
    if is_child(name) {
        body();
        return String::new();
    }
    let out = run_child(name);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "the child running {name} failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        out.status
    );
    assert!(
        stdout.contains("1 passed"),
        "the child did not run {name}:\n{stdout}"
    );
    stderr
}

/// [`in_child_process`] for a test that checks what the child wrote:
/// `Some(stderr)` in the parent, `None` in the child, which has nothing to
/// check.
pub fn child_stderr(name: &str, body: impl FnOnce()) -> Option<String> {
    let stderr = in_child_process(name, body);
    (!is_child(name)).then_some(stderr)
}

// ---- Views of the executor and the process ----

/// What each task the executor knows is blocked on, in spawn order.
pub fn blocked(ex: &corun::Executor) -> Vec<&'static str> {
    ex.tasks()
        .iter()
        .filter_map(|t| match t.state {
            corun::TaskState::Blocked { on } => Some(on),
            _ => None,
        })
        .collect()
}

/// How many memory maps the process has (`/proc/self/maps` lines).
pub fn map_count() -> usize {
    std::fs::read_to_string("/proc/self/maps")
        .unwrap()
        .lines()
        .count()
}

// ---- Runtimes ----

/// A runtime of `n` unpinned workers (tests share the machine's cores).
pub fn runtime(n: usize) -> corun::Runtime {
    corun::Runtime::builder()
        .workers(n)
        .pin_cores(false)
        .build()
        .unwrap()
}
