//! Waiting for an fd outside any task: the calling thread blocks, as it
//! would in std's blocking calls.
//!
//! Each thread that needs it gets one private mio `Poll` (an epoll fd),
//! made on first use. A wait adds the fd to it, blocks in `epoll_wait`
//! until the fd is ready or the deadline passes, and takes the fd out
//! again. Adding an fd reports its current readiness even edge-triggered,
//! so readiness that came before the wait is not missed.

use crate::executor::reactor::Direction;
use mio::unix::SourceFd;
use std::cell::RefCell;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::time::Instant;

thread_local! {
    static POLL: RefCell<Option<(mio::Poll, mio::Events)>> = const { RefCell::new(None) };
}

/// Blocks until `fd` is ready for `dir` (`true`) or `deadline` passes
/// (`false`).
pub(crate) fn wait(
    fd: BorrowedFd<'_>,
    dir: Direction,
    deadline: Option<Instant>,
) -> io::Result<bool> {
    POLL.with(|cell| {
        let mut cell = cell.borrow_mut();
        if cell.is_none() {
            *cell = Some((mio::Poll::new()?, mio::Events::with_capacity(4)));
        }
        let (poll, events) = cell.as_mut().expect("made just above");
        let raw = fd.as_raw_fd();
        let interest = match dir {
            Direction::Read => mio::Interest::READABLE,
            Direction::Write => mio::Interest::WRITABLE,
        };
        poll.registry()
            .register(&mut SourceFd(&raw), mio::Token(0), interest)?;
        let result = loop {
            let timeout = deadline.map(|d| d.saturating_duration_since(Instant::now()));
            match poll.poll(events, timeout) {
                Ok(()) if !events.is_empty() => break Ok(true),
                Ok(()) if timeout.is_some_and(|t| t.is_zero()) => break Ok(false),
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => break Err(e),
            }
        };
        // The fd is still open (borrowed): taking it out cannot fail in a
        // way that matters; a leftover entry would only be reported once.
        let _ = poll.registry().deregister(&mut SourceFd(&raw));
        result
    })
}
