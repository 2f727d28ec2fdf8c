//! `cargo bench --bench redis_cache`: the redis_cache suite on whatever Redis and Qdrant
//! the services layer provides, then Criterion's timing of the hit path's CPU part (key
//! derivation, answer decoding). Without Redis it prints one line and exits 0; without
//! Qdrant it runs the Redis-only part and says what it could not measure.
//!
//! The profile comes from `PERFWARDEN_PROFILE` (default `pr`); results go to
//! `target/perfwarden/redis_cache.json` and Criterion's to `target/criterion/`. Knobs: see
//! `perfwarden_harness::suites::redis_cache::options` (TTL, Redis timeout, Zipf exponent, fault) and
//! `PERFWARDEN_INJECT_SLOWDOWN` (a fraction: every measured request, hits included, is
//! followed by that fraction of its own latency before its end time is taken).

use std::hint::black_box;
use std::process::ExitCode;
use std::time::Duration;

use criterion::Criterion;
use perfwarden::profile::Profile;
use perfwarden_harness::bench::{Bench, Failure};
use perfwarden_harness::load::Share;
use perfwarden_harness::qdrant::Target;
use perfwarden_harness::services::{self, Provided};
use perfwarden_harness::suites::redis_cache::codec::{self, Answer, Hit};
use perfwarden_harness::suites::redis_cache::key::derive_key;
use perfwarden_harness::suites::redis_cache::worker::WorkerPlan;
use perfwarden_harness::suites::redis_cache::{self as suite, Backing, Options, SUITE, Summary};

fn main() -> ExitCode {
    match bench() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("{SUITE}: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn bench() -> anyhow::Result<ExitCode> {
    let bench = Bench::from_env(&SUITE)?;
    let opts = Options::from_env(bench.profile)?;
    if let Some(share) = Share::from_env().map_err(anyhow::Error::msg)? {
        return worker(&bench, &opts, share);
    }
    let rt = tokio::runtime::Runtime::new()?;
    let measured = rt.block_on(async {
        let Some(redis) = bench.service_or_skip(services::redis::provide().await?, "redis")? else {
            return Ok::<_, anyhow::Error>(None);
        };
        // Kept alive until the suite is done: dropping it stops a Qdrant perfwarden started.
        let qdrant = bench.optional_service(services::qdrant::provide().await?, "qdrant")?;
        let backing = match &qdrant {
            Provided::Ready(q) => Backing::Qdrant(Target::from_service(q)),
            Provided::Skipped(reason) => Backing::None(reason.clone()),
        };
        let mut run = bench.run();
        let result = suite::run(&redis, backing, &opts, &mut run).await;
        drop(qdrant);
        Ok(Some((run, result)))
    })?;
    let Some((run, result)) = measured else {
        return Ok(ExitCode::SUCCESS);
    };
    let (failure, note) = match &result {
        Ok(s) => (None, s.no_backend.clone()),
        Err(e) => (
            Some(Failure {
                message: e.to_string(),
                bad_input: e.is_bad_input(),
            }),
            None,
        ),
    };
    let code = bench.finish(run, failure, note)?;
    if let Ok(summary) = result {
        print_report(&summary, &opts);
        criterion_cpu_part(&opts);
    }
    Ok(code)
}

/// Worker mode: this machine's share of the hit-path plan, then its results; no Qdrant, no
/// Criterion. Exit 2 on bad settings, 1 when the share could not be measured.
fn worker(bench: &Bench, opts: &Options, share: Share) -> anyhow::Result<ExitCode> {
    let plan = WorkerPlan::from_env()?;
    let rt = tokio::runtime::Runtime::new()?;
    let redis = match rt.block_on(services::redis::provide())? {
        Provided::Ready(r) => r,
        Provided::Skipped(reason) => anyhow::bail!("worker {}: no Redis: {reason}", share.label()),
    };
    let mut run = bench.run();
    let result = rt.block_on(suite::worker::run(&redis, opts, share, &plan, &mut run));
    if let Ok(r) = &result {
        println!(
            "{SUITE}: worker {} sent {} requests at {:.0}/s of {:.0}/s, p99 {:.3} ms",
            share.label(),
            r.latency.count(),
            r.achieved_rate(),
            plan.rate,
            r.latency.summary().p99_ms,
        );
    }
    let failure = result.err().map(|e| Failure {
        message: format!("worker {}: {e}", share.label()),
        bad_input: e.is_bad_input(),
    });
    Ok(bench.finish(run, failure, None)?)
}

/// The headline: the hit path against redis-benchmark, the hit rate, the speed-up.
fn print_report(s: &Summary, opts: &Options) {
    let plan = &opts.plan;
    match (s.hit_p50_ms, s.redis_benchmark_get_p50_ms, s.ratio) {
        (Some(hit), Some(rb), Some(ratio)) => println!(
            "{SUITE}: cache hit p50 {hit:.3} ms vs redis-benchmark GET p50 {rb:.3} ms (c={}, same server): ratio {ratio:.2}, goal <= {} {}",
            plan.concurrency,
            suite::floor::RATIO_GOAL,
            if ratio <= suite::floor::RATIO_GOAL {
                "met"
            } else {
                "missed"
            }
        ),
        (Some(hit), _, _) => println!(
            "{SUITE}: cache hit p50 {hit:.3} ms (c={}); no redis-benchmark p50 to compare with",
            plan.concurrency
        ),
        _ => println!("{SUITE}: no cache hit measured"),
    }
    if let Some(rate) = s.zipf_hit_rate {
        println!(
            "{SUITE}: Zipf(s={}) hit rate {rate:.1}% at steady state over the last {:.0}% of {} requests (seed target > 90%)",
            plan.zipf_exponent,
            plan.steady_fraction * 100.0,
            plan.requests
        );
    }
    match (s.speedup, &s.no_backend) {
        (Some(x), _) => println!("{SUITE}: speed-up with the cache {x:.1}x (mean end-to-end)"),
        (None, Some(why)) => println!("{SUITE}: {why}"),
        (None, None) => {}
    }
    if let Some(f) = &s.fault {
        println!("{SUITE}: {f}");
    }
}

/// Criterion: what a hit costs the client's CPU besides the round trip.
fn criterion_cpu_part(opts: &Options) {
    let mut c = Criterion::default().configure_from_args();
    if opts.plan.profile == Profile::Smoke {
        c = c
            .sample_size(10)
            .warm_up_time(Duration::from_millis(300))
            .measurement_time(Duration::from_secs(1));
    }
    let mut group = c.benchmark_group("redis_cache/cpu");
    let vector: Vec<f32> = (0..4096).map(|i| (i as f32 * 0.37).sin()).collect();
    group.bench_function("key_4096d", |b| {
        b.iter(|| derive_key("perfwarden:rc:", "mixtral", black_box(&vector), 10, None))
    });
    let answer = Answer::new(
        (0..opts.plan.limit)
            .map(|i| Hit {
                id: i * 7919,
                score: 1.0 / (i + 1) as f32,
            })
            .collect(),
    );
    let bytes = codec::encode(&answer);
    group.bench_function("decode_10_hits", |b| {
        b.iter(|| codec::decode(black_box(&bytes)).expect("decodes"))
    });
    group.finish();
    c.final_summary();
}
