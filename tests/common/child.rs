//! Running one test in a child process, so that an abort there fails that
//! test alone instead of killing the whole test binary.

use std::process::Command;

const CHILD_ENV: &str = "CORUN_TEST_CHILD";

/// Runs `body` in a child process: this test binary run again on the one
/// test named `test_name` (its path as `cargo test` prints it). In the
/// parent, waits for the child and panics with its output if it failed (an
/// abort included) or did not run the test. Returns the child's stderr.
pub fn in_child_process(test_name: &str, body: impl FnOnce()) -> String {
    if std::env::var(CHILD_ENV).is_ok_and(|v| v == test_name) {
        body();
        return String::new();
    }
    let out = Command::new(std::env::current_exe().expect("the test binary's path"))
        .args([test_name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, test_name)
        .output()
        .expect("the test binary runs again as a child");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "the child running {test_name} failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        out.status
    );
    assert!(
        stdout.contains("1 passed"),
        "the child did not run {test_name}:\n{stdout}"
    );
    stderr
}
