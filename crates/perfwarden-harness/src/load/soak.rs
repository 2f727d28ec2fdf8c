//! A soak: a constant rate held long (seed 002's `endurance` scenario), judged window by
//! window. What it reports: how the p99 drifts from the first windows to the last, and how
//! the server's memory does, sampled by the suite at every window boundary. A leak or a
//! slowly filling cache shows as drift where a short run shows nothing.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use perfwarden::results::{Direction, Histogram, Metric, Unit};

use super::tags::TagStats;
use super::{LoadConfig, LoadReport, Shape, open_loop_shaped};

/// What a soak measured.
pub struct SoakReport {
    pub report: LoadReport,
    /// Per window of the measured period, by the slot's due time.
    pub windows: Vec<TagStats>,
    pub window: Duration,
    /// The server's memory in bytes at the start of the measured period and at the end of
    /// each window (`None` where the sample failed).
    pub memory: Vec<Option<u64>>,
}

/// Runs `op` at `rate` for `cfg`'s duration cut into `windows` windows; `memory()` is
/// sampled at the start of the measured period and at the end of every window.
pub async fn soak<F, Fut, T, E, M, MFut>(
    cfg: &LoadConfig,
    rate: f64,
    max_in_flight: usize,
    windows: u32,
    memory: M,
    op: F,
) -> SoakReport
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: std::fmt::Display + Send + 'static,
    M: Fn() -> MFut,
    MFut: Future<Output = Option<u64>>,
{
    let windows = windows.max(1);
    let window = cfg.duration / windows;
    let shape = Shape::Constant { rate };
    let schedule = Arc::new(shape.schedule(cfg.warmup, cfg.duration));
    let last = windows as usize - 1;
    let run = open_loop_shaped(
        cfg,
        &shape,
        max_in_flight,
        move |k| schedule.window_of(k, window).map(|w| w.min(last)),
        op,
    );
    let clock = cfg.clock.clone();
    let start = clock.now();
    let sampler = async {
        let mut samples = Vec::with_capacity(windows as usize + 1);
        // The engine's first slot is due a few ms after the call (its lead-in).
        let measure_start = start + Duration::from_millis(5) + cfg.warmup;
        clock.sleep_until(measure_start).await;
        samples.push(memory().await);
        for w in 1..=windows {
            clock.sleep_until(measure_start + window * w).await;
            samples.push(memory().await);
        }
        samples
    };
    let (report, memory) = tokio::join!(run, sampler);
    let mut per_window: Vec<TagStats> = report.tags.clone();
    per_window.resize_with(windows as usize, TagStats::default);
    SoakReport {
        report,
        windows: per_window,
        window,
        memory,
    }
}

impl SoakReport {
    /// p99 of the windows in `range` merged, in ms.
    fn p99_of(&self, range: std::ops::Range<usize>) -> f64 {
        TagStats::sum(&self.windows[range]).latency.summary().p99_ms
    }

    /// p99 of the last quarter of the windows over p99 of the first quarter (at least one
    /// window each): 1 is no drift.
    pub fn p99_drift(&self) -> Option<f64> {
        let n = self.windows.len();
        let q = (n / 4).max(1);
        let first = self.p99_of(0..q);
        (first > 0.0 && n >= 2).then(|| self.p99_of(n - q..n) / first)
    }

    /// Memory at the end over memory at the start: 1 is flat.
    pub fn memory_growth(&self) -> Option<(u64, u64, f64)> {
        let first = self.memory.first().copied().flatten()?;
        let last = self.memory.iter().rev().find_map(|m| *m)?;
        (first > 0).then(|| (first, last, last as f64 / first as f64))
    }

    /// The run's metrics as `benchmark`, and the soak's: `p99_drift` and `memory_growth`
    /// (ratios, lower is better), `memory_start`/`memory_end` (bytes). Per-window p99s and
    /// memory samples go in labels, for the reader and the report's findings.
    pub fn to_metrics(&self, suite: &str, benchmark: &str) -> (Vec<Metric>, Vec<Histogram>) {
        let (mut metrics, hists) = self.report.to_metrics(suite, benchmark);
        let p99s: Vec<String> = self
            .windows
            .iter()
            .map(|w| format!("{:.3}", w.latency.summary().p99_ms))
            .collect();
        let window_s = format!("{}", self.window.as_secs_f64());
        let metric = |name: &str, unit, value| {
            Metric::new(
                suite,
                benchmark,
                name,
                unit,
                Direction::LowerIsBetter,
                value,
            )
            .label("window_s", window_s.clone())
        };
        if let Some(drift) = self.p99_drift() {
            metrics.push(
                metric("p99_drift", Unit::Ratio, drift).label("p99_ms_by_window", p99s.join(",")),
            );
        }
        if let Some((first, last, growth)) = self.memory_growth() {
            let samples: Vec<String> = self
                .memory
                .iter()
                .map(|m| m.map_or("-".into(), |b| b.to_string()))
                .collect();
            metrics.push(
                metric("memory_growth", Unit::Ratio, growth)
                    .label("memory_bytes_by_window", samples.join(",")),
            );
            metrics.push(metric("memory_start", Unit::Bytes, first as f64));
            metrics.push(metric("memory_end", Unit::Bytes, last as f64));
        }
        (metrics, hists)
    }

    pub fn one_line(&self) -> String {
        let drift = self.p99_drift().map_or("-".into(), |d| format!("{d:.2}x"));
        let memory = self
            .memory_growth()
            .map_or("not sampled".into(), |(a, b, g)| {
                format!(
                    "{:.1} MB -> {:.1} MB ({g:.2}x)",
                    a as f64 / 1e6,
                    b as f64 / 1e6
                )
            });
        format!(
            "{}: {} windows of {} s, p99 drift {drift} (last quarter / first), memory {memory}; {}",
            self.report.label,
            self.windows.len(),
            self.window.as_secs_f64(),
            self.report.one_line()
        )
    }
}
