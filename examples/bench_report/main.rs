//! One command for corun's benchmark report: peers measured in this process,
//! interleaved, median of rounds; writes `target/bench-report/REPORT.md` and
//! SVG charts (also copied to `docs/bench/`).
//!
//! `cargo run --release --example bench_report` (`--smoke` or
//! `BENCH_REPORT_SMOKE=1`: every measure once, a few iterations).

mod charts;
mod measures;

use measures as m;
use std::fmt::Write as _;
use std::process::Command;

struct Ctx {
    rounds: usize,
    scale: u64,
    md: String,
}

impl Ctx {
    /// Runs the contenders interleaved; returns their medians (ns/op).
    fn run(&self, cases: &mut [(&str, &mut dyn FnMut() -> f64)]) -> Vec<f64> {
        let mut t = vec![Vec::new(); cases.len()];
        for _ in 0..self.rounds {
            for (i, c) in cases.iter_mut().enumerate() {
                t[i].push((c.1)());
            }
        }
        t.into_iter()
            .map(|mut v| {
                v.sort_by(f64::total_cmp);
                v[v.len() / 2]
            })
            .collect()
    }

    /// A table: the first case is corun, the rest its peers.
    fn table(&mut self, title: &str, how: &str, names: &[&str], ns: &[f64]) {
        println!("measured: {title}");
        let _ = writeln!(self.md, "\n## {title}\n\n{how}\n");
        let _ = writeln!(
            self.md,
            "| contender | ns/op | corun ÷ this | |\n| --- | --- | --- | --- |"
        );
        for (n, v) in names.iter().zip(ns) {
            let r = ns[0] / v;
            let note = if r > 1.05 { "**corun is behind**" } else { "" };
            let _ = writeln!(self.md, "| {n} | {v:.1} | {r:.2} | {note} |");
        }
    }
}

fn python() -> (String, Option<String>) {
    let out = Command::new("timeout")
        .args(["120", "python3", "benches/python/measure.py"])
        .output();
    match out {
        Ok(o) if o.status.success() => (
            "measured now by python3".into(),
            Some(String::from_utf8_lossy(&o.stdout).into()),
        ),
        _ => (
            "python3 missing or failed: figures recorded in issue 11".into(),
            None,
        ),
    }
}

/// Pulls `"key": number` out of the script's JSON (flat keys are unique).
fn field(json: &Option<String>, key: &str, fallback: f64) -> f64 {
    let Some(j) = json else { return fallback };
    let pat = format!("\"{key}\": ");
    j.find(&pat)
        .and_then(|i| {
            let rest = &j[i + pat.len()..];
            let end = rest.find([',', '}']).unwrap_or(rest.len());
            rest[..end].trim().parse().ok()
        })
        .unwrap_or(fallback)
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".into());
    let kernel = std::fs::read_to_string("/proc/version").unwrap_or_else(|_| "unknown".into());
    let date = Command::new("date")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    format!(
        "- cores: {cores}\n- CPU: {cpu}\n- kernel: {}\n- date: {date}\n",
        kernel.trim()
    )
}

fn main() {
    let smoke = std::env::args().any(|a| a == "--smoke")
        || std::env::var_os("BENCH_REPORT_SMOKE").is_some();
    let started = std::time::Instant::now();
    let mut c = Ctx {
        rounds: if smoke { 1 } else { 7 },
        scale: if smoke { 1 } else { 100 },
        md: String::new(),
    };
    let s = c.scale;
    let dir = "target/bench-report";
    std::fs::create_dir_all(dir).expect("report dir");
    may::config().set_workers(1);
    let _ = writeln!(c.md, "# corun benchmark report\n\n{}\nCommand: `cargo run --release --example bench_report`{}. Every table: contenders measured in one process, interleaved, median of {} rounds.", machine(), if smoke { " (SMOKE MODE: figures meaningless)" } else { "" }, c.rounds);
    let (py_src, py) = python();
    println!("measured: CPython ({py_src})");

    // 1) generator send round trip
    let n = 20_000 * s;
    let v = c.run(&mut [
        ("corun", &mut || m::send_corun(n)),
        ("corosensei", &mut || m::send_corosensei(n)),
        ("genawaiter", &mut || m::depth_genawaiter(0, n)),
        ("generator-rs", &mut || m::depth_generator_rs(0, n)),
    ]);
    c.table(
        "Generator send round trip",
        "One `send` into an endless echo generator.",
        &["corun", "raw corosensei", "genawaiter (rc)", "generator-rs"],
        &v,
    );
    let _ = writeln!(
        c.md,
        "\nCPython generator send: {:.0} ns ({py_src}).",
        field(&py, "send", 33.0)
    );

    // 2) yield-from per depth
    let depths = [1usize, 2, 4, 8, 16, 32, 64];
    let rec = [51.0, 69.0, 109.0, 191.0, 373.0, 697.0, 1570.0];
    let mut lines: Vec<charts::Line> = ["corun", "generator-rs", "genawaiter relay", "CPython"]
        .iter()
        .map(|n| (n.to_string(), Vec::new()))
        .collect();
    let _ = writeln!(c.md, "\n## yield from: ns per value against depth\n\nOne value sent to the root of a chain of `yield_from` `depth` deep.\n\n| depth | corun | generator-rs | genawaiter relay | CPython | corun ÷ generator-rs |\n| --- | --- | --- | --- | --- | --- |");
    for (k, &d) in depths.iter().enumerate() {
        let n = 5_000 * s / (d as u64).min(16);
        let v = c.run(&mut [
            ("corun", &mut || m::depth_corun(d, n)),
            ("gn", &mut || m::depth_generator_rs(d, n)),
            ("ga", &mut || m::depth_genawaiter(d, n)),
        ]);
        let py_d = py.as_ref().map_or(rec[k], |j| {
            let i = j.find("\"yield_from\"").unwrap_or(0);
            field(&Some(j[i..].to_string()), &d.to_string(), rec[k])
        });
        for (i, x) in v.iter().chain([py_d].iter()).enumerate() {
            lines[i].1.push((d as f64, *x));
        }
        let _ = writeln!(
            c.md,
            "| {d} | {:.1} | {:.1} | {:.1} | {py_d:.0} | {:.2} |",
            v[0],
            v[1],
            v[2],
            v[0] / v[1]
        );
    }
    println!("measured: yield from per depth");
    charts::line_chart(
        &format!("{dir}/yield_from.svg"),
        "yield from: ns per value vs depth",
        "depth",
        "ns per value (log)",
        &lines,
        true,
    );

    // 3) spawn + join, yield_now switch
    let n = 200 * s;
    let sp = c.run(&mut [
        ("corun", &mut || m::spawn_corun(n)),
        ("tokio", &mut || m::spawn_tokio(n)),
        ("may", &mut || m::spawn_may(n)),
        ("pool", &mut || m::spawn_local_pool(n)),
    ]);
    let peers = [
        "corun",
        "tokio LocalSet",
        "may (1 worker)",
        "futures LocalPool",
    ];
    c.table("Spawn + join, one at a time", "Spawn a trivial task and join it. may parks/wakes an OS thread per join (see BENCHMARKING.md).", &peers, &sp);
    let n = 2_000 * s;
    let sw = c.run(&mut [
        ("corun", &mut || m::switch_corun(n)),
        ("tokio", &mut || m::switch_tokio(n)),
        ("may", &mut || m::switch_may(n)),
    ]);
    c.table(
        "yield_now ping-pong, per switch",
        "Two tasks calling `yield_now` in turn.",
        &peers[..3],
        &sw,
    );
    let (pt, ps) = (
        field(&py, "asyncio_task", 4600.0),
        field(&py, "asyncio_switch", 2900.0),
    );
    let _ = writeln!(
        c.md,
        "\nCPython asyncio task create+run {pt:.0} ns, sleep(0) switch {ps:.0} ns ({py_src})."
    );
    let mut bars: Vec<charts::Line> = Vec::new();
    for (i, name) in peers.iter().enumerate() {
        let mut p = vec![(1.0, sp[i])];
        if i < 3 {
            p.push((2.0, sw[i]));
        }
        bars.push((name.to_string(), p));
    }
    bars.push(("CPython asyncio".into(), vec![(1.0, pt), (2.0, ps)]));
    charts::line_chart(
        &format!("{dir}/spawn_switch.svg"),
        "x=1: spawn+join, x=2: yield switch (ns, log)",
        "measure",
        "ns",
        &bars,
        true,
    );

    // 4) channels
    let n = 10_000 * s;
    let v = c.run(&mut [
        ("corun", &mut || m::chan_corun(n)),
        ("tokio", &mut || m::chan_tokio(n)),
    ]);
    c.table(
        "Channel within a core, per message",
        "Producer and consumer task on one executor, capacity 1024.",
        &["corun sync::channel", "tokio mpsc (LocalSet)"],
        &v,
    );
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let rt = corun::Runtime::new().expect("a runtime");
    let v = c.run(&mut [
        ("corun", &mut || m::cross_corun(&rt, n)),
        ("cb", &mut || m::cross_crossbeam(n)),
    ]);
    c.table(
        "Channel across cores, per message",
        "A producer thread into a receiver on another core, capacity 1024.",
        &["corun mpsc -> task", "crossbeam-channel -> thread"],
        &v,
    );
    drop(rt);

    // 5) Pool::map speedup
    let n = 1_000 * s;
    let _ = writeln!(c.md, "\n## Pool::map speedup against workers\n\nPrimality by trial division of 0..{n}; speedup = sequential time ÷ parallel time, interleaved.\n\n| workers | corun Pool | rayon |\n| --- | --- | --- |");
    let mut sl: Vec<charts::Line> = vec![
        ("corun Pool".into(), vec![]),
        ("rayon".into(), vec![]),
        ("CPython multiprocessing.Pool".into(), vec![]),
    ];
    for w in 1..=cores {
        let rt = corun::Runtime::builder()
            .workers(w)
            .build()
            .expect("runtime");
        let rp = rayon::ThreadPoolBuilder::new()
            .num_threads(w)
            .build()
            .expect("rayon");
        let v = c.run(&mut [
            ("seq", &mut || m::primes_seq(n)),
            ("corun", &mut || m::primes_pool(&rt, n)),
            ("rayon", &mut || m::primes_rayon(&rp, n)),
        ]);
        sl[0].1.push((w as f64, v[0] / v[1]));
        sl[1].1.push((w as f64, v[0] / v[2]));
        let pyw = py
            .as_ref()
            .map_or(if w == 1 { 1.0 } else { f64::NAN }, |j| {
                let i = j.find("\"pool_speedup\"").unwrap_or(0);
                field(&Some(j[i..].to_string()), &w.to_string(), f64::NAN)
            });
        if pyw.is_finite() {
            sl[2].1.push((w as f64, pyw));
        }
        let _ = writeln!(c.md, "| {w} | {:.2}x | {:.2}x |", v[0] / v[1], v[0] / v[2]);
    }
    println!("measured: Pool::map speedup");
    let _ = writeln!(
        c.md,
        "\nCPython Pool(2).map: {:.0} ns per item ({py_src}).",
        field(&py, "pool_map_item", 220.0)
    );
    charts::line_chart(
        &format!("{dir}/pool_speedup.svg"),
        "CPU-bound speedup vs workers",
        "workers",
        "speedup",
        &sl,
        false,
    );

    let _ = writeln!(c.md, "\n## Not in this report yet\n\n- echo throughput / p99: run `cargo bench --bench net` (corun vs tokio current_thread vs may).\n- HTTP keep-alive with `wrk` (`apt-get install wrk`): `wrk -t1 -c100 -d10s http://ADDR/` against `cargo run --release --example http_hello -- --listen 127.0.0.1:8080` and `hyper_server`.\n- timers (10,000 sleeping tasks), generator creation, tokio multi-thread.\n\nTotal run time: {:.0} s.", started.elapsed().as_secs_f64());
    std::fs::write(format!("{dir}/REPORT.md"), &c.md).expect("write REPORT.md");
    if !smoke {
        std::fs::create_dir_all("docs/bench").expect("docs/bench");
        for f in [
            "yield_from.svg",
            "spawn_switch.svg",
            "pool_speedup.svg",
            "REPORT.md",
        ] {
            std::fs::copy(format!("{dir}/{f}"), format!("docs/bench/{f}")).expect("copy");
        }
    }
    println!(
        "wrote {dir}/REPORT.md in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}
