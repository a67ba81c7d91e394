//! SVG line charts (plotters, SVG backend only).

use plotters::prelude::*;

/// One named line: (x, y) points.
pub type Line = (String, Vec<(f64, f64)>);

/// Draws `lines` into `path`; `log_y` for ns figures spanning decades.
pub fn line_chart(path: &str, title: &str, x: &str, y: &str, lines: &[Line], log_y: bool) {
    let root = SVGBackend::new(path, (760, 440)).into_drawing_area();
    root.fill(&WHITE).expect("fill");
    let pts = lines.iter().flat_map(|l| l.1.iter());
    let xmax = pts.clone().map(|p| p.0).fold(1.0, f64::max);
    let ymax = pts.clone().map(|p| p.1).fold(1.0, f64::max) * 1.3;
    let ymin = pts.map(|p| p.1).fold(f64::MAX, f64::min).max(0.1) / 1.5;
    let colors = [RED, BLUE, GREEN, MAGENTA, BLACK, CYAN];
    let mut b = ChartBuilder::on(&root);
    b.caption(title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(60);
    macro_rules! draw {
        ($chart:expr) => {{
            let mut c = $chart;
            c.configure_mesh().x_desc(x).y_desc(y).draw().expect("mesh");
            for (i, (name, p)) in lines.iter().enumerate() {
                let col = colors[i % colors.len()];
                c.draw_series(LineSeries::new(p.clone(), col.stroke_width(2)))
                    .expect("series")
                    .label(name.as_str())
                    .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], col));
            }
            c.configure_series_labels()
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .position(SeriesLabelPosition::UpperLeft)
                .draw()
                .expect("legend");
        }};
    }
    if log_y {
        draw!(b
            .build_cartesian_2d(0.0..xmax * 1.05, (ymin..ymax).log_scale())
            .expect("axes"));
    } else {
        draw!(b
            .build_cartesian_2d(0.0..xmax * 1.05, 0.0..ymax)
            .expect("axes"));
    }
    root.present().expect("write the SVG");
}
