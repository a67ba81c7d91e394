//! The future behind every `*_async` I/O method (`recv_from_async`,
//! `accept_async`, ...). Each such future waiting for readiness holds an
//! entry of its own in its fd's wait list, so two tasks receiving from one
//! shared socket both wait, and both are woken by its event. The `poll_*`
//! building blocks (`AsyncRead`, `poll_accept`) keep one waker per
//! direction instead, whose latest poll wins, as tokio's do: a trait
//! method has nowhere to keep an entry between polls.
//!
//! Rules:
//! 1. A poll whose entry is still in the list was not woken: it refreshes
//!    the entry's waker and stays pending.
//! 2. Otherwise it tries the operation (`Evented::try_io`); if that would
//!    block, it enrolls anew.
//! 3. Dropping the future (its task cancelled, a `select` or `timeout`
//!    giving up) takes its entry out, so no stale wake reaches anyone and
//!    the reactor's count of kept wakers stays true.

use super::Evented;
use crate::executor::io_wait;
use crate::executor::reactor::{Direction, Source};
use std::future::Future;
use std::io;
use std::os::fd::AsFd;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

/// An I/O operation retried until the fd lets it through.
pub(crate) struct IoOp<'a, T: AsFd, Op> {
    io: &'a Evented<T>,
    dir: Direction,
    what: &'static str,
    op: Op,
    entry: Option<Enrolled>,
}

/// A future's place in its fd's wait list (rule 3).
struct Enrolled {
    source: Rc<Source>,
    dir: Direction,
    key: u64,
}

impl Drop for Enrolled {
    fn drop(&mut self) {
        self.source.unenroll(self.dir, self.key);
    }
}

impl<'a, T: AsFd, Op> IoOp<'a, T, Op> {
    pub(super) fn new(io: &'a Evented<T>, dir: Direction, what: &'static str, op: Op) -> Self {
        IoOp {
            io,
            dir,
            what,
            op,
            entry: None,
        }
    }
}

impl<T: AsFd, R, Op> Future for IoOp<'_, T, Op>
where
    Op: FnMut(&T) -> io::Result<R> + Unpin,
{
    type Output = io::Result<R>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<R>> {
        let this = self.get_mut();
        if let Some(e) = &this.entry {
            if e.source.queue(e.dir).refresh(e.key, Some(cx.waker())) {
                // Each poll of a future task says afresh what it waits on.
                io_wait::note_waiting_on(this.what);
                return Poll::Pending; // rule 1
            }
            this.entry = None;
        }
        match this.io.try_io(this.dir, this.what, &mut this.op, |_| false) {
            Ok(done) => Poll::Ready(done),
            Err(source) => {
                let key = source.enroll(this.dir, cx.waker());
                this.entry = Some(Enrolled {
                    source,
                    dir: this.dir,
                    key,
                });
                Poll::Pending
            }
        }
    }
}
