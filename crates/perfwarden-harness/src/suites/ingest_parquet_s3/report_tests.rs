//! The report from a made-up suite run: the metric set, their values, and a file the
//! results reader accepts.

use std::time::Duration;

use super::*;
use crate::suites::ingest_parquet_s3::config::PipelineConfig;
use crate::suites::ingest_parquet_s3::encode_alone::EncodeAlone;
use crate::suites::ingest_parquet_s3::error::IngestError;
use crate::suites::ingest_parquet_s3::pacing::{Clock, SendReport, micros_histogram};
use crate::suites::ingest_parquet_s3::pipeline::{PipelineOutcome, UploadStats};
use crate::suites::ingest_parquet_s3::runner::ScenarioRun;
use crate::suites::ingest_parquet_s3::scenarios::plan;
use crate::suites::ingest_parquet_s3::stage_cpu::StageCpu;
use crate::suites::ingest_parquet_s3::upload::Bucket;
use crate::suites::ingest_parquet_s3::verify::VerifyReport;
use perfwarden::profile::Profile;
use perfwarden::results::{parse_run, validate};

fn outcome(events: u64, send_secs: f64, finished_secs: f64) -> (PipelineOutcome, VerifyReport) {
    let mut lag_us = micros_histogram();
    lag_us.record_n(2_500_000, events / 2).unwrap();
    lag_us.record_n(5_100_000, events - events / 2).unwrap();
    let mut slip_us = micros_histogram();
    slip_us.record_n(150, 99).unwrap();
    slip_us.record(40_000).unwrap();
    let send = SendReport {
        events,
        batches: events / 1_000,
        target_rate: None,
        elapsed: Duration::from_secs_f64(send_secs),
        slip_us,
        per_second: vec![events / 2, events / 2 - 1_000, 1_000],
        generating: Duration::from_millis(100),
        aborted: false,
    };
    let upload = UploadStats {
        files: 12,
        bytes: 24_000_000,
        events,
        multipart_files: 1,
        retried_files: 2,
        retries: 5,
        retrying: Duration::from_millis(1_500),
        busy: Duration::from_secs(2),
        lag_us,
        failed_files: 0,
        untried_files: 0,
        failed_events: 0,
        last_failure: None,
        manifest: Vec::new(),
        last_visible: None,
    };
    let o = PipelineOutcome {
        send,
        upload,
        finished: Duration::from_secs_f64(finished_secs),
        clock: Clock::now(),
        cpu: StageCpu {
            generate: Duration::from_millis(400),
            encode: Duration::from_millis(3_000),
            s3_server: Duration::ZERO,
            rest: Duration::from_millis(600),
        },
    };
    let v = VerifyReport {
        files: 12,
        bytes: 24_000_000,
        rows: events,
        largest_file: 2_400_000,
        list_pages: 1,
        took: Duration::from_millis(300),
    };
    (o, v)
}

fn suite(sustained_rate: f64) -> SuiteRun {
    let plan = plan(Profile::Pr, 1);
    let scenarios = plan
        .scenarios
        .iter()
        .map(|s| {
            let result = match s.name.as_str() {
                "unthrottled" => Ok(outcome(2_000_000, 2.0, 2.5)),
                "sustained_10k" => Ok(outcome((sustained_rate * 2.0) as u64, 2.0, 4.0)),
                "target_500k" => Err(IngestError::Config {
                    setting: "test",
                    what: "made up".into(),
                }),
                _ => Ok(outcome(600_000, 3.0, 3.5)),
            };
            ScenarioRun {
                scenario: s.clone(),
                config: PipelineConfig::default(),
                result,
            }
        })
        .collect();
    SuiteRun {
        run_id: "test".into(),
        bucket: Bucket::Existed,
        encode: Some(Ok(EncodeAlone {
            events: 2_000_000,
            files: 14,
            bytes: 80_000_000,
            elapsed: Duration::from_secs(1),
            lanes: 2,
        })),
        scenarios,
    }
}

fn value(run: &Run, id: &str) -> f64 {
    run.metrics
        .iter()
        .find(|m| m.id() == id)
        .unwrap_or_else(|| panic!("no metric {id}"))
        .value
}

#[test]
fn the_report_carries_rates_ratios_lags_and_a_readable_file() {
    let run = to_run(&suite(9_800.0), Environment::detect(Profile::Pr));
    validate(&run).unwrap();
    let back = parse_run(run.to_json().as_bytes()).unwrap();
    assert_eq!(back, run);

    let v = |id: &str| value(&run, &format!("ingest_parquet_s3/{id}"));
    assert_eq!(v("encode_alone/throughput"), 2_000_000.0);
    assert_eq!(v("encode_alone/throughput_mb"), 80.0);
    assert_eq!(v("unthrottled/achieved_rate"), 1_000_000.0);
    assert_eq!(v("unthrottled/end_to_end_rate"), 800_000.0);
    assert_eq!(v("unthrottled/vs_encode_alone"), 0.4);
    // 4 s of CPU for 2,000,000 events over 2.5 s; no embedded S3 in this process.
    assert!((v("unthrottled/cpu_encode") - 1_500.0).abs() < 1e-6);
    assert!((v("unthrottled/cpu_rest") - 300.0).abs() < 1e-6);
    assert_eq!(v("unthrottled/encode_cpu_share"), 0.75);
    assert_eq!(v("unthrottled/cores_busy"), 1.6);
    assert!(
        !run.metrics
            .iter()
            .any(|m| m.id().ends_with("cpu_s3_server"))
    );
    assert!((v("unthrottled/vs_seed") - 800_000.0 / 48_000.0).abs() < 1e-9);
    assert_eq!(v("sustained_10k/target_rate"), 10_000.0);
    assert!((v("sustained_10k/achieved_ratio") - 0.98).abs() < 1e-9);
    assert_eq!(
        v("target_100k/reached_ratio"),
        2.0,
        "600,000 events in 3 s of 100,000/s"
    );
    assert!(
        run.metrics
            .iter()
            .all(|m| m.metric != "achieved_ratio" || m.benchmark == "sustained_10k")
    );
    assert!(
        (v("sustained_10k/lag_p99") - 5_100.0).abs() < 10.0,
        "{}",
        v("sustained_10k/lag_p99")
    );
    assert!((v("sustained_10k/send_slip_p99") - 0.15).abs() < 0.01);
    assert_eq!(v("target_100k/upload_throughput"), 12.0);
    assert_eq!(v("target_100k/bytes_per_event"), 40.0);
    assert_eq!(v("sustained_10k/retried_files"), 2.0);
    assert_eq!(v("sustained_10k/retries"), 5.0);
    assert_eq!(v("sustained_10k/retry_time"), 1.5);
    assert!(
        run.metrics.iter().all(|m| m.benchmark != "target_500k"),
        "a failed scenario has no numbers"
    );

    // The rate over time: whole seconds only.
    let achieved = run
        .metrics
        .iter()
        .find(|m| m.id() == "ingest_parquet_s3/unthrottled/achieved_rate")
        .unwrap();
    assert_eq!(
        achieved.samples.as_deref(),
        Some(&[1_000_000.0, 999_000.0][..])
    );

    // The failure is reported, once, on the suite.
    assert_eq!(run.suites.len(), 1);
    assert_eq!(run.suites[0].status, SuiteOutcome::Failed);
    assert!(run.suites[0].reason.as_deref().unwrap().contains("made up"));
}

#[test]
fn a_sustained_rate_under_95_percent_fails_the_suite() {
    let s = suite(9_400.0);
    let failures = s.failures();
    assert!(
        failures
            .iter()
            .any(|f| f.contains("sustained_10k: reached 94.0% of the target rate, below 95%")),
        "{failures:?}"
    );
}
