//! Random operation sequences over random delegation trees, checked against a
//! plain reference interpreter of the same programs.
//!
//! Every node of a tree is a little program: yield, delegate to a child (a
//! fresh subgenerator each time), or panic. Values sent in are mixed into an
//! accumulator that is yielded and returned; an error sent in propagates with
//! `?` unless the node catches. Nodes that catch also catch their subs'
//! panics. Each body holds a Drop guard that logs its node id. The model runs
//! the same programs as an explicit stack of frames, and predicts every
//! outcome and the exact order in which guards run.

use corun::{Co, Generator, GeneratorState};
use proptest::prelude::*;
use std::cell::RefCell;
use std::panic::{catch_unwind, panic_any, resume_unwind, AssertUnwindSafe};
use std::sync::Once;

mod common;
use common::{payload_message, Finally};

#[derive(Debug, Clone)]
enum Instr {
    Yield,
    /// Delegate to `children[i % children.len()]` (skipped when childless).
    Delegate(usize),
    Panic,
}

#[derive(Debug, Clone)]
struct Node {
    id: usize,
    catches: bool,
    program: Vec<Instr>,
    children: Vec<Node>,
}

#[derive(Debug, Clone, Copy)]
enum Op {
    Start,
    Send(u64),
    Throw(u8),
    Close,
}

type Sent = Result<u64, u8>;
type Ret = Result<u64, u8>;

/// The payload of a node's deliberate panic.
#[derive(Debug, Clone, Copy, PartialEq)]
struct NodePanic(usize);

/// What one operation produced.
#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    Yielded(usize, u64),
    Returned(Ret),
    Panicked(usize),
    /// `start`/`send` refused: the generator was in the wrong state.
    Misuse(&'static str),
    /// `throw` gave the error straight back (unstarted or complete).
    ThrownBack(u8),
    Closed,
}

fn mix(acc: u64, v: u64) -> u64 {
    acc.wrapping_mul(31).wrapping_add(v)
}

fn mix_sub(acc: u64, r: u64) -> u64 {
    acc.wrapping_mul(7).wrapping_add(r)
}

fn child_of(node: &Node, i: usize) -> Option<&Node> {
    (!node.children.is_empty()).then(|| &node.children[i % node.children.len()])
}

// ---------------------------------------------------------------------------
// The real thing: each node is a generator body.

fn run_node(co: &Co<(usize, u64), Sent>, node: &Node, log: &RefCell<Vec<usize>>) -> Ret {
    let _guard = Finally(log, node.id);
    let mut acc = node.id as u64;
    for instr in &node.program {
        match instr {
            Instr::Yield => match co.yield_((node.id, acc)) {
                Ok(v) => acc = mix(acc, v),
                Err(e) if node.catches => acc = mix(acc, 1_000 + u64::from(e)),
                Err(e) => return Err(e),
            },
            Instr::Delegate(i) => {
                let Some(child) = child_of(node, *i) else {
                    continue;
                };
                let sub = Generator::new(move |co| run_node(co, child, log));
                if !node.catches {
                    acc = mix_sub(acc, co.yield_from(sub)?);
                    continue;
                }
                let r = match catch_unwind(AssertUnwindSafe(|| co.yield_from(sub))) {
                    Ok(Ok(r)) => r,
                    Ok(Err(e)) => 1_000 + u64::from(e),
                    // Catch only our own panics: close's unwind must go on.
                    Err(p) => match p.downcast::<NodePanic>() {
                        Ok(np) => 2_000 + np.0 as u64,
                        Err(other) => resume_unwind(other),
                    },
                };
                acc = mix_sub(acc, r);
            }
            Instr::Panic => panic_any(NodePanic(node.id)),
        }
    }
    Ok(acc)
}

fn classify(
    result: std::thread::Result<GeneratorState<(usize, u64), Ret>>,
    op: &'static str,
) -> Outcome {
    match result {
        Ok(GeneratorState::Yielded((id, acc))) => Outcome::Yielded(id, acc),
        Ok(GeneratorState::Complete(r)) => Outcome::Returned(r),
        Err(p) => match p.downcast::<NodePanic>() {
            Ok(np) => Outcome::Panicked(np.0),
            Err(p) => {
                let msg = payload_message(p);
                assert!(
                    msg.starts_with(&format!("Generator::{op}: ")),
                    "unexpected panic: {msg}"
                );
                Outcome::Misuse(op)
            }
        },
    }
}

fn apply(g: &mut Generator<'_, (usize, u64), Sent, Ret>, op: Op) -> Outcome {
    match op {
        Op::Start => classify(catch_unwind(AssertUnwindSafe(|| g.start())), "start"),
        Op::Send(v) => classify(catch_unwind(AssertUnwindSafe(|| g.send(Ok(v)))), "send"),
        Op::Throw(e) => match catch_unwind(AssertUnwindSafe(|| g.throw(e))) {
            Ok(Err(back)) => {
                assert_eq!(back, e);
                Outcome::ThrownBack(back)
            }
            Ok(Ok(state)) => classify(Ok(state), "throw"),
            Err(p) => classify(Err(p), "throw"),
        },
        Op::Close => {
            g.close();
            Outcome::Closed
        }
    }
}

// ---------------------------------------------------------------------------
// The model: the same programs run by an explicit frame stack.

struct Frame<'t> {
    node: &'t Node,
    /// The instruction the frame is suspended at (a yield or a delegation),
    /// or the next to run.
    pc: usize,
    acc: u64,
}

enum Life<'t> {
    Created,
    Suspended(Vec<Frame<'t>>),
    Complete,
}

/// What the top frame receives when it runs again.
enum Input {
    Start,
    Sent(Sent),
    SubReturned(Ret),
    SubPanicked(usize),
}

/// How a frame's run ended.
enum Step<'t> {
    /// It yields (its `pc` is at the yield).
    Suspend,
    /// It delegates to this child (its `pc` stays at the delegation).
    Push(&'t Node),
    /// It returned, or panicked with a node id.
    Done(Result<Ret, usize>),
}

struct Model<'t> {
    root: &'t Node,
    life: Life<'t>,
    started: bool,
    log: Vec<usize>,
}

impl<'t> Model<'t> {
    fn new(root: &'t Node) -> Self {
        Model {
            root,
            life: Life::Created,
            started: false,
            log: Vec::new(),
        }
    }

    fn apply(&mut self, op: Op) -> Outcome {
        match (op, &self.life) {
            (Op::Start, Life::Created) => {
                self.started = true;
                self.run(vec![frame(self.root)], Input::Start)
            }
            (Op::Start, _) => Outcome::Misuse("start"),
            (Op::Send(v), Life::Suspended(_)) => self.resume(Ok(v)),
            (Op::Send(_), _) => Outcome::Misuse("send"),
            (Op::Throw(e), Life::Suspended(_)) => self.resume(Err(e)),
            (Op::Throw(e), _) => {
                self.life = Life::Complete;
                Outcome::ThrownBack(e)
            }
            (Op::Close, _) => {
                self.close();
                Outcome::Closed
            }
        }
    }

    /// Unwinds every frame, innermost first.
    fn close(&mut self) {
        if let Life::Suspended(frames) = std::mem::replace(&mut self.life, Life::Complete) {
            self.log.extend(frames.iter().rev().map(|f| f.node.id));
        }
    }

    fn resume(&mut self, sent: Sent) -> Outcome {
        let Life::Suspended(frames) = std::mem::replace(&mut self.life, Life::Complete) else {
            unreachable!("resume is only called on a suspended model")
        };
        self.run(frames, Input::Sent(sent))
    }

    /// Runs the top frame with `input` until something comes out of the root.
    fn run(&mut self, mut frames: Vec<Frame<'t>>, mut input: Input) -> Outcome {
        loop {
            let top = frames.last_mut().expect("a running frame");
            let step = match deliver(top, input) {
                Some(done) => Step::Done(done),
                None => execute(top),
            };
            input = match step {
                Step::Suspend => {
                    let top = frames.last().expect("the yielding frame");
                    let out = Outcome::Yielded(top.node.id, top.acc);
                    self.life = Life::Suspended(frames);
                    return out;
                }
                Step::Push(child) => {
                    frames.push(frame(child));
                    Input::Start
                }
                Step::Done(done) => {
                    let finished = frames.pop().expect("the finished frame");
                    self.log.push(finished.node.id);
                    match (done, frames.is_empty()) {
                        (Ok(r), true) => {
                            self.life = Life::Complete;
                            return Outcome::Returned(r);
                        }
                        (Err(id), true) => {
                            self.life = Life::Complete;
                            return Outcome::Panicked(id);
                        }
                        (Ok(r), false) => Input::SubReturned(r),
                        (Err(id), false) => Input::SubPanicked(id),
                    }
                }
            };
        }
    }
}

fn frame(node: &Node) -> Frame<'_> {
    Frame {
        node,
        pc: 0,
        acc: node.id as u64,
    }
}

/// Hands `input` to the frame's pending yield or delegation. Returns how the
/// frame ends if the input ends it (an error or panic it does not catch).
fn deliver(top: &mut Frame<'_>, input: Input) -> Option<Result<Ret, usize>> {
    let catches = top.node.catches;
    match input {
        Input::Start => return None,
        Input::Sent(Ok(v)) => top.acc = mix(top.acc, v),
        Input::Sent(Err(e)) if catches => top.acc = mix(top.acc, 1_000 + u64::from(e)),
        Input::SubReturned(Ok(r)) => top.acc = mix_sub(top.acc, r),
        Input::SubReturned(Err(e)) if catches => {
            top.acc = mix_sub(top.acc, 1_000 + u64::from(e));
        }
        Input::SubPanicked(id) if catches => top.acc = mix_sub(top.acc, 2_000 + id as u64),
        Input::Sent(Err(e)) | Input::SubReturned(Err(e)) => return Some(Ok(Err(e))),
        Input::SubPanicked(id) => return Some(Err(id)),
    }
    top.pc += 1;
    None
}

/// Runs the frame's instructions from its `pc` until it suspends or ends.
fn execute<'t>(top: &mut Frame<'t>) -> Step<'t> {
    loop {
        let Some(instr) = top.node.program.get(top.pc) else {
            return Step::Done(Ok(Ok(top.acc)));
        };
        match instr {
            Instr::Yield => return Step::Suspend,
            Instr::Delegate(i) => match child_of(top.node, *i) {
                Some(child) => return Step::Push(child),
                None => top.pc += 1,
            },
            Instr::Panic => return Step::Done(Err(top.node.id)),
        }
    }
}

// ---------------------------------------------------------------------------
// Strategies.

fn instr() -> impl Strategy<Value = Instr> {
    prop_oneof![
        6 => Just(Instr::Yield),
        6 => (0..4usize).prop_map(Instr::Delegate),
        1 => Just(Instr::Panic),
    ]
}

fn tree() -> impl Strategy<Value = Node> {
    let leaf =
        (any::<bool>(), prop::collection::vec(instr(), 0..5)).prop_map(|(catches, program)| Node {
            id: 0,
            catches,
            program,
            children: Vec::new(),
        });
    leaf.prop_recursive(5, 40, 3, |inner| {
        (
            any::<bool>(),
            prop::collection::vec(instr(), 1..8),
            prop::collection::vec(inner, 1..4),
        )
            .prop_map(|(catches, program, children)| Node {
                id: 0,
                catches,
                program,
                children,
            })
    })
}

/// Numbers the nodes in preorder, so guard logs are readable.
fn number(node: &mut Node, next: &mut usize) {
    node.id = *next;
    *next += 1;
    for c in &mut node.children {
        number(c, next);
    }
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        1 => Just(Op::Start),
        16 => (0..100u64).prop_map(Op::Send),
        2 => any::<u8>().prop_map(Op::Throw),
        1 => Just(Op::Close),
    ]
}

/// Deliberate panics (node panics and misuse) would flood stderr through the
/// default hook; other panics still print.
fn quiet_expected_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let payload = info.payload();
            let misuse = payload
                .downcast_ref::<String>()
                .is_some_and(|m| m.starts_with("Generator::"));
            if !payload.is::<NodePanic>() && !misuse {
                default(info);
            }
        }));
    });
}

fn check(root: &Node, start_first: bool, ops: &[Op]) -> Result<(), TestCaseError> {
    let log = RefCell::new(Vec::new());
    let mut model = Model::new(root);
    let mut g: Generator<'_, (usize, u64), Sent, Ret> =
        Generator::new(|co| run_node(co, root, &log));
    let first = start_first.then_some(Op::Start);
    let mut after_end = 0;
    for (step, &op) in first.iter().chain(ops).enumerate() {
        // A few operations after the end check misuse; more would only
        // repeat that.
        if matches!(model.life, Life::Complete) {
            after_end += 1;
            if after_end > 3 {
                break;
            }
        }
        let expected = model.apply(op);
        let got = apply(&mut g, op);
        prop_assert_eq!(&got, &expected, "step {} ({:?})", step, op);
        prop_assert_eq!(&*log.borrow(), &model.log, "guards after step {}", step);
        prop_assert_eq!(g.is_started(), model.started, "is_started, step {}", step);
        let complete = matches!(model.life, Life::Complete);
        prop_assert_eq!(g.is_complete(), complete, "is_complete, step {}", step);
    }
    drop(g);
    model.close();
    prop_assert_eq!(&*log.borrow(), &model.log, "guards after drop");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn generators_match_the_model(
        mut root in tree(),
        start_first in prop::bool::weighted(0.9),
        ops in prop::collection::vec(op(), 0..60),
    ) {
        quiet_expected_panics();
        number(&mut root, &mut 0);
        check(&root, start_first, &ops)?;
    }
}

#[test]
fn the_model_sees_a_known_trace() {
    // A fixed tree worked out by hand, so the model itself is pinned down:
    // root 0 yields, delegates to 1 (which yields twice and catches the error
    // thrown into it), then panics.
    let leaf = Node {
        id: 1,
        catches: true,
        program: vec![Instr::Yield, Instr::Yield],
        children: vec![],
    };
    let root = Node {
        id: 0,
        catches: false,
        program: vec![Instr::Yield, Instr::Delegate(0), Instr::Panic],
        children: vec![leaf],
    };
    let mut m = Model::new(&root);
    assert_eq!(m.apply(Op::Send(1)), Outcome::Misuse("send"));
    assert_eq!(m.apply(Op::Start), Outcome::Yielded(0, 0));
    assert_eq!(m.apply(Op::Send(2)), Outcome::Yielded(1, 1));
    assert_eq!(m.apply(Op::Throw(3)), Outcome::Yielded(1, 31 + 1_003));
    assert_eq!(m.apply(Op::Send(0)), Outcome::Panicked(0));
    assert_eq!(m.log, [1, 0]);
    quiet_expected_panics();
    let ops = [
        Op::Send(1),
        Op::Start,
        Op::Send(2),
        Op::Throw(3),
        Op::Send(0),
    ];
    check(&root, false, &ops).unwrap();
}
