//! An infinite generator used with iterator adapters.
//!
//! Python:
//!
//! ```python
//! def fibonacci():
//!     a, b = 0, 1
//!     while True:
//!         yield a
//!         a, b = b, a + b
//!
//! sum(x for x in takewhile(lambda x: x < 4_000_000, fibonacci()) if x % 2 == 0)
//! ```
//!
//! A generator sent `()` is an `Iterator`, so every adapter works on it. The
//! body runs only as far as the consumer pulls: an "infinite" loop costs
//! nothing past the last value taken.
//!
//! Run: `cargo run --release --example fibonacci`
use corun::{Co, Generator};

/// Every Fibonacci number, forever. A `u64` holds the first 94 of them;
/// consumers here take far fewer, and the body never computes past what
/// they pull.
fn fibonacci() -> Generator<'static, u64> {
    Generator::new(|co| {
        let (mut a, mut b) = (0u64, 1u64);
        loop {
            co.yield_(a);
            (a, b) = (b, a + b);
        }
    })
}

/// Yields from inside an ordinary helper function, here even from inside a
/// closure that `for_each` calls: the body runs on its own stack, so
/// `yield_` works at any call depth (Python would need a generator at every
/// level).
fn emit_multiples(co: &Co<u64>, of: u64, below: u64) {
    (of..below).step_by(of as usize).for_each(|m| {
        co.yield_(m);
    });
}

fn main() {
    let first: Vec<u64> = fibonacci().take(12).collect();
    println!("first 12: {first:?}");
    assert_eq!(first, [0, 1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89]);

    // Project Euler 2: the sum of the even terms below four million.
    let even_sum: u64 = fibonacci()
        .take_while(|&x| x < 4_000_000)
        .filter(|x| x % 2 == 0)
        .sum();
    println!("sum of even terms below 4,000,000: {even_sum}");
    assert_eq!(even_sum, 4_613_732);

    // zip two generators: consecutive ratios approach the golden ratio.
    let ratio = fibonacci()
        .zip(fibonacci().skip(1))
        .skip(1)
        .map(|(a, b)| b as f64 / a as f64)
        .nth(40)
        .expect("the generator is infinite");
    let phi = (1.0 + 5f64.sqrt()) / 2.0;
    println!("F(42)/F(41) = {ratio:.12} (golden ratio {phi:.12})");
    assert!((ratio - phi).abs() < 1e-12);

    // enumerate + find: the first term with ten digits, and its index.
    let (index, term) = fibonacci()
        .enumerate()
        .find(|&(_, x)| x >= 1_000_000_000)
        .expect("the generator is infinite");
    println!("first ten-digit term: F({index}) = {term}");
    assert_eq!((index, term), (45, 1_134_903_170));

    // A generator is a fused iterator, and can be paused and resumed.
    let mut fib = fibonacci();
    let head: Vec<u64> = fib.by_ref().take(5).collect();
    let next_three: Vec<u64> = fib.by_ref().take(3).collect();
    println!("take 5 then 3 more from one generator: {head:?} {next_three:?}");
    assert_eq!((head, next_three), (vec![0, 1, 1, 2, 3], vec![5, 8, 13]));

    // A finite generator built from helper calls; chain it with another.
    let multiples = Generator::new(|co| {
        emit_multiples(co, 3, 10);
        emit_multiples(co, 5, 10);
    });
    let mut both: Vec<u64> = multiples.chain(fibonacci().take(3)).collect();
    println!("multiples of 3 and 5 below 10, then 3 fibonacci: {both:?}");
    assert_eq!(both, [3, 6, 9, 5, 0, 1, 1]);
    both.sort_unstable();
    both.dedup();
    assert_eq!(both, [0, 1, 3, 5, 6, 9]);

    println!("ok");
}
