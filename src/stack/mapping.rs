//! The one place that calls `mmap`, `mprotect` and `munmap`: anonymous
//! private mappings owned by a [`Mapping`] value.
//!
//! Guarded stacks, the chunks carved stacks come from, and the alternate
//! signal stacks the overflow handler gives threads all start here. A
//! `Mapping` unmaps itself when dropped; a mapping that must outlive every
//! owner (a chunk of carved stacks) is [`leak`](Mapping::leak)ed instead.
//!
//! Who may touch the memory is the owner's business: a `Mapping` only hands
//! out addresses, never references, so dropping it while somebody still holds
//! a pointer into it is that somebody's bug (every such pointer is
//! dereferenced in an `unsafe` block that says why the mapping is alive).

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

/// How a range of a mapping may be accessed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Access {
    /// No access at all: a guard page, or address space not yet opened.
    None,
    /// Readable and writable.
    ReadWrite,
}

impl Access {
    fn prot(self) -> libc::c_int {
        match self {
            Access::None => libc::PROT_NONE,
            Access::ReadWrite => libc::PROT_READ | libc::PROT_WRITE,
        }
    }
}

/// Whether the kernel must set aside swap for the whole mapping up front.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Reserve {
    /// `MAP_NORESERVE`: only touched pages count. Right for stacks, most of
    /// which is never touched.
    Lazily,
    /// The default accounting: for small mappings used at once.
    UpFront,
}

/// Mappings made here and not unmapped (leaked ones included): the memory
/// maps corun holds, for the budget below. (std's atomic: a count, not part
/// of any cross-thread protocol.)
static LIVE: AtomicUsize = AtomicUsize::new(0);

/// Maps left to the rest of the process (the heap's large allocations,
/// thread stacks, libraries) when corun's stacks stop growing: at the limit
/// itself, the next `malloc` of a large block fails too, and Rust aborts
/// on that, where a stack that cannot be mapped is an error the program
/// can handle.
pub(super) const MAPS_LEFT_TO_OTHERS: usize = 2048;

/// Whether one more guarded stack (two maps: its guard page and the rest)
/// keeps [`MAPS_LEFT_TO_OTHERS`] free under `vm.max_map_count`, counting
/// each of corun's mappings as two (a stack's are; the others are few).
pub(super) fn within_map_budget() -> bool {
    static MAX: OnceLock<Option<usize>> = OnceLock::new();
    let max = MAX.get_or_init(|| {
        std::fs::read_to_string("/proc/sys/vm/max_map_count")
            .ok()
            .and_then(|s| s.trim().parse().ok())
    });
    max.is_none_or(|max| 2 * (LIVE.load(Ordering::Relaxed) + 1) + MAPS_LEFT_TO_OTHERS <= max)
}

/// An anonymous private mapping of `len` bytes at `addr`, unmapped on drop.
/// `addr` is never 0, and `addr + len` does not wrap (a mapping lies inside
/// the address space).
#[derive(Debug)]
pub(super) struct Mapping {
    addr: usize,
    len: usize,
}

impl Mapping {
    /// Maps `len` bytes (a multiple of the page size) of zeroed memory at an
    /// address of the kernel's choosing.
    pub(super) fn new(len: usize, access: Access, reserve: Reserve) -> io::Result<Self> {
        let mut flags = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS;
        if reserve == Reserve::Lazily {
            flags |= libc::MAP_NORESERVE;
        }
        // SAFETY: an anonymous private mapping at an address of the kernel's
        // choosing (a null hint, no MAP_FIXED) touches no existing memory.
        let addr = unsafe { libc::mmap(std::ptr::null_mut(), len, access.prot(), flags, -1, 0) };
        if addr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        if addr.is_null() {
            // Not seen in practice, but refused: every mapping's addresses
            // are then non-zero, which `Stack` relies on.
            // SAFETY: the mapping was made just above and nothing else
            // knows it.
            unsafe { libc::munmap(addr, len) };
            return Err(io::Error::other("mmap returned address 0"));
        }
        LIVE.fetch_add(1, Ordering::Relaxed);
        Ok(Mapping {
            addr: addr as usize,
            len,
        })
    }

    /// The lowest address of the mapping (page-aligned).
    pub(super) fn addr(&self) -> usize {
        self.addr
    }

    /// The length in bytes.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Opens `len` bytes starting `offset` bytes into the mapping for reading
    /// and writing (both page-aligned). Safe, unlike `mprotect` in general:
    /// granting access to memory this value owns cannot break anybody's
    /// assumptions; taking it away could, and is not offered.
    ///
    /// # Panics
    ///
    /// If the range does not lie inside the mapping.
    pub(super) fn open_read_write(&self, offset: usize, len: usize) -> io::Result<()> {
        let in_range = offset.checked_add(len).is_some_and(|end| end <= self.len);
        assert!(
            in_range,
            "corun internal error: mprotect outside its mapping"
        );
        // SAFETY: the range lies inside this mapping (checked above), which
        // this value owns; adding access invalidates no pointer into it.
        let rc = unsafe {
            libc::mprotect(
                (self.addr + offset) as *mut libc::c_void,
                len,
                Access::ReadWrite.prot(),
            )
        };
        if rc == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }

    /// Lets the kernel take back the pages of a range whenever it wants
    /// memory (`MADV_FREE`; `MADV_DONTNEED`, which takes them at once, on a
    /// kernel without it): the range stays mapped with its access, and a
    /// later touch finds either the old bytes or zeroes. Errors are
    /// ignored: the pages then just stay resident.
    ///
    /// # Panics
    ///
    /// If the range does not lie inside the mapping.
    pub(super) fn free_pages(&self, offset: usize, len: usize) {
        let in_range = offset.checked_add(len).is_some_and(|end| end <= self.len);
        assert!(
            in_range,
            "corun internal error: madvise outside its mapping"
        );
        let start = (self.addr + offset) as *mut libc::c_void;
        // SAFETY: the range lies inside this mapping (checked above), which
        // this value owns, and its owner keeps no data there (a pooled
        // stack, whose coroutine has finished), so losing the contents
        // breaks nothing; the advice changes no mapping or access.
        let rc = unsafe { libc::madvise(start, len, libc::MADV_FREE) };
        if rc != 0 {
            // SAFETY: as above; DONTNEED zeroes the range's pages at once.
            let _ = unsafe { libc::madvise(start, len, libc::MADV_DONTNEED) };
        }
    }

    /// Gives up ownership without unmapping, as `(addr, len)`: whoever holds
    /// the pair owns the mapping and must give it back to
    /// [`from_raw_parts`](Self::from_raw_parts) exactly once, or leak it.
    pub(super) fn into_raw_parts(self) -> (usize, usize) {
        let parts = (self.addr, self.len);
        std::mem::forget(self);
        parts
    }

    /// Takes back ownership of a mapping given up by
    /// [`into_raw_parts`](Self::into_raw_parts).
    ///
    /// # Safety
    ///
    /// `(addr, len)` came from `into_raw_parts` and no other `Mapping` owns
    /// it: each pair is turned back into a `Mapping` at most once.
    pub(super) unsafe fn from_raw_parts(addr: usize, len: usize) -> Self {
        Mapping { addr, len }
    }

    /// Gives up ownership without unmapping: the memory stays mapped for the
    /// rest of the process. Returns its address.
    pub(super) fn leak(self) -> usize {
        let addr = self.addr;
        std::mem::forget(self);
        addr
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        LIVE.fetch_sub(1, Ordering::Relaxed);
        // SAFETY: the range is exactly the one `new` mapped, owned by this
        // value alone. Nothing dereferences an address inside it any more:
        // each owner drops its mapping only once the memory is out of use (a
        // stack once its coroutine has finished, an alternate signal stack
        // once it is disabled), see their `Drop` and release paths.
        // munmap can only fail for an invalid range, which this is not.
        unsafe { libc::munmap(self.addr as *mut libc::c_void, self.len) };
    }
}
