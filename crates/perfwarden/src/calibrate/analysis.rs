//! The calibration's analysis: every ordered pair of unchanged runs through the real gate
//! (false alarms), every (unchanged, injected) pair (detections), per metric; then the same
//! again with the calibrated noise floor in the baselines, as the gate will see it once
//! `--write-noise` has written it. Pure: runs in, numbers out.

use std::collections::BTreeMap;

use serde::Serialize;

use super::stats::{Spread, threshold_for_budget};
use crate::gate::{self, CompareError, Config, Verdict};
use crate::results::{Direction, Run, Unit};

/// The false-alarm budget the issue sets: at most 1% of unchanged pairs may alarm.
pub(crate) const FALSE_ALARM_BUDGET: f64 = 0.01;
/// The detection the issue asks for: at least 95% of injected slowdowns caught.
pub(crate) const DETECTION_GOAL: f64 = 0.95;

/// How often the gate alarmed over a set of pairs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Rate {
    pub alarms: usize,
    pub pairs: usize,
}

impl Rate {
    pub(crate) fn rate(&self) -> Option<f64> {
        (self.pairs > 0).then(|| self.alarms as f64 / self.pairs as f64)
    }
}

/// Everything measured about one metric.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MetricCalibration {
    pub(crate) id: String,
    pub(crate) suite: String,
    pub(crate) unit: Unit,
    pub(crate) direction: Direction,
    pub spread: Spread,
    /// The threshold the config gives this metric (a fraction).
    pub(crate) threshold: f64,
    /// Ordered pairs of unchanged runs the gate called a regression or critical.
    pub false_alarms: Rate,
    /// The same with the calibrated noise floor (`noise = cv`) in the baseline.
    pub(crate) false_alarms_with_noise: Rate,
    /// Injected runs (current) against unchanged runs (baseline) the gate flagged.
    pub detections: Option<Rate>,
    pub(crate) detections_with_noise: Option<Rate>,
    /// The mean relative change of the injected runs against the unchanged median, in the
    /// worse direction (positive: worse), so a reader sees what the knob did to this metric.
    pub(crate) injected_change: Option<f64>,
    /// The smallest threshold keeping the false alarms within the budget over these pairs.
    pub(crate) needed_threshold: Option<f64>,
    /// The false alarms exceed the budget at the configured threshold.
    pub(crate) too_noisy: bool,
}

/// The calibration of a whole bench.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Calibration {
    pub(crate) unchanged_runs: usize,
    pub(crate) injected_runs: usize,
    pub(crate) injected_slowdown: Option<f64>,
    pub(crate) noise_factor: f64,
    pub(crate) false_alarm_budget: f64,
    pub(crate) detection_goal: f64,
    pub metrics: Vec<MetricCalibration>,
}

/// Per-metric counts gathered over pairs.
#[derive(Default)]
struct Tally {
    alarms: Rate,
    worse: Vec<f64>,
}

/// Analyses `unchanged` runs (and `injected` ones, with `slowdown` the injected fraction)
/// under `config`. Metrics measured in fewer than two unchanged runs are left out.
pub fn analyse(
    unchanged: &[Run],
    injected: &[Run],
    slowdown: Option<f64>,
    config: &Config,
) -> Result<Calibration, CompareError> {
    let values = values_by_id(unchanged);
    let spreads: BTreeMap<String, Spread> = values
        .iter()
        .filter(|(_, v)| v.len() >= 2)
        .filter_map(|(id, v)| Some((id.clone(), Spread::of(v)?)))
        .collect();
    let noisy: Vec<Run> = unchanged.iter().map(|r| with_noise(r, &spreads)).collect();

    let plain = tally_pairs(unchanged, unchanged, config, true)?;
    let floored = tally_pairs(&noisy, unchanged, config, true)?;
    let detect = tally_pairs(unchanged, injected, config, false)?;
    let detect_floored = tally_pairs(&noisy, injected, config, false)?;
    let injected_values = values_by_id(injected);

    let mut metrics = Vec::new();
    for (id, spread) in &spreads {
        let Some(sample) = unchanged
            .iter()
            .flat_map(|r| &r.metrics)
            .find(|m| &m.id() == id)
        else {
            continue;
        };
        let threshold = config.resolve(sample, id).threshold;
        let fa = plain.get(id).map(|t| t.alarms).unwrap_or_default();
        let fa_noise = floored.get(id).map(|t| t.alarms).unwrap_or_default();
        let worse = plain.get(id).map(|t| t.worse.as_slice()).unwrap_or(&[]);
        let has_injected = !injected.is_empty();
        let injected_change = injected_values.get(id).and_then(|v| {
            let mean = v.iter().sum::<f64>() / v.len() as f64;
            let change = gate::relative_change(spread.median, mean)?;
            Some(match sample.direction {
                Direction::LowerIsBetter => change,
                Direction::HigherIsBetter => -change,
            })
        });
        metrics.push(MetricCalibration {
            id: id.clone(),
            suite: sample.suite.clone(),
            unit: sample.unit,
            direction: sample.direction,
            spread: *spread,
            threshold,
            false_alarms: fa,
            false_alarms_with_noise: fa_noise,
            detections: has_injected.then(|| detect.get(id).map(|t| t.alarms).unwrap_or_default()),
            detections_with_noise: has_injected
                .then(|| detect_floored.get(id).map(|t| t.alarms).unwrap_or_default()),
            injected_change,
            needed_threshold: threshold_for_budget(worse, FALSE_ALARM_BUDGET),
            too_noisy: fa.rate().is_some_and(|r| r > FALSE_ALARM_BUDGET),
        });
    }
    Ok(Calibration {
        unchanged_runs: unchanged.len(),
        injected_runs: injected.len(),
        injected_slowdown: slowdown,
        noise_factor: config.noise_factor,
        false_alarm_budget: FALSE_ALARM_BUDGET,
        detection_goal: DETECTION_GOAL,
        metrics,
    })
}

/// The values of each metric id over `runs`, in run order.
fn values_by_id(runs: &[Run]) -> BTreeMap<String, Vec<f64>> {
    let mut out: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for r in runs {
        for m in &r.metrics {
            out.entry(m.id()).or_default().push(m.value);
        }
    }
    out
}

/// `run` with each calibrated metric's `noise` set to its coefficient of variation.
pub(crate) fn with_noise(run: &Run, spreads: &BTreeMap<String, Spread>) -> Run {
    let mut run = run.clone();
    for m in &mut run.metrics {
        if let Some(cv) = spreads.get(&m.id()).and_then(|s| s.cv) {
            m.noise = Some(cv);
        }
    }
    run
}

/// Compares every baseline with every current run (skipping a run against itself when
/// `same` says both slices are the same runs) and counts, per metric, the regressions and
/// criticals the gate called, and the relative changes in the worse direction.
fn tally_pairs(
    baselines: &[Run],
    currents: &[Run],
    config: &Config,
    same: bool,
) -> Result<BTreeMap<String, Tally>, CompareError> {
    let mut out: BTreeMap<String, Tally> = BTreeMap::new();
    for (i, base) in baselines.iter().enumerate() {
        for (j, cur) in currents.iter().enumerate() {
            if same && i == j {
                continue;
            }
            let comparison = gate::compare(base, cur, config)?;
            for m in &comparison.metrics {
                let (Some(b), Some(c)) = (&m.baseline, &m.current) else {
                    continue;
                };
                let t = out.entry(m.id.clone()).or_default();
                t.alarms.pairs += 1;
                if matches!(m.relative, Verdict::Regression | Verdict::Critical) {
                    t.alarms.alarms += 1;
                }
                if let Some(change) = gate::relative_change(b.value, c.value) {
                    t.worse.push(match m.direction {
                        Direction::LowerIsBetter => change,
                        Direction::HigherIsBetter => -change,
                    });
                }
            }
        }
    }
    Ok(out)
}
