//! Tests of `pipeline.rs`.

use super::*;
use crate::suites::ingest_parquet_s3::config::RetryPolicy;
use crate::suites::ingest_parquet_s3::events::EventMix;
use crate::suites::ingest_parquet_s3::pacing::Stop;
use crate::suites::ingest_parquet_s3::upload::ensure_bucket;

/// An endpoint nobody listens on: a port that was free a moment ago.
fn dead_endpoint() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

fn quick_retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(20),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_endpoint_fails_the_run_and_counts_the_lost_events() {
    let target = S3Target::for_endpoint(&dead_endpoint(), "events", "k", "s");
    let config = PipelineConfig {
        flush_interval: Duration::from_millis(50),
        retry: quick_retries(),
        lanes: 2,
        ..PipelineConfig::default()
    };
    let spec = LoadSpec {
        target_rate: Some(50_000.0),
        stop: Stop::Events(20_000),
        mix: EventMix::Realistic,
        seed: 5,
    };
    let world = Arc::new(World::new(5));
    let err = run_pipeline(&target, world, &config, &spec)
        .await
        .unwrap_err();
    let IngestError::UploadFailed(f) = &err else {
        panic!("expected an upload failure, got {err}");
    };
    assert_eq!(f.attempts, 3);
    assert!(f.events_sent > 0 && f.events_sent <= 20_000);
    assert_eq!(f.events_lost, f.events_sent, "nothing reached S3");
    assert_eq!(f.failed_files, f.total_files);
    let text = err.to_string();
    assert!(
        text.contains(&format!(
            "{} of {} events were not persisted",
            f.events_sent, f.events_sent
        )),
        "{text}"
    );
    assert!(text.contains(&target.endpoint), "{text}");
}

#[tokio::test]
async fn an_unreachable_endpoint_is_refused_before_sending() {
    let target = S3Target::for_endpoint(&dead_endpoint(), "events", "k", "s");
    let err = ensure_bucket(&target, true, &quick_retries())
        .await
        .unwrap_err();
    assert!(
        matches!(err, IngestError::Unreachable { attempts: 3, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("no events were sent"), "{err}");
}
