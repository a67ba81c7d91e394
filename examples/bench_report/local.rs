//! The single-thread sections: generators, `yield from`, spawn and switch,
//! a channel within a core, timers.

use crate::charts::{self, LineOpts, Panel};
use crate::measures as m;
use crate::{behind, fig, timers, Ctx};
use plotters::prelude::SeriesLabelPosition;
use std::fmt::Write as _;

pub fn generators(c: &mut Ctx) {
    let s = c.scale;
    let n = 20_000 * s;
    let send = c.run(&mut [
        &mut || m::send_corun(n),
        &mut || m::send_corosensei(n),
        &mut || m::depth_genawaiter(0, n),
        &mut || m::depth_generator_rs(0, n),
    ]);
    let names = ["corun", "raw corosensei", "genawaiter (rc)", "generator-rs"];
    let rows: Vec<_> = names.iter().copied().zip(send.iter().copied()).collect();
    c.table(
        "Generator send round trip",
        "One `send` into an endless echo generator.",
        "ns/op",
        &rows,
        true,
    );
    let py_send = c.py_line("generator send", &["send"], 33.0);

    let n = 2_000 * s;
    let create = c.run(&mut [
        &mut || m::create_corun(n),
        &mut || m::create_corosensei(n),
        &mut || m::create_genawaiter(n),
        &mut || m::create_generator_rs((n / 20).max(1)),
    ]);
    let names = [
        "corun",
        "raw corosensei, reused stack",
        "genawaiter (rc)",
        "generator-rs",
    ];
    let rows: Vec<_> = names.iter().copied().zip(create.iter().copied()).collect();
    c.table(
        "Generator creation: create + start + finish + drop",
        "A generator that yields once: made, started, sent one value so it returns, dropped. \
         corun takes its stack from a per-thread pool; raw corosensei hands one stack on by \
         hand (the floor for a stackful generator); genawaiter allocates its future on the \
         heap; generator-rs maps a fresh 32 KiB stack each time.",
        "ns/op",
        &rows,
        true,
    );
    let py_create = c.py_line(
        "generator create + next + finish",
        &["gen_create"],
        f64::NAN,
    );
    let mut p_send = bars(&names, &send);
    p_send[0].0 = "corun".into();
    p_send[1].0 = "raw corosensei".into();
    p_send.push(("CPython".into(), py_send));
    let mut p_create = bars(&names, &create);
    if py_create.is_finite() {
        p_create.push(("CPython".into(), py_create));
    }
    let path = c.chart("generators.svg", "generator send and creation");
    charts::bar_panels(
        &path,
        "Generators (ns per operation, log scale; shorter is better)",
        &[
            Panel {
                heading: "send round trip".into(),
                unit: "ns",
                bars: p_send,
                log: true,
            },
            Panel {
                heading: "create + start + finish + drop".into(),
                unit: "ns",
                bars: p_create,
                log: true,
            },
        ],
    );
}

/// A CPython figure the issue did not record reads "not measured".
pub fn bars(names: &[&str], v: &[f64]) -> Vec<(String, f64)> {
    names
        .iter()
        .map(|n| n.to_string())
        .zip(v.iter().copied())
        .collect()
}

pub fn yield_from(c: &mut Ctx) {
    let depths = [1usize, 2, 4, 8, 16, 32, 64];
    let rec = [51.0, 69.0, 109.0, 191.0, 373.0, 697.0, 1570.0];
    let names = ["corun", "generator-rs", "genawaiter relay", "CPython"];
    let mut lines: Vec<charts::Line> = names.iter().map(|n| (n.to_string(), vec![])).collect();
    let _ = writeln!(
        c.md,
        "\n## yield from: ns per value against depth\n\n\
         One value sent to the root of a chain of `yield_from` `depth` deep \
         (genawaiter has no `yield from`: each level relays by hand).\n\n\
         | depth | corun | generator-rs | genawaiter relay | CPython | corun ÷ generator-rs | |\n\
         | --- | --- | --- | --- | --- | --- | --- |"
    );
    for (k, &d) in depths.iter().enumerate() {
        let n = 5_000 * c.scale / (d as u64).min(16);
        let v = c.run(&mut [
            &mut || m::depth_corun(d, n),
            &mut || m::depth_generator_rs(d, n),
            &mut || m::depth_genawaiter(d, n),
        ]);
        let py_d = c.py_field(&["yield_from", &d.to_string()], rec[k]);
        for (i, x) in v.iter().chain([py_d].iter()).enumerate() {
            lines[i].1.push((d as f64, *x));
        }
        let note = behind(&names[..3], &v, true);
        let _ = writeln!(
            c.md,
            "| {d} | {} | {} | {} | {} | {:.2} | {note} |",
            fig(v[0]),
            fig(v[1]),
            fig(v[2]),
            fig(py_d),
            v[0] / v[1]
        );
    }
    c.done("yield from per depth");
    let path = c.chart("yield_from.svg", "yield from: ns per value against depth");
    charts::line_chart(
        &path,
        "yield from: ns per value against delegation depth",
        "depth (log scale)",
        "ns per value (log scale)",
        &lines,
        LineOpts {
            log_y: true,
            log2_x: true,
            ideal: false,
            legend: SeriesLabelPosition::UpperLeft,
        },
    );
}

pub fn spawn_switch(c: &mut Ctx) {
    let n = 200 * c.scale;
    let sp = c.run(&mut [
        &mut || m::spawn_corun(n),
        &mut || m::spawn_tokio(n),
        &mut || m::spawn_may((n / 10).max(1)),
        &mut || m::spawn_local_pool(n),
    ]);
    let peers = [
        "corun",
        "tokio LocalSet",
        "may (1 worker)",
        "futures LocalPool",
    ];
    c.table(
        "Spawn + join, one at a time",
        "Spawn a trivial task and join it, on one thread. may runs its coroutines on its \
         worker thread, so each join here parks and wakes an OS thread: that measures this \
         VM's thread wake-up (tens of µs) more than may.",
        "ns/op",
        &rows(&peers, &sp),
        true,
    );
    let n = 2_000 * c.scale;
    let sw = c.run(&mut [
        &mut || m::switch_corun(n),
        &mut || m::switch_tokio(n),
        &mut || m::switch_may(n),
    ]);
    c.table(
        "yield_now ping-pong, per switch",
        "Two tasks calling `yield_now` in turn.",
        "ns/op",
        &rows(&peers[..3], &sw),
        true,
    );
    let (pt, ps) = (
        c.py_field(&["asyncio_task"], 4600.0),
        c.py_field(&["asyncio_switch"], 2900.0),
    );
    let _ = writeln!(
        c.md,
        "\nCPython asyncio task create+run {} ns, sleep(0) switch {} ns ({}).",
        fig(pt),
        fig(ps),
        c.py_src
    );
    let mut a = bars(&peers, &sp);
    a.push(("CPython asyncio".into(), pt));
    let mut b = bars(&peers[..3], &sw);
    b.push(("CPython asyncio".into(), ps));
    let path = c.chart("spawn_switch.svg", "spawn + join and yield switch");
    charts::bar_panels(
        &path,
        "Tasks on one thread (ns, log scale; shorter is better)",
        &[
            Panel {
                heading: "spawn + join, one at a time".into(),
                unit: "ns",
                bars: a,
                log: true,
            },
            Panel {
                heading: "yield_now switch".into(),
                unit: "ns",
                bars: b,
                log: true,
            },
        ],
    );
}

pub fn rows<'a>(names: &[&'a str], v: &[f64]) -> Vec<(&'a str, f64)> {
    names.iter().copied().zip(v.iter().copied()).collect()
}

pub fn channel_local(c: &mut Ctx) {
    let n = 10_000 * c.scale;
    let v = c.run(&mut [&mut || m::chan_corun(n), &mut || m::chan_tokio(n)]);
    c.table(
        "Channel within a core, per message",
        "Producer and consumer task on one executor, capacity 1024.",
        "ns/op",
        &rows(&["corun sync::channel", "tokio mpsc (LocalSet)"], &v),
        true,
    );
}

pub fn timers(c: &mut Ctx) {
    let n: u64 = if c.smoke { 1_000 } else { 10_000 };
    let (mut a, mut u, mut b, mut d) = (
        timers::corun_sleepers(false),
        timers::corun_sleepers(true),
        timers::tokio_sleepers(),
        timers::may_sleepers(),
    );
    let v = c.run(&mut [&mut || a(n), &mut || u(n), &mut || b(n), &mut || d(n)]);
    let names = [
        "corun (guarded stacks, the default)",
        "corun, unguarded carved stacks (unsafe opt-in)",
        "tokio LocalSet",
        "may (1 worker)",
    ];
    c.table(
        &format!("Timers: {} sleeping tasks", fig(n as f64)),
        &format!(
            "{} tasks spawned at once, each sleeping a pseudo-random 1–4 ms, then all joined. \
             Figure: (wall time − the longest sleep) ÷ tasks, what the runtime adds per \
             sleeping task (spawn, timer registration, wake-up, join). tokio's timer wheel \
             rounds sleeps up to whole milliseconds; corun's timers are exact to tens of µs. \
             Every corun task is stackful: its stacks come warm from the per-thread pool (no \
             system call after the first round), but 10,000 of them alive at once do not fit \
             in the caches, and each task's first run and wake-up wait on memory for its \
             frames (about 700 bytes at a sleep), where tokio's tasks are a few hundred bytes \
             of heap each: that is most of corun's figure.",
            fig(n as f64)
        ),
        "ns per task",
        &rows(&names, &v),
        true,
    );
    let py = c.py_line(
        "asyncio, 10,000 sleeping tasks the same way, per task",
        &["asyncio_sleepers"],
        f64::NAN,
    );
    let short = [
        "corun",
        "corun, unguarded stacks",
        "tokio LocalSet",
        "may (1 worker)",
    ];
    let mut p = bars(&short, &v);
    if py.is_finite() {
        p.push(("CPython asyncio".into(), py));
    }
    let path = c.chart("timers.svg", "timers: sleeping tasks");
    charts::bar_panels(
        &path,
        "Timers (ns per sleeping task above the longest sleep; shorter is better)",
        &[Panel {
            heading: format!("{} tasks, each sleeping 1–4 ms, log scale", fig(n as f64)),
            unit: "ns",
            bars: p,
            log: true,
        }],
    );
}
