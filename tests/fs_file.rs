//! `corun::fs::File` and `OpenOptions`: reads, writes and seeks on the
//! unblock pool, from stackful tasks, future tasks and plain threads, and
//! nothing lost when a call is cancelled, times out or is abandoned.
//!
//! A read that must stay on the pool until the test says so reads a FIFO:
//! it blocks there until the test writes into the FIFO.

mod common;

use common::{blocked, in_cancelled_cleanup, log, push};
use corun::fs::{File, OpenOptions};
use corun::Executor;
use std::cell::RefCell;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A path in the temp dir, unique to this process and `name`, removed
/// (with whatever is there) when dropped.
struct TempPath(PathBuf);

impl TempPath {
    fn new(name: &str) -> TempPath {
        let path =
            std::env::temp_dir().join(format!("corun-fs-file-{}-{name}", std::process::id()));
        let _ = std::fs::remove_file(&path);
        TempPath(path)
    }
}

impl AsRef<Path> for TempPath {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A FIFO, and a `File` reading it that never blocks on opening (it
/// writes too, so it is a writer of its own).
fn fifo(name: &str) -> (TempPath, File) {
    let path = TempPath::new(name);
    let made = std::process::Command::new("mkfifo")
        .arg(&path.0)
        .status()
        .unwrap();
    assert!(made.success(), "mkfifo failed");
    let file = File::options().read(true).write(true).open(&path).unwrap();
    (path, file)
}

/// Feeds `STUCK` into the FIFO if the test has not ended 20 s from now,
/// so a read whose bytes were lost ends (and its assertion fails) instead
/// of hanging the test.
struct Watchdog(#[allow(dead_code)] mpsc::Sender<()>);

const STUCK: &[u8] = b"<stuck>";

impl Watchdog {
    fn new(fifo: &Path) -> Watchdog {
        let (tx, rx) = mpsc::channel::<()>();
        let fifo = fifo.to_path_buf();
        std::thread::spawn(move || {
            if rx.recv_timeout(Duration::from_secs(20)) == Err(mpsc::RecvTimeoutError::Timeout) {
                feed(&fifo, STUCK);
            }
        });
        Watchdog(tx)
    }
}

/// Writes `bytes` into the FIFO through a handle of its own.
fn feed(fifo: &Path, bytes: &[u8]) {
    std::fs::OpenOptions::new()
        .write(true)
        .open(fifo)
        .unwrap()
        .write_all(bytes)
        .unwrap();
}

/// `len` bytes that differ at every offset a chunk boundary could hit.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

/// Whether the task is suspended on the pool (`unblock`'s wait).
fn on_pool(ex: &Executor) -> bool {
    blocked(ex).contains(&"await_")
}

#[test]
fn files_and_options_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<File>();
    send_sync::<OpenOptions>();
}

#[test]
fn write_then_read_back_in_a_task() {
    let path = TempPath::new("round-trip");
    let ex = Executor::new();
    let text = ex.block_on(|| {
        let mut file = File::create(&path).unwrap();
        file.write_all(b"hello, file").unwrap();
        file.flush().unwrap();
        let mut text = String::new();
        File::open(&path)
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        text
    });
    assert_eq!(text, "hello, file");
}

#[test]
fn buf_reader_reads_lines() {
    let path = TempPath::new("lines");
    std::fs::write(&path, "one\ntwo\nthree").unwrap();
    let ex = Executor::new();
    let lines = ex.block_on(|| {
        let mut reader = BufReader::new(File::open(&path).unwrap());
        let mut lines = Vec::new();
        let mut line = String::new();
        while reader.read_line(&mut line).unwrap() > 0 {
            lines.push(std::mem::take(&mut line));
        }
        lines
    });
    assert_eq!(lines, ["one\n", "two\n", "three"]);
}

#[test]
fn a_large_file_is_copied_in_chunks() {
    let (from, to) = (TempPath::new("large-from"), TempPath::new("large-to"));
    let data = pattern(5 * 1024 * 1024 + 17);
    std::fs::write(&from, &data).unwrap();
    let ex = Executor::new();
    let copied = ex.block_on(|| {
        let mut src = File::open(&from).unwrap();
        let mut dst = File::create(&to).unwrap();
        let copied = io::copy(&mut src, &mut dst).unwrap();
        dst.sync_all().unwrap();
        copied
    });
    assert_eq!(copied, data.len() as u64);
    assert!(std::fs::read(&to).unwrap() == data, "the copy differs");
}

#[test]
fn a_big_read_and_write_are_served_in_pieces() {
    let path = TempPath::new("pieces");
    let data = pattern(5 * 1024 * 1024);
    let ex = Executor::new();
    let (written, first_read, back) = ex.block_on(|| {
        let mut file = File::create(&path).unwrap();
        let written = file.write(&data).unwrap();
        file.write_all(&data[written..]).unwrap();
        file.flush().unwrap();
        let mut file = File::open(&path).unwrap();
        let mut back = vec![0; data.len()];
        let first_read = file.read(&mut back).unwrap();
        file.read_exact(&mut back[first_read..]).unwrap();
        assert_eq!(file.read(&mut [0; 1]).unwrap(), 0);
        (written, first_read, back)
    });
    assert!(
        written > 0 && written < data.len(),
        "one write takes a chunk, not {written}"
    );
    assert!(
        first_read > 0 && first_read < data.len(),
        "one read takes a chunk, not {first_read}"
    );
    assert!(back == data, "the file differs");
}

#[test]
fn seeks_and_writes_count_the_bytes_read_ahead() {
    let path = TempPath::new("read-ahead");
    let data = pattern(100_000);
    std::fs::write(&path, &data).unwrap();
    let ex = Executor::new();
    ex.block_on(|| {
        let mut file = File::options().read(true).write(true).open(&path).unwrap();
        let mut ten = [0; 10];
        file.read_exact(&mut ten).unwrap();
        assert_eq!(ten[..], data[..10]);
        assert_eq!(file.stream_position().unwrap(), 10, "not the chunk read");
        assert_eq!(file.seek(SeekFrom::Current(-5)).unwrap(), 5);
        file.read_exact(&mut ten).unwrap();
        assert_eq!(ten[..], data[5..15]);

        // A write after a read lands where the reader stands.
        file.write_all(b"XYZ").unwrap();
        file.flush().unwrap();
        assert_eq!(file.stream_position().unwrap(), 18);
        // And a clone starts there too.
        file.read_exact(&mut ten[..2]).unwrap();
        let mut clone = file.try_clone().unwrap();
        assert_eq!(clone.stream_position().unwrap(), 20);
        // As does the std file.
        file.read_exact(&mut ten[..2]).unwrap();
        assert_eq!(file.into_std().stream_position().unwrap(), 22);
    });
    let after = std::fs::read(&path).unwrap();
    assert_eq!(after[..15], data[..15]);
    assert_eq!(&after[15..18], b"XYZ");
    assert_eq!(after[18..], data[18..]);
}

#[test]
fn other_tasks_run_while_a_read_is_on_the_pool() {
    let (path, mut file) = fifo("other-tasks");
    let _watchdog = Watchdog::new(path.as_ref());
    let events = log::<String>();
    let ex = Executor::new();
    ex.block_on(|| {
        let ev = events.clone();
        let reader = corun::spawn(move || {
            let mut buf = [0; 16];
            let n = file.read(&mut buf).unwrap();
            push(&ev, format!("read {}", String::from_utf8_lossy(&buf[..n])));
        });
        while !on_pool(&ex) {
            corun::yield_now();
        }
        // The read can only end with the bytes this task writes now.
        push(&events, "another task ran");
        feed(path.as_ref(), b"ping");
        reader.join().unwrap();
    });
    assert_eq!(*events.borrow(), ["another task ran", "read ping"]);
}

#[test]
fn a_cancelled_read_leaves_its_bytes_to_the_next_read() {
    let (path, file) = fifo("cancelled-read");
    let _watchdog = Watchdog::new(path.as_ref());
    let file = Rc::new(RefCell::new(file));
    let ex = Executor::new();
    let next = ex.block_on(|| {
        let f = file.clone();
        let reader = corun::spawn(move || {
            let mut buf = [0; 64];
            f.borrow_mut().read(&mut buf).unwrap()
        });
        while !on_pool(&ex) {
            corun::yield_now();
        }
        reader.cancel();
        assert!(reader.join().unwrap_err().is_cancelled());
        // The cancelled read is still on the pool, and takes these.
        feed(path.as_ref(), b"kept");
        let mut buf = [0; 64];
        let n = file.borrow_mut().read(&mut buf).unwrap();
        buf[..n].to_vec()
    });
    assert_eq!(next, b"kept");
}

#[test]
fn a_timed_out_read_leaves_its_bytes_to_the_next_read() {
    let (path, mut file) = fifo("timed-out-read");
    let _watchdog = Watchdog::new(path.as_ref());
    let ex = Executor::new();
    let next = ex.block_on(|| {
        let mut buf = [0; 64];
        let first = corun::timeout(Duration::from_millis(20), || file.read(&mut buf));
        assert!(first.is_err(), "nothing was written yet: {first:?}");
        feed(path.as_ref(), b"late");
        let n = file.read(&mut buf).unwrap();
        buf[..n].to_vec()
    });
    assert_eq!(next, b"late");
}

#[test]
fn errors_are_the_os_errors() {
    let path = TempPath::new("errors");
    let missing = TempPath::new("errors-missing");
    std::fs::write(&path, "x").unwrap();
    let ex = Executor::new();
    ex.block_on(|| {
        assert_eq!(
            File::open(&missing).unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
        let again = File::options().write(true).create_new(true).open(&path);
        assert_eq!(again.unwrap_err().kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(
            File::create_new(&path).unwrap_err().kind(),
            io::ErrorKind::AlreadyExists
        );

        let mut read_only = File::open(&path).unwrap();
        let err = read_only
            .write_all(b"no")
            .and_then(|()| read_only.flush())
            .unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EBADF), "{err}");
        read_only.flush().expect("an error is reported once");
    });
    let task = ex.spawn_future(async move { File::open_async(&missing).await.map(drop) });
    let err = ex.block_on(|| task.join().unwrap()).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::NotFound);
}

#[test]
fn a_file_the_user_may_not_read_is_permission_denied() {
    let path = TempPath::new("forbidden");
    let ex = Executor::new();
    ex.block_on(|| {
        File::options()
            .write(true)
            .create(true)
            .mode(0o200)
            .open(&path)
            .unwrap();
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o200,
            "mode() sets the new file's bits"
        );
        // root reads it anyway; then there is no error to compare.
        if let Err(std_err) = std::fs::File::open(&path) {
            assert_eq!(File::open(&path).unwrap_err().kind(), std_err.kind());
        }
    });
}

#[test]
fn reads_at_the_end_return_zero() {
    let path = TempPath::new("eof");
    std::fs::write(&path, "abc").unwrap();
    let ex = Executor::new();
    ex.block_on(|| {
        let mut file = File::open(&path).unwrap();
        let mut buf = [0; 8];
        assert_eq!(file.read(&mut buf).unwrap(), 3);
        assert_eq!(file.read(&mut buf).unwrap(), 0);
        assert_eq!(file.read(&mut buf).unwrap(), 0);
        assert_eq!(file.read(&mut []).unwrap(), 0);
    });
}

#[test]
fn append_writes_go_to_the_end() {
    let path = TempPath::new("append");
    std::fs::write(&path, "start:").unwrap();
    let ex = Executor::new();
    ex.block_on(|| {
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .open(&path)
            .unwrap();
        file.write_all(b"a").unwrap();
        file.seek(SeekFrom::Start(0)).unwrap();
        let mut head = [0; 2];
        file.read_exact(&mut head).unwrap();
        assert_eq!(&head, b"st");
        file.write_all(b"b").unwrap();
        file.flush().unwrap();
    });
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "start:ab");
}

#[test]
fn set_len_waits_for_the_write_in_flight() {
    let path = TempPath::new("set-len");
    let data = pattern(2 * 1024 * 1024);
    let ex = Executor::new();
    let (len, pos) = ex.block_on(|| {
        let mut file = File::create(&path).unwrap();
        let n = file.write(&data).unwrap();
        assert_eq!(n, data.len());
        file.set_len(5).unwrap();
        (
            file.metadata().unwrap().len(),
            file.stream_position().unwrap(),
        )
    });
    assert_eq!(len, 5, "the write landed after set_len");
    assert_eq!(pos, data.len() as u64, "set_len leaves the cursor alone");
    assert_eq!(std::fs::read(&path).unwrap(), data[..5]);
}

#[test]
fn into_std_waits_for_the_write_in_flight() {
    let path = TempPath::new("into-std");
    let data = pattern(2 * 1024 * 1024);
    let ex = Executor::new();
    let (n, std) = ex.block_on(|| {
        let mut file = File::create(&path).unwrap();
        let n = file.write(&data).unwrap();
        (n, file.into_std())
    });
    assert_eq!(std.metadata().unwrap().len(), n as u64);
}

#[test]
fn a_dropped_file_still_writes() {
    let path = TempPath::new("dropped");
    let data = pattern(2 * 1024 * 1024);
    let ex = Executor::new();
    ex.block_on(|| {
        let mut file = File::create(&path).unwrap();
        assert_eq!(file.write(&data).unwrap(), data.len());
    });
    // The pool write owns its bytes and ends on its own.
    let give_up = Instant::now() + Duration::from_secs(20);
    while std::fs::metadata(&path).unwrap().len() < data.len() as u64 && Instant::now() < give_up {
        std::thread::sleep(Duration::from_millis(1));
    }
    assert!(std::fs::read(&path).unwrap() == data, "the write was lost");
}

#[test]
fn outside_a_task_the_calls_run_on_the_thread() {
    let path = TempPath::new("thread");
    let p = path.0.clone();
    let text = std::thread::spawn(move || {
        let mut file = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&p)
            .unwrap();
        file.write_all(b"plain thread").unwrap();
        file.flush().unwrap();
        file.sync_data().unwrap();
        file.seek(SeekFrom::Start(6)).unwrap();
        let mut text = String::new();
        file.try_clone().unwrap().read_to_string(&mut text).unwrap();
        file.set_len(5).unwrap();
        assert_eq!(file.metadata().unwrap().len(), 5);
        file.into_std();
        text
    })
    .join()
    .unwrap();
    assert_eq!(text, "thread");
}

#[test]
fn a_cancelled_tasks_cleanup_can_use_a_file() {
    let path = TempPath::new("cleanup");
    let p = path.0.clone();
    let ex = Executor::new();
    in_cancelled_cleanup(&ex, move || {
        // Unwinding, the task cannot suspend: the calls run right here.
        let mut file = File::create(&p).unwrap();
        file.write_all(b"cleaned up").unwrap();
        file.flush().unwrap();
    });
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "cleaned up");
}

/// The futures side: `AsyncReadExt` and friends would clash with std's
/// traits in the module above.
mod future_tasks {
    use super::{feed, fifo, TempPath, Watchdog};
    use corun::fs::File;
    use corun::Executor;
    use futures::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt, FutureExt};
    use std::io::{self, SeekFrom};

    #[test]
    fn an_abandoned_async_read_leaves_its_bytes_to_the_next_read() {
        let (path, mut file) = fifo("abandoned-read");
        let _watchdog = Watchdog::new(path.as_ref());
        let fifo_path = path.0.clone();
        let ex = Executor::new();
        let task = ex.spawn_future(async move {
            let mut buf = [0; 64];
            let first = file.read(&mut buf).now_or_never();
            assert!(first.is_none(), "nothing was written yet: {first:?}");
            feed(&fifo_path, b"still here");
            let n = file.read(&mut buf).await.unwrap();
            buf[..n].to_vec()
        });
        assert_eq!(ex.block_on(|| task.join().unwrap()), b"still here");
    }

    #[test]
    fn async_read_write_and_seek_in_a_future_task() {
        let path = TempPath::new("async");
        let p = path.0.clone();
        let ex = Executor::new();
        let task = ex.spawn_future(async move {
            let mut file = File::options()
                .read(true)
                .write(true)
                .create(true)
                .truncate(true)
                .open_async(&p)
                .await?;
            file.write_all(b"0123456789").await?;
            assert_eq!(file.seek(SeekFrom::Start(2)).await?, 2);
            let mut four = [0; 4];
            file.read_exact(&mut four).await?;
            assert_eq!(&four, b"2345");
            assert_eq!(file.stream_position().await?, 6);
            file.set_len_async(3).await?;
            file.sync_all_async().await?;
            assert_eq!(file.metadata_async().await?.len(), 3);
            file.seek(SeekFrom::Start(0)).await?;
            let mut all = String::new();
            file.read_to_string(&mut all).await?;
            file.close().await?;
            let std = file.into_std_async().await;
            Ok::<_, io::Error>((all, std.metadata()?.len()))
        });
        assert_eq!(
            ex.block_on(|| task.join().unwrap()).unwrap(),
            ("012".to_string(), 3)
        );
    }

    #[test]
    fn debug_shows_the_std_file_and_whether_it_is_busy() {
        let (path, mut file) = fifo("debug");
        let _watchdog = Watchdog::new(path.as_ref());
        assert!(format!("{file:?}").contains("busy: false"), "{file:?}");
        let ex = Executor::new();
        let task = ex.spawn_future(async move {
            let mut buf = [0; 4];
            assert!(file.read(&mut buf).now_or_never().is_none());
            let shown = format!("{file:?}");
            (shown, file)
        });
        let (shown, _file) = ex.block_on(|| task.join().unwrap());
        assert!(shown.starts_with("File { std: File {"), "{shown}");
        assert!(shown.contains("busy: true"), "{shown}");
        feed(path.as_ref(), b"done");
    }
}

/// A `&self` call that cannot suspend (here, in a cancelled task's
/// cleanup) while a task of the same executor holds the file's state gets
/// an error at once: waiting would hang the thread, since the holder
/// could never run to let go.
#[test]
fn a_call_that_cannot_wait_for_another_task_on_the_same_thread_errs() {
    let (path, mut file) = fifo("busy");
    let _watchdog = Watchdog::new(path.as_ref());
    let big = vec![7u8; 1 << 20]; // far more than a FIFO holds
    let ex = Executor::new();
    let file = ex.block_on(|| {
        assert_eq!(file.write(&big).unwrap(), big.len()); // on the pool, stuck
        Rc::new(file)
    });
    let f = file.clone();
    // It holds the state while it waits for the stuck write.
    let holder = ex.spawn(move || f.sync_all().map_err(|e| e.kind()));
    ex.block_on(|| {
        while !on_pool(&ex) {
            corun::yield_now();
        }
    });
    let kinds = log::<io::ErrorKind>();
    let (f, k) = (file.clone(), kinds.clone());
    in_cancelled_cleanup(&ex, move || push(&k, f.sync_all().unwrap_err().kind()));
    assert_eq!(*kinds.borrow(), [io::ErrorKind::WouldBlock]);
    let mut drained = vec![0u8; big.len()];
    std::fs::File::open(&path.0)
        .unwrap()
        .read_exact(&mut drained)
        .unwrap();
    assert!(drained == big);
    // The holder finishes once the write lands (a FIFO cannot be synced:
    // the OS's error, not a hang).
    assert!(ex.block_on(|| holder.join().unwrap()).is_err());
}
