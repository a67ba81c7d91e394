//! `unblock`: a blocking call (DNS, files, a C library) on a thread pool,
//! suspending only the calling task. The pool is smol's `blocking` crate:
//! threads are started on demand (up to 500) and exit after a second idle.

/// Runs `f` on a thread pool and returns its result; the calling task
/// suspends meanwhile, so the executor's other tasks keep running. Outside
/// any task, `f` simply runs on the calling thread, which blocks as it
/// would anyway.
///
/// If the task is cancelled or times out while `f` waits for a pool
/// thread or runs, the task unwinds at once; `f` still runs to its end on
/// the pool, and its result is dropped.
/// Called while the task is unwinding (from a destructor run by a cancel,
/// a timeout or a panic: "delete the temporary file" in a guard's `Drop`),
/// `f` runs on the calling thread, as outside a task: an unwinding task
/// cannot suspend, and a refusal there would abort the process.
///
/// In a future task (`spawn_future`) or async code, await
/// [`unblock_future`] instead.
///
/// # Panics
///
/// In a future task (no stack to suspend); and if `f` panics, the panic
/// is resumed in the caller.
///
/// ```
/// let ex = corun::Executor::new();
/// let len = ex.block_on(|| {
///     let ticker = corun::spawn(|| corun::sleep(std::time::Duration::from_millis(1)));
///     let len = corun::unblock(|| std::fs::read("Cargo.toml").map(|v| v.len())).unwrap();
///     ticker.join().unwrap(); // ran while the read was on the pool
///     len
/// });
/// assert!(len > 0);
/// ```
pub fn unblock<T, F>(f: F) -> T
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    if runs_on_pool() {
        crate::await_(unblock_future(f))
    } else {
        f()
    }
}

/// Whether a blocking call made here goes to the pool while its task
/// suspends (in a task that is not unwinding), rather than running on the
/// calling thread. Not `hooks::can_suspend`, which says only whether the
/// caller is a stackful task.
pub(crate) fn runs_on_pool() -> bool {
    crate::executor::io_wait::in_task() && !crate::generator::innermost_is_unwinding()
}

/// [`unblock`] as a future, for future tasks and async code: `f` runs on
/// the thread pool, and dropping the future before it ends detaches `f`
/// (its result is dropped).
///
/// ```
/// let ex = corun::Executor::new();
/// let h = ex.spawn_future(async { corun::unblock_future(|| 6 * 7).await });
/// assert_eq!(ex.block_on(|| h.join().unwrap()), 42);
/// ```
pub fn unblock_future<T, F>(f: F) -> impl std::future::Future<Output = T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    Detaching(Some(blocking::unblock(f)))
}

/// `blocking`'s task, detached when dropped: the pool's `Task` cancels a
/// call it has not started yet when dropped, and a `fs::remove_file`
/// under a timeout, or one in a `select!` that gave up, would then never
/// happen at all. `f` always runs to its end; only its result is dropped.
struct Detaching<T>(Option<blocking::Task<T>>);

impl<T> std::future::Future for Detaching<T> {
    type Output = T;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<T> {
        let task = self
            .0
            .as_mut()
            .expect("unblock_future polled after it completed");
        let polled = std::pin::Pin::new(task).poll(cx);
        if polled.is_ready() {
            self.0 = None;
        }
        polled
    }
}

impl<T> Drop for Detaching<T> {
    fn drop(&mut self) {
        if let Some(task) = self.0.take() {
            task.detach();
        }
    }
}
