//! Suite ingest_parquet_s3 end to end: a small sustained run into real S3, read back with
//! an independent Parquet reader; multipart uploads; the bucket check; and the faults
//! (a dead endpoint, an endpoint that goes away mid-run and comes back).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::{Field, RowAccessor};
use perfwarden_harness::services::embedded_s3::EmbeddedS3;
use perfwarden_harness::services::embedded_s3::max_key_bytes;
use perfwarden_harness::suites::ingest_parquet_s3::config::{MIB, RetryPolicy};
use perfwarden_harness::suites::ingest_parquet_s3::keys::{day_of, longest_key_len, parse_key};
use perfwarden_harness::suites::ingest_parquet_s3::pacing::{LoadSpec, Stop};
use perfwarden_harness::suites::ingest_parquet_s3::pipeline::run_pipeline;
use perfwarden_harness::suites::ingest_parquet_s3::upload::{
    Bucket, S3Target, Uploader, ensure_bucket,
};
use perfwarden_harness::suites::ingest_parquet_s3::verify::{
    Expectation, delete_prefix, list, verify,
};
use perfwarden_harness::suites::ingest_parquet_s3::{
    EventMix, EventType, IngestError, PipelineConfig, World,
};

mod support {
    use perfwarden_harness::services::{self, s3::S3Service};
    use perfwarden_harness::suites::ingest_parquet_s3::upload::S3Target;

    /// S3 from the services layer and its target, or None after printing why not
    /// (a failure instead when `PERFWARDEN_REQUIRE_SERVICES` names `s3`).
    pub async fn s3() -> anyhow::Result<Option<(S3Service, S3Target)>> {
        let provided = services::s3::provide().await?;
        Ok(services::require_or_skip(provided, "s3")?.map(|s| {
            let target = S3Target::from(&s);
            (s, target)
        }))
    }
}

/// A short unique prefix: the embedded s3s-fs server keeps multipart metadata in one file
/// named after the base64 of the key, so its keys are short (`max_key_bytes`).
fn prefix(test: &str) -> String {
    let unique = chrono::Utc::now().timestamp_micros() % 1_000_000_000;
    format!("t/{test}/{}{unique}/", std::process::id())
}

/// Reads every object under `prefix` with the parquet crate's row reader (not the arrow
/// path the suite uses) and checks each row against its key; returns (files, seqs).
async fn read_back_independently(
    target: &S3Target,
    prefix: &str,
    max_file_size: u64,
) -> Result<(usize, Vec<u64>)> {
    let (objects, _) = list(target, prefix, 1_000).await?;
    let mut seqs = Vec::new();
    for (key, size) in &objects {
        ensure!(
            *size <= max_file_size,
            "{key} is {size} bytes, over {max_file_size}"
        );
        let parts = parse_key(prefix, key).with_context(|| format!("unexpected key {key}"))?;
        let body = target
            .client
            .get_object()
            .bucket(&target.bucket)
            .key(key)
            .send()
            .await?
            .body
            .collect()
            .await?
            .into_bytes();
        let reader = SerializedFileReader::new(body)?;
        let schema = reader.metadata().file_metadata().schema_descr_ptr();
        let column = |name: &str| {
            schema
                .columns()
                .iter()
                .position(|c| c.name() == name)
                .unwrap()
        };
        let (seq, time, event_id) = (column("seq"), column("time"), column("event_id"));
        for row in reader.get_row_iter(None)? {
            let row = row?;
            seqs.push(row.get_ulong(seq)?);
            let t = match row.get_column_iter().nth(time).map(|(_, f)| f) {
                Some(Field::TimestampMicros(t)) => *t,
                other => anyhow::bail!("{key}: time is {other:?}"),
            };
            ensure!(
                day_of(t) == parts.epoch_day,
                "{key}: a row of another day ({t})"
            );
            ensure!(
                row.get_int(event_id)? == parts.event_type as i32,
                "{key}: a row of another type"
            );
        }
    }
    Ok((objects.len(), seqs))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs S3"]
async fn a_small_sustained_run_lands_every_event_once_within_limits() -> Result<()> {
    let Some((_s3, target)) = support::s3().await? else {
        return Ok(());
    };
    ensure_bucket(&target, true, &RetryPolicy::default()).await?;
    let max_file_size = 256 * 1024;
    let config = PipelineConfig {
        max_file_size,
        flush_interval: Duration::from_millis(700),
        row_group_rows: 4_096,
        lanes: 2,
        prefix: prefix("sustained"),
        ..PipelineConfig::default()
    };
    let spec = LoadSpec {
        target_rate: Some(20_000.0),
        stop: Stop::Duration(Duration::from_secs(2)),
        mix: EventMix::Realistic,
        seed: 11,
    };
    let outcome = run_pipeline(&target, Arc::new(World::new(11)), &config, &spec).await?;
    assert_eq!(outcome.send.events, 40_000);
    assert_eq!(outcome.upload.events, 40_000);
    println!(
        "sent at {:.0} events/s of 20,000; {} files",
        outcome.send.achieved_rate(),
        outcome.upload.files
    );

    // The suite's own verifier, paging the listing three keys at a time.
    let report = verify(
        &target,
        &Expectation {
            prefix: &config.prefix,
            events: 40_000,
            max_file_size,
            manifest: Some(&outcome.upload.manifest),
            page_size: 3,
        },
    )
    .await?;
    assert!(report.list_pages > 1, "the listing was paged");
    assert!(report.largest_file <= max_file_size);

    // And an independent reader: every seq exactly once, rows in their key's partition.
    let (files, mut seqs) = read_back_independently(&target, &config.prefix, max_file_size).await?;
    assert!(files > 7, "several files per type: {files}");
    seqs.sort_unstable();
    assert_eq!(
        seqs,
        (0..40_000).collect::<Vec<u64>>(),
        "no loss, no duplicates"
    );
    delete_prefix(&target, &config.prefix).await?;
    Ok(())
}

/// One lane, no compression and a 5 MiB threshold: 300,000 events make one file of more
/// than 5 MiB, which goes up in parts.
fn one_multipart_file(prefix: String) -> (PipelineConfig, LoadSpec) {
    let config = PipelineConfig {
        multipart_threshold: 5 * MIB,
        part_size: 5 * MIB,
        flush_interval: Duration::from_secs(600),
        lanes: 1,
        codec: perfwarden_harness::suites::ingest_parquet_s3::Codec::None,
        prefix,
        ..PipelineConfig::default()
    };
    let spec = LoadSpec {
        target_rate: None,
        stop: Stop::Events(300_000),
        mix: EventMix::Fixed(EventType::ProcessCreated),
        seed: 12,
    };
    (config, spec)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs S3"]
async fn files_above_the_threshold_go_up_in_parts() -> Result<()> {
    let Some((_s3, target)) = support::s3().await? else {
        return Ok(());
    };
    ensure_bucket(&target, true, &RetryPolicy::default()).await?;
    let (config, spec) = one_multipart_file(prefix("multipart"));
    let outcome = run_pipeline(&target, Arc::new(World::new(12)), &config, &spec).await?;
    assert_eq!(outcome.upload.files, 1);
    assert_eq!(
        outcome.upload.multipart_files, 1,
        "{:?}",
        outcome.upload.manifest
    );
    assert!(
        outcome.upload.bytes > 5 * MIB,
        "{} bytes",
        outcome.upload.bytes
    );
    let (_, mut seqs) =
        read_back_independently(&target, &config.prefix, config.max_file_size).await?;
    seqs.sort_unstable();
    assert_eq!(seqs, (0..300_000).collect::<Vec<u64>>());
    delete_prefix(&target, &config.prefix).await?;
    Ok(())
}

#[tokio::test]
#[ignore = "needs S3"]
async fn a_missing_bucket_is_refused_or_created() -> Result<()> {
    let Some((_s3, target)) = support::s3().await? else {
        return Ok(());
    };
    let fresh = S3Target {
        bucket: format!("perfwarden-missing-{}", std::process::id()),
        ..target
    };
    let err = ensure_bucket(&fresh, false, &RetryPolicy::default())
        .await
        .unwrap_err();
    assert!(matches!(err, IngestError::BucketMissing { .. }), "{err}");
    assert!(err.to_string().contains(&fresh.bucket), "{err}");
    assert_eq!(
        ensure_bucket(&fresh, true, &RetryPolicy::default()).await?,
        Bucket::Created
    );
    assert_eq!(
        ensure_bucket(&fresh, false, &RetryPolicy::default()).await?,
        Bucket::Existed
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_endpoint_fails_within_the_retry_bound_and_counts_what_was_lost() -> Result<()> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let target = S3Target::for_endpoint(&format!("http://127.0.0.1:{port}"), "events", "k", "s");
    let retry = RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(50),
    };
    let config = PipelineConfig {
        flush_interval: Duration::from_millis(100),
        retry,
        prefix: prefix("dead"),
        ..PipelineConfig::default()
    };
    let spec = LoadSpec {
        target_rate: Some(20_000.0),
        stop: Stop::Duration(Duration::from_secs(5)),
        mix: EventMix::Realistic,
        seed: 13,
    };
    let started = Instant::now();
    let err = run_pipeline(&target, Arc::new(World::new(13)), &config, &spec)
        .await
        .unwrap_err();
    // The first file's retries (about 90 ms of waiting) end the run well before its 5 s
    // (the bound leaves room for a busy machine running the other tests beside it).
    assert!(
        started.elapsed() < Duration::from_millis(4_500),
        "took {:?}",
        started.elapsed()
    );
    let IngestError::UploadFailed(f) = &err else {
        anyhow::bail!("unexpected error: {err}")
    };
    assert_eq!(f.attempts, 4);
    assert!(
        f.events_sent < 100_000,
        "sending stopped early: {}",
        f.events_sent
    );
    assert_eq!(f.events_lost, f.events_sent);
    let text = err.to_string();
    assert!(
        text.contains("events were not persisted") && text.contains(&target.endpoint),
        "{text}"
    );
    assert_one_line(&text);
    assert!(text.contains("S3 PutObject: dispatch failure"), "{text}");
    println!("{text}");
    Ok(())
}

/// A line a user reads: one line, short, the SDK's debug dump left out.
fn assert_one_line(text: &str) {
    assert!(
        !text.contains('\n') && text.len() < 800,
        "{} bytes: {text}",
        text.len()
    );
    for dump in [
        "DispatchFailure",
        "ConnectorError",
        "source:",
        "raw:",
        "Response {",
    ] {
        assert!(!text.contains(dump), "{dump:?} in {text}");
    }
}

/// The longest key the embedded server stores goes up in parts (the suite refuses longer
/// prefixes up front; the nightly profile's 10-million-event files are multipart).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_embedded_servers_longest_key_goes_up_in_parts() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let (_server, target) = embedded_s3(dir.path())?;
    ensure_bucket(&target, true, &RetryPolicy::default()).await?;
    let max = max_key_bytes(&target.bucket);
    let base = "t/longest/";
    let prefix = format!("{base}{}/", "x".repeat(max - longest_key_len(base) - 1));
    assert_eq!(longest_key_len(&prefix), max);
    let (config, spec) = one_multipart_file(prefix);
    let outcome = run_pipeline(&target, Arc::new(World::new(12)), &config, &spec).await?;
    assert_eq!(outcome.upload.multipart_files, 1);
    let (objects, _) = list(&target, &config.prefix, 10).await?;
    assert_eq!(objects.len(), 1, "{objects:?}");
    assert_eq!(objects[0].0.len(), max, "{objects:?}");
    Ok(())
}

/// The embedded S3 server on its own, so a test can stop it; with its target.
fn embedded_s3(dir: &std::path::Path) -> Result<(EmbeddedS3, S3Target)> {
    let server = EmbeddedS3::start(dir, "perfwarden-test", "secret-test")?;
    let url = format!("http://{}", server.addr());
    let target = S3Target::for_endpoint(&url, "events", "perfwarden-test", "secret-test");
    Ok((server, target))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_stopping_mid_run_fails_in_one_line_with_the_cause() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let (server, target) = embedded_s3(dir.path())?;
    let retry = RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(50),
    };
    ensure_bucket(&target, true, &retry).await?;
    let config = PipelineConfig {
        flush_interval: Duration::from_millis(100),
        retry,
        prefix: prefix("stopped"),
        ..PipelineConfig::default()
    };
    let spec = LoadSpec {
        target_rate: Some(20_000.0),
        stop: Stop::Duration(Duration::from_secs(5)),
        mix: EventMix::Realistic,
        seed: 15,
    };
    // Stopped once some files are in (a debug build on a busy machine is slow to start), on
    // a thread of its own: stopping joins the server's thread.
    let (in_tx, in_rx) = std::sync::mpsc::channel();
    let probe = target.clone();
    tokio::spawn(async move {
        while list(&probe, "t/stopped/", 1_000)
            .await
            .map_or(true, |(objects, _)| objects.is_empty())
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let _ = in_tx.send(());
    });
    let stopper = std::thread::spawn(move || {
        let _ = in_rx.recv_timeout(Duration::from_secs(10));
        drop(server);
    });
    let err = run_pipeline(&target, Arc::new(World::new(15)), &config, &spec)
        .await
        .unwrap_err();
    stopper.join().expect("the stopper does not panic");
    let IngestError::UploadFailed(f) = &err else {
        anyhow::bail!("unexpected error: {err}")
    };
    let text = err.to_string();
    println!("{text}");
    assert_one_line(&text);
    assert!(f.events_lost > 0 && f.events_lost < f.events_sent, "{text}");
    assert!(text.contains("S3 PutObject: "), "{text}");
    assert!(
        text.to_lowercase().contains("connection"),
        "the cause is named: {text}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_s3_error_answer_is_one_line_with_status_code_and_message() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let (_server, target) = embedded_s3(dir.path())?;
    ensure_bucket(&target, true, &RetryPolicy::default()).await?;
    let wrong = S3Target::for_endpoint(&target.endpoint, "events", "perfwarden-test", "wrong");
    let uploader = Uploader::new(&wrong, &PipelineConfig::default());
    let failed = uploader
        .upload("t/denied.parquet", bytes::Bytes::from_static(b"x"))
        .await
        .unwrap_err();
    println!("{}", failed.error);
    assert_one_line(&failed.error);
    // Refused at once: a 403 is not worth another attempt.
    assert_eq!((failed.attempts, failed.exhausted), (1, false));
    assert!(
        failed
            .error
            .starts_with("S3 PutObject: HTTP 403: SignatureDoesNotMatch"),
        "{}",
        failed.error
    );
    Ok(())
}

/// A TCP relay in front of S3 that can be cut: while down it drops every open connection
/// and every new one, as a restarting server or a broken network would.
async fn flaky_relay(upstream: &str) -> Result<(String, tokio::sync::watch::Sender<bool>)> {
    let upstream = upstream
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let (down_tx, down_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            if *down_rx.borrow() {
                continue; // Dropped at once: the client sees the connection close.
            }
            let mut down = down_rx.clone();
            let upstream = upstream.clone();
            tokio::spawn(async move {
                let Ok(mut server) = tokio::net::TcpStream::connect(&upstream).await else {
                    return;
                };
                tokio::select! {
                    _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                    // Only a real change to down; a closed channel leaves the relay up.
                    Ok(_) = down.wait_for(|d| *d) => {}
                }
            });
        }
    });
    Ok((url, down_tx))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs S3"]
async fn s3_going_away_mid_run_is_retried_and_nothing_is_lost() -> Result<()> {
    let Some((_s3, target)) = support::s3().await? else {
        return Ok(());
    };
    ensure_bucket(&target, true, &RetryPolicy::default()).await?;
    let (url, down) = flaky_relay(&target.endpoint).await?;
    let relayed = S3Target {
        client: aws_sdk_s3::Client::from_conf(
            target
                .client
                .config()
                .to_builder()
                .endpoint_url(&url)
                .build(),
        ),
        endpoint: url,
        ..target.clone()
    };
    let config = PipelineConfig {
        flush_interval: Duration::from_millis(300),
        prefix: prefix("flaky"),
        ..PipelineConfig::default()
    };
    let spec = LoadSpec {
        target_rate: Some(20_000.0),
        stop: Stop::Duration(Duration::from_secs(3)),
        mix: EventMix::Realistic,
        seed: 14,
    };
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(600)).await;
        let _ = down.send(true);
        tokio::time::sleep(Duration::from_millis(1_200)).await;
        let _ = down.send(false);
    });
    let outcome = run_pipeline(&relayed, Arc::new(World::new(14)), &config, &spec).await?;
    let up = &outcome.upload;
    assert!(up.retried_files > 0, "the outage was noticed");
    assert!(up.retries >= up.retried_files && up.retrying > Duration::ZERO);
    verify(
        &target,
        &Expectation {
            prefix: &config.prefix,
            events: outcome.send.events,
            max_file_size: config.max_file_size,
            manifest: Some(&outcome.upload.manifest),
            page_size: 1_000,
        },
    )
    .await?;
    println!(
        "{} files, {} retried ({} retries, {:.1?} retrying), {} events all persisted",
        up.files, up.retried_files, up.retries, up.retrying, up.events
    );
    delete_prefix(&target, &config.prefix).await?;
    Ok(())
}
