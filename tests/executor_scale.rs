//! Scale: unstarted tasks cost no stack, ten thousand stackful tasks wait at
//! once, a million future tasks wait at once, and running out of memory maps is an
//! error that names `vm.max_map_count`.

use corun::Executor;
use futures::FutureExt;
use std::cell::Cell;
use std::rc::Rc;
use std::sync::Mutex;
use std::time::Duration;

mod common;
use common::{is_child, map_count, run_child};

/// The tests here measure the process (memory maps, memory): run them one at
/// a time so they do not see each other's stacks.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

#[test]
fn unstarted_tasks_cost_no_stacks() {
    let _serial = serial();
    const N: usize = 100_000;
    let ex = Executor::new();
    let ran = Rc::new(Cell::new(0_usize));
    let before = map_count();
    for _ in 0..N {
        let r = ran.clone();
        drop(ex.spawn(move || r.set(r.get() + 1)));
    }
    let after = map_count();
    // A stack is two maps (guard + stack); heap growth adds a handful.
    assert!(
        after.saturating_sub(before) < 100,
        "{before} maps before spawning, {after} after"
    );
    assert_eq!(ex.tasks().len(), N);
    assert_eq!(ran.get(), 0);
    ex.run();
    assert_eq!(ran.get(), N);
    assert!(ex.tasks().is_empty());
}

#[test]
fn ten_thousand_sleeping_stackful_tasks() {
    let _serial = serial();
    const N: usize = 10_000;
    let ex = Executor::new();
    let started = Rc::new(Cell::new(0_usize));
    let finished = Rc::new(Cell::new(0_usize));
    let gate = Rc::new(Cell::new(false));
    for _ in 0..N {
        let (s, f, g) = (started.clone(), finished.clone(), gate.clone());
        drop(ex.spawn(move || {
            s.set(s.get() + 1);
            while !g.get() {
                corun::sleep(Duration::from_millis(1));
            }
            f.set(f.get() + 1);
        }));
    }
    ex.block_on(|| {
        while started.get() < N {
            corun::sleep(Duration::from_millis(1));
        }
        // All of them are alive and asleep at once, each on its own stack.
        assert_eq!(finished.get(), 0);
        assert_eq!(ex.tasks().len(), N + 1);
        gate.set(true);
    });
    ex.run();
    assert_eq!(finished.get(), N);
    assert!(ex.tasks().is_empty());
}

#[test]
fn a_million_future_tasks() {
    let _serial = serial();
    const N: usize = 1_000_000;
    let ex = Executor::new();
    let waiting = Rc::new(Cell::new(0_usize));
    let done = Rc::new(Cell::new(0_usize));
    let (open, gate) = futures::channel::oneshot::channel::<()>();
    let gate = gate.shared();
    for i in 0..N {
        let (w, d, g) = (waiting.clone(), done.clone(), gate.clone());
        drop(ex.spawn_future(async move {
            w.set(w.get() + 1);
            g.await.unwrap();
            // Then a million timers, a few distinct deadlines.
            corun::sleep_future(Duration::from_millis((i % 4) as u64)).await;
            d.set(d.get() + 1);
        }));
    }
    drop(gate);
    // Every task runs up to the gate before the main task's first turn, so
    // all of them are pending at once.
    ex.block_on(|| {
        assert_eq!(waiting.get(), N);
        assert_eq!(done.get(), 0);
        open.send(()).unwrap();
    });
    ex.run();
    assert_eq!(done.get(), N);
    assert!(ex.tasks().is_empty());
}

/// The process's virtual memory size, in bytes.
fn vm_size() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with("VmSize:"))
        .expect("VmSize in /proc/self/status");
    let kib: u64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .expect("VmSize value");
    kib * 1024
}

/// Caps the address space at `bytes`, so that a new mapping bigger than the
/// headroom fails as if the map budget were spent.
fn limit_address_space(bytes: u64) {
    let limit = libc::rlimit {
        rlim_cur: bytes as libc::rlim_t,
        rlim_max: libc::RLIM_INFINITY,
    };
    // SAFETY: setrlimit reads the struct we pass and nothing else.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_AS, &limit) }, 0);
}

#[test]
fn spawning_past_the_map_budget_is_an_error() {
    let name = "spawning_past_the_map_budget_is_an_error";
    if !is_child(name) {
        // Lowering a process-wide limit would break the other tests: do it
        // in a fresh process running only this test.
        let out = run_child(name);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "child failed\n{stdout}\n{stderr}");
        assert!(stdout.contains("1 passed"), "{stdout}");
        return;
    }
    // Big stacks, so one more cannot fit in the headroom left for the heap.
    const STACK: usize = 64 << 20;
    let ex = Executor::builder().stack_size(STACK).build();
    ex.block_on(|| {
        // The main task's stack is mapped by now; leave 16 MiB of headroom.
        limit_address_space(vm_size() + (16 << 20));
        let err = ex.try_spawn(|| ()).unwrap_err();
        assert!(err.to_string().contains("vm.max_map_count"), "{err}");
        assert_eq!(err.requested_size(), STACK);

        // A plain spawn maps its stack at its first turn and reports the
        // failure through its join.
        let ran = Rc::new(Cell::new(false));
        let r = ran.clone();
        let h = corun::spawn(move || r.set(true));
        let e = h.join().unwrap_err();
        assert!(!e.is_panic() && !e.is_cancelled());
        let stack_error = e.stack_error().expect("a stack error");
        assert!(stack_error.to_string().contains("vm.max_map_count"));
        assert!(e.to_string().starts_with("task could not start"), "{e}");
        assert!(!ran.get());

        // Future tasks need no stack and still run.
        assert_eq!(corun::spawn_future(async { 3 }).join().unwrap(), 3);
    });
    assert!(ex.tasks().is_empty());
}

/// Past `vm.max_map_count` the stacks stop a little short of the limit
/// itself, so the rest of the program still gets memory maps: the waiters'
/// list and `tasks()` grow past it (a large `malloc` is a map of its own,
/// and a failed one aborts), and the tasks that found no stack say so in
/// their `join`.
#[test]
fn at_the_map_limit_the_program_goes_on_and_the_extra_tasks_say_why() {
    // The whole process reaches the limit: alone, in a child process.
    common::in_child_process(
        "at_the_map_limit_the_program_goes_on_and_the_extra_tasks_say_why",
        reach_the_map_limit,
    );
}

fn reach_the_map_limit() {
    let Some(limit) = std::fs::read_to_string("/proc/sys/vm/max_map_count")
        .ok()
        .and_then(|s| s.trim().parse::<usize>().ok())
    else {
        return; // not Linux's limit: nothing to reach
    };
    let tasks = limit / 2 + 8_000;
    let ex = Executor::new();
    let event = Rc::new(corun::sync::Event::new());
    let (started, no_stack) = ex.block_on(|| {
        let handles: Vec<_> = (0..tasks)
            .map(|_| {
                let event = event.clone();
                corun::spawn(move || event.wait())
            })
            .collect();
        corun::yield_now();
        // Every task has had its first turn: most wait, the rest had no stack.
        let free_maps = limit.saturating_sub(map_count());
        assert!(
            free_maps >= 1000,
            "only {free_maps} maps left to the rest of the program"
        );
        let waiting = ex.tasks().len();
        event.set();
        let no_stack = handles
            .into_iter()
            .filter_map(|h| h.join().err())
            .inspect(|e| {
                let why = e.stack_error().expect("only a missing stack fails");
                assert!(why.to_string().contains("vm.max_map_count"), "{why}");
            })
            .count();
        (waiting, no_stack)
    });
    assert!(
        no_stack > 0,
        "{tasks} stacks fit under a limit of {limit} maps"
    );
    assert!(started > limit / 4, "only {started} tasks started");
}
