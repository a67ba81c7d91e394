//! `corun::signal`: a listener's wait suspends only its task and folds
//! deliveries together, every listener sees each delivery, the default
//! action is back once the last listener goes, and the signals that cannot
//! be caught are refused. Signals are process-wide, so each test that
//! delivers one runs in a child process of its own.

use corun::signal::{ctrl_c, raise, signal, SignalKind};
use corun::{yield_now, Executor};
use std::cell::Cell;
use std::os::unix::process::ExitStatusExt;
use std::rc::Rc;

mod common;
use common::{blocked, in_cancelled_cleanup, in_child_process, is_child, log, run_child, Log};

const USR1: SignalKind = SignalKind::user_defined1();

/// Yields until `done` holds: the executor looks at the reactor between
/// turns now and then, not at every yield.
fn yield_until(mut done: impl FnMut() -> bool) {
    for _ in 0..1_000_000 {
        if done() {
            return;
        }
        yield_now();
    }
    panic!("the condition never held");
}

#[test]
fn a_wait_suspends_only_its_task_and_deliveries_fold_into_one() {
    in_child_process(
        "a_wait_suspends_only_its_task_and_deliveries_fold_into_one",
        || {
            let ex = Executor::new();
            let woken = Rc::new(Cell::new(0));
            let mut usr1 = signal(USR1).unwrap();
            let w = woken.clone();
            let listener = ex.spawn(move || {
                for _ in 0..2 {
                    usr1.recv().unwrap();
                    w.set(w.get() + 1);
                }
            });
            ex.block_on(|| {
                yield_now();
                assert_eq!(blocked(&ex), ["Signal::recv"]);
                for _ in 0..3 {
                    raise(USR1).unwrap();
                }
                // Woken once, and waiting again: its wait drained all three.
                yield_until(|| woken.get() == 1 && blocked(&ex) == ["Signal::recv"]);
                raise(USR1).unwrap();
                listener.join().unwrap();
            });
            assert_eq!(woken.get(), 2);
        },
    );
}

#[test]
fn every_listener_sees_each_delivery() {
    in_child_process("every_listener_sees_each_delivery", || {
        let ex = Executor::new();
        let seen: Log<&str> = log();
        let handles: Vec<_> = ["a", "b"]
            .into_iter()
            .map(|name| {
                let mut l = signal(USR1).unwrap();
                let seen = seen.clone();
                ex.spawn(move || {
                    l.recv().unwrap();
                    seen.borrow_mut().push(name);
                })
            })
            .collect();
        ex.block_on(|| {
            yield_now();
            raise(USR1).unwrap();
            corun::sync::join_all(handles);
        });
        assert_eq!(*seen.borrow(), ["a", "b"]);
    });
}

#[test]
fn the_default_action_is_back_once_the_last_listener_goes() {
    const NAME: &str = "the_default_action_is_back_once_the_last_listener_goes";
    if is_child(NAME) {
        let first = signal(USR1).unwrap();
        let mut second = signal(USR1).unwrap();
        drop(first);
        raise(USR1).unwrap(); // one listener is left: no default action
        assert!(second.try_recv());
        println!("survived while listened to");
        drop(second);
        raise(USR1).unwrap(); // nobody listens: SIGUSR1's default ends the process
        println!("survived after the last listener went");
        return;
    }
    let out = run_child(NAME);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.signal(), Some(libc::SIGUSR1), "{stdout}");
    assert!(stdout.contains("survived while listened to"), "{stdout}");
    assert!(!stdout.contains("after the last listener"), "{stdout}");
}

#[test]
fn signals_that_cannot_be_caught_are_refused() {
    for signum in [libc::SIGKILL, libc::SIGSTOP, libc::SIGSEGV, libc::SIGBUS] {
        let err = signal(SignalKind::from_raw(signum)).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
        let name = SignalKind::from_raw(signum).to_string();
        assert!(err.to_string().contains(&name), "{err}");
    }
}

#[test]
fn ctrl_c_in_a_task_and_a_wait_on_a_plain_thread() {
    in_child_process("ctrl_c_in_a_task_and_a_wait_on_a_plain_thread", || {
        let ex = Executor::new();
        let server = ex.spawn(|| ctrl_c().map(|()| "stopping"));
        ex.block_on(|| {
            yield_now();
            raise(SignalKind::interrupt()).unwrap();
            assert_eq!(server.join().unwrap().unwrap(), "stopping");
        });
        // Outside any task the wait blocks the thread; a delivery made
        // before it began is not lost.
        let mut term = signal(SignalKind::terminate()).unwrap();
        raise(SignalKind::terminate()).unwrap();
        let waiter = std::thread::spawn(move || term.recv());
        waiter.join().unwrap().unwrap();
    });
}

#[test]
fn recv_async_from_a_future_task() {
    in_child_process("recv_async_from_a_future_task", || {
        let ex = Executor::new();
        let mut usr1 = signal(USR1).unwrap();
        let h = ex.spawn_future(async move {
            usr1.recv_async().await.unwrap();
            usr1.kind()
        });
        ex.block_on(|| {
            yield_now();
            assert!(!h.is_finished());
            raise(USR1).unwrap();
            yield_until(|| h.is_finished());
            assert_eq!(h.join().unwrap(), USR1);
        });
    });
}

#[test]
fn a_cancelled_wait_leaves_and_an_unwinding_one_fails_at_once() {
    in_child_process(
        "a_cancelled_wait_leaves_and_an_unwinding_one_fails_at_once",
        || {
            let ex = Executor::new();
            let mut usr1 = signal(USR1).unwrap();
            let waiting = ex.spawn(move || usr1.recv());
            ex.block_on(|| {
                yield_now();
                waiting.cancel();
                assert!(waiting.join().unwrap_err().is_cancelled());
            });
            let out: Log<String> = log();
            let (mut usr1, o) = (signal(USR1).unwrap(), out.clone());
            in_cancelled_cleanup(&ex, move || {
                o.borrow_mut().push(usr1.recv().unwrap_err().to_string());
            });
            assert!(out.borrow()[0].contains("unwinding"), "{:?}", out.borrow());
        },
    );
}
