//! grpc_windows end to end, at small sizes: no outside service needed.
//!
//! - every byte arrives intact for every profile and operation (checksums on both sides);
//! - the profiles' windows are really applied, on both ends: through a 20 ms delay proxy,
//!   Conservative's 64 KiB windows bound Write (the server's window) and Read (the
//!   client's) at window / RTT, while Aggressive is not bound by them;
//! - the injected slowdown knob slows every operation down;
//! - a tiny run of the suite produces valid results with the documented ids.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use bytes::Bytes;
use perfwarden::profile::Profile;
use perfwarden::results::{Environment, parse_run, validate};
use perfwarden_harness::suites::grpc_windows::{
    BlobClient, BlobServer, Condition, Config, DelayProxy, Op, RawTcpClient, RawTcpServer,
    SizeCase, WindowProfile, checksum, generate,
};

/// An odd size, so chunks never divide it evenly.
const SIZE: usize = 1024 * 1024 + 12_345;
const ODD_CHUNK: usize = 64 * 1024 + 7;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_byte_arrives_intact_for_every_profile_and_operation() -> Result<()> {
    let payload = generate(11, SIZE);
    let want = checksum(&payload);
    for profile in WindowProfile::ALL {
        let server = BlobServer::start(&profile, payload.clone()).await?;
        let client = BlobClient::connect(server.addr, &profile).await?;
        // Three operations of each kind at once: concurrent streams on one connection.
        let mut calls = Vec::new();
        for _ in 0..3 {
            let mut c = client.clone();
            let data = payload.clone();
            calls.push(tokio::spawn(async move {
                let w = c.write(data, ODD_CHUNK, true).await?;
                let r = c.read(SIZE as u64, true).await?;
                let s = c.stream(SIZE as u64, ODD_CHUNK, true).await?;
                Ok::<_, tonic::Status>([w, r, s])
            }));
        }
        for call in calls {
            let delivered = call.await?.with_context(|| profile.name)?;
            for (op, d) in Op::ALL.iter().zip(delivered) {
                ensure!(
                    d.bytes == SIZE as u64,
                    "{} {op}: {} bytes",
                    profile.name,
                    d.bytes
                );
                ensure!(
                    d.checksum == Some(want),
                    "{} {op}: checksum differs",
                    profile.name
                );
            }
        }
    }
    // The raw TCP baseline moves the same bytes intact too.
    let raw = RawTcpServer::start(payload.clone()).await?;
    let mut c = RawTcpClient::connect(raw.addr).await?;
    for d in [
        c.upload(&payload, true).await?,
        c.download(SIZE as u64, true).await?,
    ] {
        ensure!(
            d.bytes == SIZE as u64 && d.checksum == Some(want),
            "raw TCP: {d:?}"
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_byte_changes_the_checksum_the_client_sees() -> Result<()> {
    // The server holds a payload from another seed: the client's hash must not match.
    let server = BlobServer::start(&WindowProfile::DEFAULT, generate(12, SIZE)).await?;
    let mut client = BlobClient::connect(server.addr, &WindowProfile::DEFAULT).await?;
    let got = client.stream(SIZE as u64, ODD_CHUNK, true).await?;
    ensure!(got.checksum != Some(checksum(&generate(11, SIZE))));
    Ok(())
}

/// Seconds for one operation on a fresh connection through a delay proxy.
async fn timed_through_proxy(
    profile: WindowProfile,
    op: Op,
    payload: &Bytes,
    rtt: Duration,
) -> Result<f64> {
    let server = BlobServer::start(&profile, payload.clone()).await?;
    let proxy = DelayProxy::start(server.addr, rtt, 64 * 1024 * 1024).await?;
    let mut client = BlobClient::connect(proxy.addr, &profile).await?;
    let t = Instant::now();
    let got = match op {
        Op::Write => client.write(payload.clone(), ODD_CHUNK, false).await?,
        Op::Read => client.read(payload.len() as u64, false).await?,
        Op::Stream => {
            client
                .stream(payload.len() as u64, ODD_CHUNK, false)
                .await?
        }
    };
    ensure!(got.bytes == payload.len() as u64);
    Ok(t.elapsed().as_secs_f64())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn windows_are_applied_on_both_ends() -> Result<()> {
    let payload = generate(13, 1024 * 1024);
    let rtt = Duration::from_millis(20);
    // 64 KiB per 20 ms round trip at most: 1 MiB needs at least 16 round trips (320 ms).
    let window = WindowProfile::CONSERVATIVE
        .server_receive_window()
        .context("conservative has a fixed window")? as f64;
    let floor = payload.len() as f64 / window * rtt.as_secs_f64();
    // Write is bounded by the server's receive window, Read by the client's.
    for op in [Op::Write, Op::Read] {
        let conservative =
            timed_through_proxy(WindowProfile::CONSERVATIVE, op, &payload, rtt).await?;
        let aggressive = timed_through_proxy(WindowProfile::AGGRESSIVE, op, &payload, rtt).await?;
        let mib_s = 1.0 / conservative;
        ensure!(
            conservative >= floor,
            "conservative {op}: {conservative:.3} s ({mib_s:.1} MiB/s) beats the {floor:.3} s \
             that 64 KiB windows allow at 20 ms: the window was not applied"
        );
        ensure!(
            aggressive * 4.0 < conservative,
            "aggressive {op}: {aggressive:.3} s vs conservative {conservative:.3} s: 16 MiB \
             windows should move 1 MiB in a round trip or two"
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injected_slowdown_slows_every_operation() -> Result<()> {
    // Through a 20 ms proxy every operation takes at least a round trip, so a slowdown of
    // 0.5 adds at least 10 ms to each: well above the noise of a busy machine.
    let payload = generate(14, 256 * 1024);
    let profile = WindowProfile::DEFAULT;
    let server = BlobServer::start(&profile, payload.clone()).await?;
    let proxy = DelayProxy::start(server.addr, Duration::from_millis(20), 64 * 1024 * 1024).await?;
    let normal = BlobClient::connect(proxy.addr, &profile).await?;
    let slowed = normal.clone().with_slowdown(0.5);
    for op in Op::ALL {
        // A warm-up (the first call on a connection pays for its setup), then normal and
        // slowed alternately, three of each, compared by their fastest against 1.2, not
        // the 1.5 the pad gives: through the proxy one call can take 20% longer than the
        // next (beside a release build: 29.9 ms normal, 37.9 ms slowed from one call each;
        // 28.3 ms and 36.5 ms as the fastest of three). Without the pad the two are alike.
        let mut times = [Vec::new(), Vec::new()];
        for (i, client) in std::iter::once(&normal)
            .chain([&normal, &slowed].into_iter().cycle().take(6))
            .enumerate()
        {
            let mut c = client.clone();
            let t = Instant::now();
            let got = match op {
                Op::Write => c.write(payload.clone(), ODD_CHUNK, false).await?,
                Op::Read => c.read(payload.len() as u64, false).await?,
                Op::Stream => c.stream(payload.len() as u64, ODD_CHUNK, false).await?,
            };
            ensure!(got.bytes == payload.len() as u64);
            if i > 0 {
                times[(i - 1) % 2].push(t.elapsed());
            }
        }
        let fastest = |t: &[Duration]| t.iter().min().copied().unwrap_or_default();
        let (n, s) = (fastest(&times[0]), fastest(&times[1]));
        ensure!(
            s >= Duration::from_millis(30) && s.as_secs_f64() >= 1.2 * n.as_secs_f64(),
            "{op}: {n:?} without the slowdown, {s:?} with 0.5 (fastest of three each)"
        );
    }
    Ok(())
}

#[test]
fn a_tiny_run_writes_valid_results() -> Result<()> {
    let small = |rtt_ms| Condition {
        rtt_ms,
        sizes: vec![SizeCase {
            bytes: 256 * 1024,
            iterations: 2,
        }],
    };
    let mut cfg = Config::for_profile(Profile::Smoke);
    cfg.conditions = vec![small(None), small(Some(10))];
    let out = perfwarden_harness::suites::grpc_windows::run_blocking(&cfg, false)?;
    let run = out.to_run(Environment::detect(Profile::Smoke));
    validate(&run).map_err(anyhow::Error::msg)?;
    // What the bench writes is what the gate reads: the file form parses back, and the
    // committed JSON Schema accepts it.
    let json = run.to_json();
    parse_run(json.as_bytes()).map_err(anyhow::Error::msg)?;
    let schema_path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../schema/results-v1.schema.json"
    );
    let schema: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(schema_path)?)?;
    let validator = jsonschema::draft202012::new(&schema).map_err(|e| anyhow::anyhow!("{e}"))?;
    let doc: serde_json::Value = serde_json::from_str(&json)?;
    let complaints: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
    ensure!(complaints.is_empty(), "schema: {complaints:#?}");
    let ids: Vec<String> = run.metrics.iter().map(|m| m.id()).collect();
    for id in [
        "grpc_windows/library/write/256KB/throughput",
        "grpc_windows/default/read/256KB/fraction_of_tcp",
        "grpc_windows/conservative/stream/256KB/rtt10ms/latency_p99",
        "grpc_windows/adaptive/stream/256KB/ops_per_s",
        "grpc_windows/raw_tcp/write/256KB/rtt10ms/throughput",
        "grpc_windows/aggressive/write/256KB/peak_rss",
        "grpc_windows/best/read/256KB/rtt10ms/fraction_of_tcp",
    ] {
        ensure!(ids.iter().any(|i| i == id), "missing {id} in {ids:#?}");
    }
    let report = out.markdown();
    ensure!(report.contains("delaying TCP proxy"), "{report}");
    ensure!(report.contains("Best profile per operation"), "{report}");
    Ok(())
}
