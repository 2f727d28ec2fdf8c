//! The suite's results as a results-schema [`Run`].
//!
//! Benchmarks are the scenario names plus `encode_alone`. Per scenario: `achieved_rate`
//! (events/s taken by the pipeline; its `samples` are the events taken in each whole
//! second, the rate over time for charts), `end_to_end_rate` (until every event was
//! visible in S3), and with a target `target_rate`, the share of it reached and
//! `send_slip_p99`. The share is `achieved_ratio` for sustained scenarios, which the seed
//! judges (budget >= 0.95), and `reached_ratio` for the high targets, which it only
//! reports, so a budget on `**/achieved_ratio` catches exactly the judged ones. Then
//! `lag_p50`/`lag_p99` (event to visible object, with the HdrHistogram), `files`, `bytes`,
//! `bytes_per_event`, `upload_throughput`, and the retries: `retried_files`, `retries`
//! (attempts beyond the first) and `retry_time` (seconds of failed attempts and waits,
//! summed over calls). `unthrottled` also carries `vs_encode_alone` (goal >= 0.5) and
//! `vs_seed` (goal >= 20), and where its CPU went ([`super::stage_cpu`]): `cpu_generate`,
//! `cpu_encode`, `cpu_s3_server` and `cpu_rest` in ns per event, `encode_cpu_share` (the
//! encoder's share of the process's CPU: the most `vs_encode_alone` can reach on the same
//! cores) and `cores_busy` (the process's CPU seconds per second until every event was
//! visible).

use hdrhistogram::Histogram as Hdr;

use super::SUITE;
use super::pipeline::PipelineOutcome;
use super::runner::{ScenarioRun, SuiteRun};
use super::scenarios::{Kind, SEED_RATE};
use perfwarden::results::{
    Direction, Environment, Histogram, MergeRule, Metric, Run, Stat, SuiteOutcome, Unit,
};

use Direction::{HigherIsBetter as Higher, LowerIsBetter as Lower};

/// The run's results, measured in `environment`.
pub fn to_run(suite: &SuiteRun, environment: Environment) -> Run {
    let mut run = Run::new(environment);
    if let Some(Ok(e)) = &suite.encode {
        let m = |name, unit, dir, v| {
            metric("encode_alone", name, unit, dir, v).label("lanes", e.lanes.to_string())
        };
        run.metrics.extend([
            m(
                "throughput",
                Unit::EventsPerSecond,
                Higher,
                e.events_per_s(),
            )
            .merge(MergeRule::Sum),
            m(
                "throughput_mb",
                Unit::MegabytesPerSecond,
                Higher,
                e.mb_per_s(),
            )
            .merge(MergeRule::Sum),
            m("bytes_per_event", Unit::Bytes, Lower, e.bytes_per_event()).merge(MergeRule::Mean),
        ]);
    }
    for s in &suite.scenarios {
        scenario_metrics(&mut run, s);
    }
    let unthrottled = suite.scenario("unthrottled").map(|s| &s.result);
    if let Some(Ok((o, _))) = unthrottled {
        run.metrics.extend(cpu_metrics("unthrottled", o));
    }
    if let (Some(Ok(e)), Some(Ok((o, _)))) = (&suite.encode, unthrottled) {
        let rate = o.end_to_end_rate();
        run.metrics.push(
            metric(
                "unthrottled",
                "vs_encode_alone",
                Unit::Ratio,
                Higher,
                rate / e.events_per_s(),
            )
            .label("goal", ">= 0.5"),
        );
        run.metrics.push(
            metric(
                "unthrottled",
                "vs_seed",
                Unit::Ratio,
                Higher,
                rate / SEED_RATE,
            )
            .label("goal", ">= 20")
            .label("seed_rate", format!("{SEED_RATE:.0}")),
        );
    }
    let failures = suite.failures();
    let status = if failures.is_empty() {
        SuiteOutcome::Passed
    } else {
        SuiteOutcome::Failed
    };
    run.suites
        .push(SUITE.status(status, (!failures.is_empty()).then(|| failures.join("; "))));
    run
}

fn scenario_metrics(run: &mut Run, s: &ScenarioRun) {
    let Ok((o, v)) = &s.result else { return };
    let bench = s.scenario.name.as_str();
    let labels = |m: Metric| {
        m.label("mix", s.scenario.load.mix.to_string())
            .label("lanes", s.config.lanes.to_string())
            .label("codec", s.config.codec.to_string())
            .label(
                "flush_interval_s",
                s.config.flush_interval.as_secs_f64().to_string(),
            )
            .label("max_file_size", s.config.max_file_size.to_string())
    };
    // Whole seconds only: the last, partial one would read as a dip.
    let whole = o.send.elapsed.as_secs() as usize;
    let samples: Vec<f64> = o
        .send
        .per_second
        .iter()
        .take(whole)
        .map(|&n| n as f64)
        .collect();
    let mut achieved = labels(metric(
        bench,
        "achieved_rate",
        Unit::EventsPerSecond,
        Higher,
        o.send.achieved_rate(),
    ))
    .merge(MergeRule::Sum)
    .label("samples", "events taken in each whole second");
    achieved.sample_count = Some(samples.len() as u64);
    achieved.samples = (!samples.is_empty()).then_some(samples);
    run.metrics.push(achieved);
    run.metrics.push(
        labels(metric(
            bench,
            "end_to_end_rate",
            Unit::EventsPerSecond,
            Higher,
            o.end_to_end_rate(),
        ))
        .merge(MergeRule::Sum),
    );
    if let Some(target) = s.scenario.load.target_rate {
        run.metrics.push(labels(metric(
            bench,
            "target_rate",
            Unit::EventsPerSecond,
            Higher,
            target,
        )));
        let ratio_name = match s.scenario.kind {
            Kind::Sustained => "achieved_ratio",
            _ => "reached_ratio",
        };
        run.metrics.push(
            labels(metric(
                bench,
                ratio_name,
                Unit::Ratio,
                Higher,
                o.send.achieved_rate() / target,
            ))
            .merge(MergeRule::Mean),
        );
        let id = histogram(run, bench, "send_slip", &o.send.slip_us);
        run.metrics.push(quantile(
            bench,
            "send_slip_p99",
            Stat::P99,
            &o.send.slip_us,
            &id,
        ));
    }
    let id = histogram(run, bench, "lag", &o.upload.lag_us);
    run.metrics
        .push(quantile(bench, "lag_p50", Stat::P50, &o.upload.lag_us, &id));
    run.metrics
        .push(quantile(bench, "lag_p99", Stat::P99, &o.upload.lag_us, &id));
    run.metrics.extend([
        labels(metric(bench, "files", Unit::Count, Lower, v.files as f64)).merge(MergeRule::Sum),
        labels(metric(bench, "bytes", Unit::Bytes, Lower, v.bytes as f64)).merge(MergeRule::Sum),
        labels(metric(
            bench,
            "bytes_per_event",
            Unit::Bytes,
            Lower,
            v.bytes as f64 / v.rows.max(1) as f64,
        ))
        .merge(MergeRule::Mean),
        labels(metric(
            bench,
            "upload_throughput",
            Unit::MegabytesPerSecond,
            Higher,
            o.upload.mb_per_s(),
        ))
        .merge(MergeRule::Mean)
        .label("per", "upload stream"),
    ]);
    // Retries are results: an S3 outage the retries rode out shows here, not only as lag.
    let retries = |name, unit, value: f64| {
        labels(metric(bench, name, unit, Lower, value)).merge(MergeRule::Sum)
    };
    run.metrics.extend([
        retries("retried_files", Unit::Count, o.upload.retried_files as f64),
        retries("retries", Unit::Count, o.upload.retries as f64),
        retries("retry_time", Unit::Seconds, o.upload.retrying.as_secs_f64())
            .label("per", "summed over upload calls"),
    ]);
}

/// Where a run's CPU went: per event by stage, the encoder's share, and cores kept busy.
fn cpu_metrics(bench: &str, o: &PipelineOutcome) -> Vec<Metric> {
    let cpu = &o.cpu;
    let total = cpu.total().as_secs_f64();
    if total <= 0.0 || o.upload.events == 0 {
        return Vec::new();
    }
    let per_event = |name, d: std::time::Duration| {
        metric(
            bench,
            name,
            Unit::Nanoseconds,
            Lower,
            d.as_secs_f64() * 1e9 / o.upload.events as f64,
        )
        .merge(MergeRule::Mean)
        .label("per", "event")
    };
    let mut out = vec![
        per_event("cpu_generate", cpu.generate).label("threads", "sender"),
        per_event("cpu_encode", cpu.encode).label("threads", "lanes"),
        per_event("cpu_rest", cpu.rest).label("threads", "S3 client, runtime, the rest"),
    ];
    if cpu.s3_server > std::time::Duration::ZERO {
        out.push(per_event("cpu_s3_server", cpu.s3_server).label("threads", "embedded S3"));
    }
    out.extend([
        metric(
            bench,
            "encode_cpu_share",
            Unit::Ratio,
            Higher,
            cpu.encode.as_secs_f64() / total,
        )
        .merge(MergeRule::Mean),
        metric(bench, "cores_busy", Unit::Ratio, Higher, o.cores_busy()).merge(MergeRule::Mean),
    ]);
    out
}

fn metric(bench: &str, name: &str, unit: Unit, direction: Direction, value: f64) -> Metric {
    Metric::new(SUITE.name, bench, name, unit, direction, value)
}

/// A quantile of a microsecond histogram, reported in milliseconds.
fn quantile(bench: &str, name: &str, stat: Stat, h: &Hdr<u64>, id: &str) -> Metric {
    let q = match stat {
        Stat::P50 => 0.5,
        Stat::P99 => 0.99,
        _ => unreachable!("only p50 and p99 are reported"),
    };
    let mut m = metric(
        bench,
        name,
        Unit::Milliseconds,
        Lower,
        h.value_at_quantile(q) as f64 / 1e3,
    );
    m.stat = Some(stat);
    m.histogram = Some(id.to_string());
    m.sample_count = Some(h.len());
    m
}

/// Adds `h` (microseconds) to the run's histograms; returns its id.
fn histogram(run: &mut Run, bench: &str, name: &str, h: &Hdr<u64>) -> String {
    let id = format!("{SUITE}/{bench}/{name}");
    run.histograms.push(Histogram {
        id: id.clone(),
        unit: Unit::Microseconds,
        hdr: perfwarden::results::hist::encode(h),
    });
    id
}

trait MergeExt {
    fn merge(self, rule: MergeRule) -> Metric;
}

impl MergeExt for Metric {
    fn merge(mut self, rule: MergeRule) -> Metric {
        self.merge = Some(rule);
        self
    }
}

#[cfg(test)]
#[path = "report_tests.rs"]
mod tests;
