//! The sections across threads and processes: multi-thread runtimes, the
//! CPU-bound map, echo over loopback, HTTP with `wrk`.

use crate::charts::{self, LineOpts, Panel};
use crate::local::{bars, rows};
use crate::{behind, echo, fig, http, measures as m, median, multi, Ctx};
use plotters::prelude::SeriesLabelPosition;
use std::fmt::Write as _;

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

pub fn multi_thread(c: &mut Ctx) {
    let rt = corun::Runtime::new().expect("a runtime");
    let tk = multi::tokio_mt(cores());
    let n = 200 * c.scale;
    let inside = c.run(&mut [&mut || multi::spawn_inside_corun(&rt, n), &mut || {
        multi::spawn_inside_tokio(&tk, n)
    }]);
    let names = ["corun Runtime", "tokio multi-thread"];
    c.table(
        "Spawn + join inside a multi-thread runtime",
        &format!(
            "A task on a worker ({} workers) spawns a trivial task and joins it, one at a \
             time: corun's `spawn` from a runtime task stays on its worker; tokio's goes to \
             its worker's LIFO slot, where another worker may steal it.",
            cores()
        ),
        "ns/op",
        &rows(&names, &inside),
        true,
    );
    let n = 20 * c.scale;
    let outside = c.run(&mut [&mut || multi::spawn_outside_corun(&rt, n), &mut || {
        multi::spawn_outside_tokio(&tk, n)
    }]);
    c.table(
        "Spawn + join from a plain thread",
        "`rt.spawn(..).join()` against tokio's `rt.block_on(rt.spawn(..))` from the main \
         thread: each round trip wakes a parked worker and then the caller, so this VM's \
         thread wake-up (tens of µs) dominates.",
        "ns/op",
        &rows(&names, &outside),
        true,
    );
    let n = 10_000 * c.scale;
    let cross = c.run(&mut [
        &mut || m::cross_corun(&rt, n),
        &mut || m::cross_crossbeam(n),
        &mut || multi::cross_tokio(&tk, n),
    ]);
    let names = [
        "corun mpsc -> task",
        "crossbeam-channel -> thread",
        "tokio mpsc -> multi-thread task",
    ];
    c.table(
        "Channel across cores, per message",
        "A producer thread into a receiver on another core, capacity 1024 (tokio: \
         `blocking_send` into a task on its multi-thread runtime).",
        "ns/op",
        &rows(&names, &cross),
        true,
    );
    let path = c.chart("multi_thread.svg", "multi-thread runtimes");
    let names2 = ["corun Runtime", "tokio multi-thread"];
    charts::bar_panels(
        &path,
        "Across threads (ns, log scale; shorter is better)",
        &[
            Panel {
                heading: "spawn + join inside the runtime".into(),
                unit: "ns",
                bars: bars(&names2, &inside),
                log: true,
            },
            Panel {
                heading: "spawn + join from a plain thread".into(),
                unit: "ns",
                bars: bars(&names2, &outside),
                log: true,
            },
            Panel {
                heading: "channel across cores, per message".into(),
                unit: "ns",
                bars: bars(&names, &cross),
                log: true,
            },
        ],
    );
}

pub fn speedup(c: &mut Ctx) {
    let n = 1_000 * c.scale;
    let _ = writeln!(
        c.md,
        "\n## Pool::map speedup against workers\n\n\
         Primality by trial division of 0..{n}; speedup = sequential time ÷ parallel time, \
         interleaved. tokio has no map: 64 chunks, one `tokio::spawn` each, on a \
         multi-thread runtime of that many workers.\n\n\
         | workers | corun Pool | rayon | tokio multi-thread | |\n| --- | --- | --- | --- | --- |"
    );
    let names = ["corun Pool", "rayon", "tokio multi-thread (chunks)"];
    let mut lines: Vec<charts::Line> = names.iter().map(|s| (s.to_string(), vec![])).collect();
    lines.push(("CPython multiprocessing.Pool".into(), vec![]));
    for w in 1..=cores() {
        let pool = corun::Pool::new(w).expect("pool");
        let rp = rayon::ThreadPoolBuilder::new()
            .num_threads(w)
            .build()
            .expect("rayon");
        let tk = multi::tokio_mt(w);
        let v = c.run(&mut [
            &mut || m::primes_seq(n),
            &mut || m::primes_pool(&pool, n),
            &mut || m::primes_rayon(&rp, n),
            &mut || multi::primes_tokio(&tk, n),
        ]);
        let sp: Vec<f64> = v[1..].iter().map(|x| v[0] / x).collect();
        for (line, s) in lines.iter_mut().zip(&sp) {
            line.1.push((w as f64, *s));
        }
        let fallback = if w == 1 { 1.0 } else { f64::NAN };
        let pyw = c.py_field(&["pool_speedup", &w.to_string()], fallback);
        if pyw.is_finite() {
            lines[3].1.push((w as f64, pyw));
        }
        let note = behind(&names, &sp, false);
        let _ = writeln!(
            c.md,
            "| {w} | {:.2}x | {:.2}x | {:.2}x | {note} |",
            sp[0], sp[1], sp[2]
        );
    }
    c.done("Pool::map speedup");
    c.py_line("Pool(2).map, per item", &["pool_map_item"], 220.0);
    let path = c.chart("pool_speedup.svg", "CPU-bound speedup against workers");
    charts::line_chart(
        &path,
        "CPU-bound map: speedup against workers (higher is better)",
        "workers",
        "speedup over sequential",
        &lines,
        LineOpts {
            log_y: false,
            log2_x: false,
            ideal: true,
            legend: SeriesLabelPosition::UpperLeft,
        },
    );
}

pub fn echo(c: &mut Ctx) {
    let (rounds, runs) = if c.smoke { (20, 1) } else { (300, 5) };
    let r = echo::measure(&echo::SERVERS, rounds, runs);
    let names = [
        "corun",
        "corun, spin_before_park 50 µs",
        "tokio current_thread",
        "may (1 worker)",
    ];
    let how = format!(
        "{} connections over loopback, one {}-byte message in flight on each; each server \
         on one thread (core 0), one mio client (core 1); {rounds} round trips per connection \
         and run, medians of {runs} interleaved runs. The same servers and client as \
         `cargo bench --bench net` (benches/common/echo.rs).",
        echo::CONNS,
        echo::MSG
    );
    let rate: Vec<f64> = r.iter().map(|s| s.msgs_per_sec).collect();
    let p99: Vec<f64> = r.iter().map(|s| s.p99_us).collect();
    c.table(
        "Echo throughput",
        &how,
        "messages/s",
        &rows(&names, &rate),
        false,
    );
    let _ = writeln!(
        c.md,
        "\n| server | p50 µs | p99 µs | corun's p99 ÷ this | |\n| --- | --- | --- | --- | --- |"
    );
    for (n, s) in names.iter().zip(&r) {
        let ratio = r[0].p99_us / s.p99_us;
        let behind = ratio > 1.05 && !n.starts_with("corun");
        let note = if behind { "**corun is behind**" } else { "" };
        let _ = writeln!(
            c.md,
            "| {n} | {} | {} | {ratio:.2} | {note} |",
            fig(s.p50_us),
            fig(s.p99_us)
        );
    }
    let path = c.chart("echo.svg", "echo throughput and p99 latency");
    charts::bar_panels(
        &path,
        &format!(
            "Echo over loopback, {} connections, {}-byte messages",
            echo::CONNS,
            echo::MSG
        ),
        &[
            Panel {
                heading: "throughput (longer is better)".into(),
                unit: "msgs/s",
                bars: bars(&names, &rate),
                log: false,
            },
            Panel {
                heading: "p99 round trip (shorter is better)".into(),
                unit: "µs",
                bars: bars(&names, &p99),
                log: false,
            },
        ],
    );
}

pub fn http(c: &mut Ctx) {
    let title = "HTTP keep-alive requests per second (wrk)";
    if !http::on_path("wrk") {
        let _ = writeln!(
            c.md,
            "\n## {title}\n\nSkipped: `wrk` is not on PATH. Install it (`apt-get install wrk` \
             on Debian or Ubuntu) and run the report again."
        );
        println!("skipped: {title}: wrk is not on PATH (apt-get install wrk)");
        return;
    }
    let (secs, runs) = if c.smoke { (1, 1) } else { (2, 3) };
    let servers = [
        http::start_example("http_hello"),
        http::start_example("hyper_server"),
    ];
    let addrs = [servers[0].1, servers[1].1, http::start_tokio_hyper()];
    let mut got = vec![Vec::new(); addrs.len()];
    for _ in 0..runs {
        for (i, a) in addrs.iter().enumerate() {
            got[i].push(http::wrk(*a, secs));
        }
    }
    drop(servers);
    let pick = |f: fn(&http::WrkRun) -> f64| -> Vec<f64> {
        got.iter()
            .map(|v| median(v.iter().map(f).collect()))
            .collect()
    };
    let rps = pick(|r| r.req_per_sec);
    let p99 = pick(|r| r.p99_ms);
    let errors: u64 = got.iter().flatten().map(|r| r.errors).sum();
    let names = [
        "corun: http_hello (httparse, blocking-style)",
        "corun: hyper_server (hyper 1.x)",
        "tokio current_thread + hyper 1.x",
    ];
    c.done(title);
    let _ = writeln!(
        c.md,
        "\n## {title}\n\n`wrk -t1 -c100 -d{secs}s --latency` on core 1 against each server on \
         core 0, one thread each, {runs} interleaved runs, medians. `http_hello` is the example \
         with a hand-written responder; `hyper_server` and the tokio server run the same \
         hyper service behind the same small I/O adapter, so that pair compares the \
         runtimes. Errors reported by wrk: {errors}.\n\n\
         | server | requests/s | p99 ms | ÷ tokio + hyper | |\n| --- | --- | --- | --- | --- |"
    );
    for (i, n) in names.iter().enumerate() {
        let r = rps[i] / rps[2];
        let note = if r < 0.95 { "**corun is behind**" } else { "" };
        let _ = writeln!(
            c.md,
            "| {n} | {} | {:.2} | {r:.2} | {note} |",
            fig(rps[i]),
            p99[i]
        );
    }
    let short = ["corun http_hello", "corun hyper_server", "tokio + hyper"];
    let path = c.chart("http.svg", "HTTP keep-alive requests/s with wrk");
    charts::bar_panels(
        &path,
        "HTTP/1.1 keep-alive, wrk -t1 -c100, one server thread",
        &[
            Panel {
                heading: "requests per second (longer is better)".into(),
                unit: "req/s",
                bars: bars(&short, &rps),
                log: false,
            },
            Panel {
                heading: "p99 latency (shorter is better)".into(),
                unit: "ms",
                bars: bars(&short, &p99),
                log: false,
            },
        ],
    );
}
