//! `cargo bench --bench qdrant_search`: the qdrant_search suite on whatever Qdrant the
//! services layer provides (`QDRANT_URL`, a container, or `qdrant` on PATH), then Criterion's
//! single-query latency per vector dimension on the same collections. Without a Qdrant it
//! prints one line and exits 0. The server's CPU and memory over the run are recorded too
//! when perfwarden started it.
//!
//! The profile comes from `PERFWARDEN_PROFILE` (default `pr`); results go to
//! `target/perfwarden/qdrant_search.json` and Criterion's to `target/criterion/`.

use std::collections::BTreeSet;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use criterion::{BenchmarkId, Criterion};
use perfwarden::profile::Profile;
use perfwarden_harness::bench::{Bench, Failure};
use perfwarden_harness::qdrant::client::search_quick;
use perfwarden_harness::services::qdrant;
use perfwarden_harness::suites::qdrant_search::{
    self as suite, Options, Protocol, SUITE, SearchKind, Target, measure::Collection,
};

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
    let rt = tokio::runtime::Runtime::new()?;
    let Some(service) = bench.service_or_skip(rt.block_on(qdrant::provide())?, "qdrant")? else {
        return Ok(ExitCode::SUCCESS);
    };
    let target = Target::from_service(&service);
    let sampler = service.sampler();
    let mut opts = Options::from_env(bench.profile)?;
    let keep = opts.keep_collections;
    // Criterion needs the collections after the suite; they are deleted at the end.
    opts.keep_collections = true;
    let mut run = bench.run();
    let result = rt.block_on(suite::run(target.clone(), &opts, &mut run));
    run.metrics
        .extend(sampler.finish().metrics(SUITE.name, "qdrant/resources"));
    let failure = result.as_ref().err().map(|e| Failure {
        message: e.to_string(),
        bad_input: e.is_bad_input(),
    });
    let code = bench.finish(run, failure, None)?;
    let Ok(colls) = result else {
        return Ok(code);
    };
    criterion_single_query(&rt, &target, &colls, bench.profile);
    opts.keep_collections = keep;
    rt.block_on(suite::cleanup(&target, &colls, &opts));
    Ok(code)
}

/// One search at a time, per protocol and per distinct dimension (the first collection of
/// each dimension), timed by Criterion.
fn criterion_single_query(
    rt: &tokio::runtime::Runtime,
    target: &Target,
    colls: &[Arc<Collection>],
    profile: Profile,
) {
    // Short runs for the quick profiles (the suite's own serial latency covers every
    // collection already); Criterion's defaults for the nightly and full ones.
    let mut c = Criterion::default().configure_from_args();
    c = match profile {
        Profile::Smoke => c
            .sample_size(10)
            .warm_up_time(Duration::from_millis(300))
            .measurement_time(Duration::from_secs(1)),
        Profile::Pr => c
            .sample_size(20)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(2)),
        Profile::Nightly | Profile::Full => c,
    };
    let mut group = c.benchmark_group("qdrant_search/single_query");
    let mut seen = BTreeSet::new();
    for coll in colls.iter().filter(|c| seen.insert(c.spec.dim)) {
        for protocol in Protocol::ALL {
            let id = BenchmarkId::new(protocol.name(), format!("{}d", coll.spec.dim));
            let reqs = coll.requests(SearchKind::Dense).clone();
            let next = AtomicU64::new(0);
            group.bench_function(id, |b| {
                b.to_async(rt).iter(|| {
                    let i = next.fetch_add(1, Ordering::Relaxed) as usize % reqs.len();
                    let (reqs, name) = (reqs.clone(), coll.qname.clone());
                    async move {
                        search_quick(target, protocol, &name, &reqs[i])
                            .await
                            .expect("search");
                    }
                })
            });
        }
    }
    group.finish();
    c.final_summary();
}
