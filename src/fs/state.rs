//! The one state machine behind [`File`](super::File), shared by its
//! stackful calls (`Read`, `Write`, `Seek`) and its futures
//! (`AsyncRead`, `AsyncWrite`, `AsyncSeek`), in tokio::fs::File's shape.
//!
//! The rules:
//!
//! 1. A file is `Idle` with a buffer, or `Busy` with one operation on the
//!    pool that owns that buffer and a handle to the file. At most one
//!    operation is in flight.
//! 2. An operation's result stays in the state until a call collects it.
//!    Whoever started it (a task cancelled or timed out since, a dropped
//!    future) does not matter: every call first collects what is in
//!    flight, so nothing is lost.
//! 3. A collected read leaves its bytes in the buffer; the next read takes
//!    them first. A collected write error is kept and reported by the next
//!    write or flush. A collected seek updates the known position.
//! 4. Bytes read ahead but not handed out are given back before anything
//!    that moves or uses the OS cursor (a write, a seek, `set_len`,
//!    `try_clone`, `into_std`): a seek by `Current` counts them, the others
//!    seek back over them first.
//! 5. In a task an operation runs on the pool and the task suspends; outside
//!    any task, or while the task unwinds (it cannot suspend), it runs at
//!    once on the calling thread ([`Run::Here`]), so a write there is done
//!    when `write` returns.

use super::buf::Buf;
use std::fs::File as StdFile;
use std::future::{poll_fn, Future};
use std::io::{self, Seek, SeekFrom};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

/// The largest chunk one pool operation reads or writes, as tokio's
/// `MAX_BUF`: bigger calls are served in pieces, as short reads and writes.
pub(super) const MAX_BUF: usize = 2 * 1024 * 1024;

/// The smallest read: a small read still costs a pool hop, so it reads
/// ahead as `BufReader` would (rule 4 keeps the cursor honest).
const MIN_READ: usize = 8 * 1024;

/// Where an operation runs (rule 5).
#[derive(Clone, Copy, Debug)]
pub(super) enum Run {
    /// On the `unblock` pool; the caller waits for its future.
    Pool,
    /// At once, on the calling thread.
    Here,
}

/// What a finished operation did, waiting to be collected (rule 2).
#[derive(Debug)]
enum Op {
    Read(io::Result<usize>),
    Write(io::Result<()>),
    Seek(io::Result<u64>),
    SetLen(io::Result<()>),
}

type InFlight = Pin<Box<dyn Future<Output = (Op, Buf)> + Send>>;

enum State {
    Idle(Buf),
    Busy(InFlight),
}

/// A file's operation state (rule 1) and what collected operations left.
pub(super) struct Inner {
    state: State,
    /// A write's error nobody has reported yet (rule 3).
    write_error: Option<io::Error>,
    /// The position the latest seek returned.
    pos: u64,
    /// The position an `AsyncSeek::poll_seek` asked for while its seek is
    /// in flight: polled again with the same one, it waits for that seek
    /// instead of starting another.
    seek_request: Option<SeekFrom>,
    /// The smallest read asked of the OS: [`MIN_READ`], or 1 for a stream
    /// that must not read ahead (stdin: bytes read ahead by one handle
    /// would be lost to the others).
    min_read: usize,
}

impl Inner {
    pub(super) fn new() -> Inner {
        Inner {
            state: State::Idle(Buf::default()),
            write_error: None,
            pos: 0,
            seek_request: None,
            min_read: MIN_READ,
        }
    }

    /// An operation state whose reads take no more than asked.
    pub(super) fn without_read_ahead() -> Inner {
        Inner {
            min_read: 1,
            ..Inner::new()
        }
    }

    pub(super) fn is_busy(&self) -> bool {
        matches!(self.state, State::Busy(_))
    }

    /// Starts `job` (the state must be idle; its buffer is in the job).
    fn start(&mut self, how: Run, job: impl FnOnce() -> (Op, Buf) + Send + 'static) {
        debug_assert!(!self.is_busy(), "one operation at a time (rule 1)");
        self.state = State::Busy(match how {
            Run::Pool => Box::pin(crate::unblock_future(job)),
            Run::Here => Box::pin(std::future::ready(job())),
        });
    }

    /// The idle state's buffer.
    fn buf(&mut self) -> &mut Buf {
        match &mut self.state {
            State::Idle(buf) => buf,
            State::Busy(_) => unreachable!("an operation is still in flight"),
        }
    }

    /// The idle buffer, taken out for an operation to own.
    fn take_buf(&mut self) -> Buf {
        std::mem::take(self.buf())
    }

    /// Waits for the operation in flight, if any, and returns what it did;
    /// the state is idle afterwards.
    fn poll_collect(&mut self, cx: &mut Context<'_>) -> Poll<Option<Op>> {
        let State::Busy(in_flight) = &mut self.state else {
            return Poll::Ready(None);
        };
        let (op, buf) = ready!(in_flight.as_mut().poll(cx));
        self.state = State::Idle(buf);
        Poll::Ready(Some(op))
    }

    /// Keeps what a collected operation left for the calls after it
    /// (rule 3); a read's bytes are in the buffer already.
    fn absorb(&mut self, op: Op) {
        match op {
            Op::Read(_) | Op::Write(Ok(())) | Op::SetLen(Ok(())) => {}
            Op::Write(Err(e)) | Op::SetLen(Err(e)) => {
                self.write_error.get_or_insert(e);
            }
            Op::Seek(result) => self.note_seek(&result),
        }
    }

    fn note_seek(&mut self, result: &io::Result<u64>) {
        self.seek_request = None;
        if let Ok(pos) = result {
            self.pos = *pos;
        }
    }

    pub(super) fn poll_read(
        &mut self,
        cx: &mut Context<'_>,
        std: &Arc<StdFile>,
        dst: &mut [u8],
        how: Run,
    ) -> Poll<io::Result<usize>> {
        loop {
            if let State::Idle(buf) = &mut self.state {
                if !buf.is_empty() || dst.is_empty() {
                    return Poll::Ready(Ok(buf.copy_to(dst)));
                }
                let mut buf = std::mem::take(buf);
                let std = std.clone();
                let max = dst.len().clamp(self.min_read, MAX_BUF);
                self.start(how, move || {
                    let read = buf.read_from(&mut &*std, max);
                    (Op::Read(read), buf)
                });
            }
            match ready!(self.poll_collect(cx)) {
                // Whoever started it, its bytes are this caller's (rule 3);
                // none means the end of the file.
                Some(Op::Read(read)) => return Poll::Ready(read.map(|_| self.buf().copy_to(dst))),
                Some(op) => self.absorb(op),
                None => {}
            }
        }
    }

    pub(super) fn poll_write(
        &mut self,
        cx: &mut Context<'_>,
        std: &Arc<StdFile>,
        src: &[u8],
        how: Run,
    ) -> Poll<io::Result<usize>> {
        if let Some(e) = self.write_error.take() {
            return Poll::Ready(Err(e));
        }
        match ready!(self.poll_collect(cx)) {
            Some(Op::Write(Err(e)) | Op::SetLen(Err(e))) => return Poll::Ready(Err(e)),
            Some(op) => self.absorb(op),
            None => {}
        }
        if src.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let mut buf = self.take_buf();
        let back = buf.discard_read();
        let n = buf.copy_from(src, MAX_BUF);
        let std = std.clone();
        self.start(how, move || {
            let written = seek_back(&std, back).and_then(|()| buf.write_to(&mut &*std));
            (Op::Write(written), buf)
        });
        // The bytes are the file's now: the write ends in the background,
        // and its error comes with the next write or flush.
        Poll::Ready(Ok(n))
    }

    /// Waits for the operation in flight and reports a write error nobody
    /// has seen yet.
    pub(super) fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let op = ready!(self.poll_collect(cx));
        if let Some(op) = op {
            self.absorb(op);
        }
        Poll::Ready(self.write_error.take().map_or(Ok(()), Err))
    }

    /// Collects whatever is in flight, keeping a write error for later.
    async fn settle(&mut self) {
        if let Err(e) = poll_fn(|cx| self.poll_flush(cx)).await {
            self.write_error.get_or_insert(e);
        }
    }

    /// Starts a seek to `pos` from an idle state, counting the bytes read
    /// ahead (rule 4).
    fn start_seek(&mut self, std: &Arc<StdFile>, pos: SeekFrom, how: Run) {
        let mut buf = self.take_buf();
        let back = buf.discard_read();
        let pos = match pos {
            SeekFrom::Current(offset) => SeekFrom::Current(offset + back),
            absolute => absolute,
        };
        let std = std.clone();
        self.start(how, move || ((Op::Seek((&*std).seek(pos))), buf));
    }

    /// Waits for the seek this caller started; the first operation
    /// collected is that seek, since it started from an idle state.
    fn poll_seek_done(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        loop {
            match ready!(self.poll_collect(cx)) {
                Some(Op::Seek(result)) => {
                    self.note_seek(&result);
                    return Poll::Ready(result);
                }
                Some(op) => self.absorb(op),
                None => return Poll::Ready(Ok(self.pos)),
            }
        }
    }

    /// `Seek::seek`: settle, seek, wait.
    pub(super) async fn seek(
        &mut self,
        std: &Arc<StdFile>,
        pos: SeekFrom,
        how: Run,
    ) -> io::Result<u64> {
        self.settle().await;
        self.start_seek(std, pos, how);
        poll_fn(|cx| self.poll_seek_done(cx)).await
    }

    /// `AsyncSeek::poll_seek`, which may be polled again for the same seek.
    pub(super) fn poll_seek(
        &mut self,
        cx: &mut Context<'_>,
        std: &Arc<StdFile>,
        pos: SeekFrom,
    ) -> Poll<io::Result<u64>> {
        if self.seek_request == Some(pos) && self.is_busy() {
            let done = ready!(self.poll_seek_done(cx));
            self.seek_request = None;
            return Poll::Ready(done);
        }
        if let Some(op) = ready!(self.poll_collect(cx)) {
            self.absorb(op);
        }
        self.start_seek(std, pos, Run::Pool);
        self.seek_request = Some(pos);
        self.poll_seek(cx, std, pos)
    }

    /// Settles and gives back the bytes read ahead (rule 4), so the OS
    /// cursor is where this file's reader stands.
    pub(super) async fn rewind_read_ahead(
        &mut self,
        std: &Arc<StdFile>,
        how: Run,
    ) -> io::Result<()> {
        self.settle().await;
        if self.buf().is_empty() {
            return Ok(());
        }
        self.start_seek(std, SeekFrom::Current(0), how);
        poll_fn(|cx| self.poll_seek_done(cx)).await.map(drop)
    }

    /// `set_len`, after the write in flight (rules 2 and 4).
    pub(super) async fn set_len(
        &mut self,
        std: &Arc<StdFile>,
        len: u64,
        how: Run,
    ) -> io::Result<()> {
        self.rewind_read_ahead(std, how).await?;
        let buf = self.take_buf();
        let std = std.clone();
        self.start(how, move || (Op::SetLen(std.set_len(len)), buf));
        match poll_fn(|cx| self.poll_collect(cx)).await {
            Some(Op::SetLen(result)) => result,
            other => unreachable!("set_len collected {other:?}"),
        }
    }
}

/// Seeks back over `back` bytes read ahead, if any (rule 4).
fn seek_back(std: &StdFile, back: i64) -> io::Result<()> {
    if back == 0 {
        return Ok(());
    }
    let mut std = std;
    std.seek(SeekFrom::Current(back)).map(drop)
}

/// Runs a call's future to its end, as rule 5 says: a stackful task
/// suspends in [`await_`](crate::await_) while the pool works; anywhere
/// else the future gets [`Run::Here`] and the thread waits for it.
pub(super) fn run<T, F: Future<Output = T>>(call: impl FnOnce(Run) -> F) -> T {
    if crate::unblock::runs_on_pool() {
        crate::await_(call(Run::Pool))
    } else {
        // A `Run::Here` call is ready at once unless an operation started
        // on the pool (by a task since cancelled, say) is still running;
        // the thread then waits for it.
        crate::sync::wait_here::block_thread_on(call(Run::Here))
    }
}
