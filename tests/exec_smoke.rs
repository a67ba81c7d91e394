use corun::*;
use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

#[test]
fn spawn_join_sleep() {
    let ex = Executor::new();
    let h = ex.spawn(|| {
        sleep(Duration::from_millis(5));
        42
    });
    let v = ex.block_on(|| h.join().unwrap());
    assert_eq!(v, 42);
}

#[test]
fn pingpong_and_cancel() {
    let ex = Executor::new();
    let log = Rc::new(RefCell::new(vec![]));
    let l = log.clone();
    ex.block_on(move || {
        let l2 = l.clone();
        let a = spawn(move || {
            for i in 0..3 {
                l2.borrow_mut().push(format!("a{i}"));
                yield_now();
            }
        });
        let l3 = l.clone();
        let b = spawn(move || {
            for i in 0..3 {
                l3.borrow_mut().push(format!("b{i}"));
                yield_now();
            }
        });
        a.join().unwrap();
        b.join().unwrap();
        struct G(Rc<RefCell<Vec<String>>>);
        impl Drop for G {
            fn drop(&mut self) {
                self.0.borrow_mut().push("guard".into());
                sleep(Duration::from_secs(1));
            }
        }
        let l4 = l.clone();
        let c = spawn(move || {
            let _g = G(l4);
            sleep(Duration::from_secs(100));
        });
        yield_now();
        c.cancel();
        let e = c.join().unwrap_err();
        assert!(e.is_cancelled());
    });
    assert_eq!(*log.borrow(), ["a0", "b0", "a1", "b1", "a2", "b2", "guard"]);
}

#[test]
fn timeout_and_generator_waits() {
    let ex = Executor::new();
    let t = Instant::now();
    let r = ex.block_on(|| timeout(Duration::from_millis(10), || sleep(Duration::from_secs(10))));
    assert!(r.is_err());
    assert!(t.elapsed() < Duration::from_secs(5));
    let v: Vec<u32> = ex.block_on(|| {
        let g = Generator::new(|co| {
            for i in 0..3 {
                sleep(Duration::from_millis(1));
                co.yield_(i);
            }
        });
        g.collect()
    });
    assert_eq!(v, [0, 1, 2]);
}

#[test]
fn panics_reported() {
    let ex = Executor::new();
    let h = ex.spawn(|| -> u32 { panic!("boom") });
    let e = ex.block_on(|| h.join()).unwrap_err();
    assert!(e.is_panic());
    assert_eq!(e.to_string(), "task panicked: boom");
    // executor goes on
    assert_eq!(ex.block_on(|| 1), 1);
}

#[test]
fn drop_unwinds() {
    let count = Rc::new(std::cell::Cell::new(0));
    struct D(Rc<std::cell::Cell<i32>>);
    impl Drop for D {
        fn drop(&mut self) {
            self.0.set(self.0.get() + 1);
            sleep(Duration::from_millis(1));
        }
    }
    {
        let ex = Executor::new();
        for _ in 0..10 {
            let d = D(count.clone());
            let _ = ex.spawn(move || {
                let _d = d;
                sleep(Duration::from_secs(100))
            });
        }
        for _ in 0..5 {
            let d = D(count.clone());
            let _ = ex.spawn(move || {
                let _d = d;
            });
        }
        ex.block_on(yield_now);
        assert_eq!(count.get(), 5);
        println!("{}", ex.dump());
    }
    assert_eq!(count.get(), 15);
}

#[test]
fn future_interop() {
    let ex = Executor::new();
    let h = ex.spawn_future(async {
        sleep_future(Duration::from_millis(2)).await;
        3
    });
    let h2 = ex.spawn(|| 4);
    let v = ex.block_on(|| await_(h).unwrap() + await_(h2).unwrap());
    assert_eq!(v, 7);
    // cross-thread waker
    let (tx, rx) = futures::channel::oneshot::channel::<u32>();
    let th = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(20));
        tx.send(9).unwrap();
    });
    assert_eq!(ex.block_on(|| await_(rx).unwrap()), 9);
    th.join().unwrap();
}
