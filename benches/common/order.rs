//! The order contenders run in within a round: a fresh shuffle each round
//! (a fixed-seed generator, so runs are repeatable), shared by the
//! interleaved harnesses (`benches/runtime.rs`, `common/plain.rs`, the
//! bench report).
//!
//! Why: on these VMs a contender that follows a one-thread run finds the
//! other vCPU halted and pays for waking it. In a fixed order (and in a
//! rotated one, which keeps who follows whom), whichever pool was listed
//! after the sequential baseline measured 5–10% slower than the same pool
//! listed elsewhere.

/// Yields a fresh order of `0..n` for each round.
pub struct Shuffle {
    seed: u64,
    order: Vec<usize>,
}

impl Shuffle {
    pub fn new(n: usize) -> Self {
        Shuffle {
            seed: 0x9e37_79b9_7f4a_7c15,
            order: (0..n).collect(),
        }
    }

    /// The next round's order (Fisher–Yates over a PCG-style LCG).
    pub fn next_round(&mut self) -> &[usize] {
        for k in (1..self.order.len()).rev() {
            self.seed = self
                .seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            self.order.swap(k, (self.seed >> 33) as usize % (k + 1));
        }
        &self.order
    }
}
