//! Turning a guard-page hit into a message that names the problem.
//!
//! Rules:
//! 1. The handler is installed once per process, for SIGSEGV and SIGBUS, with
//!    `SA_ONSTACK`: an overflowing stack cannot run a handler, so it runs on
//!    the thread's alternate signal stack (std gives its threads one; threads
//!    that lack one get one here when they first map a coroutine stack).
//! 2. In the handler, the fault is ours only if the faulting address lies in
//!    the guard page of the coroutine running on this thread (read from the
//!    thread-local context, a plain load). Then it writes a message with
//!    `write(2)` (async-signal-safe, no allocation) and aborts.
//! 3. Any other fault is not ours: the previous disposition is restored and
//!    the handler returns, so the faulting instruction runs again and faults
//!    into the previous handler (std's own overflow report, or the default).

use super::context::current_context;
use super::mapping::{Access, Mapping, Reserve};
use std::cell::Cell;
use std::mem::MaybeUninit;
use std::sync::Once;

static INSTALL: Once = Once::new();
static mut PREVIOUS_SEGV: MaybeUninit<libc::sigaction> = MaybeUninit::uninit();
static mut PREVIOUS_BUS: MaybeUninit<libc::sigaction> = MaybeUninit::uninit();

/// Size of the alternate signal stack given to threads without one.
const ALT_STACK_SIZE: usize = 64 * 1024;

pub(super) fn install_handler() {
    INSTALL.call_once(|| {
        // SAFETY: sigaction is given a fully initialised action; the previous
        // actions are written into statics read only by the handler, which
        // cannot run before `sigaction` returns for its signal.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = handler as *const () as usize;
            action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(
                libc::SIGSEGV,
                &action,
                std::ptr::addr_of_mut!(PREVIOUS_SEGV).cast(),
            );
            libc::sigaction(
                libc::SIGBUS,
                &action,
                std::ptr::addr_of_mut!(PREVIOUS_BUS).cast(),
            );
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

extern "C" fn handler(signum: libc::c_int, info: *mut libc::siginfo_t, _ctx: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo for SA_SIGINFO handlers.
    let fault = unsafe { (*info).si_addr() } as usize;
    let ctx = current_context();
    if !ctx.is_null() {
        // SAFETY: a non-null context is the header of the live `Co` of the
        // body running on this thread (context rules 2 and 3), at the top of
        // its stack, far from the guard page that may just have faulted, so
        // it is readable; it is never written after it was made (context
        // rule 5), so the read races with nothing the signal interrupted.
        let (lo, hi, usable) = unsafe { ((*ctx).guard_lo, (*ctx).guard_hi, (*ctx).usable) };
        if fault >= lo && fault < hi {
            report_and_abort(fault, usable);
        }
    }
    // SAFETY: restoring the disposition saved at install time; the faulting
    // instruction then re-runs under it.
    unsafe {
        let previous = if signum == libc::SIGBUS {
            std::ptr::addr_of!(PREVIOUS_BUS)
        } else {
            std::ptr::addr_of!(PREVIOUS_SEGV)
        };
        libc::sigaction(signum, (*previous).as_ptr(), std::ptr::null_mut());
    }
}

fn report_and_abort(fault: usize, usable: usize) -> ! {
    let mut msg = Message::default();
    msg.push(b"\ncorun: stack overflow in a coroutine: it ran past the end of its ");
    msg.push_num(usable / 1024, 10);
    msg.push(b" KiB stack (guard page hit at 0x");
    msg.push_num(fault, 16);
    msg.push(
        b").\ncorun: give it a bigger stack: Generator::builder().stack_size(bytes), \
          or the executor builder's stack_size for tasks. Aborting.\n",
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
