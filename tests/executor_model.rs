//! A model check: random programs of tasks that yield, sleep, spawn, send
//! and receive messages, join and cancel each other. Whatever the program,
//! every task ends exactly once (completed or cancelled, never both, never
//! twice), nothing panics, and no task or reference is left behind.

use corun::{Executor, JoinError, JoinHandle};
use futures::channel::mpsc::{unbounded, UnboundedReceiver, UnboundedSender};
use futures::StreamExt;
use proptest::prelude::*;
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

#[derive(Debug, Clone)]
enum Op {
    Yield,
    /// Sleep this many milliseconds (0 included).
    Sleep(u8),
    /// Spawn a detached child that yields and sleeps a little.
    Spawn,
    /// Send a message to task `n % tasks`.
    Send(usize),
    /// Wait at most this many milliseconds for a message.
    Recv(u8),
    /// Join a later task (so joins never form a cycle).
    Join(usize),
    /// Cancel task `n % tasks`, possibly itself.
    Cancel(usize),
}

#[derive(Debug, Clone)]
struct TaskSpec {
    future: bool,
    ops: Vec<Op>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Completed,
    Cancelled,
}

/// What every task can see, and what the checks read at the end.
struct World {
    n: usize,
    handles: Vec<RefCell<Option<JoinHandle<usize>>>>,
    senders: Vec<UnboundedSender<usize>>,
    /// Every outcome a join gave, per task.
    outcomes: Vec<RefCell<Vec<Outcome>>>,
    /// Times each task's guard was dropped.
    drops: Vec<Cell<u32>>,
    /// The body ran to its end.
    completed: Vec<Cell<bool>>,
    /// Cancelled by another task before it finished: it cannot complete.
    must_be_cancelled: Vec<Cell<bool>>,
    /// Its handle was taken by a joiner that has not recorded a result yet
    /// (if that joiner is cancelled, the handle is dropped with it).
    in_join: Vec<Cell<bool>>,
    children: Cell<u32>,
    children_dropped: Cell<u32>,
    children_completed: Cell<u32>,
}

/// Owned by a task's body from spawn time: dropped exactly once, whether the
/// body completes, unwinds or is dropped unrun.
struct Guard(Rc<World>, usize);

impl Drop for Guard {
    fn drop(&mut self) {
        let d = &self.0.drops[self.1];
        d.set(d.get() + 1);
    }
}

struct ChildGuard(Rc<World>);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let d = &self.0.children_dropped;
        d.set(d.get() + 1);
    }
}

impl World {
    fn join_target(&self, me: usize, n: usize) -> Option<usize> {
        let later = self.n - me - 1;
        (later > 0).then(|| me + 1 + n % later)
    }

    fn take_handle(&self, target: usize) -> Option<JoinHandle<usize>> {
        let h = self.handles[target].borrow_mut().take()?;
        self.in_join[target].set(true);
        Some(h)
    }

    fn record(&self, target: usize, result: Result<usize, JoinError>) {
        self.in_join[target].set(false);
        let outcome = match result {
            Ok(v) => {
                assert_eq!(v, target, "a task returned another's value");
                Outcome::Completed
            }
            Err(e) if e.is_cancelled() => Outcome::Cancelled,
            Err(e) => panic!("task {target} failed: {e}"),
        };
        self.outcomes[target].borrow_mut().push(outcome);
    }

    fn cancel(&self, me: usize, n: usize) {
        let target = n % self.n;
        if let Some(h) = &*self.handles[target].borrow() {
            if target != me && !h.is_finished() {
                self.must_be_cancelled[target].set(true);
            }
            h.cancel();
        }
    }

    fn send(&self, me: usize, n: usize) {
        // The receiver may be gone with its task: that is fine.
        let _ = self.senders[n % self.n].unbounded_send(me);
    }
}

fn spawn_child(world: &Rc<World>) {
    world.children.set(world.children.get() + 1);
    let guard = ChildGuard(world.clone());
    drop(corun::spawn(move || {
        corun::yield_now();
        corun::sleep(Duration::from_millis(1));
        let c = &guard.0.children_completed;
        c.set(c.get() + 1);
    }));
}

fn ms(n: u8) -> Duration {
    Duration::from_millis(n.into())
}

fn stackful_body(world: Rc<World>, me: usize, ops: Vec<Op>, mut rx: UnboundedReceiver<usize>) {
    for op in ops {
        match op {
            Op::Yield => corun::yield_now(),
            Op::Sleep(n) => corun::sleep(ms(n)),
            Op::Spawn => spawn_child(&world),
            Op::Send(n) => world.send(me, n),
            Op::Recv(n) => {
                let _ = corun::timeout(ms(n), || corun::await_(rx.next()));
            }
            Op::Join(n) => {
                let Some(target) = world.join_target(me, n) else {
                    continue;
                };
                if let Some(h) = world.take_handle(target) {
                    world.record(target, h.join());
                }
            }
            Op::Cancel(n) => world.cancel(me, n),
        }
    }
    world.completed[me].set(true);
}

/// Pending once (after asking to be polled again): a future task's yield.
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

async fn future_body(world: Rc<World>, me: usize, ops: Vec<Op>, mut rx: UnboundedReceiver<usize>) {
    for op in ops {
        match op {
            Op::Yield => YieldOnce(false).await,
            Op::Sleep(n) => corun::sleep_future(ms(n)).await,
            Op::Spawn => spawn_child(&world),
            Op::Send(n) => world.send(me, n),
            Op::Recv(n) => {
                let deadline = corun::sleep_future(ms(n));
                let _ = futures::future::select(rx.next(), std::pin::pin!(deadline)).await;
            }
            Op::Join(n) => {
                let Some(target) = world.join_target(me, n) else {
                    continue;
                };
                if let Some(h) = world.take_handle(target) {
                    world.record(target, h.await);
                }
            }
            Op::Cancel(n) => world.cancel(me, n),
        }
    }
    world.completed[me].set(true);
}

fn run_program(specs: Vec<TaskSpec>) {
    let n = specs.len();
    let (senders, receivers): (Vec<_>, Vec<_>) = (0..n).map(|_| unbounded()).unzip();
    let world = Rc::new(World {
        n,
        handles: (0..n).map(|_| RefCell::new(None)).collect(),
        senders,
        outcomes: (0..n).map(|_| RefCell::new(Vec::new())).collect(),
        drops: (0..n).map(|_| Cell::new(0)).collect(),
        completed: (0..n).map(|_| Cell::new(false)).collect(),
        must_be_cancelled: (0..n).map(|_| Cell::new(false)).collect(),
        in_join: (0..n).map(|_| Cell::new(false)).collect(),
        children: Cell::new(0),
        children_dropped: Cell::new(0),
        children_completed: Cell::new(0),
    });
    let ex = Executor::new();
    ex.block_on(|| {
        // Spawning does not run anything, so every handle is in the table
        // before any task looks for one.
        for ((me, spec), rx) in specs.into_iter().enumerate().zip(receivers) {
            let (w, guard) = (world.clone(), Guard(world.clone(), me));
            let h = if spec.future {
                corun::spawn_future(async move {
                    let _guard = guard;
                    future_body(w, me, spec.ops, rx).await;
                    me
                })
            } else {
                corun::spawn(move || {
                    let _guard = guard;
                    stackful_body(w, me, spec.ops, rx);
                    me
                })
            };
            *world.handles[me].borrow_mut() = Some(h);
        }
        for target in 0..n {
            if let Some(h) = world.take_handle(target) {
                world.record(target, h.join());
            }
        }
    });
    // Tasks whose joiner was cancelled mid-join are detached: let them end.
    ex.run();
    assert!(ex.tasks().is_empty(), "{}", ex.dump());

    for t in 0..n {
        assert_eq!(world.drops[t].get(), 1, "task {t}'s guard drops");
        let outcomes = world.outcomes[t].borrow();
        match outcomes.as_slice() {
            [] => assert!(
                world.in_join[t].get(),
                "task {t} has no outcome but its handle was not lost"
            ),
            [o] => {
                assert_eq!(
                    *o == Outcome::Completed,
                    world.completed[t].get(),
                    "task {t}: outcome {o:?} disagrees with its body"
                );
                if world.must_be_cancelled[t].get() {
                    assert_eq!(*o, Outcome::Cancelled, "task {t} outlived its cancel");
                }
            }
            many => panic!("task {t} ended more than once: {many:?}"),
        }
    }
    let children = world.children.get();
    assert_eq!(world.children_dropped.get(), children);
    assert_eq!(world.children_completed.get(), children);
    // Every clone held by a task, guard or closure is gone.
    assert_eq!(Rc::strong_count(&world), 1);
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => Just(Op::Yield),
        2 => (0_u8..=2).prop_map(Op::Sleep),
        1 => Just(Op::Spawn),
        2 => any::<usize>().prop_map(Op::Send),
        2 => (1_u8..=3).prop_map(Op::Recv),
        2 => any::<usize>().prop_map(Op::Join),
        2 => any::<usize>().prop_map(Op::Cancel),
    ]
}

fn program() -> impl Strategy<Value = Vec<TaskSpec>> {
    let task = (
        prop::bool::weighted(0.3),
        prop::collection::vec(op(), 0..10),
    )
        .prop_map(|(future, ops)| TaskSpec { future, ops });
    prop::collection::vec(task, 1..=8)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn every_task_ends_exactly_once(specs in program()) {
        run_program(specs);
    }
}

#[test]
fn a_fixed_program_with_every_op() {
    use Op::*;
    let specs = vec![
        TaskSpec {
            future: false,
            ops: vec![Send(1), Join(0), Recv(2), Cancel(3)],
        },
        TaskSpec {
            future: true,
            ops: vec![Recv(3), Yield, Spawn, Send(0), Join(1)],
        },
        TaskSpec {
            future: false,
            ops: vec![Sleep(1), Cancel(1), Spawn, Yield],
        },
        TaskSpec {
            future: false,
            ops: vec![Sleep(2), Send(2), Cancel(3), Yield],
        },
    ];
    run_program(specs);
}
