//! Stall warnings: a task that holds its worker without waiting is
//! reported with its id, its worker and where it was spawned.

use corun::runtime::StallReport;
use corun::Runtime;
use std::sync::{mpsc, Mutex};
use std::time::{Duration, Instant};

/// A stall callback that sends each report to the receiver returned.
fn reports() -> (
    impl Fn(&StallReport) + Send + Sync + 'static,
    mpsc::Receiver<StallReport>,
) {
    let (tx, rx) = mpsc::channel::<StallReport>();
    let tx = Mutex::new(tx);
    (
        move |r: &StallReport| tx.lock().unwrap().send(r.clone()).unwrap(),
        rx,
    )
}

fn spin(d: Duration) {
    let start = Instant::now();
    while start.elapsed() < d {
        std::hint::spin_loop();
    }
}

#[test]
fn a_task_that_never_waits_is_reported_once_per_turn() {
    let (report_to, rx) = reports();
    let rt = Runtime::builder()
        .workers(2)
        .pin_cores(false)
        .stall_warning(Duration::from_millis(30))
        .on_stall(report_to)
        .build()
        .unwrap();
    let line = line!() + 1;
    let hog = rt.spawn_on(1, || spin(Duration::from_millis(300)));
    let report = rx.recv_timeout(Duration::from_secs(60)).unwrap();
    assert_eq!(report.worker, 1);
    assert!(report.held_for >= Duration::from_millis(30));
    assert_eq!(report.spawned_at.file(), file!());
    assert_eq!(report.spawned_at.line(), line);
    let text = report.to_string();
    assert!(
        text.contains("worker 1") && text.contains(file!()),
        "{text}"
    );
    hog.join().unwrap();
    // One report for that turn, however long it lasted.
    assert!(rx.recv_timeout(Duration::from_millis(100)).is_err());
}

#[test]
fn tasks_that_wait_are_not_reported() {
    let (report_to, rx) = reports();
    let rt = Runtime::builder()
        .workers(1)
        .pin_cores(false)
        .stall_warning(Duration::from_secs(2))
        .on_stall(report_to)
        .build()
        .unwrap();
    let h = rt.spawn(|| {
        for _ in 0..20 {
            spin(Duration::from_millis(1));
            corun::sleep(Duration::from_millis(5));
        }
    });
    h.join().unwrap();
    drop(rt);
    assert!(rx.try_recv().is_err());
}

#[test]
fn a_pool_job_that_never_waits_is_reported_with_the_line_that_submitted_it() {
    let (report_to, rx) = reports();
    let pool = corun::Pool::builder()
        .workers(1)
        .pin_cores(false)
        .stall_warning(Duration::from_millis(30))
        .on_stall(report_to)
        .build()
        .unwrap();
    let line = line!() + 1;
    let hog = pool.apply_async(|| spin(Duration::from_millis(300)));
    let report = rx.recv_timeout(Duration::from_secs(60)).unwrap();
    assert_eq!(report.worker, 0);
    assert!(report.held_for >= Duration::from_millis(30));
    assert_eq!(
        (report.spawned_at.file(), report.spawned_at.line()),
        (file!(), line)
    );
    hog.get().unwrap();
}

#[test]
fn a_stall_callback_that_panics_does_not_stop_later_reports() {
    let (report_to, rx) = reports();
    let calls = std::sync::atomic::AtomicUsize::new(0);
    let rt = Runtime::builder()
        .workers(1)
        .pin_cores(false)
        .stall_warning(Duration::from_millis(20))
        .on_stall(move |r| {
            if calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
                panic!("the first report's callback fails");
            }
            report_to(r);
        })
        .build()
        .unwrap();
    rt.spawn(|| spin(Duration::from_millis(150)))
        .join()
        .unwrap();
    let line = line!() + 1;
    let second = rt.spawn(|| spin(Duration::from_millis(150)));
    let report = rx.recv_timeout(Duration::from_secs(60)).expect("reported");
    assert_eq!(report.spawned_at.line(), line);
    second.join().unwrap();
}
