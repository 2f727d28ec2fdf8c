//! `cargo bench --bench grpc_windows`: the grpc_windows suite, then a few Criterion
//! benchmarks of small cases.
//!
//! The suite runs at `PERFWARDEN_PROFILE` (default `pr`), prints its Markdown report and
//! writes `grpc_windows.json` into the results directory (`target/perfwarden/`). Its knobs
//! (`PERFWARDEN_GRPC_CONCURRENCY`, `PERFWARDEN_GRPC_CHUNK_BYTES`, `PERFWARDEN_INJECT_SLOWDOWN`)
//! are documented in `perfwarden_harness::suites::grpc_windows`. The Criterion part times 1 MiB
//! Read and Write with the Default profile and a raw TCP download on loopback, so
//! Criterion's own estimates (with their confidence intervals) exist for the gate too;
//! `PERFWARDEN_INJECT_SLOWDOWN` slows the two gRPC ones as it slows the suite.
//!
//! `PERFWARDEN_GRPC_SUITE=0` or `PERFWARDEN_GRPC_CRITERION=0` leaves one part out. Under
//! `cargo test --benches` (no `--bench` argument) only the Criterion part runs, once per
//! benchmark, as a test.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use criterion::{Criterion, Throughput};
use perfwarden_harness::bench::Bench;
use perfwarden_harness::suites::grpc_windows::{
    self, BlobClient, BlobServer, Config, MIB, RawTcpClient, RawTcpServer, SUITE, WindowProfile,
};
use tokio::sync::Mutex;

fn main() -> Result<()> {
    let bench = Bench::from_env(&SUITE)?;
    let profile = bench.profile;
    let cfg = Config::for_profile(profile).with_env()?;
    // Under `cargo test --benches` Criterion runs each benchmark once as a test and the
    // suite is left out.
    if Bench::bench_mode() && Bench::env_flag("PERFWARDEN_GRPC_SUITE", true) {
        eprintln!(
            "grpc_windows: profile {profile}, {} conditions",
            cfg.conditions.len()
        );
        let out = grpc_windows::run_blocking(&cfg, true)?;
        print!("{}", out.markdown());
        let path = bench.write(&out.to_run(bench.environment()))?;
        println!("\nresults: {}\n", path.display());
    }
    if Bench::env_flag("PERFWARDEN_GRPC_CRITERION", true) {
        let mut c = Criterion::default()
            .sample_size(10)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3))
            .configure_from_args();
        criterion_cases(&mut c, cfg.slowdown)?;
        c.final_summary();
    }
    Ok(())
}

fn criterion_cases(c: &mut Criterion, slowdown: f64) -> Result<()> {
    let rt = tokio::runtime::Runtime::new()?;
    let payload = grpc_windows::generate(grpc_windows::DEFAULT_SEED, MIB);
    let profile = WindowProfile::DEFAULT;
    let (_server, client, _raw_server, raw) = rt.block_on(async {
        let server = BlobServer::start(&profile, payload.clone()).await?;
        let client = BlobClient::connect(server.addr, &profile)
            .await?
            .with_slowdown(slowdown);
        let raw_server = RawTcpServer::start(payload.clone()).await?;
        let raw = RawTcpClient::connect(raw_server.addr).await?;
        Ok::<_, anyhow::Error>((server, client, raw_server, Arc::new(Mutex::new(raw))))
    })?;

    let mut group = c.benchmark_group(SUITE.name);
    group.throughput(Throughput::Bytes(MIB as u64));
    group.bench_function("default/read/1MB", |b| {
        b.to_async(&rt).iter(|| {
            let mut c = client.clone();
            async move { c.read(MIB as u64, false).await.expect("read") }
        })
    });
    group.bench_function("default/write/1MB", |b| {
        b.to_async(&rt).iter(|| {
            let mut c = client.clone();
            let data = payload.clone();
            async move { c.write(data, 4 * MIB, false).await.expect("write") }
        })
    });
    group.bench_function("raw_tcp/read/1MB", |b| {
        b.to_async(&rt).iter(|| {
            let raw = raw.clone();
            async move {
                raw.lock()
                    .await
                    .download(MIB as u64, false)
                    .await
                    .expect("download")
            }
        })
    });
    group.finish();
    Ok(())
}
