//! `corun::io::stdin`, `stdout` and `stderr`: each test runs its body in a
//! child process of this test binary, whose stdin and stdout the parent
//! holds, so the parent can wait for the child to say it is blocked in a
//! read before giving it input.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::fd::AsRawFd;
use std::process::{Child, Stdio};
use std::time::Duration;

mod common;
use common::{child_command, is_child};

/// The child running test `name`, with piped stdin, stdout and stderr, and
/// a watchdog: a child stuck for a minute (a read that blocked its whole
/// thread, say) is killed, so the test fails instead of hanging.
fn spawn_child(name: &str) -> Child {
    let child = child_command(name)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the child test process");
    let pid = child.id();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(60));
        let _ = std::process::Command::new("kill")
            .args(["-9", &pid.to_string()])
            .status();
    });
    child
}

/// Reads the child's stdout up to the line `want`, skipping the test
/// harness's own lines; panics if stdout ends first.
fn wait_for_line(out: &mut impl BufRead, want: &str) {
    let mut line = String::new();
    loop {
        line.clear();
        let n = out.read_line(&mut line).unwrap();
        assert!(n > 0, "the child's stdout ended before {want:?}");
        // The harness's "test NAME ... " may start the child's first line.
        if line.trim_end().ends_with(want) {
            return;
        }
    }
}

fn finish(mut child: Child, mut out: impl BufRead) -> (Vec<String>, String) {
    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "child failed ({status}):\n{rest}\n{err}");
    (rest.lines().map(str::to_string).collect(), err)
}

fn say(line: &str) {
    let mut out = corun::io::stdout();
    writeln!(out, "{line}").unwrap();
    out.flush().unwrap();
}

#[test]
fn a_read_of_stdin_suspends_only_its_task() {
    const NAME: &str = "a_read_of_stdin_suspends_only_its_task";
    if is_child(NAME) {
        let ex = corun::Executor::new();
        ex.block_on(|| {
            let reader = corun::spawn(|| {
                let lines = BufReader::new(corun::io::stdin()).lines();
                lines.map(|l| l.unwrap()).collect::<Vec<_>>()
            });
            corun::yield_now(); // the reader starts and waits in its read
            corun::sleep(Duration::from_millis(1));
            // Only reachable if that read left the thread to the others.
            say("ready");
            let mut out = corun::io::stdout();
            for line in reader.join().unwrap() {
                writeln!(out, "{}", line.to_uppercase()).unwrap();
            }
            out.flush().unwrap();
            let mut err = corun::io::stderr();
            err.write_all(b"to stderr\n").unwrap();
            err.flush().unwrap();
        });
        return;
    }
    let mut child = spawn_child(NAME);
    let mut out = BufReader::new(child.stdout.take().unwrap());
    wait_for_line(&mut out, "ready");
    let mut input = child.stdin.take().unwrap();
    input.write_all(b"hello\nworld\n").unwrap();
    drop(input); // end of input ends the reader's lines
    let (lines, err) = finish(child, out);
    let i = lines
        .iter()
        .position(|l| l.ends_with("HELLO"))
        .expect("HELLO");
    assert_eq!(lines[i + 1], "WORLD");
    assert!(err.contains("to stderr"), "{err}");
}

#[test]
fn a_timed_out_read_loses_no_input() {
    const NAME: &str = "a_timed_out_read_loses_no_input";
    if is_child(NAME) {
        let ex = corun::Executor::new();
        ex.block_on(|| {
            let mut stdin = corun::io::stdin();
            let mut buf = [0u8; 64];
            let r = corun::timeout(Duration::from_millis(5), || stdin.read(&mut buf));
            assert!(r.is_err(), "nothing was written yet");
            say("timed out");
            // The read abandoned on the pool gets the bytes; this read
            // collects them.
            let mut got = Vec::new();
            while !got.ends_with(b"\n") {
                let n = stdin.read(&mut buf).unwrap();
                assert!(n > 0, "stdin ended early");
                got.extend_from_slice(&buf[..n]);
            }
            say(&format!(
                "got {}",
                String::from_utf8(got).unwrap().trim_end()
            ));
        });
        return;
    }
    let mut child = spawn_child(NAME);
    let mut out = BufReader::new(child.stdout.take().unwrap());
    wait_for_line(&mut out, "timed out");
    child.stdin.take().unwrap().write_all(b"late\n").unwrap();
    let (lines, _) = finish(child, out);
    assert!(lines.iter().any(|l| l.ends_with("got late")), "{lines:?}");
}

#[test]
fn stdin_serves_async_code_and_plain_threads() {
    const NAME: &str = "stdin_serves_async_code_and_plain_threads";
    if is_child(NAME) {
        let ex = corun::Executor::new();
        let first = ex.block_on(|| {
            let h = corun::spawn_future(async {
                use futures::io::AsyncReadExt;
                let mut stdin = corun::io::stdin();
                let mut buf = [0u8; 4];
                AsyncReadExt::read_exact(&mut stdin, &mut buf)
                    .await
                    .unwrap();
                buf
            });
            h.join().unwrap()
        });
        say(&format!("async {}", String::from_utf8_lossy(&first)));
        // Outside every task the same type blocks the thread, as std's.
        let mut rest = String::new();
        corun::io::stdin().read_to_string(&mut rest).unwrap();
        say(&format!("plain {}", rest.trim_end()));
        return;
    }
    let mut child = spawn_child(NAME);
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut input = child.stdin.take().unwrap();
    // The rest is written only once the async read has answered, so the
    // plain read cannot find it already taken.
    input.write_all(b"abcd").unwrap();
    wait_for_line(&mut out, "async abcd");
    input.write_all(b"efgh\n").unwrap();
    drop(input);
    let (lines, _) = finish(child, out);
    assert!(lines.iter().any(|l| l.ends_with("plain efgh")), "{lines:?}");
}

#[test]
fn handles_made_one_after_another_lose_no_input() {
    const NAME: &str = "handles_made_one_after_another_lose_no_input";
    if is_child(NAME) {
        let ex = corun::Executor::new();
        let got = ex.block_on(|| {
            (0..3)
                .map(|_| {
                    let mut b = [0u8; 2];
                    let n = corun::io::stdin().read(&mut b).unwrap(); // a fresh handle each time
                    String::from_utf8_lossy(&b[..n]).into_owned()
                })
                .collect::<Vec<_>>()
        });
        // std's own stdin sees what is left, too.
        let mut rest = String::new();
        std::io::stdin().read_to_string(&mut rest).unwrap();
        say(&format!("got {} rest {rest}", got.join(",")));
        return;
    }
    let mut child = spawn_child(NAME);
    let mut input = child.stdin.take().unwrap();
    input.write_all(b"aabbccdd").unwrap();
    drop(input);
    let out = BufReader::new(child.stdout.take().unwrap());
    let (lines, _) = finish(child, out);
    assert!(
        lines.iter().any(|l| l.ends_with("got aa,bb,cc rest dd")),
        "{lines:?}"
    );
}

#[test]
fn the_handles_name_the_process_streams() {
    assert_eq!(corun::io::stdin().as_raw_fd(), 0);
    assert_eq!(corun::io::stdout().as_raw_fd(), 1);
    assert_eq!(corun::io::stderr().as_raw_fd(), 2);
    // A handle nothing was written through flushes at once.
    let ex = corun::Executor::new();
    ex.block_on(|| corun::io::stderr().flush().unwrap());
}
