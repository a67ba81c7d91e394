//! Opening files: `OpenOptions`, std's builder whose `open` runs on the
//! pool, and `File`'s shortcuts over it.

use super::file::File;
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// How to open a [`File`], as `std::fs::OpenOptions` (and
/// tokio::fs::OpenOptions): the same builder methods, with an `open` that
/// runs on the [`unblock`](crate::unblock) pool and an `open_async` twin.
///
/// ```
/// use std::io::{Read, Write};
///
/// let path = std::env::temp_dir().join(format!("corun-open-options-doc-{}", std::process::id()));
/// let ex = corun::Executor::new();
/// ex.block_on(|| {
///     let mut log = corun::fs::OpenOptions::new().append(true).create(true).open(&path)?;
///     log.write_all(b"one\n")?;
///     log.write_all(b"two\n")?;
///     log.flush()?; // the last write's error, if any, comes here
///
///     let again = corun::fs::OpenOptions::new().write(true).create_new(true).open(&path);
///     assert_eq!(again.unwrap_err().kind(), std::io::ErrorKind::AlreadyExists);
///
///     let mut text = String::new();
///     corun::fs::File::open(&path)?.read_to_string(&mut text)?;
///     assert_eq!(text, "one\ntwo\n");
///     corun::fs::remove_file(&path)
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct OpenOptions(std::fs::OpenOptions);

impl OpenOptions {
    /// Options with everything off, as `std::fs::OpenOptions::new`.
    pub fn new() -> OpenOptions {
        OpenOptions(std::fs::OpenOptions::new())
    }

    /// Opens for reading.
    pub fn read(&mut self, read: bool) -> &mut OpenOptions {
        self.0.read(read);
        self
    }

    /// Opens for writing.
    pub fn write(&mut self, write: bool) -> &mut OpenOptions {
        self.0.write(write);
        self
    }

    /// Opens for appending: every write goes to the end, wherever the
    /// cursor is.
    pub fn append(&mut self, append: bool) -> &mut OpenOptions {
        self.0.append(append);
        self
    }

    /// Truncates an existing file to 0 bytes (needs `write`).
    pub fn truncate(&mut self, truncate: bool) -> &mut OpenOptions {
        self.0.truncate(truncate);
        self
    }

    /// Creates the file if it is missing (needs `write` or `append`).
    pub fn create(&mut self, create: bool) -> &mut OpenOptions {
        self.0.create(create);
        self
    }

    /// Creates the file, failing with `AlreadyExists` if it is there: the
    /// check and the creation are one atomic step.
    pub fn create_new(&mut self, create_new: bool) -> &mut OpenOptions {
        self.0.create_new(create_new);
        self
    }

    /// The permission bits a new file gets (before the umask), as
    /// `std::os::unix::fs::OpenOptionsExt::mode`.
    pub fn mode(&mut self, mode: u32) -> &mut OpenOptions {
        self.0.mode(mode);
        self
    }

    /// Extra `open(2)` flags (`libc::O_NOFOLLOW`, ...), as
    /// `std::os::unix::fs::OpenOptionsExt::custom_flags`.
    pub fn custom_flags(&mut self, flags: i32) -> &mut OpenOptions {
        self.0.custom_flags(flags);
        self
    }

    /// Opens `path` on the pool; the calling task suspends meanwhile.
    /// The errors are the OS's: `NotFound`, `PermissionDenied`,
    /// `AlreadyExists` (with `create_new`), ...
    pub fn open(&self, path: impl AsRef<Path>) -> io::Result<File> {
        let (options, path) = (self.0.clone(), path.as_ref().to_owned());
        crate::unblock(move || options.open(path)).map(File::from_std)
    }

    /// [`open`](OpenOptions::open) for future tasks and async code.
    pub async fn open_async(&self, path: impl AsRef<Path>) -> io::Result<File> {
        let (options, path) = (self.0.clone(), path.as_ref().to_owned());
        crate::unblock_future(move || options.open(path))
            .await
            .map(File::from_std)
    }
}

impl File {
    /// Opens `path` for reading, as `std::fs::File::open`, on the pool.
    ///
    /// ```
    /// use std::io::Read;
    ///
    /// let ex = corun::Executor::new();
    /// let head = ex.block_on(|| {
    ///     let mut head = [0; 9];
    ///     corun::fs::File::open("Cargo.toml")?.read_exact(&mut head)?;
    ///     let missing = corun::fs::File::open("no/such/file");
    ///     assert_eq!(missing.unwrap_err().kind(), std::io::ErrorKind::NotFound);
    ///     Ok::<_, std::io::Error>(head)
    /// })?;
    /// assert_eq!(&head, b"[package]");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn open(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new().read(true).open(path)
    }

    /// [`open`](File::open) for future tasks and async code.
    pub async fn open_async(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new().read(true).open_async(path).await
    }

    /// Opens `path` for writing, created if missing and truncated if not,
    /// as `std::fs::File::create`, on the pool.
    ///
    /// ```
    /// use std::io::Write;
    ///
    /// let path = std::env::temp_dir().join(format!("corun-create-doc-{}", std::process::id()));
    /// let ex = corun::Executor::new();
    /// ex.block_on(|| {
    ///     let mut file = corun::fs::File::create(&path)?;
    ///     writeln!(file, "{} + {} = {}", 2, 2, 4)?;
    ///     file.sync_all()?; // the write has landed, and reached the disk
    ///     assert_eq!(corun::fs::read_to_string(&path)?, "2 + 2 = 4\n");
    ///     corun::fs::remove_file(&path)
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn create(path: impl AsRef<Path>) -> io::Result<File> {
        File::options()
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
    }

    /// [`create`](File::create) for future tasks and async code.
    pub async fn create_async(path: impl AsRef<Path>) -> io::Result<File> {
        let mut options = File::options();
        options.write(true).create(true).truncate(true);
        options.open_async(path).await
    }

    /// Creates `path` for reading and writing, failing with
    /// `AlreadyExists` if it is there, as `std::fs::File::create_new`.
    pub fn create_new(path: impl AsRef<Path>) -> io::Result<File> {
        File::options()
            .read(true)
            .write(true)
            .create_new(true)
            .open(path)
    }

    /// [`create_new`](File::create_new) for future tasks and async code.
    pub async fn create_new_async(path: impl AsRef<Path>) -> io::Result<File> {
        let mut options = File::options();
        options.read(true).write(true).create_new(true);
        options.open_async(path).await
    }

    /// An [`OpenOptions`] with everything off, as `std::fs::File::options`.
    pub fn options() -> OpenOptions {
        OpenOptions::new()
    }
}

impl Default for OpenOptions {
    fn default() -> OpenOptions {
        OpenOptions::new()
    }
}

impl From<std::fs::OpenOptions> for OpenOptions {
    fn from(options: std::fs::OpenOptions) -> OpenOptions {
        OpenOptions(options)
    }
}
