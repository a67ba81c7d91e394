//! `CallOnDrop`: cleanup that panics and cancellation cannot skip
//! (async-executor's guard of the same name).

/// Runs a closure when dropped.
pub(crate) struct CallOnDrop<F: FnMut()>(pub(crate) F);

impl<F: FnMut()> Drop for CallOnDrop<F> {
    fn drop(&mut self) {
        (self.0)();
    }
}
