//! The README's benchmark figure, written as SVG by hand (two panels: grouped bars and
//! lines), so the bench needs no plotting dependency.

use std::fmt::Write;

/// One named series of values, one per group (bars) or per x (lines).
pub struct Series {
    pub name: String,
    pub values: Vec<f64>,
}

/// A panel: its title, the labels of its groups or x values, the y axis's unit, the series.
pub struct Panel {
    pub title: String,
    pub labels: Vec<String>,
    pub unit: String,
    pub series: Vec<Series>,
}

const WIDTH: f64 = 1000.0;
const HEIGHT: f64 = 460.0;
const PANEL_WIDTH: f64 = WIDTH / 2.0;
const TOP: f64 = 50.0;
const PLOT_HEIGHT: f64 = 280.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 20.0;
const COLORS: [&str; 5] = ["#1f77b4", "#d62728", "#ff7f0e", "#7f7f7f", "#2ca02c"];

/// A "nice" top for an axis holding `max`: 1, 2 or 5 times a power of ten.
fn axis_top(max: f64) -> f64 {
    if max <= 0.0 || !max.is_finite() {
        return 1.0;
    }
    let power = 10f64.powf(max.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|step| step * power)
        .find(|top| *top >= max)
        .unwrap_or(10.0 * power)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The title, y axis with five ticks, and legend of a panel starting at `x0`; returns the
/// y scale (value → pixel).
fn frame(svg: &mut String, x0: f64, panel: &Panel) -> impl Fn(f64) -> f64 {
    let max = panel
        .series
        .iter()
        .flat_map(|series| series.values.iter().copied())
        .fold(0.0, f64::max);
    let top = axis_top(max);
    let bottom = TOP + PLOT_HEIGHT;
    let _ = writeln!(
        svg,
        r#"<text x="{:.0}" y="24" font-size="15" font-weight="bold">{}</text>"#,
        x0 + LEFT - 40.0,
        escape(&panel.title)
    );
    for tick in 0..=4 {
        let value = top * tick as f64 / 4.0;
        let y = bottom - PLOT_HEIGHT * tick as f64 / 4.0;
        let _ = writeln!(
            svg,
            r##"<line x1="{:.0}" x2="{:.0}" y1="{y:.1}" y2="{y:.1}" stroke="#ddd"/><text x="{:.0}" y="{:.1}" font-size="11" text-anchor="end">{}</text>"##,
            x0 + LEFT,
            x0 + PANEL_WIDTH - RIGHT,
            x0 + LEFT - 6.0,
            y + 4.0,
            format_value(value)
        );
    }
    let _ = writeln!(
        svg,
        r#"<text x="{:.0}" y="{:.0}" font-size="11" transform="rotate(-90 {:.0} {:.0})" text-anchor="middle">{}</text>"#,
        x0 + 14.0,
        TOP + PLOT_HEIGHT / 2.0,
        x0 + 14.0,
        TOP + PLOT_HEIGHT / 2.0,
        escape(&panel.unit)
    );
    for (index, series) in panel.series.iter().enumerate() {
        let y = bottom + 48.0 + 16.0 * index as f64;
        let _ = writeln!(
            svg,
            r#"<rect x="{:.0}" y="{:.0}" width="10" height="10" fill="{}"/><text x="{:.0}" y="{:.0}" font-size="11">{}</text>"#,
            x0 + LEFT,
            y - 9.0,
            COLORS[index % COLORS.len()],
            x0 + LEFT + 16.0,
            y,
            escape(&series.name)
        );
    }
    move |value: f64| bottom - PLOT_HEIGHT * (value / top).clamp(0.0, 1.0)
}

/// 1234567 → "1.2M", 4022 → "4,022", 818.2 → "818", 0.5 → "0.5".
fn format_value(value: f64) -> String {
    if value >= 1e6 {
        format!("{:.1}M", value / 1e6)
    } else if value >= 1000.0 {
        let whole = value.round() as u64;
        format!("{},{:03}", whole / 1000, whole % 1000)
    } else if value >= 100.0 || value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

fn bars(svg: &mut String, x0: f64, panel: &Panel) {
    let y_of = frame(svg, x0, panel);
    let groups = panel.labels.len().max(1) as f64;
    let group_width = (PANEL_WIDTH - LEFT - RIGHT) / groups;
    let bar_width = group_width * 0.8 / panel.series.len().max(1) as f64;
    for (group, label) in panel.labels.iter().enumerate() {
        let gx = x0 + LEFT + group_width * group as f64 + group_width * 0.1;
        for (index, series) in panel.series.iter().enumerate() {
            let Some(&value) = series.values.get(group) else {
                continue;
            };
            if !value.is_finite() {
                continue;
            }
            let y = y_of(value);
            let x = gx + bar_width * index as f64;
            let _ = writeln!(
                svg,
                r#"<rect x="{x:.1}" y="{y:.1}" width="{:.1}" height="{:.1}" fill="{}"><title>{}: {}</title></rect><text x="{:.1}" y="{:.1}" font-size="9" text-anchor="middle">{}</text>"#,
                bar_width - 2.0,
                TOP + PLOT_HEIGHT - y,
                COLORS[index % COLORS.len()],
                escape(&series.name),
                format_value(value),
                x + (bar_width - 2.0) / 2.0,
                y - 3.0,
                format_value(value)
            );
        }
        let _ = writeln!(
            svg,
            r#"<text x="{:.1}" y="{:.0}" font-size="11" text-anchor="middle">{}</text>"#,
            gx + group_width * 0.4,
            TOP + PLOT_HEIGHT + 16.0,
            escape(label)
        );
    }
}

fn lines(svg: &mut String, x0: f64, panel: &Panel) {
    let y_of = frame(svg, x0, panel);
    let points = panel.labels.len().max(2) as f64;
    let x_of = |index: usize| {
        x0 + LEFT + 50.0 + (PANEL_WIDTH - LEFT - RIGHT - 100.0) * index as f64 / (points - 1.0)
    };
    for (index, label) in panel.labels.iter().enumerate() {
        let _ = writeln!(
            svg,
            r#"<text x="{:.1}" y="{:.0}" font-size="11" text-anchor="middle">{}</text>"#,
            x_of(index),
            TOP + PLOT_HEIGHT + 16.0,
            escape(label)
        );
    }
    for (index, series) in panel.series.iter().enumerate() {
        let color = COLORS[index % COLORS.len()];
        let path: Vec<String> = series
            .values
            .iter()
            .enumerate()
            .map(|(point, value)| format!("{:.1},{:.1}", x_of(point), y_of(*value)))
            .collect();
        let _ = writeln!(
            svg,
            r#"<polyline points="{}" fill="none" stroke="{color}" stroke-width="2"/>"#,
            path.join(" ")
        );
        for (point, value) in series.values.iter().enumerate() {
            let _ = writeln!(
                svg,
                r#"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{color}"><title>{}: {}</title></circle>"#,
                x_of(point),
                y_of(*value),
                escape(&series.name),
                format_value(*value)
            );
        }
    }
}

/// The whole figure: `left` as grouped bars, `right` as lines, and a caption line.
pub fn figure(left: &Panel, right: &Panel, caption: &str) -> String {
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH:.0}" height="{HEIGHT:.0}" viewBox="0 0 {WIDTH:.0} {HEIGHT:.0}" font-family="sans-serif">"#
    );
    let _ = writeln!(
        svg,
        r#"<rect width="{WIDTH:.0}" height="{HEIGHT:.0}" fill="white"/>"#
    );
    bars(&mut svg, 0.0, left);
    lines(&mut svg, PANEL_WIDTH, right);
    let _ = writeln!(
        svg,
        r##"<text x="10" y="{:.0}" font-size="10" fill="#555">{}</text>"##,
        HEIGHT - 8.0,
        escape(caption)
    );
    svg.push_str("</svg>\n");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_tops_are_round_and_hold_the_maximum() {
        assert_eq!(axis_top(4022.0), 5000.0);
        assert_eq!(axis_top(1_113_118.0), 2_000_000.0);
        assert_eq!(axis_top(307.0), 500.0);
        assert_eq!(axis_top(0.0), 1.0);
    }

    #[test]
    fn values_read_as_the_readme_writes_them() {
        assert_eq!(format_value(1_113_118.0), "1.1M");
        assert_eq!(format_value(4022.0), "4,022");
        assert_eq!(format_value(307.0), "307");
        assert_eq!(format_value(818.2), "818");
        assert_eq!(format_value(0.5), "0.5");
    }

    #[test]
    fn the_figure_is_one_svg_with_every_series_named_and_text_escaped() {
        let panel = |name: &str| Panel {
            title: "a <b> & c".to_owned(),
            labels: vec!["1".to_owned(), "2".to_owned()],
            unit: "ns".to_owned(),
            series: vec![Series {
                name: name.to_owned(),
                values: vec![1.0, 2.0],
            }],
        };
        let svg = figure(&panel("left one"), &panel("right one"), "caption");
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
        assert!(svg.contains("left one") && svg.contains("right one"));
        assert!(svg.contains("a &lt;b&gt; &amp; c") && !svg.contains("<b>"));
    }
}
