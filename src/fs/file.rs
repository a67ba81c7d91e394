//! `File`: tokio::fs::File's shape over the state machine of `state.rs`,
//! with std's `Read`/`Write`/`Seek` for stackful tasks and futures'
//! `AsyncRead`/`AsyncWrite`/`AsyncSeek` for future tasks and async code.

use super::state::{run, Inner, Run};
use futures::io::{AsyncRead, AsyncSeek, AsyncWrite};
use futures::lock::{Mutex, MutexGuard};
use std::fmt;
use std::fs::{File as StdFile, Metadata, Permissions};
use std::future::poll_fn;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

/// An open file whose reads, writes and seeks run on the
/// [`unblock`](crate::unblock) pool, in tokio::fs::File's shape: a slow
/// disk suspends only the calling task.
///
/// - **Stackful tasks** use std's [`Read`], [`Write`] and [`Seek`] (and so
///   `BufReader`, `read_to_string`, `write_all`, ...): each call suspends
///   the task while the pool works. Outside any task the call does its work
///   on the calling thread, as std's.
/// - **Future tasks and async code** use futures' [`AsyncRead`],
///   [`AsyncWrite`] and [`AsyncSeek`] (with `AsyncReadExt`, ...) and the
///   `_async` twins of the other methods.
///
/// Both drive one state machine, so they can be mixed on one file.
///
/// # Writes finish in the background
///
/// As tokio's, `write` returns `Ok(n)` once the bytes are copied into the
/// file's buffer and the pool write has started; the next write, or
/// [`flush`](Write::flush), waits for it and reports its error. Call
/// `flush` (or [`sync_all`](File::sync_all)) before dropping a file
/// whose last write's error you care about: a dropped file's write still
/// happens, as it owns its bytes, but its error is lost.
///
/// # Cancelled calls lose nothing
///
/// A read, write or seek on the pool runs to its end even if its task is
/// cancelled or times out (or its future is dropped). The result waits in
/// the file for the next call: a read's bytes go to the next read, a
/// write's error to the next write or flush, a seek's move is where the
/// next read starts.
///
/// A read takes at least 8 KiB (at most 2 MiB) from the OS and hands out
/// what the caller asked for; the rest waits for the next read. Seeks,
/// writes, `set_len`, `try_clone` and `into_std` give the unread bytes
/// back to the OS cursor first, so the position is always the reader's.
///
/// ```
/// use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
///
/// let path = std::env::temp_dir().join(format!("corun-file-doc-{}", std::process::id()));
/// let ex = corun::Executor::new();
/// ex.block_on(|| {
///     let mut file = corun::fs::File::create(&path)?;
///     file.write_all(b"first line\nsecond line\n")?;
///     file.flush()?;
///
///     let mut file = corun::fs::File::open(&path)?;
///     let mut word = [0; 5];
///     file.read_exact(&mut word)?;
///     assert_eq!(&word, b"first");
///     assert_eq!(file.stream_position()?, 5);
///
///     file.seek(SeekFrom::Start(0))?;
///     let lines: Vec<String> = BufReader::new(file).lines().collect::<Result<_, _>>()?;
///     assert_eq!(lines, ["first line", "second line"]);
///     corun::fs::remove_file(&path)
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// In a future task:
///
/// ```
/// use futures::{AsyncReadExt, AsyncWriteExt};
///
/// let path = std::env::temp_dir().join(format!("corun-file-async-doc-{}", std::process::id()));
/// let ex = corun::Executor::new();
/// let task = ex.spawn_future(async move {
///     let mut file = corun::fs::File::create_async(&path).await?;
///     file.write_all(b"hello").await?;
///     file.flush().await?;
///
///     let mut text = String::new();
///     corun::fs::File::open_async(&path).await?.read_to_string(&mut text).await?;
///     corun::fs::remove_file_async(&path).await?;
///     Ok::<_, std::io::Error>(text)
/// });
/// assert_eq!(ex.block_on(|| task.join().unwrap())?, "hello");
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct File {
    std: Arc<StdFile>,
    /// Behind an async lock, as tokio's: `&self` methods (`set_len`,
    /// `sync_all`) collect the operation in flight too, and a task that
    /// suspends there must not keep another task's thread from it.
    inner: Mutex<Inner>,
}

impl File {
    /// Wraps an open std file; its operations move to the pool.
    pub fn from_std(std: StdFile) -> File {
        File {
            std: Arc::new(std),
            inner: Mutex::new(Inner::new()),
        }
    }

    /// A file whose reads ask the OS for no more than the caller's buffer
    /// holds (tokio's stdin does the same): for a stream several handles
    /// read in turn, where read-ahead bytes would be lost with the handle
    /// that took them (`io::stdin`).
    pub(crate) fn from_std_without_read_ahead(std: StdFile) -> File {
        File {
            std: Arc::new(std),
            inner: Mutex::new(Inner::without_read_ahead()),
        }
    }

    /// The std file, once the operation in flight (a write, say) has
    /// ended and bytes read ahead are given back to the OS cursor.
    ///
    /// A write's error not reported yet is dropped, as tokio's is: call
    /// [`flush`](Write::flush) first to see it.
    pub fn into_std(mut self) -> StdFile {
        let (std, inner) = (&self.std, self.inner.get_mut());
        // The std file is all that is left of this one: an error giving
        // back the read-ahead has nowhere to go, as the write error has not.
        let _ = run(move |how| inner.rewind_read_ahead(std, how));
        self.unwrap_std()
    }

    /// [`into_std`](File::into_std) for future tasks and async code.
    pub async fn into_std_async(mut self) -> StdFile {
        let _ = self
            .inner
            .get_mut()
            .rewind_read_ahead(&self.std, Run::Pool)
            .await;
        self.unwrap_std()
    }

    fn unwrap_std(self) -> StdFile {
        // Each operation's closure drops its handle before it returns, and
        // nothing is in flight now.
        Arc::try_unwrap(self.std).expect("no operation holds the file once it is idle")
    }

    /// The metadata, as `std::fs::File::metadata`.
    pub fn metadata(&self) -> io::Result<Metadata> {
        run(|how| self.on_pool(how, StdFile::metadata))
    }

    /// [`metadata`](File::metadata) for future tasks and async code.
    pub async fn metadata_async(&self) -> io::Result<Metadata> {
        self.on_pool(Run::Pool, StdFile::metadata).await
    }

    /// Changes the permissions, as `std::fs::File::set_permissions`.
    pub fn set_permissions(&self, perm: Permissions) -> io::Result<()> {
        run(|how| self.on_pool(how, move |f| f.set_permissions(perm)))
    }

    /// [`set_permissions`](File::set_permissions) for future tasks and
    /// async code.
    pub async fn set_permissions_async(&self, perm: Permissions) -> io::Result<()> {
        self.on_pool(Run::Pool, move |f| f.set_permissions(perm))
            .await
    }

    /// Truncates or extends the file to `len` bytes, as
    /// `std::fs::File::set_len`, after the write in flight has landed (so
    /// it cannot extend the file again). The cursor does not move.
    pub fn set_len(&self, len: u64) -> io::Result<()> {
        run(|how| self.set_len_on(len, how))
    }

    /// [`set_len`](File::set_len) for future tasks and async code.
    pub async fn set_len_async(&self, len: u64) -> io::Result<()> {
        self.set_len_on(len, Run::Pool).await
    }

    async fn set_len_on(&self, len: u64, how: Run) -> io::Result<()> {
        self.lock_inner(how)
            .await?
            .set_len(&self.std, len, how)
            .await
    }

    /// Waits for the write in flight, reports a write error not reported
    /// yet, then flushes data and metadata to the disk, as
    /// `std::fs::File::sync_all`.
    pub fn sync_all(&self) -> io::Result<()> {
        run(|how| self.sync_on(how, StdFile::sync_all))
    }

    /// [`sync_all`](File::sync_all) for future tasks and async code.
    pub async fn sync_all_async(&self) -> io::Result<()> {
        self.sync_on(Run::Pool, StdFile::sync_all).await
    }

    /// [`sync_all`](File::sync_all) without the metadata that reading
    /// does not need, as `std::fs::File::sync_data`.
    pub fn sync_data(&self) -> io::Result<()> {
        run(|how| self.sync_on(how, StdFile::sync_data))
    }

    /// [`sync_data`](File::sync_data) for future tasks and async code.
    pub async fn sync_data_async(&self) -> io::Result<()> {
        self.sync_on(Run::Pool, StdFile::sync_data).await
    }

    async fn sync_on(&self, how: Run, sync: fn(&StdFile) -> io::Result<()>) -> io::Result<()> {
        let mut inner = self.lock_inner(how).await?;
        poll_fn(|cx| inner.poll_flush(cx)).await?;
        self.on_pool(how, sync).await
    }

    /// A second handle to the same open file, sharing its cursor, as
    /// `std::fs::File::try_clone`; the write in flight lands and bytes
    /// read ahead are given back first, so the new handle starts where
    /// this one's reader stands.
    pub fn try_clone(&self) -> io::Result<File> {
        run(|how| self.try_clone_on(how))
    }

    /// [`try_clone`](File::try_clone) for future tasks and async code.
    pub async fn try_clone_async(&self) -> io::Result<File> {
        self.try_clone_on(Run::Pool).await
    }

    async fn try_clone_on(&self, how: Run) -> io::Result<File> {
        let mut inner = self.lock_inner(how).await?;
        inner.rewind_read_ahead(&self.std, how).await?;
        self.on_pool(how, StdFile::try_clone)
            .await
            .map(File::from_std)
    }

    /// The state, for a `&self` call. A caller that cannot suspend
    /// (`Run::Here`) on the thread of an executor must not wait for a
    /// lock held by a task of that executor: the task could never run to
    /// release it. It gets an error instead; a plain thread waits.
    async fn lock_inner(&self, how: Run) -> io::Result<MutexGuard<'_, Inner>> {
        if let Run::Here = how {
            if let Some(inner) = self.inner.try_lock() {
                return Ok(inner);
            }
            if crate::executor::io_wait::with_current(|_| ()).is_some() {
                return Err(io::Error::new(
                    io::ErrorKind::WouldBlock,
                    "corun::fs::File: a task of this thread's executor is in the middle of a \
                     call on this file, and this call cannot wait for it (it runs outside a \
                     task, or in a task that is unwinding); call it from a task",
                ));
            }
        }
        Ok(self.inner.lock().await)
    }

    /// Runs `f` on the std file where `how` says; for calls that leave the
    /// cursor and the buffer alone, so none of them needs the state.
    async fn on_pool<T: Send + 'static>(
        &self,
        how: Run,
        f: impl FnOnce(&StdFile) -> io::Result<T> + Send + 'static,
    ) -> io::Result<T> {
        let std = self.std.clone();
        match how {
            Run::Pool => crate::unblock_future(move || f(&std)).await,
            Run::Here => f(&std),
        }
    }
}

impl Read for File {
    fn read(&mut self, dst: &mut [u8]) -> io::Result<usize> {
        let (std, inner) = (&self.std, self.inner.get_mut());
        run(move |how| poll_fn(move |cx| inner.poll_read(cx, std, dst, how)))
    }
}

impl Write for File {
    fn write(&mut self, src: &[u8]) -> io::Result<usize> {
        let (std, inner) = (&self.std, self.inner.get_mut());
        run(move |how| poll_fn(move |cx| inner.poll_write(cx, std, src, how)))
    }

    fn flush(&mut self) -> io::Result<()> {
        let inner = self.inner.get_mut();
        run(move |_| poll_fn(move |cx| inner.poll_flush(cx)))
    }
}

impl Seek for File {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        let (std, inner) = (&self.std, self.inner.get_mut());
        run(move |how| inner.seek(std, pos, how))
    }
}

impl AsyncRead for File {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        dst: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let me = self.get_mut();
        me.inner.get_mut().poll_read(cx, &me.std, dst, Run::Pool)
    }
}

impl AsyncWrite for File {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        src: &[u8],
    ) -> Poll<io::Result<usize>> {
        let me = self.get_mut();
        me.inner.get_mut().poll_write(cx, &me.std, src, Run::Pool)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().inner.get_mut().poll_flush(cx)
    }

    /// A file has nothing to shut down: closing is flushing, and the fd
    /// closes when the file is dropped.
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush(cx)
    }
}

/// Polled again after `Pending` with the same position, `poll_seek` waits
/// for the seek it started (as `AsyncSeekExt::seek` does); with another
/// position it first lets that seek end, then starts the new one. A seek
/// future dropped before it ends still moves the cursor.
impl AsyncSeek for File {
    fn poll_seek(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        pos: SeekFrom,
    ) -> Poll<io::Result<u64>> {
        let me = self.get_mut();
        me.inner.get_mut().poll_seek(cx, &me.std, pos)
    }
}

impl From<StdFile> for File {
    fn from(std: StdFile) -> File {
        File::from_std(std)
    }
}

/// The fd stays open as long as the file; an operation in flight may be
/// using it meanwhile, as with tokio's.
impl AsFd for File {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.std.as_fd()
    }
}

impl AsRawFd for File {
    fn as_raw_fd(&self) -> RawFd {
        self.std.as_raw_fd()
    }
}

impl fmt::Debug for File {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("File");
        d.field("std", &self.std);
        // Locked by a task suspended in `sync_all`, say: then it is busy.
        let busy = self.inner.try_lock().is_none_or(|inner| inner.is_busy());
        d.field("busy", &busy).finish()
    }
}
