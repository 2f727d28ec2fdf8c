//! Generators for property tests: valid runs, and values to break them with.

use perfwarden::results::{
    Direction, Environment, Interval, MergeRule, Metric, Run, SuiteOutcome, SuiteStatus, Unit, hist,
};
use proptest::prelude::*;
use serde_json::Value;

/// The configured number of cases: small for `cargo test`, `PROPTEST_CASES` for long runs.
pub fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z_]{1,12}",
        "[a-z0-9]{1,6}(/[a-z0-9.-]{1,6}){0,3}",
        // Names come from untrusted code: anything printable, with at least one visible char.
        "[|`<>&\" a-z\u{e9}\u{4e2d}]{0,6}[a-z]",
    ]
}

fn finite() -> impl Strategy<Value = f64> {
    prop_oneof![Just(0.0), 0.0f64..1.0, 0.0f64..1e15]
}

fn metric() -> impl Strategy<Value = Metric> {
    let core = (
        name(),
        name(),
        name(),
        prop::sample::select(Unit::ALL.to_vec()),
        prop::bool::ANY,
        finite(),
    );
    let extra = (
        prop::option::of((finite(), finite(), 0.01f64..0.999)),
        prop::option::of(any::<u64>()),
        prop::option::of(finite()),
        prop::option::of(prop::collection::vec(finite(), 0..6)),
        prop::option::of(prop::sample::select(vec![
            MergeRule::Sum,
            MergeRule::Mean,
            MergeRule::Min,
            MergeRule::Max,
        ])),
        prop::option::of(0.0f64..1.0),
        prop::collection::btree_map("[a-z]{1,5}", "\\PC{0,8}", 0..3),
    );
    (core, extra).prop_map(|((s, b, n, unit, lower, value), e)| {
        let dir = if lower {
            Direction::LowerIsBetter
        } else {
            Direction::HigherIsBetter
        };
        let mut m = Metric::new(s, b, n, unit, dir, value);
        m.ci = e.0.map(|(a, b, level)| Interval {
            lower: a.min(b),
            upper: a.max(b),
            level,
        });
        (
            m.sample_count,
            m.std_dev,
            m.samples,
            m.merge,
            m.noise,
            m.labels,
        ) = (e.1, e.2, e.3, e.4, e.5, e.6);
        m
    })
}

/// Valid runs: unique metric ids, real histograms, finite non-negative numbers.
pub fn arb_run() -> impl Strategy<Value = Run> {
    let env = (
        "[a-z0-9-]{1,16}",
        "\\PC{0,24}",
        1u32..512,
        prop::option::of("[0-9a-f]{40}"),
        0i64..4_000_000_000,
        prop::sample::select(vec!["smoke", "pr", "nightly", "full"]),
    );
    let suites = prop::collection::vec((name(), 0u8..3, prop::option::of("\\PC{0,20}")), 0..4);
    let hists = prop::collection::vec(prop::collection::vec(1u64..10_000_000, 1..50), 0..3);
    let metrics = prop::collection::vec(metric(), 0..10);
    (env, suites, metrics, hists, 1u32..9).prop_map(|(e, suites, metrics, hists, machines)| {
        let mut run = Run::new(Environment {
            machine_class: e.0,
            cpu_model: e.1,
            cores: e.2,
            os: "linux".into(),
            rustc: "rustc 1.95.0".into(),
            git_commit: e.3,
            timestamp: chrono::DateTime::from_timestamp(e.4, 0)
                .unwrap()
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            profile: e.5.into(),
            services: Default::default(),
        });
        for (suite, outcome, reason) in suites {
            if run.suites.iter().any(|s| s.suite == suite) {
                continue;
            }
            let status = [
                SuiteOutcome::Passed,
                SuiteOutcome::Failed,
                SuiteOutcome::Skipped,
            ][outcome as usize];
            run.suites.push(SuiteStatus {
                suite,
                status,
                reason,
                charts: Vec::new(),
            });
        }
        for (i, mut m) in metrics.into_iter().enumerate() {
            // The index makes every id unique.
            m.metric = format!("{}_{i}", m.metric);
            run.metrics.push(m);
        }
        for (i, values) in hists.into_iter().enumerate() {
            let mut h = hdrhistogram::Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).unwrap();
            for v in values {
                h.record(v.min(60_000_000)).unwrap();
            }
            let (ms, hist) =
                hist::latency_metrics("hist", &format!("b{i}"), &h, Unit::Microseconds);
            run.metrics.extend(ms);
            run.histograms.push(hist);
        }
        run.machines = machines;
        run
    })
}

/// A JSON value to put somewhere in a document.
pub fn mutation() -> impl Strategy<Value = (prop::sample::Index, Value)> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (-1e6f64..1e6).prop_map(Value::from),
        "\\PC{0,6}".prop_map(Value::from),
        prop::sample::select(vec!["us", "ms", "p99", "sum", "passed", "higher_is_better"])
            .prop_map(Value::from),
    ];
    (any::<prop::sample::Index>(), leaf)
}

/// Replaces one value of `doc` (chosen by `pick` among all of them, objects and arrays
/// included) with `with`.
pub fn replace_somewhere(doc: &mut Value, pick: prop::sample::Index, with: Value) {
    fn count(v: &Value) -> usize {
        1 + match v {
            Value::Array(a) => a.iter().map(count).sum(),
            Value::Object(o) => o.values().map(count).sum(),
            _ => 0,
        }
    }
    fn nth(v: &mut Value, mut n: usize) -> Option<&mut Value> {
        if n == 0 {
            return Some(v);
        }
        n -= 1;
        let children: Vec<&mut Value> = match v {
            Value::Array(a) => a.iter_mut().collect(),
            Value::Object(o) => o.values_mut().collect(),
            _ => return None,
        };
        for c in children {
            let k = count(c);
            if n < k {
                return nth(c, n);
            }
            n -= k;
        }
        None
    }
    let n = pick.index(count(doc));
    if let Some(slot) = nth(doc, n) {
        *slot = with;
    }
}
