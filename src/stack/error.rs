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
    cause: Cause,
}

/// Why, for the advice the message gives.
#[derive(Debug, Clone, Copy)]
enum Cause {
    /// The kernel refused a guarded stack's maps.
    Os,
    /// The size overflows the address space.
    TooLarge,
    /// The stack maps, but the values crossing the switch (`room` bytes
    /// at its top) leave too little of it to run on.
    RoomTooBig { room: usize },
    /// A chunk of unguarded stacks (this many of them at once) could not
    /// be mapped.
    Chunk { stacks: usize },
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
            cause: Cause::Os,
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
            cause: Cause::TooLarge,
        }
    }

    /// The values a generator yields and is sent (`room` bytes, kept at
    /// its stack's top) leave too little of a `usable`-byte stack.
    pub(crate) fn room_too_big(usable: usize, room: usize) -> Self {
        StackError {
            requested: usable,
            source: io::Error::new(
                io::ErrorKind::InvalidInput,
                "the yielded and sent values do not fit on the stack",
            ),
            max_map_count: None,
            cause: Cause::RoomTooBig { room },
        }
    }

    /// A chunk of `stacks` unguarded stacks of `usable` bytes could not be
    /// mapped.
    pub(crate) fn chunk(usable: usize, stacks: usize, source: io::Error) -> Self {
        StackError {
            requested: usable,
            source,
            max_map_count: None,
            cause: Cause::Chunk { stacks },
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
        match self.cause {
            Cause::TooLarge => {
                return write!(
                    f,
                    "corun could not map a coroutine stack of {} bytes: {}; ask for a smaller \
                     stack size",
                    self.requested, self.source
                )
            }
            Cause::RoomTooBig { room } => {
                return write!(
                    f,
                    "corun: a generator's yielded and sent values take {room} bytes, kept at \
                     the top of its stack, which leaves too little of the {} KiB stack to run \
                     on; ask for a larger stack (stack_size of at least {} KiB) or box the \
                     values",
                    self.requested / 1024,
                    // The body may build a value on its own stack too.
                    (2 * room).div_ceil(1024) + 64
                );
            }
            Cause::Chunk { stacks } => {
                return write!(
                    f,
                    "corun could not map a chunk of {stacks} unguarded coroutine stacks of \
                     {} KiB each: {}; unguarded stacks are carved {stacks} at a time from one \
                     mapping, so ask for a smaller stack size (or use guarded stacks for \
                     very large ones)",
                    self.requested / 1024,
                    self.source
                )
            }
            Cause::Os => {}
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
                 (about {} live stacks, {} maps being left to the rest of the program). ",
                limit.saturating_sub(super::mapping::MAPS_LEFT_TO_OTHERS as u64) / 2,
                super::mapping::MAPS_LEFT_TO_OTHERS
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
