//! Pipes and raw-fd waits: echo through two pipes in both task styles, the
//! end of the stream, a broken pipe, a writer that fills the pipe, and
//! `wait_readable`/`wait_writable` on fds the caller owns.

use corun::io::{pipe, wait_readable, wait_writable};
use corun::Executor;
use std::io::{self, Read, Write};

#[test]
fn echo_through_two_pipes_between_stackful_tasks() {
    let ex = Executor::new();
    let got = ex.block_on(|| {
        let (mut to_echo_r, mut to_echo_w) = pipe().unwrap();
        let (mut back_r, mut back_w) = pipe().unwrap();
        let echo = corun::spawn(move || {
            let mut buf = [0; 64];
            loop {
                let n = to_echo_r.read(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                back_w.write_all(&buf[..n]).unwrap();
            }
        });
        to_echo_w.write_all(b"round trip").unwrap();
        drop(to_echo_w);
        let mut got = String::new();
        back_r.read_to_string(&mut got).unwrap();
        echo.join().unwrap();
        got
    });
    assert_eq!(got, "round trip");
}

#[test]
fn echo_through_a_pipe_between_future_tasks() {
    use futures::io::{AsyncReadExt, AsyncWriteExt};
    let ex = Executor::new();
    let (mut r, mut w) = pipe().unwrap();
    let writer = ex.spawn_future(async move {
        for i in 0..100u32 {
            AsyncWriteExt::write_all(&mut w, &i.to_le_bytes())
                .await
                .unwrap();
        }
    });
    let reader = ex.spawn_future(async move {
        let mut all = Vec::new();
        AsyncReadExt::read_to_end(&mut r, &mut all).await.unwrap();
        all
    });
    let all = ex.block_on(|| {
        writer.join().unwrap();
        reader.join().unwrap()
    });
    let expected: Vec<u8> = (0..100u32).flat_map(|i| i.to_le_bytes()).collect();
    assert_eq!(all, expected);
}

#[test]
fn a_writer_that_fills_the_pipe_suspends_until_the_reader_drains_it() {
    const TOTAL: usize = 4 << 20; // far more than a pipe holds (64 KiB)
    let ex = Executor::new();
    let len = ex.block_on(|| {
        let (mut r, mut w) = pipe().unwrap();
        let writer = corun::spawn(move || w.write_all(&vec![7u8; TOTAL]).unwrap());
        let mut got = Vec::new();
        r.read_to_end(&mut got).unwrap();
        writer.join().unwrap();
        assert!(got.iter().all(|&b| b == 7));
        got.len()
    });
    assert_eq!(len, TOTAL);
}

#[test]
fn writing_to_a_pipe_whose_reader_is_gone_is_broken_pipe() {
    let ex = Executor::new();
    ex.block_on(|| {
        let (r, mut w) = pipe().unwrap();
        drop(r);
        assert_eq!(w.write(b"x").unwrap_err().kind(), io::ErrorKind::BrokenPipe);
    });
}

#[test]
fn pipes_work_between_a_task_and_a_plain_thread() {
    let ex = Executor::new();
    let (mut r, mut w) = pipe().unwrap();
    let t = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(5));
        w.write_all(b"from a thread").unwrap(); // outside a task: blocks as std
    });
    let got = ex.block_on(|| {
        let mut s = String::new();
        r.read_to_string(&mut s).unwrap();
        s
    });
    t.join().unwrap();
    assert_eq!(got, "from a thread");
}

#[test]
fn wait_readable_suspends_until_data_and_wait_writable_returns_for_room() {
    let ex = Executor::new();
    ex.block_on(|| {
        let (r, w) = pipe().unwrap();
        let w = std::rc::Rc::new(w);
        let w2 = w.clone();
        let writer = corun::spawn(move || {
            corun::sleep(std::time::Duration::from_millis(2));
            (&*w2).write_all(b"!").unwrap();
        });
        wait_readable(&r).unwrap();
        wait_writable(&*w).unwrap();
        writer.join().unwrap();
        // An fd that corun already registered can be waited on too, and
        // the corun type keeps working.
        wait_readable(&r).unwrap();
        let mut r = r;
        let mut byte = [0];
        r.read_exact(&mut byte).unwrap();
        assert_eq!(&byte, b"!");
    });
}

#[test]
fn wait_readable_works_outside_a_task() {
    let (r, mut w) = std::os::unix::net::UnixStream::pair().unwrap();
    w.write_all(b"x").unwrap();
    wait_readable(&r).unwrap();
    wait_writable(&w).unwrap();
}

#[test]
fn a_regular_file_is_an_error_not_a_hang() {
    let ex = Executor::new();
    let f = std::fs::File::open("Cargo.toml").unwrap();
    let err = ex.block_on(|| wait_readable(&f).unwrap_err());
    assert_eq!(err.raw_os_error(), Some(libc::EPERM));
}

#[test]
fn data_and_the_end_reported_in_one_event_give_the_data_then_ok_zero() {
    // The reader waits; the writer writes and closes in one turn, so the
    // reader's wake-up reports both. Its read of the data is short, and the
    // next read must see the end instead of waiting for an edge that will
    // never come.
    let ex = Executor::new();
    let got = ex.block_on(|| {
        let (mut r, mut w) = pipe().unwrap();
        let writer = corun::spawn(move || {
            w.write_all(b"last words").unwrap();
            drop(w);
        });
        let mut got = Vec::new();
        r.read_to_end(&mut got).unwrap();
        writer.join().unwrap();
        got
    });
    assert_eq!(got, b"last words");
}

#[test]
fn std_pipe_ends_convert_both_ways() {
    let (r, w) = std::io::pipe().unwrap();
    let (reader, mut writer) = (
        corun::io::PipeReader::from_std(r).unwrap(),
        corun::io::PipeWriter::from_std(w).unwrap(),
    );
    let ex = corun::Executor::new();
    let got = ex.block_on(|| {
        let w = corun::spawn(move || {
            writer.write_all(b"one").unwrap();
            writer
        });
        let mut buf = [0; 3];
        let mut reader = reader;
        reader.read_exact(&mut buf).unwrap();
        (buf, reader, w.join().unwrap())
    });
    assert_eq!(&got.0, b"one");
    // Back in std's hands the ends block again: a read waits for the
    // write on another thread instead of failing with `WouldBlock`.
    let (mut r, mut w) = (got.1.into_std().unwrap(), got.2.into_std().unwrap());
    let t = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(20));
        w.write_all(b"two").unwrap();
    });
    let mut buf = [0; 3];
    r.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"two");
    t.join().unwrap();
}

#[test]
fn a_std_childs_pipes_become_corun_pipe_ends() {
    let mut child = std::process::Command::new("cat")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = corun::io::PipeWriter::try_from(child.stdin.take().unwrap()).unwrap();
    let mut stdout = corun::io::PipeReader::try_from(child.stdout.take().unwrap()).unwrap();
    let out = corun::Executor::new().block_on(move || {
        stdin.write_all(b"relay").unwrap();
        drop(stdin);
        let mut out = String::new();
        stdout.read_to_string(&mut out).unwrap();
        out
    });
    assert_eq!(out, "relay");
    assert!(child.wait().unwrap().success());
}

#[test]
fn the_async_fd_waits_end_when_the_fd_is_ready() {
    let ex = Executor::new();
    let order = ex.block_on(|| {
        let (reader, mut writer) = pipe().unwrap();
        let log = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
        let l = log.clone();
        let waiting = corun::spawn_future(async move {
            corun::io::wait_readable_async(&reader).await.unwrap();
            l.borrow_mut().push("readable");
            reader
        });
        corun::yield_now();
        log.borrow_mut().push("writing");
        writer.write_all(b"x").unwrap();
        let mut reader = waiting.join().unwrap();
        let mut byte = [0];
        reader.read_exact(&mut byte).unwrap();
        // An empty pipe is writable at once.
        corun::spawn_future(async move { corun::io::wait_writable_async(&writer).await })
            .join()
            .unwrap()
            .unwrap();
        let order = log.borrow().clone();
        order
    });
    assert_eq!(order, ["writing", "readable"]);
}
