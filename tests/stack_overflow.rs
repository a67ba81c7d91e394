//! A stack overflow in a generator body reports itself and aborts, and
//! corun's SIGSEGV handler lives alongside handlers installed before or after
//! it (it chains to the one it replaced and stays installed).
//!
//! Each test re-runs this test binary as a child process, asking it (by an
//! environment variable and `--exact`) to run only that same test in "child
//! mode", where it does the dangerous thing. The parent checks how the child
//! died and what it wrote to stderr.

use corun::{Co, Generator, GeneratorBuilder, GeneratorState};
use std::hint::black_box;
use std::os::unix::process::ExitStatusExt;
use std::process::Output;
use std::sync::atomic::{AtomicUsize, Ordering};

mod common;
use common::{is_child, run_child};

/// Recurses until the stack runs out (the `black_box` condition keeps the
/// compiler from proving the recursion endless or turning it into a loop).
fn recurse(depth: u64) -> u64 {
    let frame = [depth as u8; 512];
    if black_box(true) {
        recurse(depth + 1) + u64::from(black_box(&frame)[0])
    } else {
        depth
    }
}

fn assert_corun_overflow(out: &Output, kib: usize) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.signal(),
        Some(libc::SIGABRT),
        "the child must die by SIGABRT; status {:?}, stderr:\n{stderr}",
        out.status
    );
    assert!(
        stderr.contains("corun: stack overflow in a coroutine"),
        "{stderr}"
    );
    assert!(stderr.contains("stack_size"), "{stderr}");
    assert!(stderr.contains(&format!("its {kib} KiB stack")), "{stderr}");
    assert!(
        !stderr.contains("child reached the end"),
        "the child went on after the overflow: {stderr}"
    );
}

#[test]
fn overflow_in_a_generator_body_aborts_with_a_message() {
    const NAME: &str = "overflow_in_a_generator_body_aborts_with_a_message";
    if is_child(NAME) {
        let mut g: Generator<'_, u64> = GeneratorBuilder::new().stack_size(16 * 1024).build(|co| {
            co.yield_(1);
            co.yield_(recurse(0));
        });
        assert_eq!(g.start(), GeneratorState::Yielded(1));
        g.send(());
        eprintln!("child reached the end");
        return;
    }
    assert_corun_overflow(&run_child(NAME), 16);
}

#[test]
fn overflow_in_a_delegate_aborts_with_a_message() {
    const NAME: &str = "overflow_in_a_delegate_aborts_with_a_message";
    if is_child(NAME) {
        let mut g: Generator<'_, u64> = Generator::new(|co| {
            co.yield_(1);
            let sub = GeneratorBuilder::new()
                .stack_size(32 * 1024)
                .build(|co: &Co<u64>| {
                    co.yield_(2);
                    co.yield_(recurse(0));
                });
            co.yield_from(sub);
        });
        assert_eq!(g.start(), GeneratorState::Yielded(1));
        assert_eq!(g.send(()), GeneratorState::Yielded(2));
        g.send(());
        eprintln!("child reached the end");
        return;
    }
    assert_corun_overflow(&run_child(NAME), 32);
}

#[test]
fn overflow_in_a_generator_on_another_thread() {
    const NAME: &str = "overflow_in_a_generator_on_another_thread";
    if is_child(NAME) {
        std::thread::spawn(|| {
            let mut g: Generator<'_, u64> = GeneratorBuilder::new()
                .stack_size(16 * 1024)
                .build(|co| co.yield_(recurse(0)));
            g.start();
        })
        .join()
        .ok();
        eprintln!("child reached the end");
        return;
    }
    assert_corun_overflow(&run_child(NAME), 16);
}

#[test]
fn an_overflow_outside_any_coroutine_is_left_to_std() {
    // With corun's handler installed, a thread's own stack overflow must still
    // get std's report, not corun's.
    const NAME: &str = "an_overflow_outside_any_coroutine_is_left_to_std";
    if is_child(NAME) {
        let mut g: Generator<'_, u64> = Generator::new(|co| co.yield_(1));
        assert_eq!(g.start(), GeneratorState::Yielded(1));
        std::thread::Builder::new()
            .name("plain".into())
            .stack_size(256 * 1024)
            .spawn(|| recurse(0))
            .expect("spawn")
            .join()
            .ok();
        eprintln!("child reached the end");
        return;
    }
    let out = run_child(NAME);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.signal(), Some(libc::SIGABRT), "{stderr}");
    // Newer std versions put the thread id between name and message.
    assert!(
        stderr.contains("thread 'plain'") && stderr.contains("has overflowed its stack"),
        "{stderr}"
    );
    assert!(!stderr.contains("corun: stack overflow"), "{stderr}");
}

#[test]
fn control_a_well_behaved_child_exits_cleanly() {
    // The same harness with a child that overflows nothing: it must exit 0,
    // so the checks above see the overflow, not the harness.
    const NAME: &str = "control_a_well_behaved_child_exits_cleanly";
    if is_child(NAME) {
        let mut g: Generator<'_, u64> = GeneratorBuilder::new()
            .stack_size(16 * 1024)
            .build(|co| co.yield_(3));
        assert_eq!(g.start(), GeneratorState::Yielded(3));
        eprintln!("child reached the end");
        return;
    }
    let out = run_child(NAME);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?}: {stderr}", out.status);
    assert_eq!(out.status.signal(), None);
    assert!(stderr.contains("child reached the end"), "{stderr}");
    assert!(!stderr.contains("corun: stack overflow"), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("1 passed"), "{stdout}");
}

// ---------------------------------------------------------------------------
// Foreign SIGSEGV handlers: corun chains to the one it replaced, and keeps
// its own installed; one installed after corun's decides for itself.

type SigAction = extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void);

/// Installs `handler` for SIGSEGV (three-argument form, on the alternate
/// stack); returns the action it replaced.
fn install_sigsegv(handler: SigAction) -> libc::sigaction {
    // SAFETY: a zeroed sigaction with an initialised mask and a handler of
    // the SA_SIGINFO form is a valid action; the old one is written into a
    // zeroed value of the right type.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = handler as usize;
        action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
        libc::sigemptyset(&mut action.sa_mask);
        let mut old: libc::sigaction = std::mem::zeroed();
        assert_eq!(libc::sigaction(libc::SIGSEGV, &action, &mut old), 0);
        old
    }
}

/// Sets SIGSEGV's disposition to `SIG_DFL` or `SIG_IGN`.
fn set_sigsegv(disposition: libc::sighandler_t) {
    // SAFETY: as in `install_sigsegv`, with no handler function.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = disposition;
        libc::sigemptyset(&mut action.sa_mask);
        assert_eq!(
            libc::sigaction(libc::SIGSEGV, &action, std::ptr::null_mut()),
            0
        );
    }
}

/// A child that is meant to die by SIGSEGV leaves no core file behind.
fn no_core_dumps() {
    let zero = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: setrlimit reads a valid rlimit.
    unsafe { libc::setrlimit(libc::RLIMIT_CORE, &zero) };
}

fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    unsafe { libc::sysconf(libc::_SC_PAGESIZE) as usize }
}

/// Maps a page nobody may touch: a fault there is no coroutine's guard page.
fn inaccessible_page() -> usize {
    // SAFETY: a fresh anonymous mapping at an address the kernel chooses.
    let addr = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            page_size(),
            libc::PROT_NONE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    assert_ne!(addr, libc::MAP_FAILED);
    addr as usize
}

/// Writes to stderr from a signal handler (no allocation, no lock).
fn write_stderr(msg: &[u8]) {
    // SAFETY: write(2) is async-signal-safe; the buffer is valid.
    unsafe { libc::write(2, msg.as_ptr().cast(), msg.len()) };
}

static TRAP_PAGE: AtomicUsize = AtomicUsize::new(0);
static FIXED: AtomicUsize = AtomicUsize::new(0);

/// A foreign handler of the JIT kind: it owns `TRAP_PAGE`, opens it on a
/// fault and lets the faulting write run again.
extern "C" fn open_trap_page(_: libc::c_int, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
    // SAFETY: the kernel's siginfo for an SA_SIGINFO handler.
    let addr = unsafe { (*info).si_addr() } as usize;
    let page = TRAP_PAGE.load(Ordering::SeqCst);
    if page != 0 && (page..page + page_size()).contains(&addr) {
        open_trap(page);
    } else {
        write_stderr(b"child: the foreign handler got a fault it does not own\n");
        set_sigsegv(libc::SIG_DFL);
    }
}

/// What the trap handlers do: open the trap page for writing, count it.
fn open_trap(page: usize) {
    // SAFETY: the page is the test's own mapping; mprotect is a plain
    // system call, fine in a signal handler.
    unsafe {
        libc::mprotect(
            page as *mut libc::c_void,
            page_size(),
            libc::PROT_READ | libc::PROT_WRITE,
        )
    };
    FIXED.fetch_add(1, Ordering::SeqCst);
}

/// Writes to a fresh trap page; the foreign handler must let it through.
fn touch_a_trap_page(value: u8) {
    let page = inaccessible_page();
    TRAP_PAGE.store(page, Ordering::SeqCst);
    // SAFETY: the write faults once, then the handler opens the page.
    unsafe { std::ptr::write_volatile(page as *mut u8, value) };
    // SAFETY: the page is readable now.
    assert_eq!(unsafe { std::ptr::read_volatile(page as *const u8) }, value);
}

#[test]
fn a_foreign_handler_installed_before_corun_is_chained_to_and_overflows_still_report() {
    const NAME: &str =
        "a_foreign_handler_installed_before_corun_is_chained_to_and_overflows_still_report";
    if is_child(NAME) {
        install_sigsegv(open_trap_page);
        // corun installs its handler when it maps its first stack, here, and
        // saves the foreign one to chain to.
        let mut g: Generator<'_, u64> = GeneratorBuilder::new().stack_size(16 * 1024).build(|co| {
            // A foreign fault while a coroutine runs: not its guard page.
            touch_a_trap_page(2);
            co.yield_(1);
            co.yield_(recurse(0));
        });
        // A foreign fault on the thread's own stack.
        touch_a_trap_page(1);
        assert_eq!(g.start(), GeneratorState::Yielded(1));
        touch_a_trap_page(3);
        eprintln!(
            "child: the foreign handler fixed {} faults",
            FIXED.load(Ordering::SeqCst)
        );
        // corun's handler is still installed: the overflow is reported.
        g.send(());
        eprintln!("child reached the end");
        return;
    }
    let out = run_child(NAME);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("child: the foreign handler fixed 3 faults"),
        "{stderr}"
    );
    assert!(!stderr.contains("does not own"), "{stderr}");
    assert_corun_overflow(&out, 16);
}

static CORUN_HANDLER: AtomicUsize = AtomicUsize::new(0);

/// A foreign handler installed after corun's that chains, as corun does.
extern "C" fn note_and_chain(
    signum: libc::c_int,
    info: *mut libc::siginfo_t,
    context: *mut libc::c_void,
) {
    write_stderr(b"child: the later handler saw the fault and chains\n");
    let previous = CORUN_HANDLER.load(Ordering::SeqCst);
    // SAFETY: the value saved is corun's SA_SIGINFO handler (checked when
    // it was saved).
    let previous = unsafe { std::mem::transmute::<usize, SigAction>(previous) };
    previous(signum, info, context);
}

#[test]
fn a_foreign_handler_installed_after_corun_that_chains_keeps_overflow_reports() {
    const NAME: &str = "a_foreign_handler_installed_after_corun_that_chains_keeps_overflow_reports";
    if is_child(NAME) {
        let mut g: Generator<'_, u64> = GeneratorBuilder::new()
            .stack_size(16 * 1024)
            .build(|co| co.yield_(recurse(0)));
        let corun = install_sigsegv(note_and_chain);
        assert!(corun.sa_flags & libc::SA_SIGINFO != 0);
        assert!(
            corun.sa_sigaction > libc::SIG_IGN,
            "corun's handler was installed"
        );
        CORUN_HANDLER.store(corun.sa_sigaction, Ordering::SeqCst);
        g.start();
        eprintln!("child reached the end");
        return;
    }
    let out = run_child(NAME);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("the later handler saw the fault"),
        "{stderr}"
    );
    assert_corun_overflow(&out, 16);
}

/// A foreign handler installed after corun's that does not chain.
extern "C" fn take_over(_: libc::c_int, _: *mut libc::siginfo_t, _: *mut libc::c_void) {
    write_stderr(b"child: the later handler took the fault\n");
    // SAFETY: _exit is async-signal-safe.
    unsafe { libc::_exit(3) };
}

#[test]
fn a_foreign_handler_installed_after_corun_that_does_not_chain_takes_over() {
    // corun cannot see that it was replaced, nor take the signal back: the
    // newest handler decides, and corun's message is not written.
    const NAME: &str = "a_foreign_handler_installed_after_corun_that_does_not_chain_takes_over";
    if is_child(NAME) {
        let mut g: Generator<'_, u64> = GeneratorBuilder::new()
            .stack_size(16 * 1024)
            .build(|co| co.yield_(recurse(0)));
        install_sigsegv(take_over);
        g.start();
        eprintln!("child reached the end");
        return;
    }
    let out = run_child(NAME);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{:?}: {stderr}", out.status);
    assert!(
        stderr.contains("the later handler took the fault"),
        "{stderr}"
    );
    assert!(!stderr.contains("corun: stack overflow"), "{stderr}");
    assert!(!stderr.contains("child reached the end"), "{stderr}");
}

#[test]
fn with_sigsegv_ignored_before_corun_a_sent_signal_is_ignored_and_a_fault_is_fatal() {
    const NAME: &str =
        "with_sigsegv_ignored_before_corun_a_sent_signal_is_ignored_and_a_fault_is_fatal";
    if is_child(NAME) {
        no_core_dumps();
        set_sigsegv(libc::SIG_IGN);
        let mut g: Generator<'_, u64> = Generator::new(|co| co.yield_(1));
        assert_eq!(g.start(), GeneratorState::Yielded(1));
        // SAFETY: raise has no preconditions; the signal is ignored.
        unsafe { libc::raise(libc::SIGSEGV) };
        eprintln!("child: a sent SIGSEGV was ignored");
        // A fault cannot be ignored: the default action ends the process
        // (as the kernel would do without corun), instead of a retry loop.
        // SAFETY: faults, by design.
        unsafe { std::ptr::write_volatile(inaccessible_page() as *mut u8, 1) };
        eprintln!("child reached the end");
        return;
    }
    let out = run_child(NAME);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.signal(), Some(libc::SIGSEGV), "{stderr}");
    assert!(stderr.contains("a sent SIGSEGV was ignored"), "{stderr}");
    assert!(!stderr.contains("child reached the end"), "{stderr}");
    assert!(!stderr.contains("corun: stack overflow"), "{stderr}");
}

#[test]
fn with_sigsegv_default_before_corun_a_sent_signal_still_kills() {
    const NAME: &str = "with_sigsegv_default_before_corun_a_sent_signal_still_kills";
    if is_child(NAME) {
        no_core_dumps();
        set_sigsegv(libc::SIG_DFL);
        let mut g: Generator<'_, u64> = Generator::new(|co| co.yield_(1));
        assert_eq!(g.start(), GeneratorState::Yielded(1));
        // corun's handler sees a signal that is no fault: it restores the
        // default and raises it again.
        // SAFETY: raise has no preconditions.
        unsafe { libc::raise(libc::SIGSEGV) };
        eprintln!("child reached the end");
        return;
    }
    let out = run_child(NAME);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.signal(), Some(libc::SIGSEGV), "{stderr}");
    assert!(!stderr.contains("child reached the end"), "{stderr}");
    assert!(!stderr.contains("corun: stack overflow"), "{stderr}");
}

/// A one-argument foreign handler: it cannot see the address, so it opens
/// the trap page whatever faulted.
extern "C" fn open_trap_page_blindly(_: libc::c_int) {
    open_trap(TRAP_PAGE.load(Ordering::SeqCst));
}

#[test]
fn a_one_shot_plain_handler_installed_before_corun_is_called_once() {
    // Chained as the kernel would deliver it: the one-argument form, and
    // SA_RESETHAND honoured (the second foreign fault gets the default).
    const NAME: &str = "a_one_shot_plain_handler_installed_before_corun_is_called_once";
    if is_child(NAME) {
        no_core_dumps();
        // SAFETY: a zeroed sigaction with an initialised mask and a
        // one-argument handler (no SA_SIGINFO) is a valid action.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = open_trap_page_blindly as *const () as usize;
            action.sa_flags = libc::SA_RESETHAND;
            libc::sigemptyset(&mut action.sa_mask);
            assert_eq!(
                libc::sigaction(libc::SIGSEGV, &action, std::ptr::null_mut()),
                0
            );
        }
        let mut g: Generator<'_, u64> = Generator::new(|co| co.yield_(1));
        assert_eq!(g.start(), GeneratorState::Yielded(1));
        touch_a_trap_page(1);
        eprintln!(
            "child: the one-shot handler fixed {} fault",
            FIXED.load(Ordering::SeqCst)
        );
        touch_a_trap_page(2);
        eprintln!("child reached the end");
        return;
    }
    let out = run_child(NAME);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.signal(), Some(libc::SIGSEGV), "{stderr}");
    assert!(
        stderr.contains("the one-shot handler fixed 1 fault"),
        "{stderr}"
    );
    assert!(!stderr.contains("child reached the end"), "{stderr}");
}
