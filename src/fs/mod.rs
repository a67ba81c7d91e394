//! Files in tokio::fs's shape: std's `std::fs` functions run on the
//! [`unblock`](crate::unblock) thread pool, so a slow disk suspends only
//! the calling task. Outside a task they run on the calling thread, as
//! std's. Each has an `_async` twin (`read_to_string_async`, ...) for
//! future tasks and async code.
//!
//! [`File`] has tokio::fs::File's shape: open one with [`File::open`],
//! [`File::create`] or [`OpenOptions`], then use std's `Read`, `Write`
//! and `Seek` from a stackful task (so `BufReader`, `read_line`,
//! `io::copy` work as with std) or futures' `AsyncRead`, `AsyncWrite` and
//! `AsyncSeek` from a future task. Each call suspends only its task while
//! the pool does the work.
//!
//! Regular files are always "ready" to epoll, so the reactor cannot wait
//! for them: the pool is the way. As tokio's, a `File` keeps its
//! operation in flight in itself: a call cancelled or timed out while on
//! the pool loses nothing (the next read gets its bytes, the next write or
//! flush its error), and `write` returns once the bytes are copied, with
//! [`flush`](std::io::Write::flush) waiting for the write to land.
//!
//! ```
//! use std::io::{BufRead, BufReader, Write};
//!
//! let ex = corun::Executor::new();
//! let path = std::env::temp_dir().join(format!("corun-fs-doc-{}", std::process::id()));
//! let lines = ex.block_on(|| {
//!     let mut file = corun::fs::File::create(&path)?;
//!     for i in 0..3 {
//!         writeln!(file, "line {i}")?;
//!     }
//!     file.flush()?;
//!     let reader = BufReader::new(corun::fs::File::open(&path)?);
//!     let count = reader.lines().count();
//!     corun::fs::remove_file(&path)?;
//!     Ok::<_, std::io::Error>(count)
//! })?;
//! assert_eq!(lines, 3);
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! For many small operations on one file, one `unblock` around all of
//! them with a `std::fs::File` costs one hop instead of many:
//!
//! ```
//! use std::io::Write;
//!
//! let ex = corun::Executor::new();
//! let path = std::env::temp_dir().join(format!("corun-fs-doc-unblock-{}", std::process::id()));
//! let text = ex.block_on(|| {
//!     let p = path.clone();
//!     corun::unblock(move || {
//!         let mut f = std::fs::File::create(&p)?;
//!         for i in 0..3 {
//!             writeln!(f, "line {i}")?;
//!         }
//!         Ok::<_, std::io::Error>(())
//!     })
//!     .unwrap();
//!     corun::fs::read_to_string(&path).unwrap()
//! });
//! assert_eq!(text.lines().count(), 3);
//! corun::fs::remove_file(&path).unwrap();
//! ```

mod buf;
mod file;
mod open_options;
mod state;

pub use file::File;
pub use open_options::OpenOptions;

use std::fs::{DirEntry, Metadata, Permissions};
use std::io;
use std::path::{Path, PathBuf};

/// One wrapper per std function: owned copies of the arguments go to the
/// pool, the result comes back.
///
/// Each also has an `_async` twin for future tasks and async code (the
/// same call through [`unblock_future`](crate::unblock_future)).
macro_rules! on_pool {
    ($(#[$doc:meta])* $name:ident / $name_async:ident($($arg:ident: $ty:ident),*) -> $ret:ty = $body:expr) => {
        $(#[$doc])*
        pub fn $name<$($ty: AsRef<Path>),*>($($arg: $ty),*) -> io::Result<$ret> {
            $(let $arg: PathBuf = $arg.as_ref().to_owned();)*
            crate::unblock(move || ($body)($($arg),*))
        }

        #[doc = concat!("[`", stringify!($name), "`] for future tasks and async code.")]
        pub async fn $name_async<$($ty: AsRef<Path>),*>($($arg: $ty),*) -> io::Result<$ret> {
            $(let $arg: PathBuf = $arg.as_ref().to_owned();)*
            crate::unblock_future(move || ($body)($($arg),*)).await
        }
    };
}

on_pool!(
    /// The whole file, as `std::fs::read`.
    ///
    /// ```
    /// let ex = corun::Executor::new();
    /// let bytes = ex.block_on(|| corun::fs::read("Cargo.toml").unwrap());
    /// assert!(bytes.starts_with(b"[package]"));
    /// ```
    read / read_async(path: P) -> Vec<u8> = std::fs::read::<PathBuf>
);
on_pool!(
    /// The whole file as UTF-8, as `std::fs::read_to_string`.
    read_to_string / read_to_string_async(path: P) -> String = std::fs::read_to_string::<PathBuf>
);
on_pool!(
    /// Removes a file, as `std::fs::remove_file`.
    remove_file / remove_file_async(path: P) -> () = std::fs::remove_file::<PathBuf>
);
on_pool!(
    /// Creates a directory, as `std::fs::create_dir`.
    create_dir / create_dir_async(path: P) -> () = std::fs::create_dir::<PathBuf>
);
on_pool!(
    /// Creates a directory and its missing parents, as
    /// `std::fs::create_dir_all`.
    create_dir_all / create_dir_all_async(path: P) -> () = std::fs::create_dir_all::<PathBuf>
);
on_pool!(
    /// Removes an empty directory, as `std::fs::remove_dir`.
    remove_dir / remove_dir_async(path: P) -> () = std::fs::remove_dir::<PathBuf>
);
on_pool!(
    /// Removes a directory and everything in it, as
    /// `std::fs::remove_dir_all`.
    remove_dir_all / remove_dir_all_async(path: P) -> () = std::fs::remove_dir_all::<PathBuf>
);
on_pool!(
    /// The metadata, following symlinks, as `std::fs::metadata`.
    metadata / metadata_async(path: P) -> Metadata = std::fs::metadata::<PathBuf>
);
on_pool!(
    /// The metadata of the link itself, as `std::fs::symlink_metadata`.
    symlink_metadata / symlink_metadata_async(path: P) -> Metadata = std::fs::symlink_metadata::<PathBuf>
);
on_pool!(
    /// The absolute, resolved path, as `std::fs::canonicalize`.
    canonicalize / canonicalize_async(path: P) -> PathBuf = std::fs::canonicalize::<PathBuf>
);
on_pool!(
    /// Where a symlink points, as `std::fs::read_link`.
    read_link / read_link_async(path: P) -> PathBuf = std::fs::read_link::<PathBuf>
);
on_pool!(
    /// Renames, as `std::fs::rename`.
    rename / rename_async(from: P, to: Q) -> () = std::fs::rename::<PathBuf, PathBuf>
);
on_pool!(
    /// Copies a file's contents and permissions; returns the bytes copied,
    /// as `std::fs::copy`.
    copy / copy_async(from: P, to: Q) -> u64 = std::fs::copy::<PathBuf, PathBuf>
);
on_pool!(
    /// A hard link, as `std::fs::hard_link`.
    hard_link / hard_link_async(original: P, link: Q) -> () = std::fs::hard_link::<PathBuf, PathBuf>
);
on_pool!(
    /// The entries of a directory, read to the end on the pool (tokio
    /// returns a stream; a `Vec` keeps this std-shaped).
    read_dir / read_dir_async(path: P) -> Vec<DirEntry> = |p: PathBuf| std::fs::read_dir(p)?.collect()
);

/// Writes `contents` to a new or truncated file, as `std::fs::write`.
pub fn write<P: AsRef<Path>, C: AsRef<[u8]>>(path: P, contents: C) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    let contents = contents.as_ref().to_vec();
    crate::unblock(move || std::fs::write(path, contents))
}

/// [`write()`] for future tasks and async code.
pub async fn write_async<P: AsRef<Path>, C: AsRef<[u8]>>(path: P, contents: C) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    let contents = contents.as_ref().to_vec();
    crate::unblock_future(move || std::fs::write(path, contents)).await
}

/// Sets permissions, as `std::fs::set_permissions`.
pub fn set_permissions<P: AsRef<Path>>(path: P, perm: Permissions) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    crate::unblock(move || std::fs::set_permissions(path, perm))
}

/// [`set_permissions`] for future tasks and async code.
pub async fn set_permissions_async<P: AsRef<Path>>(path: P, perm: Permissions) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    crate::unblock_future(move || std::fs::set_permissions(path, perm)).await
}
