//! Walking a borrowed tree with recursive `yield from`, next to the
//! hand-written stack-based iterators it replaces.
//!
//! Python:
//!
//! ```python
//! def preorder(node):
//!     yield node.name
//!     for child in node.children:
//!         yield from preorder(child)
//! ```
//!
//! The generators borrow the tree and yield `&'a str` slices of it: nothing
//! is cloned, and the borrow checker ties each generator's life to the
//! tree's. The hand-written iterators keep their own stack of pending nodes;
//! a post-order one also has to remember how far it got in each node's
//! children. The generator versions differ from each other by where one
//! line stands.
//!
//! Run: `cargo run --release --example tree_walk`
use corun::{Co, Generator};

/// A tree with a name at each node.
struct Node {
    name: String,
    children: Vec<Node>,
}

fn node(name: &str, children: Vec<Node>) -> Node {
    Node {
        name: name.to_string(),
        children,
    }
}

fn leaf(name: &str) -> Node {
    node(name, Vec::new())
}

// ---- generators ----

/// Pre-order: a node, then each child's subtree, through `yield from`.
fn preorder<'a>(node: &'a Node) -> Generator<'a, &'a str> {
    Generator::new(move |co| {
        co.yield_(node.name.as_str());
        for child in &node.children {
            co.yield_from(preorder(child));
        }
    })
}

/// Post-order: each child's subtree, then the node. The only change from
/// `preorder` is where the node's own yield stands.
fn postorder<'a>(node: &'a Node) -> Generator<'a, &'a str> {
    Generator::new(move |co| {
        for child in &node.children {
            co.yield_from(postorder(child));
        }
        co.yield_(node.name.as_str());
    })
}

/// Pre-order again, without a generator per subtree: the body runs on its own
/// stack, so a plain recursive function can yield from any depth. (Python
/// has no such thing: every level of a recursive generator must be a
/// generator and `yield from` the next.)
fn preorder_one_stack<'a>(node: &'a Node) -> Generator<'a, &'a str> {
    fn visit<'a>(co: &Co<&'a str>, node: &'a Node) {
        co.yield_(&node.name);
        for child in &node.children {
            visit(co, child);
        }
    }
    Generator::new(move |co| visit(co, node))
}

// ---- the hand-written iterators they replace ----

/// Pre-order with an explicit stack of nodes still to visit.
struct PreOrder<'a> {
    pending: Vec<&'a Node>,
}

impl<'a> PreOrder<'a> {
    fn new(root: &'a Node) -> Self {
        PreOrder {
            pending: vec![root],
        }
    }
}

impl<'a> Iterator for PreOrder<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let node = self.pending.pop()?;
        // Reversed, so that the first child is popped first.
        self.pending.extend(node.children.iter().rev());
        Some(&node.name)
    }
}

/// Post-order with an explicit stack of (node, index of its next child).
struct PostOrder<'a> {
    pending: Vec<(&'a Node, usize)>,
}

impl<'a> PostOrder<'a> {
    fn new(root: &'a Node) -> Self {
        PostOrder {
            pending: vec![(root, 0)],
        }
    }
}

impl<'a> Iterator for PostOrder<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        loop {
            let (node, next_child) = self.pending.last_mut()?;
            match node.children.get(*next_child) {
                Some(child) => {
                    *next_child += 1;
                    self.pending.push((child, 0));
                }
                None => {
                    let (node, _) = self.pending.pop()?;
                    return Some(&node.name);
                }
            }
        }
    }
}

/// A chain `depth` nodes deep, each with a leaf beside the next link.
fn chain(depth: usize) -> Node {
    (0..depth).fold(leaf("bottom"), |below, i| {
        node(&format!("n{i}"), vec![leaf(&format!("leaf{i}")), below])
    })
}

fn main() {
    let tree = node(
        "src",
        vec![
            node(
                "generator",
                vec![leaf("co.rs"), leaf("drive.rs"), leaf("mod.rs")],
            ),
            node("stack", vec![leaf("mod.rs"), leaf("pool.rs")]),
            leaf("lib.rs"),
        ],
    );

    let pre: Vec<&str> = preorder(&tree).collect();
    println!("pre-order  (yield from):   {}", pre.join(" "));
    assert_eq!(pre, PreOrder::new(&tree).collect::<Vec<_>>());
    assert_eq!(pre, preorder_one_stack(&tree).collect::<Vec<_>>());
    assert_eq!(
        pre,
        [
            "src",
            "generator",
            "co.rs",
            "drive.rs",
            "mod.rs",
            "stack",
            "mod.rs",
            "pool.rs",
            "lib.rs"
        ]
    );
    println!("pre-order  (hand-written): same; (one stack, plain recursion): same");

    let post: Vec<&str> = postorder(&tree).collect();
    println!("post-order (yield from):   {}", post.join(" "));
    assert_eq!(post, PostOrder::new(&tree).collect::<Vec<_>>());
    assert_eq!(
        post,
        [
            "co.rs",
            "drive.rs",
            "mod.rs",
            "generator",
            "mod.rs",
            "pool.rs",
            "stack",
            "lib.rs",
            "src"
        ]
    );
    println!("post-order (hand-written): same");

    // The yielded slices point into the tree itself: nothing was copied.
    let first = preorder(&tree).next().expect("the tree has a root");
    assert!(std::ptr::eq(first, tree.name.as_str()));

    // Stopping early is free: the rest of the walk never runs, and dropping
    // the generator closes every subgenerator still suspended.
    let mut walk = preorder(&tree);
    let found = walk.by_ref().position(|name| name == "pool.rs");
    println!("pool.rs is at pre-order position {found:?}");
    assert_eq!(found, Some(7));
    drop(walk);

    // A deep tree: one generator (and one pooled stack) per level of the
    // current path. Each value goes from the innermost subgenerator straight
    // to the caller, however deep the delegation.
    let depth = 300;
    let deep = chain(depth);
    let pre: Vec<&str> = preorder(&deep).collect();
    assert_eq!(pre, PreOrder::new(&deep).collect::<Vec<_>>());
    assert_eq!(pre.len(), 2 * depth + 1);
    let post: Vec<&str> = postorder(&deep).collect();
    assert_eq!(post, PostOrder::new(&deep).collect::<Vec<_>>());
    assert_eq!(post.last(), Some(&"n299"));
    println!("a chain {depth} deep: both orders match the hand-written iterators");

    println!("ok");
}
