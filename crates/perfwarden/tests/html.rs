//! The HTML report: untrusted names escaped, nothing fetched from anywhere, every chart
//! present; and, with Chromium, the page rendered: not blank, no console errors.

use std::io::Read;
use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, ensure};
use perfwarden::gate::{self, Config};
use perfwarden::report::html::{esc, render_html};
use perfwarden::results::{
    Chart, Direction, Environment, Interval, Metric, Run, SuiteOutcome, SuiteStatus, Unit,
};

fn env(commit: &str) -> Environment {
    Environment {
        machine_class: "test-2core".into(),
        cpu_model: "test".into(),
        cores: 2,
        os: "linux".into(),
        rustc: "rustc".into(),
        git_commit: Some(commit.into()),
        timestamp: "2026-11-24T00:00:00Z".into(),
        profile: "pr".into(),
        services: Default::default(),
    }
}

fn m(suite: &str, bench: &str, name: &str, unit: Unit, dir: Direction, v: f64) -> Metric {
    let mut m = Metric::new(suite, bench, name, unit, dir, v);
    m.ci = Some(Interval {
        lower: v * 0.97,
        upper: v * 1.03,
        level: 0.95,
    });
    m
}

/// A baseline and a current run with every chart's metrics, a 40% regression, and a
/// benchmark name that tries to inject markup.
fn runs() -> (Run, Run) {
    use Direction::{HigherIsBetter as H, LowerIsBetter as L};
    let mut base = Run::new(env("base1234"));
    let mut cur = Run::new(env("cur5678"));
    for (run, f) in [(&mut base, 1.0), (&mut cur, 1.4)] {
        for coll in ["mixtral", "<script>alert(1)</script>"] {
            for (i, p) in ["latency_p50", "latency_p95", "latency_p99"]
                .iter()
                .enumerate()
            {
                let v = (2.0 + i as f64 * 3.0) * if coll == "mixtral" { f } else { 1.0 };
                run.metrics.push(m(
                    "qdrant_search",
                    &format!("{coll}/grpc/dense"),
                    p,
                    Unit::Milliseconds,
                    L,
                    v,
                ));
            }
        }
        for profile in ["default", "aggressive"] {
            for (size, mbs) in [("1MB", 300.0), ("16MB", 900.0)] {
                let v = mbs * if profile == "default" { 1.0 } else { 1.3 };
                run.metrics.push(m(
                    "grpc_windows",
                    &format!("{profile}/write/{size}"),
                    "throughput",
                    Unit::MegabytesPerSecond,
                    H,
                    v,
                ));
            }
        }
        let mut rate = m(
            "ingest_parquet_s3",
            "sustained_10k",
            "achieved_rate",
            Unit::EventsPerSecond,
            H,
            9800.0,
        );
        rate.samples = Some(vec![9500.0, 10100.0, 9900.0, 9700.0, 10050.0]);
        run.metrics.push(rate);
        run.metrics.push(Metric::new(
            "ingest_parquet_s3",
            "sustained_10k",
            "target_rate",
            Unit::EventsPerSecond,
            H,
            10000.0,
        ));
        run.suites = suites();
    }
    (base, cur)
}

/// The suites' statuses naming their charts, as the harness's suites write them.
fn suites() -> Vec<SuiteStatus> {
    let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let status = |suite: &str, chart: Chart| SuiteStatus {
        charts: vec![chart],
        ..SuiteStatus::new(suite, SuiteOutcome::Passed, None)
    };
    vec![
        status(
            "qdrant_search",
            Chart::Percentiles {
                title: "Latency percentiles per collection".into(),
                metrics: strings(&["latency_p50", "latency_p95", "latency_p99"]),
                labels: strings(&["p50", "p95", "p99"]),
            },
        ),
        status(
            "grpc_windows",
            Chart::SizeSweep {
                title: "gRPC throughput per profile".into(),
                metric: "throughput".into(),
                y_label: "throughput (MB/s)".into(),
                skip: strings(&["best"]),
            },
        ),
        status(
            "ingest_parquet_s3",
            Chart::RateOverTime {
                title: "Ingest rate over time".into(),
                metric: "achieved_rate".into(),
                target: "target_rate".into(),
                y_label: "events/s".into(),
            },
        ),
    ]
}

fn page() -> Result<String> {
    let (base, cur) = runs();
    let comparison = gate::compare(&base, &cur, &Config::default())?;
    Ok(render_html(&comparison, &cur))
}

#[test]
fn escapes_untrusted_names() -> Result<()> {
    assert_eq!(
        esc("<a href=\"x\">&'</a>"),
        "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;"
    );
    let html = page()?;
    assert!(
        !html.contains("<script"),
        "raw markup from a benchmark name"
    );
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;/grpc/dense"));
    Ok(())
}

#[test]
fn self_contained_with_every_chart_and_the_verdicts() -> Result<()> {
    let html = page()?;
    for needle in ["http://", "https://", "src=", "@import", "url("] {
        // The SVG namespace is the one URL allowed: it is an identifier, never fetched.
        let found = html
            .replace("http://www.w3.org/2000/svg", "")
            .contains(needle);
        assert!(!found, "{needle} in the page");
    }
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("Content-Security-Policy"));
    for title in [
        "Latency percentiles per collection",
        "gRPC throughput per profile and size: write",
        "Ingest rate over time: sustained_10k",
        "Baseline vs current",
        "Verdicts",
    ] {
        assert!(html.contains(title), "no {title}");
    }
    // Three suites with charts, each an inline SVG; the regression is in the table.
    assert!(html.matches("<svg").count() >= 6);
    assert!(html.contains("class=\"v-critical\""));
    assert!(html.contains("perfwarden report: <span class=\"fail\">failed</span>"));
    Ok(())
}

#[test]
fn what_fails_comes_first_with_baseline_and_current_intervals() -> Result<()> {
    let html = page()?;
    let fails = html
        .find("What fails the gate")
        .context("no failing table")?;
    let first_chart = html.find("<svg").context("no chart")?;
    assert!(
        fails < first_chart,
        "the failing metrics come before the charts"
    );
    // mixtral's p99 went from 8 ms to 11.2 ms, each with its ±3% interval.
    let table = &html[fails..first_chart];
    assert!(
        table.contains("qdrant_search/mixtral/grpc/dense/latency_p99")
            && table.contains("8.000 ms [7.760, 8.240]")
            && table.contains("11.20 ms [10.86, 11.54]"),
        "{table}"
    );
    Ok(())
}

#[test]
fn one_point_series_and_categories_are_markers_not_lines() -> Result<()> {
    // One size per profile: one chart over the profiles, which are categories.
    let (mut base, mut cur) = runs();
    for run in [&mut base, &mut cur] {
        run.metrics.retain(|m| !m.benchmark.ends_with("/16MB"));
    }
    let comparison = gate::compare(&base, &cur, &Config::default())?;
    let html = render_html(&comparison, &cur);
    let svg = chart(&html, "gRPC throughput per")?;
    assert!(svg.contains("<circle"), "the points are drawn");
    assert_eq!(series_lines(svg), 0, "a line between categories");
    // Over ordered sizes (two of them), the series are lines.
    let html = page()?;
    assert!(series_lines(chart(&html, "gRPC throughput per profile and size")?) > 0);
    Ok(())
}

/// The SVG of the chart whose title starts with `title`.
fn chart<'a>(html: &'a str, title: &str) -> Result<&'a str> {
    let svg = &html[html.find(title).context("no such chart")?..];
    Ok(&svg[..svg.find("</svg>").context("unclosed svg")?])
}

/// Series lines: polylines 2 px wide (axis ticks are 1 px ones).
fn series_lines(svg: &str) -> usize {
    svg.split("<polyline")
        .skip(1)
        .filter(|p| p.contains("stroke-width=\"2\""))
        .count()
}

/// The report draws what the suites' results ask for, whatever the suite is called: no
/// status naming charts, no suite charts; a suite of another name asking for one, gets it.
#[test]
fn charts_come_from_the_results_not_from_suite_names() -> Result<()> {
    let (base, mut cur) = runs();
    cur.suites.clear();
    let html = render_html(&gate::compare(&base, &cur, &Config::default())?, &cur);
    assert!(!html.contains("Latency percentiles per collection"));
    assert!(!html.contains("gRPC throughput"));

    let (base, mut cur) = runs();
    for m in cur
        .metrics
        .iter_mut()
        .filter(|m| m.suite == "qdrant_search")
    {
        m.suite = "vector_search".into();
    }
    cur.suites[0].suite = "vector_search".into();
    let html = render_html(&gate::compare(&base, &cur, &Config::default())?, &cur);
    let section = html
        .split("<section>")
        .find(|s| s.starts_with("<h2>vector_search</h2>"))
        .context("no vector_search section")?;
    assert!(section.contains("Latency percentiles per collection"));
    Ok(())
}

/// The decompressed pixel bytes of a PNG (all IDAT chunks, inflated).
fn png_pixels(png: &[u8]) -> Result<Vec<u8>> {
    ensure!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    let mut idat = Vec::new();
    let mut at = 8;
    while at + 8 <= png.len() {
        let len = u32::from_be_bytes(png[at..at + 4].try_into()?) as usize;
        let kind = &png[at + 4..at + 8];
        if kind == b"IDAT" {
            idat.extend_from_slice(&png[at + 8..at + 8 + len]);
        }
        at += 12 + len;
    }
    let mut out = Vec::new();
    flate2::read::ZlibDecoder::new(&idat[..]).read_to_end(&mut out)?;
    Ok(out)
}

fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser"].into_iter().find(|b| {
        Command::new(b)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

#[test]
#[ignore = "needs chromium"]
fn chromium_renders_the_report() -> Result<()> {
    let Some(browser) = chromium() else {
        let required = std::env::var("PERFWARDEN_REQUIRE_SERVICES").unwrap_or_default();
        ensure!(
            !required.split(',').any(|s| s.trim() == "chromium"),
            "chromium is required but not installed"
        );
        println!("skipped: no chromium (apt-get install chromium)");
        return Ok(());
    };
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("report.html");
    std::fs::write(&file, page()?)?;
    let png = dir.path().join("shot.png");
    let url = format!("file://{}", file.display());
    let base = |profile: &Path| {
        let mut c = Command::new(browser);
        c.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
        ])
        .arg(format!("--user-data-dir={}", profile.display()));
        c
    };
    let shot = base(&dir.path().join("p1"))
        .args([
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=1280,2000",
        ])
        .arg(format!("--screenshot={}", png.display()))
        .arg(&url)
        .output()
        .context("chromium")?;
    let log = String::from_utf8_lossy(&shot.stderr);
    ensure!(png.exists(), "no screenshot; chromium said: {log}");
    // Console errors (a blocked resource, a CSP violation, a script error) are logged as
    // CONSOLE lines; the page has no script and loads nothing, so there must be none.
    let console: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("CONSOLE") || l.contains("Refused to"))
        .collect();
    ensure!(console.is_empty(), "console messages: {console:?}");
    let pixels = png_pixels(&std::fs::read(&png)?)?;
    let distinct: std::collections::BTreeSet<u8> = pixels.iter().copied().collect();
    ensure!(
        distinct.len() > 20,
        "blank screenshot: {} distinct byte values",
        distinct.len()
    );
    let dark = pixels.iter().filter(|&&b| b < 128).count();
    ensure!(
        dark > pixels.len() / 1000,
        "almost nothing drawn: {dark} dark bytes"
    );
    // The DOM as Chromium parsed it holds the charts and the table.
    let dom = base(&dir.path().join("p2"))
        .arg("--dump-dom")
        .arg(&url)
        .output()?;
    let dom = String::from_utf8_lossy(&dom.stdout);
    ensure!(
        dom.contains("<svg") && dom.contains("Verdicts"),
        "DOM without the charts: {}",
        &dom[..dom.len().min(300)]
    );
    if let Ok(keep) = std::env::var("PERFWARDEN_KEEP_SCREENSHOT") {
        std::fs::copy(&png, keep)?;
    }
    Ok(())
}
