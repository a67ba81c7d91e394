//! Turning a guard-page hit into a message that names the problem, and
//! passing every other fault on.
//!
//! Rules:
//! 1. The handler is installed once per process, for SIGSEGV and SIGBUS, with
//!    `SA_ONSTACK`: an overflowing stack cannot run a handler, so it runs on
//!    the thread's alternate signal stack (std gives its threads one; threads
//!    that lack one get one here when they first map a coroutine stack).
//! 2. In the handler, the signal is ours only if the kernel raised it for a
//!    fault and the faulting address lies in the guard page of the coroutine
//!    running on this thread (read from the thread-local context, a plain
//!    load: context rules 2, 3 and 5 in `context`). Then it writes a message
//!    with `write(2)` (async-signal-safe, no allocation) and aborts.
//! 3. A carved stack has no guard page (its header says an empty range), so
//!    its overflows are the canary's business, never this handler's.
//! 4. Every other signal goes to the disposition corun's handler replaced,
//!    as the kernel would have delivered it (`chain`): std's own overflow
//!    report, a foreign handler (a JIT's, a sanitizer's), the default action
//!    or none. corun's handler stays installed, so one foreign fault that
//!    its handler fixes up does not end overflow reporting.
//! 5. A handler installed *after* corun's replaces it: the kernel calls only
//!    the newest one, and corun cannot notice or take the signal back
//!    (that would steal it from the newcomer). If the newcomer chains to the
//!    disposition it replaced, as corun does (and as runtimes such as
//!    wasmtime do), coroutine overflows still reach corun and are reported.
//!    If it does not, they end however it decides, without corun's message.
//!    (`tests/stack_overflow.rs` shows both cases, and handlers installed
//!    before corun's.)
//! 6. Nothing here allocates, locks or touches anything but the signal
//!    state, the thread-local context and the saved dispositions.

use super::chain::{self, is_fault, SIGNALS};
use super::context::current_context;
use super::mapping::{Access, Mapping, Reserve};
use std::cell::Cell;
use std::sync::Once;

static INSTALL: Once = Once::new();

/// Size of the alternate signal stack given to threads without one.
const ALT_STACK_SIZE: usize = 64 * 1024;

pub(super) fn install_handler() {
    INSTALL.call_once(|| {
        // SAFETY: a zeroed sigaction is a valid value; its mask is then
        // initialised by sigemptyset. The handler has the three-argument
        // form SA_SIGINFO asks for.
        let action = unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = handler as *const () as usize;
            action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
            libc::sigemptyset(&mut action.sa_mask);
            action
        };
        for signum in SIGNALS {
            chain::install(signum, &action);
        }
    });
    ensure_alt_stack();
}

/// The alternate signal stack this module gave a thread: disabled, then
/// unmapped (by the field's own drop), when the thread exits.
struct AltStack {
    /// Held only to be dropped after the stack is disabled.
    _mapping: Mapping,
}

impl Drop for AltStack {
    fn drop(&mut self) {
        // SAFETY: disabling the alternate stack before the mapping is dropped
        // (right after this body) means no handler can run on freed memory.
        unsafe {
            let mut disable: libc::stack_t = std::mem::zeroed();
            disable.ss_flags = libc::SS_DISABLE;
            libc::sigaltstack(&disable, std::ptr::null_mut());
        }
    }
}

thread_local! {
    static ALT_CHECKED: Cell<bool> = const { Cell::new(false) };
    static ALT_OWNED: Cell<Option<AltStack>> = const { Cell::new(None) };
}

fn ensure_alt_stack() {
    if ALT_CHECKED.with(|c| c.replace(true)) {
        return;
    }
    // SAFETY: querying with a null new-stack pointer changes nothing.
    let has_one = unsafe {
        let mut old: libc::stack_t = std::mem::zeroed();
        libc::sigaltstack(std::ptr::null(), &mut old) != 0 || old.ss_flags & libc::SS_DISABLE == 0
    };
    if has_one {
        return;
    }
    let Ok(mapping) = Mapping::new(ALT_STACK_SIZE, Access::ReadWrite, Reserve::UpFront) else {
        return;
    };
    let new = libc::stack_t {
        ss_sp: mapping.addr() as *mut libc::c_void,
        ss_flags: 0,
        ss_size: mapping.len(),
    };
    // SAFETY: the stack handed to sigaltstack is a fresh, readable and
    // writable mapping, kept alive by ALT_OWNED until the thread exits (and
    // unmapped at once, by the drop of `mapping`, if it is refused).
    if unsafe { libc::sigaltstack(&new, std::ptr::null_mut()) } == 0 {
        ALT_OWNED.with(|o| o.set(Some(AltStack { _mapping: mapping })));
    }
}

extern "C" fn handler(signum: libc::c_int, info: *mut libc::siginfo_t, context: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo to an SA_SIGINFO handler.
    if unsafe { is_fault(info) } {
        // SAFETY: as above; for a fault, si_addr is the faulting address.
        let fault = unsafe { (*info).si_addr() } as usize;
        let ctx = current_context();
        if !ctx.is_null() {
            // SAFETY: a non-null context is the header of the live `Co` of
            // the body running on this thread (context rules 2 and 3), at the
            // top of its stack, far from the guard page that may just have
            // faulted, so it is readable; it is never written after it was
            // made (context rule 5), so the read races with nothing the
            // signal interrupted.
            let (guard, usable) = unsafe { ((*ctx).guard, (*ctx).usable) };
            // One page from `guard`. The page size is a plain load here: it
            // was cached before this thread mapped the guarded stack (0, an
            // empty range, if it somehow were not).
            if guard != 0 && fault.wrapping_sub(guard) < super::cached_page_size() {
                report_and_abort(fault, usable);
            }
        }
    }
    // SAFETY: called from corun's handler, with the kernel's arguments.
    unsafe { chain::chain(signum, info, context) };
}

fn report_and_abort(fault: usize, usable: usize) -> ! {
    let mut msg = Message::default();
    msg.push(b"\ncorun: stack overflow in a coroutine: it ran past the end of its ");
    msg.push_num(usable / 1024, 10);
    msg.push(b" KiB stack (guard page hit at 0x");
    msg.push_num(fault, 16);
    msg.push(
        b").\ncorun: give it a bigger stack: Generator::builder().stack_size(bytes) for a \
          generator, Executor::builder().stack_size(bytes) or \
          Runtime::builder().stack_size(bytes) for tasks. Aborting.\n",
    );
    // SAFETY: write(2) and abort(3) are async-signal-safe; the buffer is
    // valid for `len` bytes.
    unsafe {
        libc::write(2, msg.buf.as_ptr().cast(), msg.len);
        libc::abort();
    }
}

/// A fixed buffer: the handler must not allocate.
struct Message {
    buf: [u8; 512],
    len: usize,
}

impl Default for Message {
    fn default() -> Self {
        Message {
            buf: [0; 512],
            len: 0,
        }
    }
}

impl Message {
    fn push(&mut self, bytes: &[u8]) {
        let n = bytes.len().min(self.buf.len() - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&bytes[..n]);
        self.len += n;
    }

    fn push_num(&mut self, mut n: usize, radix: usize) {
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        loop {
            i -= 1;
            digits[i] = b"0123456789abcdef"[n % radix];
            n /= radix;
            if n == 0 {
                break;
            }
        }
        let tail = digits;
        self.push(&tail[i..]);
    }
}

#[cfg(test)]
mod tests {
    use super::Message;

    #[test]
    fn message_formats_numbers_without_allocating() {
        let mut m = Message::default();
        m.push(b"x=");
        m.push_num(0, 10);
        m.push(b" y=");
        m.push_num(0xdead_beef, 16);
        m.push(b" z=");
        m.push_num(64, 10);
        assert_eq!(&m.buf[..m.len], b"x=0 y=deadbeef z=64");
    }
}
