//! The committed JSON Schema (schema/results-v1.schema.json) says what
//! `src/results/schema.rs` reads: checked field by field against serde, on generated runs,
//! on every committed results file, and on the malformed ones.

use std::path::{Path, PathBuf};

use perfwarden::results::{
    self, Chart, Direction, Environment, Interval, MergeRule, Run, Stat, SuiteOutcome, SuiteStatus,
    Unit, hist,
};
use proptest::prelude::*;
use serde_json::{Value, json};

fn schema_path() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("schema/results-v1.schema.json")
}

fn schema() -> Value {
    serde_json::from_str(&std::fs::read_to_string(schema_path()).unwrap()).unwrap()
}

/// The compiled schema, built once: the property tests use it thousands of times.
fn validator() -> &'static jsonschema::Validator {
    static VALIDATOR: std::sync::OnceLock<jsonschema::Validator> = std::sync::OnceLock::new();
    VALIDATOR.get_or_init(|| {
        jsonschema::draft202012::options()
            .should_validate_formats(true)
            .build(&schema())
            .unwrap()
    })
}

/// The schema's complaints about `doc`, one per line.
fn complaints(v: &jsonschema::Validator, doc: &Value) -> String {
    v.iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn schema_is_valid_draft_2020_12() {
    let s = schema();
    assert_eq!(
        s["$schema"],
        json!("https://json-schema.org/draft/2020-12/schema")
    );
    jsonschema::meta::validate(&s).unwrap();
}

fn enum_of(def: &str) -> Vec<Value> {
    schema()["$defs"][def]["enum"].as_array().unwrap().clone()
}

#[test]
fn enums_list_exactly_the_rust_variants() {
    let ser = |v: Vec<Value>| v;
    let units: Vec<Value> = Unit::ALL.iter().map(|u| json!(u)).collect();
    assert_eq!(enum_of("unit"), ser(units));
    let dirs = vec![
        json!(Direction::LowerIsBetter),
        json!(Direction::HigherIsBetter),
    ];
    assert_eq!(enum_of("direction"), dirs);
    let stats = [
        Stat::Min,
        Stat::Mean,
        Stat::P50,
        Stat::P90,
        Stat::P95,
        Stat::P99,
        Stat::P999,
        Stat::Max,
        Stat::Count,
    ];
    let stats: Vec<Value> = stats.iter().map(|s| json!(s)).collect();
    assert_eq!(enum_of("stat"), stats);
    let rules = [
        MergeRule::Sum,
        MergeRule::Mean,
        MergeRule::Min,
        MergeRule::Max,
    ];
    assert_eq!(
        enum_of("merge_rule"),
        rules.iter().map(|r| json!(r)).collect::<Vec<_>>()
    );
    let outcomes = [
        SuiteOutcome::Passed,
        SuiteOutcome::Failed,
        SuiteOutcome::Skipped,
    ];
    assert_eq!(
        schema()["$defs"]["suite_status"]["properties"]["status"]["enum"],
        json!(outcomes)
    );
    // Every enum rejects what serde rejects.
    for bad in ["furlongs", "NS", ""] {
        assert!(serde_json::from_value::<Unit>(json!(bad)).is_err());
        assert!(!enum_of("unit").contains(&json!(bad)));
    }
}

/// A run with every optional field set, so its JSON objects show every key.
fn full_run() -> Run {
    let mut h = hdrhistogram::Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).unwrap();
    h.record(1500).unwrap();
    let (mut metrics, histogram) = hist::latency_metrics("s", "b", &h, Unit::Microseconds);
    let mut m = metrics.remove(0);
    m.ci = Some(Interval {
        lower: 1.0,
        upper: 2.0,
        level: 0.95,
    });
    m.samples = Some(vec![1.5]);
    m.merge = Some(MergeRule::Mean);
    m.noise = Some(0.02);
    m = m.label("k", "v");
    let mut run = Run::new(Environment::detect(perfwarden::profile::Profile::Smoke));
    run.environment.git_commit = Some("abc".into());
    run.environment
        .services
        .insert("qdrant".into(), "embedded qdrant-edge 0.7.2".into());
    run.suites.push(SuiteStatus {
        suite: "s".into(),
        status: SuiteOutcome::Skipped,
        reason: Some("why".into()),
        charts: vec![Chart::SizeSweep {
            title: "t".into(),
            metric: "throughput".into(),
            y_label: "MB/s".into(),
            skip: vec!["best".into()],
        }],
    });
    run.metrics.push(m);
    run.histograms.push(histogram);
    run.machines = 2;
    run
}

/// For one object of the full run (at `pointer`) and its schema definition: the schema lists
/// exactly its keys, forbids others, and requires exactly the keys serde cannot do without.
fn check_object(pointer: &str, def: &Value) {
    let run = serde_json::to_value(full_run()).unwrap();
    let obj = run.pointer(pointer).unwrap().as_object().unwrap();
    let props = def["properties"].as_object().unwrap();
    let mut keys: Vec<&String> = obj.keys().collect();
    let mut listed: Vec<&String> = props.keys().collect();
    keys.sort();
    listed.sort();
    assert_eq!(keys, listed, "{pointer}: properties");
    assert_eq!(def["additionalProperties"], json!(false), "{pointer}");
    let required: Vec<&str> = def["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for key in obj.keys() {
        let mut without = run.clone();
        without
            .pointer_mut(pointer)
            .unwrap()
            .as_object_mut()
            .unwrap()
            .remove(key);
        let serde_ok = serde_json::from_value::<Run>(without).is_ok();
        assert_eq!(
            serde_ok,
            !required.contains(&key.as_str()),
            "{pointer}: is `{key}` required?"
        );
    }
    // An unknown key is refused by serde too.
    let mut extra = run.clone();
    extra
        .pointer_mut(pointer)
        .unwrap()
        .as_object_mut()
        .unwrap()
        .insert("surprise".into(), json!(1));
    assert!(serde_json::from_value::<Run>(extra).is_err(), "{pointer}");
}

#[test]
fn objects_have_the_same_fields_and_required_fields_as_serde() {
    let s = schema();
    check_object("", &s);
    check_object("/environment", &s["$defs"]["environment"]);
    check_object("/suites/0", &s["$defs"]["suite_status"]);
    check_object("/suites/0/charts/0", &s["$defs"]["chart"]["oneOf"][1]);
    check_object("/metrics/0", &s["$defs"]["metric"]);
    check_object("/metrics/0/ci", &s["$defs"]["interval"]);
    check_object("/histograms/0", &s["$defs"]["histogram"]);
}

/// Files and directories of JSON that is not results (or not meant to be valid results):
/// the qdrant_search collections fixture, malformed inputs, Criterion trees, the schema.
const NOT_RESULTS: &[&str] = &[
    "fixtures/collections.json",
    "fixtures/malformed",
    "fixtures/criterion",
];

fn json_files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in rd {
        let path = entry.unwrap().path();
        let rel = path
            .strip_prefix(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
            .unwrap();
        if NOT_RESULTS.iter().any(|n| rel.starts_with(n)) {
            continue;
        }
        if path.is_dir() {
            json_files_under(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

#[test]
fn every_committed_results_file_is_valid() {
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    let mut files = Vec::new();
    json_files_under(&root.join("baselines"), &mut files);
    json_files_under(&root.join("fixtures"), &mut files);
    assert!(files.len() >= 2, "found only {files:?}");
    let v = validator();
    for file in files {
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let errs = complaints(v, &doc);
        assert!(errs.is_empty(), "{}:\n{errs}", file.display());
        results::read_run(&file).unwrap();
    }
}

/// Malformed files whose fault is beyond what a JSON Schema can say: uniqueness across
/// elements, references between them, the content of the histogram, `1.0` as an integer
/// (JSON Schema counts it as one), duplicate keys (gone once parsed) and `ci.lower > upper`.
const ONLY_PERFWARDEN_SEES: &[&str] = &[
    "duplicate-metric.json",
    "duplicate-histogram.json",
    "duplicate-suite-status.json",
    "duplicate-key.json",
    "histogram-missing.json",
    "histogram-bad-base64.json",
    "histogram-not-hdr.json",
    "histogram-truncated.json",
    "histogram-unit-mismatch.json",
    "schema-version-float.json",
    "ci-inverted.json",
];

#[test]
fn schema_rejects_the_malformed_files_it_can_see() {
    let v = validator();
    let dir = crate::results::fixtures().join("malformed");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue; // A directory or not UTF-8: not JSON at all.
        };
        let Ok(doc) = serde_json::from_str::<Value>(&text) else {
            continue; // Not JSON: nothing for a schema to judge.
        };
        assert!(results::parse_run(text.as_bytes()).is_err(), "{name}");
        let valid = v.is_valid(&doc);
        assert_eq!(
            valid,
            ONLY_PERFWARDEN_SEES.contains(&name.as_str()),
            "{name}: schema says valid={valid}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(crate::results::arb::cases()))]

    #[test]
    fn generated_runs_round_trip_and_satisfy_the_schema(run in crate::results::arb::arb_run()) {
        let text = run.to_json();
        let back = results::parse_run(text.as_bytes());
        prop_assert_eq!(back.as_ref(), Ok(&run));
        let doc: Value = serde_json::from_str(&text).unwrap();
        let v = validator();
        let errs = complaints(v, &doc);
        prop_assert!(errs.is_empty(), "{}\n{}", errs, text);
    }

    #[test]
    fn whatever_perfwarden_accepts_the_schema_accepts(doc in crate::results::arb::arb_run().prop_flat_map(|r| {
        let v = serde_json::to_value(&r).unwrap();
        (Just(v), crate::results::arb::mutation())
    })) {
        let (mut doc, (path_pick, replacement)) = doc;
        crate::results::arb::replace_somewhere(&mut doc, path_pick, replacement);
        let text = doc.to_string();
        if results::parse_run(text.as_bytes()).is_ok() {
            let v = validator();
            let errs = complaints(v, &doc);
            prop_assert!(errs.is_empty(), "{}\n{}", errs, text);
        }
    }
}

#[test]
fn blank_names_are_judged_alike() {
    // Every Unicode white space, plus the characters ECMAScript and Rust disagree on.
    let chars = [
        '\t', '\n', '\u{b}', '\u{c}', '\r', ' ', '\u{85}', '\u{a0}', '\u{1680}', '\u{2000}',
        '\u{200a}', '\u{2028}', '\u{2029}', '\u{202f}', '\u{205f}', '\u{3000}', '\u{feff}',
        '\u{180e}', '\u{200b}', 'x',
    ];
    let v = validator();
    for c in chars {
        let mut run = full_run();
        run.metrics[0].suite = format!("{c}{c}");
        let text = run.to_json();
        let doc: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            results::parse_run(text.as_bytes()).is_ok(),
            v.is_valid(&doc),
            "suite name {c:?}"
        );
    }
}
