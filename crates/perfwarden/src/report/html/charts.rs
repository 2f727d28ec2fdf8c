//! The report's charts, each an SVG string drawn by plotters (`SVGBackend` into a String).
//! A chart with nothing to draw is `None`, and so is one plotters fails on: a report with
//! a chart missing is still a report.

use std::collections::BTreeMap;

use plotters::prelude::*;

use crate::gate::{MetricComparison, Observed, Verdict, convert};
use crate::results::{Chart, Metric, Run, Unit};

const WIDTH: u32 = 960;

fn color(i: usize) -> RGBColor {
    let c = Palette99::pick(i).to_rgba();
    RGBColor(c.0, c.1, c.2)
}

/// A padded range around `values` that starts at 0 for non-negative data.
fn y_range(values: impl Iterator<Item = f64>) -> Option<std::ops::Range<f64>> {
    let v: Vec<f64> = values.filter(|v| v.is_finite()).collect();
    let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let min = v.iter().copied().fold(f64::INFINITY, f64::min).min(0.0);
    if v.is_empty() {
        return None;
    }
    let top = if max > min {
        max + (max - min) * 0.1
    } else {
        min + 1.0
    };
    Some(min..top)
}

/// Whether the x axis is ordered (sizes, time: a line shows the trend) or only categories
/// (collections, window profiles: a line between them would invent one).
#[derive(Clone, Copy, PartialEq, Eq)]
enum X {
    Ordered,
    Categories,
}

/// Series of (label, points) drawn as lines with dots over an ordered x, as markers alone
/// over categories or where a series has one point; x labelled by `x_names`.
fn line_chart(
    title_y: &str,
    x: X,
    x_names: &[String],
    series: &[(String, Vec<(f64, f64)>)],
    hline: Option<(f64, &str)>,
) -> Option<String> {
    let y = y_range(
        series
            .iter()
            .flat_map(|(_, p)| p.iter().map(|p| p.1))
            .chain(hline.map(|h| h.0)),
    )?;
    let x_max = x_names.len().max(2) as f64 - 0.5;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, 380)).into_drawing_area();
        root.fill(&WHITE).ok()?;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(70)
            .build_cartesian_2d(-0.5f64..x_max, y)
            .ok()?;
        let names = x_names.to_vec();
        let fmt = move |x: &f64| {
            let i = x.round();
            if (x - i).abs() < 1e-6 && i >= 0.0 {
                names.get(i as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        };
        chart
            .configure_mesh()
            .x_labels(x_names.len().max(2) * 2 + 1)
            .x_label_formatter(&fmt)
            .y_desc(title_y)
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .ok()?;
        if let Some((v, label)) = hline {
            let red = RGBColor(36, 41, 47);
            chart
                .draw_series(LineSeries::new(
                    vec![(-0.5, v), (x_max, v)],
                    red.stroke_width(2),
                ))
                .ok()?
                .label(label.to_string())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], red));
        }
        for (i, (name, points)) in series.iter().enumerate() {
            let c = color(i);
            if x == X::Categories || points.len() == 1 {
                // One point, or points of unordered categories, make no trend: markers.
                chart
                    .draw_series(points.iter().map(|&p| Circle::new(p, 5, c.filled())))
                    .ok()?
                    .label(name.clone())
                    .legend(move |(x, y)| Circle::new((x + 9, y), 5, c.filled()));
                continue;
            }
            chart
                .draw_series(LineSeries::new(points.clone(), c.stroke_width(2)))
                .ok()?
                .label(name.clone())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2))
                });
            chart
                .draw_series(points.iter().map(|&p| Circle::new(p, 3, c.filled())))
                .ok()?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .draw()
            .ok()?;
        root.present().ok()?;
    }
    Some(svg)
}

/// Draws `chart` from the metrics of `suite` in `run`: (title, SVG) pairs, none when there is
/// nothing to draw.
pub fn draw(chart: &Chart, suite: &str, run: &Run) -> Vec<(String, String)> {
    let metrics: Vec<&Metric> = run.metrics.iter().filter(|m| m.suite == suite).collect();
    match chart {
        Chart::Percentiles {
            title,
            metrics: names,
            labels,
        } => percentiles(&metrics, names, labels)
            .map(|svg| (title.clone(), svg))
            .into_iter()
            .collect(),
        Chart::SizeSweep {
            title,
            metric,
            y_label,
            skip,
        } => size_sweep(&metrics, title, metric, y_label, skip),
        Chart::RateOverTime {
            title,
            metric,
            target,
            y_label,
        } => rate_over_time(&metrics, title, metric, target, y_label),
    }
}

/// One line per benchmark through the statistics `names` (ms), x labelled by `labels`.
fn percentiles(metrics: &[&Metric], names: &[String], labels: &[String]) -> Option<String> {
    let mut by_bench: BTreeMap<&str, Vec<(f64, f64)>> = BTreeMap::new();
    for m in metrics {
        if let Some(i) = names.iter().position(|s| *s == m.metric)
            && let Some(ms) = convert(m.value, m.unit, Unit::Milliseconds)
        {
            by_bench
                .entry(&m.benchmark)
                .or_default()
                .push((i as f64, ms));
        }
    }
    let series: Vec<(String, Vec<(f64, f64)>)> = by_bench
        .into_iter()
        .map(|(b, mut p)| {
            p.sort_by(|a, b| a.0.total_cmp(&b.0));
            (b.to_string(), p)
        })
        .collect();
    line_chart("latency (ms)", X::Ordered, labels, &series, None)
}

/// `4MB` or `1MB/rtt10ms` → size in MB for ordering.
fn size_mb(size: &str) -> f64 {
    size.trim_end_matches("MB").parse().unwrap_or(f64::MAX)
}

/// `metric` of benchmarks `<series>/<group>/<size>[/<more>]`: one chart per group (and
/// more) with the sizes on x and a line per series, or one chart across the series when
/// every group has a single size.
fn size_sweep(
    metrics: &[&Metric],
    title: &str,
    metric: &str,
    y_label: &str,
    skip: &[String],
) -> Vec<(String, String)> {
    // (group and more) -> series -> size -> value
    let mut charts: ByGroup = BTreeMap::new();
    for m in metrics.iter().filter(|m| m.metric == metric) {
        let parts: Vec<&str> = m.benchmark.split('/').collect();
        let [series, group, size, rest @ ..] = parts.as_slice() else {
            continue;
        };
        if skip.iter().any(|s| s == series) {
            continue;
        }
        let key = if rest.is_empty() {
            group.to_string()
        } else {
            format!("{group} {}", rest.join("/"))
        };
        charts
            .entry(key)
            .or_default()
            .entry(series.to_string())
            .or_default()
            .push((size.to_string(), m.value));
    }
    let one_size = charts.values().all(|by_series| {
        let sizes: std::collections::BTreeSet<&str> = by_series
            .values()
            .flatten()
            .map(|(s, _)| s.as_str())
            .collect();
        sizes.len() <= 1
    });
    if one_size && !charts.is_empty() {
        return by_series(&charts, y_label)
            .map(|svg| (format!("{title} (one payload size)"), svg))
            .into_iter()
            .collect();
    }
    let mut out = Vec::new();
    for (key, by) in charts {
        let mut sizes: Vec<String> = by.values().flatten().map(|(s, _)| s.clone()).collect();
        sizes.sort_by(|a, b| size_mb(a).total_cmp(&size_mb(b)).then(a.cmp(b)));
        sizes.dedup();
        let series: Vec<(String, Vec<(f64, f64)>)> = by
            .into_iter()
            .map(|(p, points)| {
                let mut pts: Vec<(f64, f64)> = points
                    .iter()
                    .filter_map(|(s, v)| Some((sizes.iter().position(|x| x == s)? as f64, *v)))
                    .collect();
                pts.sort_by(|a, b| a.0.total_cmp(&b.0));
                (p, pts)
            })
            .collect();
        if let Some(svg) = line_chart(y_label, X::Ordered, &sizes, &series, None) {
            out.push((format!("{title} and size: {key}"), svg));
        }
    }
    out
}

/// Values per chart key (group and more), series and size.
type ByGroup = BTreeMap<String, BTreeMap<String, Vec<(String, f64)>>>;

/// With one size per group, one chart: x the series (categories, so markers), one series
/// per group at its size.
fn by_series(charts: &ByGroup, y_label: &str) -> Option<String> {
    let names: Vec<String> = charts
        .values()
        .flat_map(|p| p.keys().cloned())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let series: Vec<(String, Vec<(f64, f64)>)> = charts
        .iter()
        .map(|(key, by)| {
            let size = by.values().flatten().next().map_or("", |(s, _)| s.as_str());
            let points = names
                .iter()
                .enumerate()
                .filter_map(|(i, p)| Some((i as f64, by.get(p)?.first()?.1)))
                .collect();
            (format!("{key} {size}"), points)
        })
        .collect();
    line_chart(y_label, X::Categories, &names, &series, None)
}

/// The per-second samples of `metric`, one chart per benchmark that kept them, against the
/// value of the benchmark's `target` metric.
fn rate_over_time(
    metrics: &[&Metric],
    title: &str,
    metric: &str,
    target: &str,
    y_label: &str,
) -> Vec<(String, String)> {
    let find = |bench: &str, name: &str| -> Option<&Metric> {
        metrics
            .iter()
            .copied()
            .find(|m| m.benchmark == bench && m.metric == name)
    };
    let mut out = Vec::new();
    for m in metrics.iter().filter(|m| m.metric == metric) {
        let Some(samples) = m.samples.as_ref().filter(|s| !s.is_empty()) else {
            continue;
        };
        let points: Vec<(f64, f64)> = samples
            .iter()
            .enumerate()
            .map(|(i, v)| (i as f64, *v))
            .collect();
        let names: Vec<String> = (0..samples.len()).map(|i| format!("{}s", i + 1)).collect();
        let line = find(&m.benchmark, target).map(|t| (t.value, target));
        let series = vec![(metric.to_string(), points)];
        if let Some(svg) = line_chart(y_label, X::Ordered, &names, &series, line) {
            out.push((format!("{title}: {}", m.benchmark), svg));
        }
    }
    out
}

/// The most rows the interval chart shows; the verdict table lists every metric.
pub const MAX_INTERVAL_ROWS: usize = 40;

/// The (lower, upper) whisker of an observation: its interval, else ±1.96 standard errors.
fn whisker(o: &Observed) -> Option<(f64, f64)> {
    if let Some(ci) = o.ci {
        return Some((ci.lower, ci.upper));
    }
    let (sd, n) = (o.std_dev?, o.sample_count?);
    (n > 0).then(|| {
        let half = 1.96 * sd / (n as f64).sqrt();
        (o.value - half, o.value + half)
    })
}

/// Baseline vs current for every metric measured on both sides, as a dot-and-whisker chart
/// of values relative to the baseline (100%): grey the baseline, coloured the current (red
/// when the gate failed it), with the threshold band drawn around 100%.
pub fn intervals(rows: &[&MetricComparison]) -> Option<String> {
    let mut rows: Vec<&&MetricComparison> = rows
        .iter()
        .filter(|m| m.baseline.as_ref().is_some_and(|b| b.value != 0.0) && m.current.is_some())
        .collect();
    if rows.is_empty() {
        return None;
    }
    rows.sort_by(|a, b| {
        a.verdict.cmp(&b.verdict).then(
            b.change
                .unwrap_or(0.0)
                .abs()
                .total_cmp(&a.change.unwrap_or(0.0).abs()),
        )
    });
    rows.truncate(MAX_INTERVAL_ROWS);
    let rel = |v: f64, base: f64| v / base * 100.0;
    let mut xs = vec![100.0];
    let mut drawn = Vec::new();
    for m in &rows {
        let (b, c) = (m.baseline.as_ref()?, m.current.as_ref()?);
        let bw = whisker(b).map(|(l, u)| (rel(l, b.value), rel(u, b.value)));
        let cw = whisker(c).map(|(l, u)| (rel(l, b.value), rel(u, b.value)));
        let cv = rel(c.value, b.value);
        xs.extend([cv, 100.0 + m.threshold * 100.0, 100.0 - m.threshold * 100.0]);
        xs.extend(bw.iter().chain(cw.iter()).flat_map(|&(l, u)| [l, u]));
        drawn.push((m, bw, cv, cw));
    }
    let finite = xs.iter().copied().filter(|x| x.is_finite());
    let lo = finite.clone().fold(f64::INFINITY, f64::min);
    let hi = finite.fold(f64::NEG_INFINITY, f64::max);
    let pad = ((hi - lo) * 0.05).max(1.0);
    let n = drawn.len();
    let labels: Vec<String> = drawn
        .iter()
        .map(|(m, ..)| {
            let id = format!("{}/{}", m.benchmark, m.metric);
            if id.chars().count() > 48 {
                format!(
                    "…{}",
                    id.chars()
                        .rev()
                        .take(47)
                        .collect::<Vec<_>>()
                        .into_iter()
                        .rev()
                        .collect::<String>()
                )
            } else {
                id
            }
        })
        .collect();
    let mut svg = String::new();
    {
        let height = 70 + 24 * n as u32;
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).ok()?;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(34)
            .y_label_area_size(330)
            .build_cartesian_2d((lo - pad)..(hi + pad), 0f64..n as f64)
            .ok()?;
        let fmt = move |y: &f64| {
            let i = (n as f64 - y - 0.5).round();
            if (n as f64 - y - 0.5 - i).abs() < 1e-6 && i >= 0.0 {
                labels.get(i as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        };
        chart
            .configure_mesh()
            .y_labels(2 * n + 1)
            .y_label_formatter(&fmt)
            .x_desc("% of the baseline value")
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .ok()?;
        let grey = RGBColor(110, 119, 129);
        for (i, (m, bw, cv, cw)) in drawn.iter().enumerate() {
            let y = n as f64 - i as f64 - 0.5;
            let t = m.threshold * 100.0;
            let band = RGBColor(234, 238, 242);
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(100.0 - t, y - 0.45), (100.0 + t, y + 0.45)],
                    band.filled(),
                )))
                .ok()?;
            let current = match m.verdict {
                Verdict::Critical | Verdict::Regression if m.fails => RGBColor(207, 34, 46),
                Verdict::Improvement => RGBColor(26, 127, 55),
                _ => RGBColor(9, 105, 218),
            };
            for (whisk, value, dy, c) in [(bw, 100.0, 0.15, grey), (cw, *cv, -0.15, current)] {
                if let Some((l, u)) = whisk {
                    chart
                        .draw_series(LineSeries::new(
                            vec![(*l, y + dy), (*u, y + dy)],
                            c.stroke_width(2),
                        ))
                        .ok()?;
                }
                if value.is_finite() {
                    chart
                        .draw_series(std::iter::once(Circle::new((value, y + dy), 4, c.filled())))
                        .ok()?;
                }
            }
        }
        root.present().ok()?;
    }
    Some(svg)
}
