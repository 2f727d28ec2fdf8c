//! Turns measured cases into the results schema and into the short Markdown report the
//! bench prints: a table of every case and the best profile per operation. Pure functions
//! over [`SuiteOutput`]; nothing here touches the disk or the network.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::config::Op;
use super::payload::MIB;
use super::runner::{CaseResult, RAW_TCP, SuiteOutput, benchmark_id, size_label};
use crate::suite::{Suite, strings};
use perfwarden::results::{Chart, Direction, Histogram, MergeRule, Metric, Stat, Unit, hist};

/// The suite's name in metric ids and the results file name.
pub const SUITE: Suite = Suite::new("grpc_windows", charts);

/// Throughput per window profile and payload size, one chart per operation (and delay).
fn charts() -> Vec<Chart> {
    vec![Chart::SizeSweep {
        title: "gRPC throughput per profile".into(),
        metric: "throughput".into(),
        y_label: "throughput (MB/s)".into(),
        skip: strings(&["best"]),
    }]
}

/// The best profile for one operation under one condition, judged on the largest payload
/// measured there.
#[derive(Clone, Debug, PartialEq)]
pub struct Best {
    pub op: Op,
    pub rtt_ms: Option<u32>,
    pub bytes: usize,
    pub profile: String,
    pub throughput_mib_s: f64,
    pub fraction_of_tcp: Option<f64>,
    /// Per round, the best profile's throughput over raw TCP's in the same rotation.
    pub fraction_samples: Option<Vec<f64>>,
}

impl Best {
    pub(crate) fn benchmark(&self) -> String {
        benchmark_id("best", self.op, self.bytes, self.rtt_ms)
    }
}

impl SuiteOutput {
    /// Raw TCP throughput moving the same bytes the same way under the same condition.
    fn tcp_throughput(&self, r: &CaseResult) -> Option<f64> {
        self.tcp_case(r).map(CaseResult::throughput_mib_s)
    }

    /// The raw TCP case moving the same bytes the same way under the same condition as `r`.
    fn tcp_case(&self, r: &CaseResult) -> Option<&CaseResult> {
        let op = r.op.tcp_counterpart();
        self.results.iter().find(|t| {
            t.target == RAW_TCP && t.op == op && t.bytes == r.bytes && t.rtt_ms == r.rtt_ms
        })
    }

    /// A gRPC case's throughput as a fraction of raw TCP's; `None` for raw TCP itself.
    pub(crate) fn fraction_of_tcp(&self, r: &CaseResult) -> Option<f64> {
        if r.target == RAW_TCP {
            return None;
        }
        self.tcp_throughput(r)
            .filter(|&t| t > 0.0)
            .map(|t| r.throughput_mib_s() / t)
    }

    /// Per round, a gRPC case's throughput over raw TCP's. Cases run in rotating order, so
    /// round i of both saw the same state of the machine and the ratio carries the spread of
    /// its parts; `None` where the rounds do not pair up.
    fn fraction_samples(&self, r: &CaseResult) -> Option<Vec<f64>> {
        let tcp = self.tcp_case(r)?;
        let (a, b) = (&r.samples_mib_s, &tcp.samples_mib_s);
        (r.target != RAW_TCP && a.len() == b.len() && a.len() >= 2 && b.iter().all(|&t| t > 0.0))
            .then(|| a.iter().zip(b).map(|(g, t)| g / t).collect())
    }

    /// The best profile per (condition, operation), in the order conditions and operations
    /// were run.
    pub(crate) fn best(&self) -> Vec<Best> {
        let mut keys: Vec<(Option<u32>, Op)> = Vec::new();
        for r in self.results.iter().filter(|r| r.target != RAW_TCP) {
            if !keys.contains(&(r.rtt_ms, r.op)) {
                keys.push((r.rtt_ms, r.op));
            }
        }
        keys.into_iter()
            .filter_map(|(rtt_ms, op)| {
                let cases = || {
                    self.results
                        .iter()
                        .filter(move |r| r.target != RAW_TCP && r.rtt_ms == rtt_ms && r.op == op)
                };
                let bytes = cases().map(|r| r.bytes).max()?;
                let top = cases()
                    .filter(|r| r.bytes == bytes)
                    .max_by(|a, b| a.throughput_mib_s().total_cmp(&b.throughput_mib_s()))?;
                Some(Best {
                    op,
                    rtt_ms,
                    bytes,
                    profile: top.target.clone(),
                    throughput_mib_s: top.throughput_mib_s(),
                    fraction_of_tcp: self.fraction_of_tcp(top),
                    fraction_samples: self.fraction_samples(top),
                })
            })
            .collect()
    }

    /// How delay was emulated, in one sentence.
    pub(crate) fn delay_note(&self) -> String {
        let Some(netem) = &self.netem else {
            return "Delay: none (loopback only).".into();
        };
        let why = match netem {
            Ok(()) => "netem is available here, but the proxy is used everywhere so results \
                       compare across machines"
                .to_string(),
            Err(reason) => format!(
                "netem is not available here: {}",
                reason.trim_end_matches('.')
            ),
        };
        format!(
            "Delay: in-process delaying TCP proxy (RTT/2 each way, {} MiB emulated TCP window); {why}.",
            self.path_window / (1024 * 1024)
        )
    }

    fn labels(&self, r: &CaseResult) -> BTreeMap<String, String> {
        let mut l = BTreeMap::new();
        l.insert("target".into(), r.target.clone());
        l.insert("operation".into(), r.op.name().into());
        l.insert("payload".into(), size_label(r.bytes));
        l.insert("rtt_ms".into(), r.rtt_ms.unwrap_or(0).to_string());
        l.insert(
            "delay".into(),
            if r.rtt_ms.is_some() { "proxy" } else { "none" }.into(),
        );
        l.insert("concurrency".into(), self.concurrency.to_string());
        l.insert("chunk_bytes".into(), self.chunk_bytes.to_string());
        if self.slowdown > 0.0 {
            l.insert("injected_slowdown".into(), self.slowdown.to_string());
        }
        l
    }

    /// The run's metrics and the latency histograms they reference.
    pub(crate) fn metrics(&self) -> (Vec<Metric>, Vec<Histogram>) {
        let mut metrics = Vec::new();
        let mut histograms = Vec::new();
        for r in &self.results {
            let bench = r.benchmark();
            let labels = self.labels(r);
            let metric = |name: &str, unit, direction, value| {
                let mut m = Metric::new(SUITE.name, bench.clone(), name, unit, direction, value);
                m.labels = labels.clone();
                m
            };
            let mut tp = metric(
                "throughput",
                Unit::MegabytesPerSecond,
                Direction::HigherIsBetter,
                r.throughput_mib_s(),
            );
            tp.sample_count = Some(r.samples_mib_s.len() as u64);
            tp.std_dev = std_dev(&r.samples_mib_s);
            tp.samples = Some(r.samples_mib_s.clone());
            tp.merge = Some(MergeRule::Sum);
            metrics.push(tp);

            let mut ops = metric(
                "ops_per_s",
                Unit::OpsPerSecond,
                Direction::HigherIsBetter,
                r.ops_per_s(),
            );
            // Each round's throughput in operations: the same spread as `throughput`.
            let per_op = MIB as f64 / r.bytes as f64;
            spread(
                &mut ops,
                r.samples_mib_s.iter().map(|s| s * per_op).collect(),
            );
            // The samples are rounds; how many operations they timed stays readable.
            ops.labels.insert("operations".into(), r.ops.to_string());
            ops.merge = Some(MergeRule::Sum);
            metrics.push(ops);

            let hist_id = format!("{SUITE}/{bench}/latency");
            for (name, q, stat) in [
                ("latency_p50", 0.5, Stat::P50),
                ("latency_p99", 0.99, Stat::P99),
            ] {
                let ms = r.latency_us.value_at_quantile(q) as f64 / 1000.0;
                let mut m = metric(name, Unit::Milliseconds, Direction::LowerIsBetter, ms);
                m.stat = Some(stat);
                m.sample_count = Some(r.latency_us.len());
                m.histogram = Some(hist_id.clone());
                metrics.push(m);
            }
            histograms.push(Histogram {
                id: hist_id,
                unit: Unit::Microseconds,
                hdr: hist::encode(&r.latency_us),
            });

            if let Some(f) = self.fraction_of_tcp(r) {
                let mut m = metric("fraction_of_tcp", Unit::Ratio, Direction::HigherIsBetter, f);
                if let Some(samples) = self.fraction_samples(r) {
                    spread(&mut m, samples);
                }
                m.merge = Some(MergeRule::Mean);
                metrics.push(m);
            }
            if let Some(mib) = r.peak_rss_mib {
                let mut m = metric("peak_rss", Unit::Megabytes, Direction::LowerIsBetter, mib);
                m.merge = Some(MergeRule::Max);
                let scope = if r.peak_rss_per_case {
                    "case"
                } else {
                    "process"
                };
                m.labels.insert("peak_rss_scope".into(), scope.into());
                metrics.push(m);
            }
        }
        for b in self.best() {
            if let Some(f) = b.fraction_of_tcp {
                let mut m = Metric::new(
                    SUITE.name,
                    b.benchmark(),
                    "fraction_of_tcp",
                    Unit::Ratio,
                    Direction::HigherIsBetter,
                    f,
                )
                .label("profile", b.profile.clone())
                .label("operation", b.op.name())
                .label("payload", size_label(b.bytes))
                .label("rtt_ms", b.rtt_ms.unwrap_or(0).to_string());
                if let Some(samples) = b.fraction_samples.clone() {
                    spread(&mut m, samples);
                }
                m.merge = Some(MergeRule::Mean);
                metrics.push(m);
            }
        }
        (metrics, histograms)
    }

    /// The Markdown report: settings, one table row per case, then the best profiles.
    pub fn markdown(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "## grpc_windows: HTTP/2 window profiles against raw TCP\n"
        );
        let _ = writeln!(
            s,
            "Concurrency {}, chunk {} KiB; MB means MiB (2^20 bytes). {}",
            self.concurrency,
            self.chunk_bytes / 1024,
            self.delay_note()
        );
        if self.slowdown > 0.0 {
            let _ = writeln!(
                s,
                "Injected slowdown: every gRPC operation is made {:.0}% longer (raw TCP is not).",
                self.slowdown * 100.0
            );
        }
        let _ = writeln!(
            s,
            "Peak RSS is the process's VmHWM during the case (reset before each case where the \
             kernel allows), including the shared payload buffer.\n"
        );
        let _ = writeln!(
            s,
            "| target | op | size | RTT | MB/s | ops/s | p50 ms | p99 ms | × TCP | peak RSS MB |"
        );
        let _ = writeln!(s, "|---|---|---|---|---:|---:|---:|---:|---:|---:|");
        for r in &self.results {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {:.1} | {:.2} | {:.2} | {:.2} | {} | {} |",
                r.target,
                r.op.name(),
                size_label(r.bytes),
                rtt_text(r.rtt_ms),
                r.throughput_mib_s(),
                r.ops_per_s(),
                r.latency_us.value_at_quantile(0.5) as f64 / 1000.0,
                r.latency_us.value_at_quantile(0.99) as f64 / 1000.0,
                self.fraction_of_tcp(r)
                    .map_or("-".into(), |f| format!("{f:.2}")),
                r.peak_rss_mib.map_or("-".into(), |m| format!("{m:.0}")),
            );
        }
        let _ = writeln!(
            s,
            "\n### Best profile per operation (largest payload of each condition)\n"
        );
        for b in self.best() {
            let _ = writeln!(
                s,
                "- {} {} {}: **{}** {:.1} MB/s{}",
                b.op.name(),
                size_label(b.bytes),
                match b.rtt_ms {
                    Some(ms) => format!("at {ms} ms RTT"),
                    None => "on loopback".into(),
                },
                b.profile,
                b.throughput_mib_s,
                b.fraction_of_tcp
                    .map_or(String::new(), |f| format!(", {f:.2} of raw TCP")),
            );
        }
        s
    }
}

fn rtt_text(rtt_ms: Option<u32>) -> String {
    rtt_ms.map_or("-".into(), |ms| format!("{ms} ms"))
}

/// Gives `m` the per-round values it was summarised from, so the gate tests the change
/// against their spread instead of taking one number at face value.
fn spread(m: &mut Metric, samples: Vec<f64>) {
    m.sample_count = Some(samples.len() as u64);
    m.std_dev = std_dev(&samples);
    m.samples = Some(samples);
}

fn std_dev(samples: &[f64]) -> Option<f64> {
    if samples.len() < 2 {
        return None;
    }
    let n = samples.len() as f64;
    let mean = samples.iter().sum::<f64>() / n;
    let var = samples.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    Some(var.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(target: &str, op: Op, mb: usize, rtt_ms: Option<u32>, secs_per_op: f64) -> CaseResult {
        let mut latency =
            hdrhistogram::Histogram::<u64>::new_with_bounds(1, 3_600_000_000, 3).unwrap();
        latency.record((secs_per_op * 1e6) as u64).unwrap();
        latency.record((secs_per_op * 1e6) as u64).unwrap();
        let tp = mb as f64 / secs_per_op;
        CaseResult {
            target: target.into(),
            op,
            bytes: mb * MIB,
            rtt_ms,
            ops: 2,
            samples_mib_s: vec![tp, tp],
            latency_us: latency,
            peak_rss_mib: Some(100.0),
            peak_rss_per_case: true,
        }
    }

    fn output() -> SuiteOutput {
        SuiteOutput {
            results: vec![
                case(RAW_TCP, Op::Write, 16, None, 0.01),
                case(RAW_TCP, Op::Read, 16, None, 0.01),
                case("default", Op::Write, 16, None, 0.02),
                case("aggressive", Op::Write, 16, None, 0.0125),
                case("default", Op::Stream, 16, None, 0.016),
                case(RAW_TCP, Op::Read, 16, Some(10), 0.04),
                case("conservative", Op::Stream, 16, Some(10), 2.5),
            ],
            netem: Some(Err(
                "`ip netns exec x tc` failed: Specified qdisc kind is unknown.".into(),
            )),
            concurrency: 1,
            chunk_bytes: 4 * MIB,
            path_window: 6 * MIB,
            slowdown: 0.0,
        }
    }

    #[test]
    fn fractions_compare_with_the_matching_direction_and_condition() {
        let out = output();
        let f = |i: usize| out.fraction_of_tcp(&out.results[i]);
        assert_eq!(f(0), None);
        assert_eq!(f(2), Some(0.5));
        assert_eq!(f(3), Some(0.8));
        // Stream is compared with raw TCP downloads; the delayed case with the delayed one.
        assert_eq!(f(4), Some(0.625));
        assert_eq!(f(6), Some(0.016));
    }

    #[test]
    fn rates_and_fractions_carry_their_rounds() {
        let (metrics, _) = output().metrics();
        let get = |id: &str| metrics.iter().find(|m| m.id() == id).unwrap();
        let ops = get("grpc_windows/default/write/16MB/ops_per_s");
        assert_eq!(ops.samples.as_deref(), Some(&[50.0, 50.0][..]));
        let f = get("grpc_windows/default/write/16MB/fraction_of_tcp");
        assert_eq!(f.samples.as_deref(), Some(&[0.5, 0.5][..]));
        assert_eq!(f.sample_count, Some(2));
        let best = get("grpc_windows/best/write/16MB/fraction_of_tcp");
        assert_eq!(best.samples.as_deref(), Some(&[0.8, 0.8][..]));
    }

    #[test]
    fn best_profile_is_named_per_operation_and_condition() {
        let best = output().best();
        let names: Vec<(String, String)> = best
            .iter()
            .map(|b| (b.benchmark(), b.profile.clone()))
            .collect();
        assert_eq!(
            names,
            [
                ("best/write/16MB".to_string(), "aggressive".to_string()),
                ("best/stream/16MB".to_string(), "default".to_string()),
                (
                    "best/stream/16MB/rtt10ms".to_string(),
                    "conservative".to_string()
                ),
            ]
        );
    }

    #[test]
    fn metrics_are_valid_results() {
        let out = output();
        let mut run = perfwarden::results::Run::new(perfwarden::results::Environment {
            machine_class: "test".into(),
            cpu_model: "cpu".into(),
            cores: 2,
            os: "linux".into(),
            rustc: "rustc".into(),
            git_commit: None,
            timestamp: "2026-01-01T00:00:00Z".into(),
            profile: "smoke".into(),
            services: Default::default(),
        });
        let (metrics, histograms) = out.metrics();
        run.metrics = metrics;
        run.histograms = histograms;
        perfwarden::results::validate(&run).unwrap();
        let ids: Vec<String> = run.metrics.iter().map(|m| m.id()).collect();
        for id in [
            "grpc_windows/default/write/16MB/throughput",
            "grpc_windows/default/write/16MB/fraction_of_tcp",
            "grpc_windows/conservative/stream/16MB/rtt10ms/latency_p99",
            "grpc_windows/raw_tcp/read/16MB/peak_rss",
            "grpc_windows/best/write/16MB/fraction_of_tcp",
        ] {
            assert!(ids.iter().any(|i| i == id), "missing {id}");
        }
        assert!(
            !ids.iter()
                .any(|i| i == "grpc_windows/raw_tcp/read/16MB/fraction_of_tcp")
        );
        let tp = run
            .metrics
            .iter()
            .find(|m| m.id() == "grpc_windows/default/write/16MB/throughput")
            .unwrap();
        assert_eq!(tp.value, 800.0);
        assert_eq!(tp.labels["delay"], "none");
    }

    #[test]
    fn markdown_report() {
        let expected = "\
## grpc_windows: HTTP/2 window profiles against raw TCP

Concurrency 1, chunk 4096 KiB; MB means MiB (2^20 bytes). Delay: in-process delaying TCP proxy (RTT/2 each way, 6 MiB emulated TCP window); netem is not available here: `ip netns exec x tc` failed: Specified qdisc kind is unknown.
Peak RSS is the process's VmHWM during the case (reset before each case where the kernel allows), including the shared payload buffer.

| target | op | size | RTT | MB/s | ops/s | p50 ms | p99 ms | × TCP | peak RSS MB |
|---|---|---|---|---:|---:|---:|---:|---:|---:|
| raw_tcp | write | 16MB | - | 1600.0 | 100.00 | 10.01 | 10.01 | - | 100 |
| raw_tcp | read | 16MB | - | 1600.0 | 100.00 | 10.01 | 10.01 | - | 100 |
| default | write | 16MB | - | 800.0 | 50.00 | 20.02 | 20.02 | 0.50 | 100 |
| aggressive | write | 16MB | - | 1280.0 | 80.00 | 12.50 | 12.50 | 0.80 | 100 |
| default | stream | 16MB | - | 1000.0 | 62.50 | 16.01 | 16.01 | 0.62 | 100 |
| raw_tcp | read | 16MB | 10 ms | 400.0 | 25.00 | 40.03 | 40.03 | - | 100 |
| conservative | stream | 16MB | 10 ms | 6.4 | 0.40 | 2500.61 | 2500.61 | 0.02 | 100 |

### Best profile per operation (largest payload of each condition)

- write 16MB on loopback: **aggressive** 1280.0 MB/s, 0.80 of raw TCP
- stream 16MB on loopback: **default** 1000.0 MB/s, 0.62 of raw TCP
- stream 16MB at 10 ms RTT: **conservative** 6.4 MB/s, 0.02 of raw TCP
";
        assert_eq!(output().markdown(), expected);
    }
}
