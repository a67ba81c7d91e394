//! The SIGSEGV and SIGBUS dispositions corun's overflow handler replaced,
//! and passing a signal that is not corun's on to them.
//!
//! Rules (the overflow handler's rules 4 to 6 in `overflow`):
//!
//! 1. **Saved once, before.** At install time each signal's disposition is
//!    read, stored here and published (a `Release` store of `ready`) before
//!    corun's handler replaces it. It is never written again. The handler
//!    reads it only after an `Acquire` load of `ready`, so it never sees a
//!    half-written action. (A foreign `sigaction` call racing, on another
//!    thread, with corun's first stack mapping may be lost, as it may with
//!    std's own handler, which installs itself the same way.)
//! 2. **Chained as the kernel would deliver it.** A previous handler function
//!    is called with the arguments the kernel gave corun's (the three-argument
//!    form if it was installed with `SA_SIGINFO`, else the one-argument form),
//!    with its `sa_mask` blocked and, under `SA_NODEFER`, the signal itself
//!    unblocked, as the kernel would have arranged; the mask is put back when
//!    it returns. Under `SA_RESETHAND` it is called once, then treated as
//!    `SIG_DFL`, as the kernel would have reset it. If it returns, corun's
//!    handler returns: a fault it fixed (an `mprotect`, say) re-runs its
//!    instruction and goes on.
//! 3. **`SIG_DFL`.** The default disposition is restored and the handler
//!    returns: a hardware fault re-runs its instruction and takes the default
//!    action (the process ends with a core dump, as without corun); a signal
//!    sent by `kill` or `raise` is raised again, to be delivered as soon as
//!    the handler returns. corun's handler is gone only because the process
//!    is.
//! 4. **`SIG_IGN`.** A sent signal is ignored. A hardware fault cannot be:
//!    returning would re-run the faulting instruction forever, and the kernel
//!    itself forces the default action on a fault whose signal is ignored, so
//!    it is handled as under rule 3.
//! 5. **corun's handler stays installed** in every case but rule 3, so a
//!    later coroutine overflow is still reported.

use std::cell::UnsafeCell;
use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicBool, Ordering};

/// The signals corun handles, in the order of [`PREVIOUS`].
pub(super) const SIGNALS: [libc::c_int; 2] = [libc::SIGSEGV, libc::SIGBUS];

/// One signal's disposition before corun's handler (chain rule 1).
struct Previous {
    /// Set, with `Release`, once `action` is written.
    ready: AtomicBool,
    /// An `SA_RESETHAND` handler was called: it now counts as `SIG_DFL`.
    spent: AtomicBool,
    action: UnsafeCell<MaybeUninit<libc::sigaction>>,
}

// SAFETY: `action` is written once, before `ready` is published, and only
// read after `ready` is seen (chain rule 1); the flags are atomics.
unsafe impl Sync for Previous {}

impl Previous {
    const fn new() -> Self {
        Previous {
            ready: AtomicBool::new(false),
            spent: AtomicBool::new(false),
            action: UnsafeCell::new(MaybeUninit::uninit()),
        }
    }

    /// The saved action, once published.
    fn get(&self) -> Option<&libc::sigaction> {
        if !self.ready.load(Ordering::Acquire) {
            return None;
        }
        // SAFETY: `ready` is only set after `action` was fully written by
        // `sigaction` (the Acquire load pairs with that Release store), and
        // it is never written again (chain rule 1).
        Some(unsafe { (*self.action.get()).assume_init_ref() })
    }
}

static PREVIOUS: [Previous; 2] = [Previous::new(), Previous::new()];

fn previous(signum: libc::c_int) -> Option<&'static Previous> {
    let index = SIGNALS.iter().position(|&s| s == signum)?;
    Some(&PREVIOUS[index])
}

/// Saves `signum`'s current disposition, then installs `action` for it.
/// Called once per signal, from the overflow handler's one-time install.
pub(super) fn install(signum: libc::c_int, action: &libc::sigaction) {
    let Some(previous) = previous(signum) else {
        return;
    };
    assert!(
        !previous.ready.load(Ordering::Relaxed),
        "corun internal error: a signal handler installed twice"
    );
    // SAFETY: with a null new action, sigaction only writes the current one
    // into `action`, which nobody reads before `ready` is set below.
    let saved = unsafe { libc::sigaction(signum, std::ptr::null(), previous.action.get().cast()) };
    if saved != 0 {
        // Without a saved disposition corun could not chain: leave the
        // signal alone (overflows are then not reported; nothing breaks).
        return;
    }
    previous.ready.store(true, Ordering::Release);
    // SAFETY: sigaction reads a fully initialised action. corun's handler
    // may run from here on, and what it reads of this module, the saved
    // disposition, was published above.
    unsafe { libc::sigaction(signum, action, std::ptr::null_mut()) };
}

/// Whether the kernel raised the signal for a fault (`si_code > 0`), as
/// opposed to `kill`, `raise`, `sigqueue` or `tgkill` (`si_code <= 0`). Only
/// a fault carries a meaningful `si_addr`, and only a fault re-runs.
///
/// # Safety
///
/// `info` must be the `siginfo_t` the kernel passed a `SA_SIGINFO` handler.
pub(super) unsafe fn is_fault(info: *const libc::siginfo_t) -> bool {
    // SAFETY: the caller passes the kernel's valid siginfo.
    unsafe { (*info).si_code > 0 }
}

/// Passes a signal that is not corun's to the disposition corun replaced
/// (chain rules 2 to 4).
///
/// # Safety
///
/// Only from corun's signal handler, with the arguments the kernel gave it.
pub(super) unsafe fn chain(
    signum: libc::c_int,
    info: *mut libc::siginfo_t,
    context: *mut libc::c_void,
) {
    // SAFETY: `info` is the kernel's (this function's contract).
    let fault = unsafe { is_fault(info) };
    let saved = previous(signum).and_then(|p| Some((p, p.get()?)));
    let disposition = match saved {
        // An SA_RESETHAND handler already called once counts as SIG_DFL.
        Some((previous, action))
            if action.sa_flags & libc::SA_RESETHAND != 0
                && previous.spent.swap(true, Ordering::Relaxed) =>
        {
            libc::SIG_DFL
        }
        Some((_, action)) => action.sa_sigaction,
        None => libc::SIG_DFL,
    };
    match (disposition, saved) {
        (libc::SIG_IGN, _) if !fault => {}
        (libc::SIG_DFL | libc::SIG_IGN, _) | (_, None) => {
            // SAFETY: called from the handler for `signum` (this function's
            // contract); chain rules 3 and 4.
            unsafe { take_default_action(signum, fault) }
        }
        (_, Some((_, action))) => {
            // SAFETY: a disposition that is neither SIG_DFL nor SIG_IGN is a
            // handler function someone installed for `signum`, of the form
            // its SA_SIGINFO flag says; it gets the kernel's arguments.
            unsafe { call_handler(action, signum, info, context) }
        }
    }
}

/// Calls a saved handler function as the kernel would have (chain rule 2).
///
/// # Safety
///
/// `action.sa_sigaction` must be a handler function for `signum` of the form
/// `action.sa_flags` says, and the arguments the kernel's.
unsafe fn call_handler(
    action: &libc::sigaction,
    signum: libc::c_int,
    info: *mut libc::siginfo_t,
    context: *mut libc::c_void,
) {
    type Action = extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void);
    type Handler = extern "C" fn(libc::c_int);
    // SAFETY: pthread_sigmask is async-signal-safe and only changes this
    // thread's mask; every set passed is initialised (sigemptyset first, or
    // the saved action's own mask).
    let old_mask = unsafe {
        let mut old: libc::sigset_t = std::mem::zeroed();
        libc::pthread_sigmask(libc::SIG_BLOCK, &action.sa_mask, &mut old);
        if action.sa_flags & libc::SA_NODEFER != 0 {
            let mut own: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut own);
            libc::sigaddset(&mut own, signum);
            libc::pthread_sigmask(libc::SIG_UNBLOCK, &own, std::ptr::null_mut());
        }
        old
    };
    if action.sa_flags & libc::SA_SIGINFO != 0 {
        // SAFETY: the caller guarantees a three-argument handler here.
        let f = unsafe { std::mem::transmute::<libc::sighandler_t, Action>(action.sa_sigaction) };
        f(signum, info, context);
    } else {
        // SAFETY: the caller guarantees a one-argument handler here.
        let f = unsafe { std::mem::transmute::<libc::sighandler_t, Handler>(action.sa_sigaction) };
        f(signum);
    }
    // SAFETY: puts back the mask saved above; async-signal-safe.
    unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &old_mask, std::ptr::null_mut()) };
}

/// Restores `signum`'s default disposition so that it ends the process:
/// a fault by re-running its instruction once the handler returns, a sent
/// signal by being raised again (chain rule 3).
///
/// # Safety
///
/// Only from a handler for `signum`, which blocks it: the re-raised signal
/// stays pending until the handler returns.
unsafe fn take_default_action(signum: libc::c_int, fault: bool) {
    // SAFETY: sigaction and raise are async-signal-safe; the action is
    // zeroed (SIG_DFL, no flags) with an initialised, empty mask.
    unsafe {
        let mut default: libc::sigaction = std::mem::zeroed();
        default.sa_sigaction = libc::SIG_DFL;
        libc::sigemptyset(&mut default.sa_mask);
        libc::sigaction(signum, &default, std::ptr::null_mut());
        if !fault {
            libc::raise(signum);
        }
    }
}
