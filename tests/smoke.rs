use corun::{Co, Generator, GeneratorState};
use std::cell::RefCell;

#[test]
fn basics() {
    let mut g: Generator<'_, u32, u32, &str> = Generator::new(|co| {
        let a = co.yield_(1);
        let b = co.yield_(a + 1);
        if b == 0 {
            "zero"
        } else {
            "nonzero"
        }
    });
    assert_eq!(g.start(), GeneratorState::Yielded(1));
    assert_eq!(g.send(5), GeneratorState::Yielded(6));
    assert_eq!(g.send(0), GeneratorState::Complete("zero"));
    assert!(g.is_complete());
}

#[test]
fn delegation_and_close_order() {
    let log = RefCell::new(Vec::new());
    struct F<'l>(&'l RefCell<Vec<String>>, &'static str);
    impl Drop for F<'_> {
        fn drop(&mut self) {
            self.0.borrow_mut().push(format!("{} finally", self.1));
        }
    }
    let mut g = Generator::new(|co: &Co<&str>| {
        let _f = F(&log, "g1");
        co.yield_("g1 ham");
        let r = co.yield_from(Generator::new(|co: &Co<&str>| {
            let _f = F(&log, "g2");
            co.yield_("g2 spam");
            co.yield_from(Generator::new(|co: &Co<&str>| {
                let _f = F(&log, "g3");
                co.yield_("g3 x");
                3
            }))
        }));
        assert_eq!(r, 3);
        co.yield_("g1 eggs");
    });
    assert_eq!(g.start(), GeneratorState::Yielded("g1 ham"));
    assert_eq!(g.send(()), GeneratorState::Yielded("g2 spam"));
    assert_eq!(g.send(()), GeneratorState::Yielded("g3 x"));
    g.close();
    assert_eq!(*log.borrow(), ["g3 finally", "g2 finally", "g1 finally"]);
}

#[test]
fn deep_delegation() {
    fn level(co: &Co<u32>, depth: u32) -> u32 {
        if depth == 0 {
            co.yield_(7);
            return 0;
        }
        co.yield_from(Generator::new(move |co| level(co, depth - 1))) + 1
    }
    let mut g = Generator::new(|co| level(co, 1000));
    assert_eq!(g.start(), GeneratorState::Yielded(7));
    assert_eq!(g.send(()), GeneratorState::Complete(1000));
}

#[test]
fn panic_propagates() {
    let mut g: Generator<'_, u32> = Generator::new(|co| {
        co.yield_from(Generator::new(|co: &Co<u32>| {
            co.yield_(1);
            panic!("deep")
        }));
    });
    g.start();
    let e = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| g.send(()))).unwrap_err();
    assert_eq!(*e.downcast::<&str>().unwrap(), "deep");
    assert!(g.is_complete());
}

#[test]
#[should_panic(expected = "does not belong")]
fn foreign_co() {
    let mut g: Generator<'_, u32> = Generator::new(|co| {
        let mut inner: Generator<'_, u32> = Generator::new(|_inner_co| {
            co.yield_(1);
        });
        inner.start();
    });
    g.start();
}
