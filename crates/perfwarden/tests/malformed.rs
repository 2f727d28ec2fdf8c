//! Bad input gets one line naming the file and what is wrong, is classified as bad input
//! (exit code 2), and never panics. One test per committed file under fixtures/malformed/,
//! plus the cases that cannot be committed (a 100 MB file, permissions, symlinks, a FIFO),
//! plus a property test over the parser.

use std::path::{Path, PathBuf};

use perfwarden::results::{self, read_run};
use proptest::prelude::*;

fn malformed(name: &str) -> PathBuf {
    crate::results::fixtures().join("malformed").join(name)
}

/// Reading `path` fails with one line that starts with the path and contains `expected`.
fn assert_bad(path: &Path, expected: &str) {
    let err = match read_run(path) {
        Ok(_) => panic!("{} was accepted", path.display()),
        Err(e) => e,
    };
    let line = err.to_string();
    assert!(err.is_bad_input(), "not classified as bad input: {line}");
    assert!(!line.contains('\n'), "more than one line: {line:?}");
    assert!(
        line.starts_with(&path.display().to_string()),
        "does not name the file first: {line}"
    );
    assert!(line.contains(expected), "expected {expected:?} in: {line}");
}

macro_rules! malformed_files {
    ($($test:ident: $file:literal => $expected:literal,)*) => {
        /// Every committed malformed file, for the check that each has its test.
        const FILES: &[&str] = &[$($file),*];
        $(
            #[test]
            fn $test() {
                assert_bad(&malformed($file), $expected);
            }
        )*
    };
}

malformed_files! {
    truncated: "truncated.json" => "truncated JSON: unexpected end of file at line",
    empty: "empty.json" => "file is empty",
    whitespace_only: "whitespace-only.json" => "file is empty",
    directory: "a-directory.json" => "is a directory",
    schema_version_2: "schema-version-2.json" => "unsupported schema_version 2 (this perfwarden reads version 1)",
    schema_version_missing: "schema-version-missing.json" => "missing field `schema_version`",
    schema_version_string: "schema-version-string.json" => "schema_version must be the integer 1, found a string \"1\"",
    schema_version_float: "schema-version-float.json" => "schema_version must be the integer 1, found a number 1.0",
    nan_token: "nan-token.json" => "NaN at line 20 column 16: JSON has no NaN or infinite numbers",
    nan_string: "nan-string.json" => "metrics[0] (qdrant_search/mixtral/grpc/latency_p99): invalid type: string \"NaN\", expected f64",
    infinity_token: "infinity-token.json" => "Infinity at line 20 column 16",
    negative_latency: "negative-latency.json" => "metric qdrant_search/mixtral/grpc/latency_p99: `value` is negative (-3.2 ms)",
    unknown_unit: "unknown-unit.json" => "unknown variant `furlongs`, expected one of `ns`",
    unknown_direction: "unknown-direction.json" => "unknown variant `up_is_good`, expected `lower_is_better` or `higher_is_better`",
    duplicate_metric: "duplicate-metric.json" => "duplicate metric qdrant_search/mixtral/grpc/latency_p99",
    missing_unit: "missing-unit.json" => "metrics[0] (qdrant_search/mixtral/grpc/latency_p99): missing field `unit`",
    missing_environment: "missing-environment.json" => "missing field `environment`",
    missing_metrics: "missing-metrics.json" => "missing field `metrics`",
    missing_cores: "missing-cores.json" => "environment: missing field `cores`",
    wrong_type_value: "wrong-type-value.json" => "invalid type: string \"12.5\", expected f64",
    wrong_type_metrics: "wrong-type-metrics.json" => "invalid type: map, expected a sequence",
    wrong_type_cores: "wrong-type-cores.json" => "environment: invalid type: string \"two\", expected u32",
    unknown_field_metric: "unknown-field-metric.json" => "metrics[0] (qdrant_search/mixtral/grpc/latency_p99): unknown field `p99`",
    unknown_field_top: "unknown-field-top.json" => "unknown field `comment`",
    // serde quotes the key decoded; the message must stay on one line.
    unknown_field_with_newline: "unknown-field-with-newline.json" => "unknown field `late\\nncy`",
    ci_inverted: "ci-inverted.json" => "ci.lower 14 is above ci.upper 11",
    ci_level_out_of_range: "ci-level-out-of-range.json" => "ci.level 95 is not between 0 and 1",
    histogram_missing: "histogram-missing.json" => "histogram \"qdrant_search/mixtral/grpc/latency\" is not in `histograms`",
    histogram_bad_base64: "histogram-bad-base64.json" => "histogram \"h\": not valid base64",
    histogram_not_hdr: "histogram-not-hdr.json" => "histogram \"h\": not an HdrHistogram V2 + DEFLATE encoding",
    histogram_truncated: "histogram-truncated.json" => "histogram \"h\": truncated HdrHistogram",
    histogram_without_stat: "histogram-without-stat.json" => "has a `histogram` but no `stat`",
    histogram_unit_mismatch: "histogram-unit-mismatch.json" => "unit ops/s does not follow from histogram \"h\" in us",
    duplicate_histogram: "duplicate-histogram.json" => "duplicate histogram \"h\"",
    top_level_array: "top-level-array.json" => "expected a JSON object at the top level, found an array",
    top_level_null: "top-level-null.json" => "expected a JSON object at the top level, found null",
    empty_object: "empty-object.json" => "missing field `schema_version`",
    not_utf8: "not-utf8.json" => "not UTF-8: invalid byte 0xff at line 16",
    bom: "bom.json" => "byte-order mark",
    deep_nesting: "deep-nesting.json" => "JSON nested too deeply",
    trailing_garbage: "trailing-garbage.json" => "invalid JSON: trailing characters at line",
    duplicate_key: "duplicate-key.json" => "duplicate field `value`",
    number_out_of_range: "number-out-of-range.json" => "invalid JSON: number out of range",
    null_value: "null-value.json" => "invalid type: null, expected f64",
    machines_zero: "machines-zero.json" => "`machines` must be at least 1",
    bad_timestamp: "bad-timestamp.json" => "environment.timestamp \"yesterday at noon\" is not an RFC 3339 date-time",
    empty_suite_name: "empty-suite-name.json" => "empty `suite`",
    empty_machine_class: "empty-machine-class.json" => "environment.machine_class is empty",
    negative_sample: "negative-sample.json" => "`samples` is negative (-0.5 ms)",
    negative_sample_count: "negative-sample-count.json" => "invalid value: integer `-5`, expected u64",
    unknown_suite_status: "unknown-suite-status.json" => "suites[0]: unknown variant `crashed`",
    duplicate_suite_status: "duplicate-suite-status.json" => "suite \"qdrant_search\" is listed twice",
    unknown_stat: "unknown-stat.json" => "unknown variant `p75`",
    unknown_merge_rule: "unknown-merge-rule.json" => "unknown variant `median`",
    labels_not_strings: "labels-not-strings.json" => "invalid type: integer `16`, expected a string",
}

#[test]
fn every_committed_malformed_file_has_a_test() {
    let mut on_disk: Vec<String> = std::fs::read_dir(malformed(""))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "unit-mismatch")
        .collect();
    on_disk.sort();
    let mut tested: Vec<String> = FILES.iter().map(|s| s.to_string()).collect();
    tested.sort();
    assert_eq!(on_disk, tested);
    assert!(FILES.len() >= 25);
}

#[test]
fn unit_mismatch_pair_is_valid_alone() {
    // Each side is a valid run; only comparing them is an error (the gate's).
    let base = read_run(&malformed("unit-mismatch/baseline.json")).unwrap();
    let cur = read_run(&malformed("unit-mismatch/current.json")).unwrap();
    assert_eq!(base.metrics[0].id(), cur.metrics[0].id());
    assert_ne!(base.metrics[0].unit, cur.metrics[0].unit);
}

#[test]
fn missing_file() {
    let dir = tempfile::tempdir().unwrap();
    assert_bad(
        &dir.path().join("nope.json"),
        "cannot read: No such file or directory",
    );
}

#[test]
fn file_of_100_mb_is_refused_before_it_is_parsed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.json");
    // A real document, not a sparse file: a valid head and 100 MB of metrics.
    let metric = r#"{"suite":"s","benchmark":"b","metric":"m","unit":"ms","direction":"lower_is_better","value":1.0},"#;
    let mut text = String::from(r#"{"schema_version":1,"metrics":["#);
    let chunk = metric.repeat(1000);
    while text.len() < 100 * 1024 * 1024 {
        text.push_str(&chunk);
    }
    std::fs::write(&path, &text).unwrap();
    assert_bad(&path, "over the 67108864 byte limit for a results file");
}

#[test]
fn unreadable_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secret.json");
    std::fs::copy(
        crate::results::fixtures().join("results/minimal.json"),
        &path,
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::File::open(&path).is_ok() {
        // Root (or CAP_DAC_OVERRIDE) reads anything: the case cannot arise here.
        println!("skip: running as root, a mode-000 file is still readable");
        return;
    }
    assert_bad(&path, "cannot read: Permission denied");
}

#[test]
fn symlink_loop() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.json"), dir.path().join("b.json"));
    std::os::unix::fs::symlink(&b, &a).unwrap();
    std::os::unix::fs::symlink(&a, &b).unwrap();
    assert_bad(&a, "cannot read: Too many levels of symbolic links");
}

#[test]
fn dangling_symlink() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("link.json");
    std::os::unix::fs::symlink(dir.path().join("gone.json"), &link).unwrap();
    assert_bad(&link, "cannot read: No such file or directory");
}

#[test]
fn fifo_is_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe.json");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        println!("skip: mkfifo is not available");
        return;
    }
    // Opening a FIFO would block until a writer comes: it must be refused first.
    assert_bad(&fifo, "is not a regular file");
}

#[test]
fn device_is_not_read() {
    assert_bad(Path::new("/dev/zero"), "is not a regular file");
}

#[test]
fn empty_results_directory_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let err = results::read_run_set(dir.path()).unwrap_err();
    assert!(err.is_bad_input());
    assert!(
        err.to_string()
            .contains("directory holds no *.json results files")
    );
}

/// Mutations of a valid document: flipped, inserted or deleted bytes, and a cut.
fn mutated() -> impl Strategy<Value = Vec<u8>> {
    let doc = crate::results::arb::arb_run().prop_map(|r| r.to_json().into_bytes());
    let edits = prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..4), 1..8);
    (doc, edits).prop_map(|(mut bytes, edits)| {
        for (at, byte, kind) in edits {
            if bytes.is_empty() {
                break;
            }
            let i = at.index(bytes.len());
            match kind {
                0 => bytes[i] = byte,
                1 => bytes.insert(i, byte),
                2 => {
                    bytes.remove(i);
                }
                _ => bytes.truncate(i),
            }
        }
        bytes
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(crate::results::arb::cases()))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = results::parse_run(&bytes);
    }

    #[test]
    fn mutated_documents_never_panic_and_accepted_ones_are_valid(bytes in mutated()) {
        if let Ok(run) = results::parse_run(&bytes) {
            prop_assert!(results::validate(&run).is_ok());
            // Whatever is accepted writes back to a document that reads the same.
            prop_assert_eq!(results::parse_run(run.to_json().as_bytes()).unwrap(), run);
        }
    }

    #[test]
    fn errors_are_one_line(bytes in mutated()) {
        if let Err(e) = results::parse_run(&bytes) {
            prop_assert!(!e.contains('\n'), "{:?}", e);
        }
    }
}
