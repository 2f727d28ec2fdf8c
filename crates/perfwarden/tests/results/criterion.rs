//! Criterion's output as results: from a real Criterion run made inside the test, and from
//! hand-written trees for the edge cases under fixtures/criterion/.

use std::path::Path;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput};
use perfwarden::results::{Direction, Metric, Unit, criterion as import};

/// A real, short Criterion run into `dir`: one plain benchmark, one group with a byte
/// throughput, one with an element throughput and a parameter.
fn run_criterion(dir: &Path) {
    let mut c = Criterion::default()
        .output_directory(dir)
        .warm_up_time(Duration::from_millis(50))
        .measurement_time(Duration::from_millis(200))
        .sample_size(10)
        .nresamples(1000)
        .without_plots();
    let data: Vec<u8> = (0..1024u32).map(|i| (i * 7) as u8).collect();
    c.bench_function("sum_to_100", |b| {
        b.iter(|| (0..std::hint::black_box(100u64)).sum::<u64>())
    });
    let mut g = c.benchmark_group("checksum");
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.bench_function("fold/1KiB", |b| {
        b.iter(|| {
            std::hint::black_box(&data)
                .iter()
                .fold(0u32, |a, &x| a.wrapping_add(x as u32))
        })
    });
    g.finish();
    let mut g = c.benchmark_group("count");
    let n = 64u64;
    g.throughput(Throughput::Elements(n));
    g.bench_with_input(BenchmarkId::new("evens", n), &n, |b, &n| {
        b.iter(|| (0..n).filter(|x| x % 2 == 0).count())
    });
    g.finish();
}

fn find<'a>(metrics: &'a [Metric], id: &str) -> &'a Metric {
    metrics.iter().find(|m| m.id() == id).unwrap_or_else(|| {
        panic!(
            "no {id} in {:?}",
            metrics.iter().map(Metric::id).collect::<Vec<_>>()
        )
    })
}

#[test]
fn imports_a_real_criterion_run() {
    let dir = tempfile::tempdir().unwrap();
    run_criterion(dir.path());
    let metrics = import::import(dir.path(), None).unwrap();
    let ids: Vec<String> = metrics.iter().map(Metric::id).collect();
    assert_eq!(
        ids,
        [
            "checksum/fold/1KiB/time_mean",
            "checksum/fold/1KiB/time_median",
            "checksum/fold/1KiB/throughput_bytes",
            "count/evens/64/time_mean",
            "count/evens/64/time_median",
            "count/evens/64/throughput_elements",
            "criterion/sum_to_100/time_mean",
            "criterion/sum_to_100/time_median",
        ]
    );
    for m in &metrics {
        let ci = m.ci.expect("Criterion gives every estimate an interval");
        assert!(ci.lower <= ci.upper, "{} {m:?}", m.id());
        assert_eq!(ci.level, 0.95);
        assert_eq!(m.sample_count, Some(10));
        assert_eq!(m.samples.as_ref().map(Vec::len), Some(10));
        assert!(m.value > 0.0);
    }
    let mean = find(&metrics, "checksum/fold/1KiB/time_mean");
    assert_eq!(
        (mean.unit, mean.direction),
        (Unit::Nanoseconds, Direction::LowerIsBetter)
    );
    // The mean of the per-iteration samples is what Criterion estimates the mean from.
    let samples = mean.samples.as_ref().unwrap();
    let sample_mean = samples.iter().sum::<f64>() / samples.len() as f64;
    assert!(
        (sample_mean - mean.value).abs() / mean.value < 1e-9,
        "{sample_mean} vs {}",
        mean.value
    );
    assert!(mean.std_dev.unwrap() >= 0.0);
    let mean_ci = mean.ci.unwrap();
    assert!(
        mean_ci.lower <= mean.value && mean.value <= mean_ci.upper,
        "{mean:?}"
    );
    // 1024 bytes per iteration at `mean` ns per iteration.
    let bytes = find(&metrics, "checksum/fold/1KiB/throughput_bytes");
    assert_eq!(
        (bytes.unit, bytes.direction),
        (Unit::BytesPerSecond, Direction::HigherIsBetter)
    );
    assert!((bytes.value - 1024.0 * 1e9 / mean.value).abs() / bytes.value < 1e-12);
    let ci = bytes.ci.unwrap();
    assert!((ci.lower - 1024.0 * 1e9 / mean_ci.upper).abs() / ci.lower < 1e-12);
    let elements = find(&metrics, "count/evens/64/throughput_elements");
    assert_eq!(elements.unit, Unit::ElementsPerSecond);
    let evens = find(&metrics, "count/evens/64/time_mean");
    assert!((elements.value - 64.0 * 1e9 / evens.value).abs() / elements.value < 1e-12);
    // The suite hint names the suite of benchmarks without a group.
    let hinted = import::import(dir.path(), Some("micro")).unwrap();
    assert!(
        hinted
            .iter()
            .any(|m| m.id() == "micro/sum_to_100/time_mean")
    );
}

#[test]
fn a_real_run_imports_to_a_valid_results_file() {
    let dir = tempfile::tempdir().unwrap();
    run_criterion(dir.path());
    let env = perfwarden::results::Environment::detect(perfwarden::profile::Profile::Smoke);
    let run = import::import_run(dir.path(), None, env).unwrap();
    let suites: Vec<&str> = run.suites.iter().map(|s| s.suite.as_str()).collect();
    assert_eq!(suites, ["checksum", "count", "criterion"]);
    let back = perfwarden::results::parse_run(run.to_json().as_bytes()).unwrap();
    assert_eq!(back, run);
}

fn good() -> std::path::PathBuf {
    crate::results::fixtures().join("criterion/good")
}

#[test]
fn hand_written_tree_covers_every_throughput_kind() {
    let metrics = import::import(&good(), Some("micro")).unwrap();
    let ids: Vec<String> = metrics.iter().map(Metric::id).collect();
    assert_eq!(
        ids,
        [
            // Criterion's `new` directory of a function that is itself named "new".
            "group/new/time_mean",
            "group/new/time_median",
            "group/plain/time_mean",
            "group/plain/time_median",
            "micro/lonely/time_mean",
            "micro/lonely/time_median",
            "thr/bits/time_mean",
            "thr/bits/time_median",
            "thr/bits/throughput_bytes",
            "thr/both/time_mean",
            "thr/both/time_median",
            "thr/both/throughput_elements",
            "thr/both/throughput_bytes",
            "thr/decimal/time_mean",
            "thr/decimal/time_median",
            "thr/decimal/throughput_bytes",
        ]
    );
    // 2 s per iteration of 8000 bits: 500 bytes per second.
    assert_eq!(find(&metrics, "thr/bits/throughput_bytes").value, 500.0);
    assert_eq!(find(&metrics, "thr/both/throughput_elements").value, 50.0);
    assert_eq!(find(&metrics, "thr/both/throughput_bytes").value, 2000.0);
    assert_eq!(find(&metrics, "thr/decimal/throughput_bytes").value, 1000.0);
    // Without sample.json there are no samples, but the estimates are there.
    let lonely = find(&metrics, "micro/lonely/time_mean");
    assert_eq!((lonely.samples.as_ref(), lonely.sample_count), (None, None));
    assert_eq!(lonely.value, 120.5);
    let ci = lonely.ci.unwrap();
    assert_eq!((ci.lower, ci.upper, ci.level), (118.0, 123.0, 0.99));
    // `base` (a saved Criterion baseline) is not the current measurement.
    let plain = find(&metrics, "group/plain/time_mean");
    assert_eq!(plain.value, 1000.0);
    assert_eq!(plain.samples.as_deref(), Some(&[900.0, 1000.0, 1100.0][..]));
}

fn bad(case: &str) -> std::path::PathBuf {
    crate::results::fixtures().join("criterion/bad").join(case)
}

/// Importing `dir` fails with one line naming `file` (relative to `dir`) and `expected`.
fn assert_import_fails(dir: &Path, file: &str, expected: &str) {
    let err = import::import(dir, None).unwrap_err();
    let line = err.to_string();
    assert!(err.is_bad_input(), "{line}");
    assert!(!line.contains('\n'), "{line:?}");
    let path = if file.is_empty() {
        dir.to_path_buf()
    } else {
        dir.join(file)
    };
    let path = path.display().to_string();
    assert!(line.starts_with(&path), "{line} does not start with {path}");
    assert!(line.contains(expected), "{expected:?} not in {line}");
}

#[test]
fn criterion_edge_cases_fail_with_the_file_and_the_reason() {
    assert_import_fails(
        &bad("null-estimate"),
        "x/new/estimates.json",
        "not a Criterion file: invalid type: null, expected f64",
    );
    assert_import_fails(
        &bad("missing-estimates"),
        "x/new/estimates.json",
        "cannot read: No such file or directory",
    );
    assert_import_fails(
        &bad("unknown-throughput"),
        "x/new/benchmark.json",
        "unknown variant `Bananas`",
    );
    assert_import_fails(
        &bad("sample-mismatch"),
        "x/new/sample.json",
        "`iters` and `times` differ in length",
    );
    assert_import_fails(
        &bad("negative-time"),
        "x/new/estimates.json",
        "`value` is negative (-5 ns)",
    );
    assert_import_fails(
        &bad("inverted-interval"),
        "x/new/estimates.json",
        "ci.lower 130 is above ci.upper 110",
    );
    let empty = tempfile::tempdir().unwrap();
    assert_import_fails(
        empty.path(),
        "",
        "no Criterion results (*/new/benchmark.json) found",
    );
    assert_import_fails(
        &good().join("group/plain/new/estimates.json"),
        "",
        "is not a directory",
    );
    assert_import_fails(
        &bad("does-not-exist"),
        "",
        "cannot read: No such file or directory",
    );
}

#[test]
fn duplicate_benchmark_ids_are_refused() {
    // Two directories whose benchmark.json claim the same id (a renamed bench left behind).
    let dir = tempfile::tempdir().unwrap();
    for sub in ["a", "b"] {
        let to = dir.path().join(sub).join("new");
        std::fs::create_dir_all(&to).unwrap();
        for f in ["benchmark.json", "estimates.json"] {
            std::fs::copy(good().join("group/plain/new").join(f), to.join(f)).unwrap();
        }
    }
    assert_import_fails(
        dir.path(),
        "b/new/benchmark.json",
        "benchmark id \"group/plain\" is also claimed by",
    );
}

#[test]
fn symlink_loops_in_the_tree_are_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let to = dir.path().join("g/f/new");
    std::fs::create_dir_all(&to).unwrap();
    for f in ["benchmark.json", "estimates.json"] {
        std::fs::copy(good().join("group/plain/new").join(f), to.join(f)).unwrap();
    }
    std::os::unix::fs::symlink(dir.path(), dir.path().join("g/loop")).unwrap();
    let metrics = import::import(dir.path(), None).unwrap();
    assert_eq!(metrics.len(), 2);
}
