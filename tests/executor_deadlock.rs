//! A program whose every task waits on something no one can provide gets a
//! panic that lists the tasks, instead of a silent hang.

use corun::sync::channel;
use corun::Executor;
use std::time::Duration;

mod common;
use common::panic_message;

#[test]
fn block_on_waiting_on_a_task_that_waits_forever_reports_a_deadlock() {
    let ex = Executor::new();
    let (tx, rx) = channel::<u32>(1);
    let stuck = ex.spawn(move || rx.recv());
    let text = panic_message(|| ex.block_on(|| stuck.join()));
    assert!(text.contains("deadlock"), "{text}");
    assert!(text.contains("blocked on join"), "{text}");
    assert!(text.contains("blocked on Receiver::recv"), "{text}");
    // The sender was alive all along, but nothing that could use it runs.
    drop(tx);
}

#[test]
fn run_with_every_task_blocked_forever_reports_a_deadlock() {
    let ex = Executor::new();
    let (tx, rx) = channel::<u32>(1);
    let _a = ex.spawn(move || rx.recv());
    let _tx = tx;
    assert!(panic_message(|| ex.run()).contains("deadlock"));
    // The executor is still usable afterwards and tears down cleanly.
    assert_eq!(ex.block_on(|| 5), 5);
}

#[test]
fn a_waker_held_by_another_thread_is_not_a_deadlock() {
    let ex = Executor::new();
    let (tx, rx) = futures::channel::oneshot::channel::<u32>();
    let sender = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(30));
        tx.send(7).unwrap();
    });
    assert_eq!(ex.block_on(|| corun::await_(rx).unwrap()), 7);
    sender.join().unwrap();
}

#[test]
fn a_pending_timer_is_not_a_deadlock() {
    let ex = Executor::new();
    let h = ex.spawn(|| corun::sleep(Duration::from_millis(5)));
    ex.block_on(|| h.join().unwrap());
}

#[test]
fn a_future_task_waiting_on_a_local_channel_is_a_deadlock_too() {
    let ex = Executor::new();
    let (tx, rx) = channel::<u32>(1);
    let stuck = ex.spawn_future(async move { rx.recv_async().await });
    let text = panic_message(|| ex.block_on(|| stuck.join()));
    assert!(text.contains("deadlock"), "{text}");
    // The report names the future by its type, which names this function.
    assert!(
        text.contains("(future) blocked on executor_deadlock::a_future_task_waiting_on_a_local"),
        "{text}"
    );
    drop(tx);
}

#[test]
fn await_on_a_local_channel_with_no_one_to_send_is_a_deadlock() {
    let ex = Executor::new();
    let (tx, rx) = channel::<u32>(1);
    let text = panic_message(|| ex.block_on(|| corun::await_(rx.recv_async())));
    assert!(text.contains("deadlock"), "{text}");
    drop(tx);
}

#[test]
fn await_on_a_join_handle_of_a_stuck_task_is_a_deadlock() {
    let ex = Executor::new();
    let (tx, rx) = channel::<u32>(1);
    let stuck = ex.spawn(move || rx.recv());
    let text = panic_message(|| ex.block_on(|| corun::await_(stuck)));
    assert!(text.contains("deadlock"), "{text}");
    drop(tx);
}

#[test]
fn a_future_task_awaiting_a_join_handle_of_a_stuck_task_is_a_deadlock() {
    let ex = Executor::new();
    let (tx, rx) = channel::<u32>(1);
    let stuck = ex.spawn(move || rx.recv());
    let waiter = ex.spawn_future(stuck);
    let text = panic_message(|| ex.block_on(|| waiter.join()));
    assert!(text.contains("deadlock"), "{text}");
    drop(tx);
}
