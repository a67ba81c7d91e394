//! Python's asyncio examples, translated: hello world, `gather`,
//! `as_completed`, `Barrier`, and `create_task` with `await`. Tasks read like plain blocking code.
//!
//! ```python
//! async def say_after(delay, what):
//!     await asyncio.sleep(delay)
//!     print(what)
//!
//! async def main():
//!     task1 = asyncio.create_task(say_after(1, 'hello'))
//!     task2 = asyncio.create_task(say_after(2, 'world'))
//!     await task1
//!     await task2
//!
//! async def factorial(name, number):
//!     f = 1
//!     for i in range(2, number + 1):
//!         print(f"Task {name}: Compute factorial({number}), currently i={i}...")
//!         await asyncio.sleep(1)
//!         f *= i
//!     print(f"Task {name}: factorial({number}) = {f}")
//!     return f
//!
//! L = await asyncio.gather(factorial("A", 2), factorial("B", 3), factorial("C", 4))
//! ```
//!
//! Run: `cargo run --release --example asyncio_style`
use corun::{sleep, spawn, Executor};
use std::time::{Duration, Instant};

/// One "second" of the Python original, shortened so the example is quick.
const TICK: Duration = Duration::from_millis(10);

thread_local! {
    /// Every line printed, so the example can check the interleaving.
    static LOG: std::cell::RefCell<Vec<String>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn say(line: String) {
    println!("{line}");
    LOG.with(|l| l.borrow_mut().push(line));
}

fn say_after(delay: u32, what: &str) {
    say(format!("start {what}"));
    sleep(TICK * delay);
    say(what.to_string());
}

fn factorial(name: &str, number: u64) -> u64 {
    let mut f = 1;
    for i in 2..=number {
        say(format!(
            "Task {name}: Compute factorial({number}), currently i={i}..."
        ));
        sleep(TICK);
        f *= i;
    }
    say(format!("Task {name}: factorial({number}) = {f}"));
    f
}

fn take_log() -> Vec<String> {
    LOG.with(|l| std::mem::take(&mut *l.borrow_mut()))
}

fn main() {
    let ex = Executor::new();

    println!("-- hello world with two tasks");
    let started = Instant::now();
    ex.block_on(|| {
        let task1 = spawn(|| say_after(1, "hello"));
        let task2 = spawn(|| say_after(2, "world"));
        task1.join().unwrap();
        task2.join().unwrap();
    });
    println!("finished in {:?}", started.elapsed());
    // Both started before either finished: the sleeps overlapped.
    assert_eq!(take_log(), ["start hello", "start world", "hello", "world"]);

    println!("-- gather");
    let results = ex.block_on(|| {
        let tasks =
            [("A", 2), ("B", 3), ("C", 4)].map(|(name, n)| spawn(move || factorial(name, n)));
        tasks.map(|t| t.join().unwrap())
    });
    println!("{results:?}");
    assert_eq!(results, [2, 6, 24]);
    // The three ran at once: each began before any finished, as in asyncio.
    let log = take_log();
    assert_eq!(
        &log[..3],
        [
            "Task A: Compute factorial(2), currently i=2...",
            "Task B: Compute factorial(3), currently i=2...",
            "Task C: Compute factorial(4), currently i=2...",
        ]
    );
    assert_eq!(
        log.last().map(String::as_str),
        Some("Task C: factorial(4) = 24")
    );

    println!("-- as_completed: results in the order the tasks finish");
    // for coro in asyncio.as_completed([factorial("A", 4), ...]): print(await coro)
    let finished = ex.block_on(|| {
        let mut set = corun::task::JoinSet::new();
        for (name, n) in [("A", 4), ("B", 2), ("C", 3)] {
            set.spawn(move || (name, factorial(name, n)));
        }
        let mut finished = Vec::new();
        while let Some(done) = set.join_next() {
            let (name, f) = done.unwrap();
            println!("{name} done: {f}");
            finished.push(name);
        }
        finished
    });
    take_log();
    // Fewest sleeps first: B (1 tick), C (2), A (3).
    assert_eq!(finished, ["B", "C", "A"]);

    println!("-- Barrier: workers wait for each other between phases");
    // barrier = asyncio.Barrier(3); each worker: load(); await barrier.wait(); compute()
    let barrier = std::rc::Rc::new(corun::sync::Barrier::new(3));
    let leaders = ex.block_on(|| {
        let workers = [1, 3, 2].map(|load| {
            let barrier = barrier.clone();
            spawn(move || {
                sleep(TICK * load);
                say(format!("loaded {load}"));
                let passed = barrier.wait().unwrap();
                say(format!("compute {load}"));
                passed.is_leader()
            })
        });
        workers.map(|w| w.join().unwrap())
    });
    let log = take_log();
    println!(
        "leader: the worker that loaded for {} ticks",
        [1, 3, 2][leaders.iter().position(|&l| l).unwrap()]
    );
    // No worker computed before every one had loaded; the slowest loader led.
    assert!(log[..3].iter().all(|l| l.starts_with("loaded")), "{log:?}");
    assert_eq!(leaders, [false, true, false]);

    println!("-- async code runs too: a Future as a task, awaited from a stackful one");
    let v = ex.block_on(|| {
        let fut_task = corun::spawn_future(async {
            corun::time::sleep_future(TICK).await;
            40
        });
        corun::await_(fut_task).unwrap() + 2
    });
    println!("await_ gave {v}");
    assert_eq!(v, 42);
}
