//! SVG charts (plotters, SVG backend only): line charts for figures against
//! a parameter, horizontal bar panels for contenders side by side.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// One named line: (x, y) points.
pub type Line = (String, Vec<(f64, f64)>);

/// One panel of bars: its heading and (contender, value) pairs, corun first.
pub struct Panel {
    pub heading: String,
    pub unit: &'static str,
    pub bars: Vec<(String, f64)>,
    pub log: bool,
}

const COLORS: [RGBColor; 6] = [
    RGBColor(214, 39, 40),  // corun: red, always first
    RGBColor(31, 119, 180), // blue
    RGBColor(44, 160, 44),  // green
    RGBColor(148, 103, 189),
    RGBColor(255, 127, 14),
    RGBColor(23, 190, 207),
];

/// How a line chart lays out its axes.
pub struct LineOpts {
    pub log_y: bool,
    /// x values are powers of two, spaced evenly (delegation depths).
    pub log2_x: bool,
    /// Draw y = x (ideal speedup).
    pub ideal: bool,
    pub legend: SeriesLabelPosition,
}

/// Draws `lines` into `path`, a marker at every measured point.
pub fn line_chart(path: &str, title: &str, x: &str, y: &str, lines: &[Line], o: LineOpts) {
    let root = SVGBackend::new(path, (800, 460)).into_drawing_area();
    root.fill(&WHITE).expect("fill");
    let tx = |v: f64| if o.log2_x { v.log2() } else { v };
    let pts: Vec<(f64, f64)> = lines
        .iter()
        .flat_map(|l| l.1.iter().map(|&(a, b)| (tx(a), b)))
        .collect();
    let xmin = pts.iter().map(|p| p.0).fold(f64::MAX, f64::min).min(1.0);
    let xmax = pts.iter().map(|p| p.0).fold(1.0, f64::max);
    let (xlo, xhi) = (xmin - 0.3, xmax + 0.3);
    let ymax = pts.iter().map(|p| p.1).fold(1.0, f64::max);
    let ymax = if o.ideal { ymax.max(xmax) } else { ymax };
    let ymin = pts.iter().map(|p| p.1).fold(f64::MAX, f64::min);
    let mut b = ChartBuilder::on(&root);
    b.caption(title, ("sans-serif", 20))
        .margin(14)
        .x_label_area_size(42)
        .y_label_area_size(70);
    let xfmt = |v: &f64| {
        if o.log2_x {
            format!("{}", 2f64.powf(*v).round())
        } else {
            format!("{v}")
        }
    };
    let xticks = (xmax - xmin).round() as usize + 1;
    macro_rules! draw {
        ($chart:expr, $yfmt:expr) => {{
            let mut c = $chart;
            c.configure_mesh()
                .x_desc(x)
                .y_desc(y)
                .x_labels(xticks)
                .x_label_formatter(&xfmt)
                .y_label_formatter(&$yfmt)
                .label_style(("sans-serif", 14))
                .axis_desc_style(("sans-serif", 15))
                .light_line_style(WHITE.mix(0.0))
                .draw()
                .expect("mesh");
            if o.ideal {
                let col = RGBColor(150, 150, 150);
                c.draw_series(LineSeries::new(
                    [(1.0, 1.0), (xmax, xmax)],
                    col.stroke_width(1),
                ))
                .expect("ideal")
                .label("ideal (y = x)")
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], col));
            }
            for (i, (name, p)) in lines.iter().enumerate() {
                let col = COLORS[i % COLORS.len()];
                let p: Vec<(f64, f64)> = p.iter().map(|&(a, b)| (tx(a), b)).collect();
                c.draw_series(LineSeries::new(p.clone(), col.stroke_width(2)))
                    .expect("series")
                    .label(name.as_str())
                    .legend(move |(x, y)| {
                        PathElement::new([(x, y), (x + 18, y)], col.stroke_width(3))
                    });
                c.draw_series(p.into_iter().map(|q| Circle::new(q, 4, col.filled())))
                    .expect("markers");
            }
            c.configure_series_labels()
                .background_style(WHITE.mix(0.9))
                .border_style(BLACK)
                .label_font(("sans-serif", 14))
                .position(o.legend)
                .draw()
                .expect("legend");
        }};
    }
    if o.log_y {
        // Base 2: a label at every doubling, where base 10 leaves one or two.
        let yr = (ymin / 1.6..ymax * 1.6).log_scale().base(2.0);
        draw!(
            b.build_cartesian_2d(xlo..xhi, yr).expect("axes"),
            |v: &f64| short(*v)
        );
    } else {
        draw!(
            b.build_cartesian_2d(xlo..xhi, 0.0..ymax * 1.15)
                .expect("axes"),
            |v: &f64| format!("{v:.1}")
        );
    }
    root.present().expect("write the SVG");
}

/// A figure with few characters: 1.2k, 35, 0.5.
pub fn short(v: f64) -> String {
    if v >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if v >= 1e4 {
        format!("{:.0}k", v / 1e3)
    } else if v >= 1e3 {
        format!("{:.1}k", v / 1e3).replace(".0k", "k")
    } else if v >= 10.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// Panels of horizontal bars stacked top to bottom; each bar is labelled
/// with its contender and value at its end, so no label can overlap.
pub fn bar_panels(path: &str, title: &str, panels: &[Panel]) {
    let heights: Vec<u32> = panels
        .iter()
        .map(|p| 70 + 34 * p.bars.len() as u32)
        .collect();
    let total = 50 + heights.iter().sum::<u32>();
    let root = SVGBackend::new(path, (800, total)).into_drawing_area();
    root.fill(&WHITE).expect("fill");
    let root = root.titled(title, ("sans-serif", 20)).expect("title");
    let mut rest = root;
    for (p, h) in panels.iter().zip(heights) {
        let (top, bottom) = rest.split_vertically(h);
        bar_panel(&top, p);
        rest = bottom;
    }
    rest.present().expect("write the SVG");
}

fn bar_panel(area: &DrawingArea<SVGBackend<'_>, Shift>, p: &Panel) {
    let k = p.bars.len();
    let vmax = p.bars.iter().map(|b| b.1).fold(f64::MIN, f64::max);
    let vmin = p.bars.iter().map(|b| b.1).fold(f64::MAX, f64::min);
    let mut b = ChartBuilder::on(area);
    b.caption(&p.heading, ("sans-serif", 16))
        .margin_left(20)
        .margin_right(20)
        .x_label_area_size(30)
        .y_label_area_size(4);
    let label =
        TextStyle::from(("sans-serif", 14).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
    // Row 0 at the top: corun first.
    let row = |i: usize| (k - 1 - i) as f64;
    macro_rules! draw {
        ($chart:expr, $x0:expr) => {{
            let mut c = $chart;
            c.configure_mesh()
                .disable_y_mesh()
                .disable_y_axis()
                .x_desc(p.unit)
                .x_label_formatter(&|v: &f64| short(*v))
                .label_style(("sans-serif", 13))
                .light_line_style(WHITE.mix(0.0))
                .draw()
                .expect("mesh");
            for (i, (name, v)) in p.bars.iter().enumerate() {
                let col = COLORS[i % COLORS.len()];
                let y = row(i);
                c.draw_series([Rectangle::new(
                    [($x0, y + 0.18), (*v, y + 0.82)],
                    col.filled(),
                )])
                .expect("bar");
                let text = format!("{name}: {} {}", short(*v), p.unit);
                c.draw_series([
                    EmptyElement::at((*v, y + 0.5)) + Text::new(text, (6, 0), label.clone())
                ])
                .expect("label");
            }
        }};
    }
    if p.log {
        let x0 = vmin / 3.0;
        draw!(
            b.build_cartesian_2d((x0..vmax * 60.0).log_scale(), 0.0..k as f64)
                .expect("axes"),
            x0
        );
    } else {
        draw!(
            b.build_cartesian_2d(0.0..vmax * 1.7, 0.0..k as f64)
                .expect("axes"),
            0.0
        );
    }
}
