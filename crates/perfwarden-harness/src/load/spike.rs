//! A spike: a base rate, `factor ×` the base for a while, the base again (seed 002's
//! `spike` scenario). What it reports: latency before, during and after the burst (by when
//! each request was due), and how long after the burst the latency came back to what it
//! was before (the time to recover), from the run's windows.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use perfwarden::results::{Direction, Histogram, Metric, Unit};

use super::recorder::Window;
use super::tags::TagStats;
use super::{LoadConfig, LoadReport, Shape, SpikePhase, open_loop_shaped};

/// What a spike measured.
pub struct SpikeReport {
    pub report: LoadReport,
    /// Before, during and after the burst, by the slot's due time.
    pub phases: [TagStats; 3],
    /// From the end of the burst to the start of the first window whose mean latency is back
    /// at the before-phase p99 or below; `None` when no window after the burst was.
    pub recovery: Option<Duration>,
    /// The burst's end, from the start of the measured period.
    pub burst_end: Duration,
}

/// Runs `op` in an open loop shaped as `shape` (a [`Shape::Spike`]). Windows of `cfg` are
/// what the recovery is read from: make them short next to the burst.
pub async fn spike<F, Fut, T, E>(
    cfg: &LoadConfig,
    shape: &Shape,
    max_in_flight: usize,
    op: F,
) -> SpikeReport
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: std::fmt::Display + Send + 'static,
{
    let Shape::Spike { at, length, .. } = shape else {
        panic!("spike() needs a Shape::Spike, got {shape:?}");
    };
    let schedule = Arc::new(shape.schedule(cfg.warmup, cfg.duration));
    let report = open_loop_shaped(
        cfg,
        shape,
        max_in_flight,
        move |k| Some(schedule.spike_phase(k) as usize),
        op,
    )
    .await;
    let phases: [TagStats; 3] =
        SpikePhase::ALL.map(|p| report.tags.get(p as usize).cloned().unwrap_or_default());
    let burst_end = *at + *length;
    let target_ms = phases[0].latency.summary().p99_ms;
    let recovery = recovery(&report.windows, report.window, burst_end, target_ms);
    SpikeReport {
        report,
        phases,
        recovery,
        burst_end,
    }
}

/// The first window starting at or after `burst_end` that has requests and a mean latency at
/// most `target_ms`: the time from `burst_end` to its start.
pub(crate) fn recovery(
    windows: &[Window],
    window: Duration,
    burst_end: Duration,
    target_ms: f64,
) -> Option<Duration> {
    let window = window.max(Duration::from_millis(1));
    let first = burst_end.as_nanos().div_ceil(window.as_nanos()) as usize;
    windows
        .iter()
        .enumerate()
        .skip(first)
        .find(|(_, w)| {
            let n = w.ok + w.errors;
            n > 0 && w.latency_sum.as_secs_f64() * 1e3 / n as f64 <= target_ms
        })
        .map(|(i, _)| (window * i as u32).saturating_sub(burst_end))
}

impl SpikeReport {
    /// The run's metrics as `benchmark`, each phase's as `benchmark/<phase>`, and the
    /// spike's own: `recovery_time` (ms; the rest of the run, labelled `recovered=false`,
    /// when it never recovered) and `p99_during_over_before` (ratio), both lower is better.
    pub fn to_metrics(&self, suite: &str, benchmark: &str) -> (Vec<Metric>, Vec<Histogram>) {
        let (mut metrics, mut hists) = self.report.to_metrics(suite, benchmark);
        for phase in SpikePhase::ALL {
            let stats = &self.phases[phase as usize];
            let (m, h) = stats.to_metrics(suite, &format!("{benchmark}/{}", phase.name()));
            metrics.extend(m);
            hists.push(h);
        }
        let rest = self.report.measured.saturating_sub(self.burst_end);
        let recovery = Metric::new(
            suite,
            benchmark,
            "recovery_time",
            Unit::Milliseconds,
            Direction::LowerIsBetter,
            self.recovery.unwrap_or(rest).as_secs_f64() * 1e3,
        )
        .label("recovered", self.recovery.is_some().to_string())
        .label("target", "window mean latency <= p99 before the burst");
        metrics.push(recovery);
        let p99 = |p: SpikePhase| self.phases[p as usize].latency.summary().p99_ms;
        let before = p99(SpikePhase::Before);
        if before > 0.0 {
            metrics.push(Metric::new(
                suite,
                benchmark,
                "p99_during_over_before",
                Unit::Ratio,
                Direction::LowerIsBetter,
                p99(SpikePhase::During) / before,
            ));
        }
        (metrics, hists)
    }

    /// One line: p99 before / during / after and the recovery.
    pub fn one_line(&self) -> String {
        let p99 = |p: SpikePhase| self.phases[p as usize].latency.summary().p99_ms;
        let recovered = match self.recovery {
            Some(d) => format!("recovered {:.0} ms after the burst", d.as_secs_f64() * 1e3),
            None => "not recovered by the end of the run".into(),
        };
        format!(
            "{}: p99 {:.2} ms before, {:.2} ms during, {:.2} ms after; {recovered}; {} errors, {} dropped",
            self.report.label,
            p99(SpikePhase::Before),
            p99(SpikePhase::During),
            p99(SpikePhase::After),
            self.report.errors,
            self.report.dropped
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(n: u64, mean_ms: u64) -> Window {
        Window {
            ok: n,
            errors: 0,
            latency_sum: Duration::from_millis(mean_ms * n),
            latency_max: Duration::from_millis(mean_ms),
        }
    }

    #[test]
    fn recovery_is_the_first_calm_window_after_the_burst() {
        let ms = Duration::from_millis;
        // Windows of 100 ms; the burst ends at 250 ms: windows 3.. count.
        let windows = [
            w(10, 1),
            w(10, 50),
            w(10, 60),
            w(10, 40),
            w(0, 0),
            w(10, 2),
            w(10, 1),
        ];
        assert_eq!(recovery(&windows, ms(100), ms(250), 2.0), Some(ms(250)));
        assert_eq!(recovery(&windows, ms(100), ms(250), 40.0), Some(ms(50)));
        assert_eq!(recovery(&windows, ms(100), ms(300), 0.5), None);
    }
}
