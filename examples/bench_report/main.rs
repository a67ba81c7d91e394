//! One command for corun's benchmark report: peers measured in this process,
//! interleaved, median of rounds; writes `target/bench-report/REPORT.md` and
//! SVG charts (also copied to `docs/bench/`).
//!
//! `cargo run --release --example bench_report` (`--smoke` or
//! `BENCH_REPORT_SMOKE=1`: every measure once, a few iterations, nothing
//! copied to `docs/`).

mod charts;
#[path = "../../benches/common/echo.rs"]
mod echo;
#[path = "../../benches/common/generator_peers.rs"]
mod generator_peers;
mod http;
mod local;
mod measures;
mod multi;
#[path = "../../benches/common/order.rs"]
mod order;
mod parallel;
mod timers;

use std::fmt::Write as _;
use std::process::Command;
use std::time::Instant;

/// Where the report and its charts go.
pub const DIR: &str = "target/bench-report";

pub struct Ctx {
    pub smoke: bool,
    pub rounds: usize,
    pub scale: u64,
    pub md: String,
    pub py: Option<String>,
    pub py_src: String,
    pub charts: Vec<(&'static str, &'static str)>,
    started: Instant,
}

impl Ctx {
    /// Runs the contenders interleaved, in a fresh order each round
    /// (`benches/common/order.rs` says why); returns their medians.
    pub fn run(&self, cases: &mut [&mut dyn FnMut() -> f64]) -> Vec<f64> {
        let mut t = vec![Vec::new(); cases.len()];
        let mut shuffle = order::Shuffle::new(cases.len());
        for _ in 0..self.rounds {
            for &i in shuffle.next_round() {
                t[i].push(cases[i]());
            }
        }
        t.into_iter().map(median).collect()
    }

    /// The progress line a measure prints when it is done.
    pub fn done(&self, what: &str) {
        println!(
            "[{:5.1} s] measured: {what}",
            self.started.elapsed().as_secs_f64()
        );
    }

    /// A table whose first row is corun and the rest its peers; `lower`
    /// says whether a lower figure is the better one (ns) or not (rates).
    pub fn table(&mut self, title: &str, how: &str, unit: &str, rows: &[(&str, f64)], lower: bool) {
        self.done(title);
        let _ = writeln!(self.md, "\n## {title}\n\n{how}\n");
        let _ = writeln!(
            self.md,
            "| contender | {unit} | corun ÷ this | |\n| --- | --- | --- | --- |"
        );
        let first = rows[0].1;
        for (n, v) in rows {
            let r = first / v;
            // A second corun row is corun configured otherwise, not a peer.
            let peer = !n.starts_with("corun");
            let behind = peer && if lower { r > 1.05 } else { r < 0.95 };
            let note = if behind { "**corun is behind**" } else { "" };
            let _ = writeln!(self.md, "| {n} | {} | {r:.2} | {note} |", fig(*v));
        }
    }

    /// A CPython figure from the script's JSON, or the recorded one.
    pub fn py_field(&self, path: &[&str], recorded: f64) -> f64 {
        let Some(j) = &self.py else { return recorded };
        let mut rest = j.as_str();
        for key in path {
            let pat = format!("\"{key}\": ");
            let Some(i) = rest.find(&pat) else {
                return recorded;
            };
            rest = &rest[i + pat.len()..];
        }
        let end = rest.find([',', '}']).unwrap_or(rest.len());
        rest[..end].trim().parse().unwrap_or(recorded)
    }

    /// Writes the line "CPython {what}: {figure} ({source})." under a
    /// table, with the figure at `path` (or `recorded`, NaN for none), and
    /// returns the figure.
    pub fn py_line(&mut self, what: &str, path: &[&str], recorded: f64) -> f64 {
        let v = self.py_field(path, recorded);
        let note = if v.is_finite() {
            format!("{} ns ({})", fig(v), self.py_src)
        } else {
            "not measured (python3 missing; no recorded figure)".into()
        };
        let _ = writeln!(self.md, "\nCPython {what}: {note}.");
        v
    }

    /// Writes a chart's SVG name into the report's list of charts.
    pub fn chart(&mut self, file: &'static str, what: &'static str) -> String {
        self.charts.push((file, what));
        format!("{DIR}/{file}")
    }
}

/// "**corun is behind** A, B": the peers (`names[1..]`) more than 5%
/// better than corun (`v[0]`); `lower` when the lower figure is better.
pub fn behind(names: &[&str], v: &[f64], lower: bool) -> String {
    let ahead: Vec<&str> = (1..names.len())
        .filter(|&i| {
            let r = v[0] / v[i];
            if lower {
                r > 1.05
            } else {
                r < 0.95
            }
        })
        .map(|i| names[i])
        .collect();
    if ahead.is_empty() {
        String::new()
    } else {
        format!("**corun is behind** {}", ahead.join(", "))
    }
}

pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// A figure with sensible digits: 4.0, 141, 12,345.
pub fn fig(v: f64) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    if v >= 1000.0 {
        let s = format!("{:.0}", v);
        let mut out = String::new();
        for (i, ch) in s.chars().enumerate() {
            if i > 0 && (s.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(ch);
        }
        out
    } else if v >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
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
    let started = Instant::now();
    std::fs::create_dir_all(DIR).expect("report dir");
    may::config().set_workers(1);
    let (py_src, py) = python();
    let mut c = Ctx {
        smoke,
        rounds: if smoke { 1 } else { 7 },
        scale: if smoke { 1 } else { 100 },
        md: String::new(),
        py,
        py_src,
        charts: Vec::new(),
        started,
    };
    let _ = writeln!(
        c.md,
        "# corun benchmark report\n\n{}\nCommand: `cargo run --release --example bench_report`{}. \
         Every table: contenders measured in one process, interleaved in a fresh shuffled order each round, median of {} rounds \
         (the network measures: medians of their own runs, see each). \
         \"corun ÷ this\" is corun's figure divided by the row's; **corun is behind** marks \
         a peer more than 5% better.",
        machine(),
        if smoke {
            " (SMOKE MODE: figures meaningless)"
        } else {
            ""
        },
        c.rounds
    );
    c.done(&format!("CPython ({})", c.py_src));

    local::generators(&mut c);
    local::yield_from(&mut c);
    local::spawn_switch(&mut c);
    local::channel_local(&mut c);
    local::timers(&mut c);
    parallel::multi_thread(&mut c);
    parallel::speedup(&mut c);
    parallel::echo(&mut c);
    parallel::http(&mut c);

    let _ = writeln!(c.md, "\n## Charts\n");
    for (file, what) in &c.charts {
        let _ = writeln!(c.md, "- [{file}]({file}): {what}");
    }
    let _ = writeln!(
        c.md,
        "\nTotal run time: {:.0} s.",
        started.elapsed().as_secs_f64()
    );
    std::fs::write(format!("{DIR}/REPORT.md"), &c.md).expect("write REPORT.md");
    if !smoke {
        std::fs::create_dir_all("docs/bench").expect("docs/bench");
        let files = c.charts.iter().map(|f| f.0).chain(["REPORT.md"]);
        for f in files {
            std::fs::copy(format!("{DIR}/{f}"), format!("docs/bench/{f}")).expect("copy");
        }
    }
    println!(
        "wrote {DIR}/REPORT.md in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}
