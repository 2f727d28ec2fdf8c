//! `cargo bench --bench ingest_parquet_s3`: Criterion benchmarks of event generation and
//! Parquet encoding, then the suite's scenarios at `PERFWARDEN_PROFILE` (default `pr`)
//! against S3 from the services layer, written to `target/perfwarden/ingest_parquet_s3.json`.
//!
//! Knobs (environment): `PERFWARDEN_INJECT_SLOWDOWN=0.15` (15% extra work per batch),
//! `PERFWARDEN_INGEST_CODEC` (none, snappy, zstd, zstd:N), `PERFWARDEN_INGEST_LANES`,
//! `PERFWARDEN_INGEST_KEEP_OBJECTS=1`, `PERFWARDEN_INGEST_CREATE_BUCKET=0`,
//! `PERFWARDEN_INGEST_SCENARIOS=encode_alone,sustained_10k` (a subset),
//! `PERFWARDEN_INGEST_SUITE=0` (Criterion only) / `PERFWARDEN_INGEST_CRITERION=0` (suite only);
//! `PERFWARDEN_INSTRUCTIONS_ONCE=1` encodes one row group once and exits, for callgrind.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use criterion::{BenchmarkId, Criterion, Throughput};
use perfwarden::profile::Profile;
use perfwarden_harness::bench::Bench;
use perfwarden_harness::services;
use perfwarden_harness::suites::ingest_parquet_s3::{
    Codec, EventMix, EventType, Generator, PipelineConfig, SUITE, World, columns, encode, report,
    runner, scenarios, upload::S3Target,
};

const SEED: u64 = 0x5eed_0003;

fn generation(c: &mut Criterion) {
    let world = Arc::new(World::new(SEED));
    let mut g = c.benchmark_group("ingest_parquet_s3/generate");
    g.throughput(Throughput::Elements(1_000));
    for mix in [EventMix::Realistic, EventMix::Fixed(EventType::Logon)] {
        g.bench_function(BenchmarkId::new("batch_1000", mix), |b| {
            let mut generator = Generator::new(world.clone(), mix, SEED);
            let mut batch = Vec::with_capacity(1_000);
            b.iter(|| {
                batch.clear();
                generator.fill(&mut batch, 1_000);
                black_box(&batch);
            })
        });
    }
    g.finish();
}

fn encoding(c: &mut Criterion) {
    const ROWS: usize = 65_536;
    let world = Arc::new(World::new(SEED));
    let mut events = Vec::with_capacity(ROWS);
    Generator::new(world.clone(), EventMix::Realistic, SEED).fill(&mut events, ROWS);
    let now = chrono::Utc::now().timestamp_micros();
    for e in &mut events {
        e.time_us = now + e.seq as i64;
    }
    let mut g = c.benchmark_group("ingest_parquet_s3/encode");
    // A row group takes 40-80 ms: ten samples need more than the default three seconds.
    g.measurement_time(Duration::from_secs(6));
    g.throughput(Throughput::Elements(ROWS as u64));
    g.bench_function("arrow_columns_65536", |b| {
        b.iter(|| black_box(columns::to_record_batch(&world, &events)))
    });
    for codec in [Codec::Zstd(3), Codec::Snappy, Codec::None] {
        let config = PipelineConfig {
            codec,
            ..PipelineConfig::default()
        };
        let encoder =
            encode::RowGroupEncoder::new(world.clone(), config.writer_properties().unwrap())
                .unwrap();
        g.bench_function(BenchmarkId::new("row_group_65536", codec), |b| {
            b.iter(|| black_box(encoder.encode(&events).unwrap().bytes))
        });
    }
    g.finish();
}

fn options(profile: Profile) -> anyhow::Result<runner::SuiteOptions> {
    let mut opts = runner::SuiteOptions::new(profile);
    opts.config.slowdown =
        perfwarden_harness::suites::ingest_parquet_s3::config::slowdown_from_env()?;
    if let Ok(codec) = std::env::var("PERFWARDEN_INGEST_CODEC") {
        opts.config.codec = codec.parse().map_err(anyhow::Error::msg)?;
    }
    if let Ok(lanes) = std::env::var("PERFWARDEN_INGEST_LANES") {
        opts.config.lanes = lanes.parse().context("PERFWARDEN_INGEST_LANES")?;
    }
    opts.keep_objects = Bench::env_flag("PERFWARDEN_INGEST_KEEP_OBJECTS", false);
    opts.create_bucket = Bench::env_flag("PERFWARDEN_INGEST_CREATE_BUCKET", true);
    Ok(opts)
}

/// Runs the scenarios and writes the results; a skipped S3 writes a skipped suite.
fn suite() -> anyhow::Result<()> {
    let bench = Bench::from_env(&SUITE)?;
    let opts = options(bench.profile)?;
    let mut plan = scenarios::plan(bench.profile, SEED);
    if let Ok(only) = std::env::var("PERFWARDEN_INGEST_SCENARIOS") {
        let names: Vec<&str> = only
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        plan = plan
            .select(&names)
            .map_err(|e| anyhow::anyhow!("PERFWARDEN_INGEST_SCENARIOS: {e}"))?;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let measured = runtime.block_on(async {
        let Some(service) = bench.service_or_skip(services::s3::provide().await?, "s3")? else {
            return Ok::<_, anyhow::Error>(None);
        };
        let target = S3Target::from(&service);
        let mut log = |line: String| eprintln!("{line}");
        Ok(Some(
            runner::run_suite(&target, &plan, &opts, &mut log).await?,
        ))
    })?;
    if let Some(suite) = measured {
        let run = report::to_run(&suite, bench.environment());
        let path = bench.write(&run)?;
        eprintln!("{SUITE}: results in {}", path.display());
        let failures = suite.failures();
        anyhow::ensure!(failures.is_empty(), "{}", failures.join("; "));
    }
    Ok(())
}

/// Rows the instruction count encodes: one row group's worth of work, small enough that
/// callgrind (about 50 times slower) counts it in seconds.
const ONCE_ROWS: usize = 16_384;

/// With `PERFWARDEN_INSTRUCTIONS_ONCE` set (`perfwarden check --instructions
/// ingest_parquet_s3=ingest_parquet_s3/encode_once`): the suite's CPU-bound path, generating
/// and encoding one row group with the default codec, once, and nothing else, so callgrind
/// counts exactly that work whatever the other core is doing.
fn encode_once() -> anyhow::Result<()> {
    let world = Arc::new(World::new(SEED));
    let mut events = Vec::with_capacity(ONCE_ROWS);
    Generator::new(world.clone(), EventMix::Realistic, SEED).fill(&mut events, ONCE_ROWS);
    // A fixed clock, so the count does not depend on when it ran.
    for e in &mut events {
        e.time_us = 1_700_000_000_000_000 + e.seq as i64;
    }
    let config = PipelineConfig::default();
    let encoder = encode::RowGroupEncoder::new(world, config.writer_properties()?)?;
    black_box(encoder.encode(&events)?.bytes);
    Ok(())
}

fn main() -> anyhow::Result<()> {
    if std::env::var_os("PERFWARDEN_INSTRUCTIONS_ONCE").is_some() {
        return encode_once();
    }
    // Under `cargo test --benches` Criterion runs each benchmark once as a test and the
    // suite is left out.
    let bench_mode = Bench::bench_mode();
    if Bench::env_flag("PERFWARDEN_INGEST_CRITERION", true) {
        let mut c = Criterion::default()
            .sample_size(10)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3))
            .configure_from_args();
        generation(&mut c);
        encoding(&mut c);
        c.final_summary();
    }
    if !bench_mode || !Bench::env_flag("PERFWARDEN_INGEST_SUITE", true) {
        return Ok(());
    }
    suite()
}
