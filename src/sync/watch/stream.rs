//! A watch receiver as a `Stream` of the values it sees.

use super::receiver::Receiver;
use crate::sync::recheck_wait::{leave, poll_wait};
use futures::stream::{FusedStream, Stream};
use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

impl<T: Clone> Receiver<T> {
    /// The values this receiver sees, as a `Stream` of clones: the current
    /// value first (tokio-stream's `WatchStream::new`), then each value it
    /// finds unseen when polled; it ends when every sender is gone and the
    /// last value was yielded. Values stored between two polls are not
    /// queued: the stream yields the latest.
    ///
    /// ```
    /// use futures::StreamExt;
    ///
    /// let ex = corun::Executor::new();
    /// let (tx, rx) = corun::sync::watch::channel(0);
    /// let h = ex.spawn_future(rx.into_stream().collect::<Vec<_>>());
    /// ex.block_on(|| {
    ///     corun::yield_now(); // the stream yielded 0 and waits
    ///     tx.send(1).unwrap();
    ///     corun::yield_now();
    ///     drop(tx);
    ///     assert_eq!(h.join().unwrap(), [0, 1]);
    /// });
    /// ```
    pub fn into_stream(mut self) -> WatchStream<T> {
        self.mark_changed();
        WatchStream {
            rx: self,
            key: None,
        }
    }
}

/// The stream of [`Receiver::into_stream`].
#[must_use = "streams do nothing unless polled"]
pub struct WatchStream<T> {
    rx: Receiver<T>,
    /// Our registration in the channel's queue while waiting.
    key: Option<u64>,
}

impl<T> WatchStream<T> {
    /// The receiver back, with what it has seen.
    ///
    /// ```
    /// let (_tx, rx) = corun::sync::watch::channel(0);
    /// let rx = rx.into_stream().into_inner();
    /// assert!(rx.has_changed().unwrap()); // the current value is unseen
    /// ```
    pub fn into_inner(self) -> Receiver<T> {
        // A clone, since the stream's `Drop` keeps its own receiver: the
        // count of receivers never touches 0 on the way, so no sender's
        // `closed` is woken by it.
        let rx = self.rx.clone();
        drop(self);
        rx
    }
}

impl<T: Clone> Stream for WatchStream<T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = self.get_mut();
        let Receiver { shared, seen } = &mut this.rx;
        let ready = shared
            .check_changed(seen)
            .map(|r| r.ok().map(|()| shared.value.borrow().clone()));
        poll_wait(
            &shared.changes,
            &mut this.key,
            ready,
            Some(cx.waker()),
            "corun::sync::watch::WatchStream::poll_next",
        )
    }
}

impl<T: Clone> FusedStream for WatchStream<T> {
    fn is_terminated(&self) -> bool {
        self.rx.has_changed().is_err() && self.rx.seen == self.rx.shared.version.get()
    }
}

impl<T> Drop for WatchStream<T> {
    fn drop(&mut self) {
        leave(&self.rx.shared.changes, &mut self.key);
    }
}

impl<T> fmt::Debug for WatchStream<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("watch::WatchStream")
            .field("rx", &self.rx)
            .field("waiting", &self.key.is_some())
            .finish()
    }
}
