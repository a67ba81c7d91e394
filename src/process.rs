//! Child processes in std's shape (`Command`, `Child`, `Output`), whose
//! waits suspend only the calling task.
//!
//! How a wait waits: in a task, `wait` opens a pidfd for the child
//! (`pidfd_open`, Linux 5.3+, through rustix's safe wrapper), which turns
//! readable when the child exits, and waits for it on the executor's
//! reactor like any socket: no thread, and a cancelled or timed-out wait
//! leaves the `Child` as it was, still waitable. Where the kernel refuses
//! pidfds (older kernels, some seccomp sandboxes), it falls back to blocking
//! one thread of the [`unblock`](crate::unblock) pool in `waitpid`, still
//! suspending only the task. The child's pipes are corun pipes, on the
//! reactor.

use crate::executor::reactor::Direction;
use crate::io::{Evented, PipeReader, PipeWriter};
use std::ffi::OsStr;
use std::fmt;
use std::io::{self, Read};
use std::os::fd::OwnedFd;
use std::path::Path;
use std::process::{ExitStatus, Output, Stdio};

/// The child's stdin: a corun pipe end (`Write`, `AsyncWrite`).
pub type ChildStdin = PipeWriter;
/// The child's stdout: a corun pipe end (`Read`, `AsyncRead`).
pub type ChildStdout = PipeReader;
/// The child's stderr: a corun pipe end (`Read`, `AsyncRead`).
pub type ChildStderr = PipeReader;

/// A process builder: std's [`Command`](std::process::Command), whose
/// `output`, `status` and the child's `wait` suspend only the calling task
/// (outside a task they block the thread, as std's).
///
/// ```
/// let ex = corun::Executor::new();
/// let out = ex.block_on(|| {
///     corun::process::Command::new("sh").arg("-c").arg("echo hi").output().unwrap()
/// });
/// assert!(out.status.success());
/// assert_eq!(out.stdout, b"hi\n");
/// ```
pub struct Command {
    inner: std::process::Command,
    /// Whether stdin, stdout and stderr (in that order) were set here:
    /// `output` gives only the others its own defaults.
    stdio_set: [bool; 3],
    /// Children spawned from here are killed when their `Child` drops.
    kill_on_drop: bool,
}

impl Command {
    /// A command to run `program`, as std's.
    pub fn new<S: AsRef<OsStr>>(program: S) -> Command {
        Command {
            inner: std::process::Command::new(program),
            stdio_set: [false; 3],
            kill_on_drop: false,
        }
    }

    /// Adds an argument.
    pub fn arg<S: AsRef<OsStr>>(&mut self, arg: S) -> &mut Command {
        self.inner.arg(arg);
        self
    }

    /// Adds arguments.
    pub fn args<I, S>(&mut self, args: I) -> &mut Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.inner.args(args);
        self
    }

    /// Sets an environment variable.
    pub fn env<K: AsRef<OsStr>, V: AsRef<OsStr>>(&mut self, key: K, val: V) -> &mut Command {
        self.inner.env(key, val);
        self
    }

    /// Sets environment variables.
    pub fn envs<I, K, V>(&mut self, vars: I) -> &mut Command
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        self.inner.envs(vars);
        self
    }

    /// Removes an environment variable.
    pub fn env_remove<K: AsRef<OsStr>>(&mut self, key: K) -> &mut Command {
        self.inner.env_remove(key);
        self
    }

    /// Clears the environment.
    pub fn env_clear(&mut self) -> &mut Command {
        self.inner.env_clear();
        self
    }

    /// Sets the working directory.
    pub fn current_dir<P: AsRef<Path>>(&mut self, dir: P) -> &mut Command {
        self.inner.current_dir(dir);
        self
    }

    /// The child's stdin (`Stdio::piped()` gives [`Child::stdin`]).
    pub fn stdin<T: Into<Stdio>>(&mut self, cfg: T) -> &mut Command {
        self.inner.stdin(cfg);
        self.stdio_set[0] = true;
        self
    }

    /// The child's stdout (`Stdio::piped()` gives [`Child::stdout`]).
    pub fn stdout<T: Into<Stdio>>(&mut self, cfg: T) -> &mut Command {
        self.inner.stdout(cfg);
        self.stdio_set[1] = true;
        self
    }

    /// The child's stderr (`Stdio::piped()` gives [`Child::stderr`]).
    pub fn stderr<T: Into<Stdio>>(&mut self, cfg: T) -> &mut Command {
        self.inner.stderr(cfg);
        self.stdio_set[2] = true;
        self
    }

    /// Whether a child spawned from this command is killed (`SIGKILL`) when
    /// its [`Child`] is dropped before it exited; off by default, as in std
    /// and tokio. On, a task cancelled or timed out in [`output`](Self::output)
    /// or [`Child::wait`] takes its child down with it instead of leaving
    /// it running. The killed child is reaped on the
    /// [`unblock`](crate::unblock) pool, so it leaves no zombie.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let ex = corun::Executor::new();
    /// let (pid, timed_out) = ex.block_on(|| {
    ///     let mut child = corun::process::Command::new("sleep").arg("60").kill_on_drop(true).spawn().unwrap();
    ///     let pid = child.id();
    ///     (pid, corun::timeout(Duration::from_millis(20), move || child.wait()).is_err())
    /// });
    /// assert!(timed_out); // and the `sleep 60` with id `pid` is gone
    /// # let _ = pid;
    /// ```
    pub fn kill_on_drop(&mut self, kill: bool) -> &mut Command {
        self.kill_on_drop = kill;
        self
    }

    /// Starts the child. `fork`/`exec` themselves are quick and run on the
    /// calling thread, as in std.
    pub fn spawn(&mut self) -> io::Result<Child> {
        Child::from_std(self.inner.spawn()?, self.kill_on_drop)
    }

    /// Runs the child to its end and collects its output, as std's
    /// `output`: stdout and stderr are captured and stdin reads
    /// `/dev/null`, except for those set with [`stdin`](Self::stdin),
    /// [`stdout`](Self::stdout) or [`stderr`](Self::stderr), which keep
    /// their setting. The command is left as it was for later spawns.
    ///
    /// ```
    /// use std::process::Stdio;
    ///
    /// let ex = corun::Executor::new();
    /// ex.block_on(|| {
    ///     let mut cmd = corun::process::Command::new("sh");
    ///     cmd.arg("-c").arg("echo out; echo err >&2").stderr(Stdio::null());
    ///     let out = cmd.output().unwrap();
    ///     assert_eq!(out.stdout, b"out\n");
    ///     assert!(out.stderr.is_empty()); // set to null: not captured
    /// });
    /// ```
    pub fn output(&mut self) -> io::Result<Output> {
        self.spawn_for_output()?.wait_with_output()
    }

    /// `output`'s spawn, with its stdio defaults.
    fn spawn_for_output(&mut self) -> io::Result<Child> {
        // std's `Command` can be neither copied nor asked for its stdio, so
        // the defaults go on it for this one spawn and come off again.
        // Unset and inherit are the same to `spawn` and `status`, so putting
        // inherit back leaves the command as the caller made it.
        self.set_unset_stdio([Stdio::null, Stdio::piped, Stdio::piped]);
        let spawned = self.inner.spawn();
        self.set_unset_stdio([Stdio::inherit, Stdio::inherit, Stdio::inherit]);
        let mut child = Child::from_std(spawned?, self.kill_on_drop)?;
        child.stdin = None;
        Ok(child)
    }

    /// Runs the child to its end and returns its exit status.
    pub fn status(&mut self) -> io::Result<ExitStatus> {
        self.spawn()?.wait()
    }

    /// [`output`](Self::output) for future tasks and async code.
    ///
    /// ```
    /// let ex = corun::Executor::new();
    /// let out = ex.block_on(|| {
    ///     corun::spawn_future(async {
    ///         corun::process::Command::new("sh").arg("-c").arg("echo hi").output_async().await
    ///     })
    ///     .join()
    ///     .unwrap()
    ///     .unwrap()
    /// });
    /// assert_eq!(out.stdout, b"hi\n");
    /// ```
    pub async fn output_async(&mut self) -> io::Result<Output> {
        self.spawn_for_output()?.wait_with_output_async().await
    }

    /// [`status`](Self::status) for future tasks and async code.
    pub async fn status_async(&mut self) -> io::Result<ExitStatus> {
        self.spawn()?.wait_async().await
    }

    /// Sets stdin, stdout and stderr (in that order) to what `make` gives,
    /// each only if the caller left it unset.
    fn set_unset_stdio(&mut self, make: [fn() -> Stdio; 3]) {
        let [stdin, stdout, stderr] = make;
        let [stdin_set, stdout_set, stderr_set] = self.stdio_set;
        if !stdin_set {
            self.inner.stdin(stdin());
        }
        if !stdout_set {
            self.inner.stdout(stdout());
        }
        if !stderr_set {
            self.inner.stderr(stderr());
        }
    }

    /// The std command, for settings this type does not mirror
    /// (`std::os::unix::process::CommandExt`: `uid`, `pre_exec`, ...).
    /// Set stdin, stdout and stderr through this type instead:
    /// [`output`](Self::output) knows only of the settings made there.
    pub fn as_std_mut(&mut self) -> &mut std::process::Command {
        &mut self.inner
    }
}

impl From<std::process::Command> for Command {
    /// Takes a command built with std (tokio's `From` too). Stdio set on
    /// it there cannot be read back, so [`Command::output`] treats all
    /// three as unset and gives them its defaults (stdin null, stdout and
    /// stderr captured); set them on this type to keep them.
    ///
    /// ```
    /// let mut std_cmd = std::process::Command::new("sh");
    /// std_cmd.arg("-c").arg("echo $GREETING").env("GREETING", "hello");
    /// let out = corun::Executor::new().block_on(|| corun::process::Command::from(std_cmd).output().unwrap());
    /// assert_eq!(out.stdout, b"hello\n");
    /// ```
    fn from(inner: std::process::Command) -> Command {
        Command {
            inner,
            stdio_set: [false; 3],
            kill_on_drop: false,
        }
    }
}

impl fmt::Debug for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}

/// A running or exited child process: std's
/// [`Child`](std::process::Child), whose `wait` suspends only the calling
/// task.
///
/// ```
/// use corun::process::Command;
/// use std::io::{Read, Write};
/// use std::process::Stdio;
///
/// let ex = corun::Executor::new();
/// let echoed = ex.block_on(|| {
///     let mut child = Command::new("cat").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
///     let mut stdin = child.stdin.take().unwrap();
///     stdin.write_all(b"meow").unwrap();
///     drop(stdin); // cat sees the end of its input
///     let mut out = String::new();
///     child.stdout.take().unwrap().read_to_string(&mut out).unwrap();
///     assert!(child.wait().unwrap().success());
///     out
/// });
/// assert_eq!(echoed, "meow");
/// ```
pub struct Child {
    /// `None` only after a wait on the `unblock` fallback was cancelled
    /// while the pool held the child.
    inner: Option<std::process::Child>,
    id: u32,
    /// Opened on the first wait in a task; readable once the child exits.
    pidfd: PidFd,
    /// The child's stdin, if piped.
    pub stdin: Option<ChildStdin>,
    /// The child's stdout, if piped.
    pub stdout: Option<ChildStdout>,
    /// The child's stderr, if piped.
    pub stderr: Option<ChildStderr>,
    /// [`Command::kill_on_drop`].
    kill_on_drop: bool,
}

fn pipe_end<T: Into<OwnedFd>, P: TryFrom<OwnedFd, Error = io::Error>>(
    end: Option<T>,
) -> io::Result<Option<P>> {
    end.map(|e| P::try_from(e.into())).transpose()
}

impl Child {
    fn from_std(mut child: std::process::Child, kill_on_drop: bool) -> io::Result<Child> {
        Ok(Child {
            kill_on_drop,
            id: child.id(),
            stdin: pipe_end(child.stdin.take())?,
            stdout: pipe_end(child.stdout.take())?,
            stderr: pipe_end(child.stderr.take())?,
            inner: Some(child),
            pidfd: PidFd::NotOpened,
        })
    }

    fn inner(&mut self) -> io::Result<&mut std::process::Child> {
        self.inner.as_mut().ok_or_else(|| {
            io::Error::other(
                "corun::process::Child: an earlier wait was cancelled while it waited; \
                 the child was reaped in the background",
            )
        })
    }

    /// The OS process id.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// Sends `SIGKILL`, as std's.
    pub fn kill(&mut self) -> io::Result<()> {
        self.inner()?.kill()
    }

    /// The exit status if the child has exited; never waits.
    pub fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        self.inner()?.try_wait()
    }

    /// Waits for the child to exit, suspending only the calling task
    /// (outside a task, the thread blocks). Closes the child's stdin
    /// first, as std's, so a child reading it is not kept waiting.
    ///
    /// In a task the wait is a pidfd on the reactor, so a cancel or a
    /// [`timeout`](crate::timeout) unwinds the task out of it at once and
    /// leaves this `Child` as it was: it can be waited again, or killed.
    /// (On a kernel without pidfds the wait blocks an
    /// [`unblock`](crate::unblock) thread instead; cancelled there, the
    /// child is reaped in the background and later calls on this `Child`
    /// return an error.) Called while the task is unwinding (a guard's
    /// `Drop` that kills and reaps its child during a cancel), it blocks
    /// the thread, as outside a task: an unwinding task cannot suspend.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let ex = corun::Executor::new();
    /// ex.block_on(|| {
    ///     let mut child = corun::process::Command::new("sleep").arg("60").spawn().unwrap();
    ///     // Too slow: the timeout unwinds the task out of the wait...
    ///     assert!(corun::timeout(Duration::from_millis(10), || child.wait()).is_err());
    ///     // ...and the child is still there to kill and reap.
    ///     child.kill().unwrap();
    ///     assert!(!child.wait().unwrap().success());
    /// });
    /// ```
    pub fn wait(&mut self) -> io::Result<ExitStatus> {
        self.stdin = None;
        if let Some(status) = self.try_wait()? {
            return Ok(status);
        }
        // A task that is unwinding cannot suspend: a kill-and-reap guard's
        // `Drop` blocks the thread instead, as outside a task, so the child
        // is reaped rather than left a zombie.
        if !crate::executor::io_wait::in_task() || crate::generator::innermost_is_unwinding() {
            return self.inner()?.wait();
        }
        if let PidFd::NotOpened = self.pidfd {
            let child = self.inner.as_ref().expect("checked by try_wait");
            self.pidfd = open_pidfd(child)?;
        }
        match &self.pidfd {
            PidFd::Open(pidfd) => loop {
                pidfd.wait(Direction::Read, None, "process::Child::wait")?;
                let child = self.inner.as_mut().expect("only the pool's wait takes it");
                if let Some(status) = child.try_wait()? {
                    return Ok(status);
                }
            },
            _ => self.wait_on_the_unblock_pool(),
        }
    }

    /// [`wait`](Self::wait) for future tasks and async code: the pidfd's
    /// readiness is awaited on the reactor (on the `unblock` pool where
    /// there are no pidfds). Dropping the future leaves this `Child` as it
    /// was, as a cancelled `wait` does.
    ///
    /// ```
    /// let ex = corun::Executor::new();
    /// let status = ex.block_on(|| {
    ///     let mut child = corun::process::Command::new("true").spawn().unwrap();
    ///     corun::spawn_future(async move { child.wait_async().await.unwrap() }).join().unwrap()
    /// });
    /// assert!(status.success());
    /// ```
    pub async fn wait_async(&mut self) -> io::Result<ExitStatus> {
        self.stdin = None;
        if let Some(status) = self.try_wait()? {
            return Ok(status);
        }
        if let PidFd::NotOpened = self.pidfd {
            let child = self.inner.as_ref().expect("checked by try_wait");
            self.pidfd = open_pidfd(child)?;
        }
        let PidFd::Open(pidfd) = &self.pidfd else {
            let mut child = self.inner.take().expect("checked by try_wait");
            let (child, status) = crate::unblock_future(move || {
                let status = child.wait();
                (child, status)
            })
            .await;
            self.inner = Some(child);
            return status;
        };
        let child = self.inner.as_mut().expect("only the pool's wait takes it");
        pidfd
            .op_async(Direction::Read, "process::Child::wait", |_| {
                child
                    .try_wait()?
                    .ok_or_else(|| io::ErrorKind::WouldBlock.into())
            })
            .await
    }

    /// [`wait_with_output`](Self::wait_with_output) for future tasks and
    /// async code: stdout and stderr are read at once, then the exit is
    /// awaited.
    pub async fn wait_with_output_async(mut self) -> io::Result<Output> {
        self.stdin = None;
        let (stdout, stderr) = (self.stdout.take(), self.stderr.take());
        let (stdout, stderr) = futures::try_join!(read_all_async(stdout), read_all_async(stderr))?;
        let status = self.wait_async().await?;
        Ok(Output {
            status,
            stdout,
            stderr,
        })
    }

    fn wait_on_the_unblock_pool(&mut self) -> io::Result<ExitStatus> {
        let mut child = self.inner.take().expect("checked by try_wait");
        let (child, status) = crate::unblock(move || {
            let status = child.wait();
            (child, status)
        });
        self.inner = Some(child);
        status
    }

    /// Reads stdout and stderr to their ends (both at once, so a child
    /// filling one pipe cannot stall), then waits, as std's.
    pub fn wait_with_output(mut self) -> io::Result<Output> {
        self.stdin = None;
        let (stdout, stderr) = (self.stdout.take(), self.stderr.take());
        // A task that is unwinding cannot suspend: it reads as a plain
        // thread does (a cleanup guard's `Command::output` during a cancel).
        let in_task =
            crate::executor::io_wait::in_task() && !crate::generator::innermost_is_unwinding();
        let (stdout, stderr) = if in_task {
            let err_reader = stderr.map(|e| crate::spawn(move || read_all(Some(e))));
            let out = read_all(stdout)?;
            let err = match err_reader {
                Some(h) => h.join().map_err(|e| io::Error::other(e.to_string()))??,
                None => Vec::new(),
            };
            (out, err)
        } else {
            // Plain blocking ends: in an unwinding task, corun's own would
            // refuse to wait.
            let stdout = stdout.map(PipeReader::into_std).transpose()?;
            let stderr = stderr.map(PipeReader::into_std).transpose()?;
            let err_reader = std::thread::spawn(move || read_all(stderr));
            let out = read_all(stdout)?;
            let err = err_reader
                .join()
                .map_err(|_| io::Error::other("the stderr reader panicked"))??;
            (out, err)
        };
        Ok(Output {
            status: self.wait()?,
            stdout,
            stderr,
        })
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        if !self.kill_on_drop {
            return;
        }
        let Some(mut child) = self.inner.take() else {
            return; // a cancelled wait's pool thread reaps it
        };
        if matches!(child.try_wait(), Ok(None)) {
            // Errors are ignored: the child may exit between the look and
            // the kill, and a drop has nobody to report to.
            let _ = child.kill();
            if matches!(child.try_wait(), Ok(None)) {
                // Dying takes the kernel a moment; reaping waits for it on
                // the pool rather than here, which may be an executor's
                // thread. The wait runs even though its future is dropped.
                drop(crate::unblock_future(move || child.wait()));
            }
        }
    }
}

/// The child's pidfd, if the kernel gives one.
enum PidFd {
    NotOpened,
    Open(Evented<OwnedFd>),
    /// `pidfd_open` is missing or forbidden here: wait on the pool.
    Unsupported,
}

fn open_pidfd(child: &std::process::Child) -> io::Result<PidFd> {
    use rustix::process::{pidfd_open, Pid, PidfdFlags};
    match pidfd_open(Pid::from_child(child), PidfdFlags::NONBLOCK) {
        Ok(fd) => Ok(PidFd::Open(Evented::new(fd))),
        // ENOSYS: a kernel before 5.3; EPERM: a seccomp filter refusing it.
        Err(e) if e == rustix::io::Errno::NOSYS || e == rustix::io::Errno::PERM => {
            Ok(PidFd::Unsupported)
        }
        Err(e) => Err(e.into()),
    }
}

fn read_all(pipe: Option<impl Read>) -> io::Result<Vec<u8>> {
    let mut all = Vec::new();
    if let Some(mut pipe) = pipe {
        pipe.read_to_end(&mut all)?;
    }
    Ok(all)
}

async fn read_all_async(pipe: Option<PipeReader>) -> io::Result<Vec<u8>> {
    let mut all = Vec::new();
    if let Some(mut pipe) = pipe {
        futures::AsyncReadExt::read_to_end(&mut pipe, &mut all).await?;
    }
    Ok(all)
}

impl fmt::Debug for Child {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Child")
            .field("id", &self.id)
            .field("stdin", &self.stdin)
            .field("stdout", &self.stdout)
            .field("stderr", &self.stderr)
            .finish()
    }
}
