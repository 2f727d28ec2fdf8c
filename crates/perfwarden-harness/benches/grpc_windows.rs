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
use perfwarden::profile::Profile;
use perfwarden::results::Environment;
use perfwarden_harness::suites::grpc_windows::{
    self, BlobClient, BlobServer, Config, MIB, RawTcpClient, RawTcpServer, SUITE, WindowProfile,
};
use tokio::sync::Mutex;

fn main() -> Result<()> {
    perfwarden_harness::logging::init();
    let profile = Profile::from_env_or(Profile::Pr).map_err(anyhow::Error::msg)?;
    let cfg = Config::for_profile(profile).with_env()?;
    // `cargo bench` passes --bench; `cargo test --benches` does not, and then Criterion
    // runs each benchmark once as a test and the suite is left out.
    let bench_mode = std::env::args().any(|a| a == "--bench");
    if bench_mode && env_flag("PERFWARDEN_GRPC_SUITE", true) {
        eprintln!(
            "grpc_windows: profile {profile}, {} conditions",
            cfg.conditions.len()
        );
        let out = grpc_windows::run_blocking(&cfg, true)?;
        print!("{}", out.markdown());
        let path = out
            .to_run(Environment::detect(profile))
            .write_to_results_dir(SUITE)?;
        println!("\nresults: {}\n", path.display());
    }
    if env_flag("PERFWARDEN_GRPC_CRITERION", true) {
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

/// A boolean environment switch: unset or empty means `default`; 0, false and no are off.
fn env_flag(name: &str, default: bool) -> bool {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => !matches!(v.trim(), "0" | "false" | "no"),
        _ => default,
    }
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

    let mut group = c.benchmark_group(SUITE);
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
