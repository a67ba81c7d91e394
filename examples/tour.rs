//! A tour of corun: generators with Python's protocol.
use corun::{Co, Generator, GeneratorState};

fn main() {
    println!("== an infinite generator, used as an iterator");
    let fib = Generator::new(|co| {
        let (mut a, mut b) = (0u64, 1u64);
        loop {
            co.yield_(a);
            (a, b) = (b, a + b);
        }
    });
    let first: Vec<u64> = fib.take(10).collect();
    println!("fibonacci: {first:?}");

    println!("\n== send: a running average");
    let mut avg: Generator<'_, f64, f64> = Generator::new(|co| {
        let (mut total, mut n) = (0.0, 0.0);
        let mut x = co.yield_(0.0);
        loop {
            total += x;
            n += 1.0;
            x = co.yield_(total / n);
        }
    });
    avg.start();
    for x in [10.0, 20.0, 60.0] {
        if let GeneratorState::Yielded(a) = avg.send(x) {
            println!("sent {x:>4} -> average {a}");
        }
    }

    println!("\n== yield from: delegation with a return value");
    fn sub(co: &Co<&'static str>) -> usize {
        co.yield_("sub: one");
        co.yield_("sub: two");
        2
    }
    let mut outer = Generator::new(|co| {
        let n = co.yield_from(Generator::new(sub));
        co.yield_("outer: after sub");
        n
    });
    let mut state = outer.start();
    while let GeneratorState::Yielded(v) = state {
        println!("yielded {v}");
        state = outer.send(());
    }
    println!("returned {:?}", state.complete());
}
