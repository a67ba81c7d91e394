//! Child processes: output and exit status, piped stdin/stdout, a wait that
//! suspends only its task, failures as `io::Error`s, and cancellation.

use corun::process::Command;
use corun::Executor;
use std::cell::Cell;
use std::io::{self, Read, Write};
use std::process::Stdio;
use std::rc::Rc;
use std::sync::mpsc;
use std::time::Duration;

mod common;

#[test]
fn output_captures_stdout_stderr_and_the_exit_status() {
    let ex = Executor::new();
    let out = ex.block_on(|| {
        Command::new("sh")
            .arg("-c")
            .arg("echo hi; echo oops >&2; exit 3")
            .output()
            .unwrap()
    });
    assert_eq!(out.stdout, b"hi\n");
    assert_eq!(out.stderr, b"oops\n");
    assert_eq!(out.status.code(), Some(3));
}

#[test]
fn piped_stdin_and_stdout_of_cat() {
    let ex = Executor::new();
    let got = ex.block_on(|| {
        let mut child = Command::new("cat")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let feeder = corun::spawn(move || {
            for i in 0..1000 {
                writeln!(stdin, "line {i}").unwrap();
            }
        });
        let mut out = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        feeder.join().unwrap();
        assert!(child.wait().unwrap().success());
        out
    });
    assert_eq!(got.lines().count(), 1000);
    assert_eq!(got.lines().last(), Some("line 999"));
}

#[test]
fn wait_suspends_only_its_task() {
    let ex = Executor::new();
    let ticks = Rc::new(Cell::new(0));
    let t = ticks.clone();
    let (status, ticks_during) = ex.block_on(move || {
        let mut child = Command::new("sh")
            .arg("-c")
            .arg("sleep 0.1")
            .spawn()
            .unwrap();
        let ticker = corun::spawn(move || loop {
            t.set(t.get() + 1);
            corun::sleep(Duration::from_millis(1));
        });
        let status = child.wait().unwrap();
        ticker.cancel();
        (status, ticks.get())
    });
    assert!(status.success());
    assert!(ticks_during > 1, "other tasks ran while the child ran");
}

#[test]
fn a_missing_program_is_not_found() {
    let ex = Executor::new();
    let err = ex.block_on(|| {
        Command::new("/nonexistent/corun-no-such-program")
            .status()
            .unwrap_err()
    });
    assert_eq!(err.kind(), io::ErrorKind::NotFound);
}

#[test]
fn kill_then_wait_reports_the_signal() {
    use std::os::unix::process::ExitStatusExt;
    let ex = Executor::new();
    let status = ex.block_on(|| {
        let mut child = Command::new("sleep").arg("60").spawn().unwrap();
        assert!(child.try_wait().unwrap().is_none());
        child.kill().unwrap();
        child.wait().unwrap()
    });
    assert_eq!(status.signal(), Some(9));
}

#[test]
fn a_wait_cut_short_by_a_timeout_leaves_the_child_waitable() {
    let ex = Executor::new();
    let status = ex.block_on(|| {
        let mut child = Command::new("sleep").arg("0.3").spawn().unwrap();
        let r = corun::timeout(Duration::from_millis(5), || child.wait());
        assert!(r.is_err(), "the child is still sleeping");
        assert!(
            child.try_wait().unwrap().is_none(),
            "not reaped by the timeout"
        );
        child.wait().unwrap()
    });
    assert!(status.success());
}

#[test]
fn a_cancelled_wait_unwinds_and_the_child_can_still_be_killed() {
    use std::cell::RefCell;
    use std::os::unix::process::ExitStatusExt;
    let ex = Executor::new();
    let status = ex.block_on(|| {
        let child = Rc::new(RefCell::new(
            Command::new("sleep").arg("60").spawn().unwrap(),
        ));
        let c = child.clone();
        let waiter = corun::spawn(move || c.borrow_mut().wait());
        corun::sleep(Duration::from_millis(5));
        waiter.cancel();
        assert!(waiter.join().unwrap_err().is_cancelled());
        let mut child = child.borrow_mut();
        child.kill().unwrap();
        child.wait().unwrap()
    });
    assert_eq!(status.signal(), Some(9));
}

#[test]
fn many_children_waited_at_once_on_one_executor() {
    let ex = Executor::new();
    let codes = ex.block_on(|| {
        let waits: Vec<_> = (0..20)
            .map(|i| {
                corun::spawn(move || {
                    let mut child = Command::new("sh")
                        .arg("-c")
                        .arg(format!("sleep 0.05; exit {i}"))
                        .spawn()
                        .unwrap();
                    child.wait().unwrap().code()
                })
            })
            .collect();
        waits
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect::<Vec<_>>()
    });
    assert_eq!(codes, (0..20).map(Some).collect::<Vec<_>>());
}

#[test]
fn outside_a_task_the_calls_block_as_std() {
    let out = Command::new("sh")
        .arg("-c")
        .arg("echo plain")
        .output()
        .unwrap();
    assert_eq!(out.stdout, b"plain\n");
    let mut child = Command::new("true").spawn().unwrap();
    assert!(child.wait().unwrap().success());
}

/// The stdout of `cmd.output()`, which must succeed: here, what the
/// child says its stdin is.
fn stdin_of_output(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

fn readlink_stdin() -> Command {
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg("readlink /proc/self/fd/0");
    cmd
}

#[test]
fn output_gives_the_child_a_null_stdin_unless_set() {
    const NAME: &str = "output_gives_the_child_a_null_stdin_unless_set";
    if common::is_child(NAME) {
        // This process's stdin is a pipe its parent keeps open: a child
        // inheriting it would wait forever for input.
        let ex = Executor::new();
        ex.block_on(|| {
            let mut cmd = readlink_stdin();
            assert_eq!(stdin_of_output(&mut cmd), "/dev/null\n");
            // The same command spawned again inherits stdin, as before.
            let mut child = cmd.stdout(Stdio::piped()).spawn().unwrap();
            let mut seen = String::new();
            let mut stdout = child.stdout.take().unwrap();
            stdout.read_to_string(&mut seen).unwrap();
            assert!(child.wait().unwrap().success());
            assert!(seen.starts_with("pipe:"), "{seen}");
            // A `cat` with a null stdin sees its end at once.
            let out = Command::new("cat").output().unwrap();
            assert!(out.status.success() && out.stdout.is_empty());
            // Set explicitly, stdin keeps its setting.
            let mut cmd = readlink_stdin();
            cmd.stdin(Stdio::inherit());
            assert!(stdin_of_output(&mut cmd).starts_with("pipe:"));
        });
        return;
    }
    let mut child = common::child_command(NAME)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdin_kept_open = child.stdin.take();
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || tx.send(child.wait_with_output()));
    let Ok(out) = rx.recv_timeout(Duration::from_secs(60)) else {
        let _ = std::process::Command::new("kill")
            .args(["-9", &pid.to_string()])
            .status();
        panic!("the child test hung: a grandchild waited on the inherited stdin");
    };
    drop(stdin_kept_open);
    let out = out.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "the child test failed:\n{stdout}\n{stderr}"
    );
}

#[test]
fn output_respects_explicit_stdout_and_stderr_like_std() {
    let ex = Executor::new();
    let dir = std::env::temp_dir().join(format!("corun-output-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file_path = dir.join("stdout");
    let (nulled, to_file) = ex.block_on(|| {
        let nulled = Command::new("sh")
            .arg("-c")
            .arg("echo out; echo err >&2")
            .stdout(Stdio::null())
            .output()
            .unwrap();
        let file = std::fs::File::create(&file_path).unwrap();
        let to_file = Command::new("sh")
            .arg("-c")
            .arg("echo into the file; echo err >&2")
            .stdout(file)
            .stderr(Stdio::null())
            .output()
            .unwrap();
        (nulled, to_file)
    });
    let in_file = std::fs::read_to_string(&file_path).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(nulled.status.success());
    assert_eq!(nulled.stdout, b"", "stdout was set to null");
    assert_eq!(nulled.stderr, b"err\n", "stderr unset: captured");
    assert_eq!(to_file.stdout, b"", "stdout went to the file");
    assert_eq!(to_file.stderr, b"");
    assert_eq!(in_file, "into the file\n");
}

#[test]
fn output_leaves_the_command_as_it_was_for_later_spawns() {
    let ex = Executor::new();
    ex.block_on(|| {
        let mut echo = Command::new("echo");
        echo.arg("same");
        assert_eq!(echo.output().unwrap().stdout, b"same\n");
        let mut child = echo.spawn().unwrap();
        assert!(child.stdin.is_none(), "stdin is not piped by output");
        assert!(child.stdout.is_none(), "stdout is inherited again");
        assert!(child.stderr.is_none(), "stderr is inherited again");
        assert!(child.wait().unwrap().success());
        // output again captures, as the first time.
        assert_eq!(echo.output().unwrap().stdout, b"same\n");
    });
}

#[test]
fn the_async_forms_run_children_in_future_tasks() {
    let ex = Executor::new();
    let (out, status, waited, big) = ex.block_on(|| {
        corun::spawn_future(async {
            let out = Command::new("sh")
                .arg("-c")
                .arg("echo out; echo err >&2; exit 4")
                .output_async()
                .await
                .unwrap();
            let status = Command::new("false").status_async().await.unwrap();
            let mut child = Command::new("sleep").arg("0.05").spawn().unwrap();
            let waited = child.wait_async().await.unwrap();
            // More than a pipe holds on both streams at once: they are read
            // together, so neither write stalls the child.
            let big = Command::new("sh")
                .arg("-c")
                .arg("head -c 300000 /dev/zero; head -c 300000 /dev/zero >&2")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
                .wait_with_output_async()
                .await
                .unwrap();
            (out, status, waited, big)
        })
        .join()
        .unwrap()
    });
    assert_eq!(
        (out.stdout, out.stderr, out.status.code()),
        (b"out\n".to_vec(), b"err\n".to_vec(), Some(4))
    );
    assert_eq!(status.code(), Some(1));
    assert!(waited.success());
    assert_eq!((big.stdout.len(), big.stderr.len()), (300_000, 300_000));
}

#[test]
fn a_dropped_wait_async_leaves_the_child_to_wait_again_or_kill() {
    let ex = Executor::new();
    let status = ex.block_on(|| {
        let mut child = Command::new("sleep").arg("60").spawn().unwrap();
        let gave_up = corun::timeout(Duration::from_millis(20), || {
            corun::await_(child.wait_async())
        });
        assert!(gave_up.is_err(), "sleep 60 cannot have exited");
        child.kill().unwrap();
        corun::await_(child.wait_async()).unwrap()
    });
    assert!(!status.success());
}

/// Kills and reaps its child when dropped, as a cleanup guard does.
struct KillOnDrop(corun::process::Child, Rc<Cell<Option<bool>>>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        self.0.kill().unwrap();
        let reaped = self.0.wait().map(|status| !status.success());
        self.1
            .set(Some(reaped.expect("the killed child is reaped")));
    }
}

#[test]
fn a_guard_that_kills_and_reaps_its_child_during_a_cancel_reaps_it() {
    // In a child process: a guard whose wait fails panics in a destructor
    // during the cancel's unwind, which aborts.
    common::in_child_process(
        "a_guard_that_kills_and_reaps_its_child_during_a_cancel_reaps_it",
        kill_and_reap_during_a_cancel,
    );
}

fn kill_and_reap_during_a_cancel() {
    let ex = Executor::new();
    let reaped = Rc::new(Cell::new(None));
    let r = reaped.clone();
    let h = ex.spawn(move || {
        let child = Command::new("sleep").arg("60").spawn().unwrap();
        let _guard = KillOnDrop(child, r);
        corun::sleep(Duration::from_secs(60));
    });
    ex.block_on(|| {
        corun::yield_now();
        h.cancel();
        assert!(h.join().unwrap_err().is_cancelled());
    });
    assert_eq!(reaped.get(), Some(true), "killed, and waited for");
}

/// Runs a command and keeps its output when dropped.
struct OutputOnDrop(Rc<std::cell::RefCell<Option<std::process::Output>>>);

impl Drop for OutputOnDrop {
    fn drop(&mut self) {
        let out = Command::new("sh")
            .args(["-c", "echo cleanup; echo oops >&2"])
            .output();
        *self.0.borrow_mut() = Some(out.expect("output in a cleanup guard"));
    }
}

#[test]
fn a_guard_that_runs_a_command_during_a_cancel_gets_its_output() {
    common::in_child_process(
        "a_guard_that_runs_a_command_during_a_cancel_gets_its_output",
        || {
            let ex = Executor::new();
            let got = Rc::new(std::cell::RefCell::new(None));
            let g = got.clone();
            let h = ex.spawn(move || {
                let _guard = OutputOnDrop(g);
                corun::sleep(Duration::from_secs(60));
            });
            ex.block_on(|| {
                corun::yield_now();
                h.cancel();
                assert!(h.join().unwrap_err().is_cancelled());
            });
            let out = got.borrow_mut().take().expect("the guard ran");
            assert!(out.status.success());
            assert_eq!(out.stdout, b"cleanup\n");
            assert_eq!(out.stderr, b"oops\n");
        },
    );
}
