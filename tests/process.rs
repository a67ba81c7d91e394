//! Child processes: output and exit status, piped stdin/stdout, a wait that
//! suspends only its task, failures as `io::Error`s, and cancellation.

use corun::process::Command;
use corun::Executor;
use std::cell::Cell;
use std::io::{self, Read, Write};
use std::process::Stdio;
use std::rc::Rc;
use std::time::Duration;

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
