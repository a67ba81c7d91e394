//! The error a stack allocation returns, with what to do about it.

use std::fmt;
use std::io;

/// A coroutine stack could not be mapped.
///
/// The usual cause is the kernel's limit on memory maps per process
/// (`vm.max_map_count`, 65530 by default on Linux): each guarded stack uses two
/// maps, so about 32,000 stacks fit at once whatever their size. The
/// [`Display`](fmt::Display) text names the limit and the fix.
///
/// ```
/// let err = corun::Generator::<u32>::builder()
///     .stack_size(1 << 50) // 1 PiB: more than the address space
///     .try_build(|co: &corun::Co<u32>| co.yield_(1))
///     .unwrap_err();
/// assert!(err.to_string().contains("could not map"));
/// ```
#[derive(Debug)]
pub struct StackError {
    requested: usize,
    source: io::Error,
    max_map_count: Option<u64>,
}

impl StackError {
    pub(crate) fn new(requested: usize, source: io::Error) -> Self {
        let max_map_count = std::fs::read_to_string("/proc/sys/vm/max_map_count")
            .ok()
            .and_then(|s| s.trim().parse().ok());
        StackError {
            requested,
            source,
            max_map_count,
        }
    }

    pub(crate) fn too_large(requested: usize) -> Self {
        StackError {
            requested,
            source: io::Error::new(
                io::ErrorKind::InvalidInput,
                "the stack size does not fit in the address space",
            ),
            max_map_count: None,
        }
    }

    /// The usable stack size that was asked for, in bytes.
    pub fn requested_size(&self) -> usize {
        self.requested
    }

    /// The operating system's error.
    pub fn os_error(&self) -> &io::Error {
        &self.source
    }
}

impl fmt::Display for StackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.source.kind() == io::ErrorKind::InvalidInput {
            return write!(
                f,
                "corun could not map a coroutine stack of {} bytes: {}; ask for a smaller \
                 stack size",
                self.requested, self.source
            );
        }
        write!(
            f,
            "corun could not map a {} KiB coroutine stack: {}. ",
            self.requested / 1024,
            self.source
        )?;
        match self.max_map_count {
            Some(limit) => write!(
                f,
                "Each guarded stack takes two memory maps and vm.max_map_count is {limit} \
                 (about {} live stacks). ",
                limit / 2
            )?,
            None => write!(f, "Each guarded stack takes two memory maps. ")?,
        }
        write!(
            f,
            "Keep fewer coroutines alive at once, raise the limit \
             (`sudo sysctl -w vm.max_map_count=1048576`), or ask for a smaller stack size"
        )
    }
}

impl std::error::Error for StackError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}
