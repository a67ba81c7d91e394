//! `Command::kill_on_drop`: a dropped child is killed and reaped, never
//! left running or a zombie; without it the child runs on, as std's.

use corun::process::Command;
use corun::Executor;
use std::time::{Duration, Instant};

/// The state letter of process `pid` in `/proc` (`S`, `R`, `Z`, ...), or
/// `None` once it is gone (reaped).
fn proc_state(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // "pid (comm) S ...": the state follows the last ')'.
    stat.rsplit_once(')')?.1.trim_start().chars().next()
}

/// Waits (boundedly: the kernel and the pool take a moment) until `pid`
/// has been reaped; returns its last state seen if it never was.
fn reaped(pid: u32) -> Result<(), Option<char>> {
    let give_up = Instant::now() + Duration::from_secs(20);
    loop {
        match proc_state(pid) {
            None => return Ok(()),
            Some(state) if Instant::now() > give_up => return Err(Some(state)),
            Some(_) => std::thread::sleep(Duration::from_millis(5)),
        }
    }
}

fn sleeper(kill_on_drop: bool) -> Command {
    let mut cmd = Command::new("sleep");
    cmd.arg("600").kill_on_drop(kill_on_drop);
    cmd
}

#[test]
fn a_wait_timed_out_kills_and_reaps_the_child() {
    let ex = Executor::new();
    let (pid, timed_out) = ex.block_on(|| {
        let mut child = sleeper(true).spawn().unwrap();
        let pid = child.id();
        let r = corun::timeout(Duration::from_millis(20), move || child.wait());
        (pid, r.is_err())
    });
    assert!(timed_out);
    assert_eq!(reaped(pid), Ok(()), "the child was left behind");
}

#[test]
fn a_task_cancelled_in_wait_takes_its_child_down() {
    let ex = Executor::new();
    let (pid_tx, pid_rx) = corun::sync::oneshot::<u32>();
    let task = ex.spawn(move || {
        let mut cmd = Command::new("sh");
        // The shell reports its pid, then execs a long sleep in its place.
        cmd.arg("-c")
            .arg("echo $$ >&2; exec sleep 600")
            .kill_on_drop(true);
        let mut child = cmd.stderr(std::process::Stdio::piped()).spawn().unwrap();
        pid_tx.send(child.id()).unwrap();
        child.wait()
    });
    let pid = ex.block_on(|| pid_rx.recv().unwrap());
    task.cancel();
    ex.run();
    assert_eq!(reaped(pid), Ok(()), "the cancelled task's child runs on");
}

#[test]
fn dropped_on_a_plain_thread_too() {
    let child = sleeper(true).spawn().unwrap();
    let pid = child.id();
    assert!(proc_state(pid).is_some());
    drop(child);
    assert_eq!(reaped(pid), Ok(()));
}

#[test]
fn without_it_the_child_runs_on_as_std() {
    let child = sleeper(false).spawn().unwrap();
    let pid = child.id();
    drop(child);
    std::thread::sleep(Duration::from_millis(50));
    let state = proc_state(pid);
    assert!(
        matches!(state, Some('S' | 'R')),
        "the child should still run: {state:?}"
    );
    // Clean up by hand, as a std user would have to.
    let killed = std::process::Command::new("kill")
        .arg("-9")
        .arg(pid.to_string())
        .status();
    assert!(killed.unwrap().success());
}

#[test]
fn a_child_that_already_exited_is_left_alone() {
    let ex = Executor::new();
    ex.block_on(|| {
        let mut child = Command::new("true").kill_on_drop(true).spawn().unwrap();
        assert!(child.wait().unwrap().success());
        // Dropping an exited, reaped child kills nothing and does not fail.
        drop(child);
    });
}
