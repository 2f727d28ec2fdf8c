//! The suite from start to end: set the collections up, then measure serial latency and
//! recall, closed-loop throughput, open-loop latency, the stress ramp, the fan-out, the
//! users' workload mix and, in the nightly profile, how cost grows with size. Metrics are
//! appended as they are measured, so a run that stops early keeps everything before the
//! stop.

use std::collections::HashMap;
use std::sync::Arc;

use super::measure::{self, Collection};
use super::mix::{self, MixCache};
use super::options::Options;
use super::plan::{Plan, Scope};
use super::prepare;
use super::record::{
    SUITE, aborted, label_engine, record_load, record_serial, record_setup, say, scoped,
};
use super::{fanout, growth};
use crate::qdrant::QdrantError;
use crate::qdrant::client::{Protocol, SearchKind, Target};
use crate::qdrant::fixture::Fixture;
use perfwarden::results::{Run, Unit};

/// Runs the suite against `target` without a Redis: a mix that looks answers up in a
/// cache is skipped (see [`run_with`]).
pub async fn run(
    target: Target,
    opts: &Options,
    run: &mut Run,
) -> Result<Vec<Arc<Collection>>, QdrantError> {
    let no_redis = MixCache::Missing("no Redis was given to this run".into());
    run_with(target, &no_redis, opts, run).await
}

/// Runs the suite against `target`, the mix's `cache_lookup` through `cache`, appending
/// metrics to `run` as they are measured. Returns the collections (still in Qdrant) for
/// further use, e.g. Criterion benches; pass them to [`cleanup`] when done. The embedded
/// engine's metrics are labelled as its, whether the run ends well or not.
pub async fn run_with(
    target: Target,
    cache: &MixCache<'_>,
    opts: &Options,
    run: &mut Run,
) -> Result<Vec<Arc<Collection>>, QdrantError> {
    let from = run.metrics.len();
    let target = Arc::new(target);
    let result = measure_all(&target, cache, opts, run).await;
    label_engine(&target, run, from);
    result
}

async fn measure_all(
    target: &Arc<Target>,
    cache: &MixCache<'_>,
    opts: &Options,
    run: &mut Run,
) -> Result<Vec<Arc<Collection>>, QdrantError> {
    let plan = &opts.plan;
    let fixture = Fixture::load(&opts.fixture)?;
    let specs = fixture.select(plan.collections.as_deref())?;
    let target = target.clone();
    let mut rec = SUITE.recorder(run);

    let mut colls: Vec<Arc<Collection>> = Vec::new();
    for spec in &specs {
        let qname = opts.qdrant_name(&spec.name);
        let (coll, stats) =
            prepare::collection(&target, spec, &qname, opts.load(plan.points, plan.queries))
                .await?;
        record_setup(&mut rec, &scoped(&target, &spec.name, "setup"), &stats);
        colls.push(Arc::new(coll));
    }

    let combos = |scope: Scope| {
        let mut v = Vec::new();
        for (ci, c) in colls.iter().enumerate() {
            for &p in target.protocols() {
                for k in SearchKind::ALL {
                    if Plan::covers(scope, ci, k == SearchKind::Dense) {
                        v.push((c.clone(), p, k));
                    }
                }
            }
        }
        v
    };
    let name = |c: &Collection, p: Protocol, k: SearchKind| {
        format!("{}/{}/{}", c.spec.name, p.name(), k.name())
    };

    for (c, p, k) in combos(Scope::All) {
        let bench = name(&c, p, k);
        match measure::serial(
            &target,
            &c,
            p,
            k,
            plan.serial_warmup,
            opts.slowdown,
            opts.request_timeout,
        )
        .await
        {
            Ok(s) => record_serial(&mut rec, &bench, &s),
            Err((s, why)) => {
                record_serial(&mut rec, &bench, &s);
                return Err(aborted(&target, &bench, why));
            }
        }
    }

    let mut best_qps: HashMap<String, f64> = HashMap::new();
    for (c, p, k) in combos(plan.sweep_scope) {
        let bench = name(&c, p, k);
        let mut best = (0.0, 0);
        for &conc in &plan.sweep {
            let cfg = opts.load_config(bench.clone());
            let report = measure::closed(&target, &c, p, k, &cfg, conc).await;
            record_load(
                &mut rec,
                &target,
                &format!("{bench}/closed_c{conc}"),
                &report,
            )?;
            if report.throughput() > best.0 {
                best = (report.throughput(), conc);
            }
        }
        rec.rate(&bench, "qps", Unit::OpsPerSecond, best.0)
            .labels
            .insert("concurrency".into(), best.1.to_string());
        best_qps.insert(bench, best.0);
    }

    for (c, p, k) in combos(plan.open_scope) {
        let bench = name(&c, p, k);
        for &rate in &plan.open_rates {
            let cfg = opts.open_config(bench.clone());
            let report = measure::open(&target, &c, p, k, &cfg, rate, plan.max_in_flight).await;
            record_load(&mut rec, &target, &format!("{bench}/open_{rate}"), &report)?;
        }
    }

    for (c, p, k) in combos(plan.stress_scope) {
        let bench = name(&c, p, k);
        // Start at half the best closed-loop throughput: a rate it surely sustains.
        let start = best_qps
            .get(&bench)
            .copied()
            .filter(|q| *q > 0.0)
            .map_or(50.0, |q| q / 2.0);
        let cfg = opts.load_config(bench.clone());
        let stress = measure::stress(
            &target,
            &c,
            p,
            k,
            &cfg,
            start,
            plan.stress_steps,
            plan.slo_p99,
            plan.slo_max_errors,
            plan.max_in_flight,
        )
        .await;
        let steps: Vec<String> = stress
            .steps
            .iter()
            .map(|(r, ok, rep)| {
                format!(
                    "{r:.0}/s p99 {:.1} ms {}",
                    rep.summary().p99_ms,
                    if *ok { "ok" } else { "over" }
                )
            })
            .collect();
        let m = rec.rate(
            &bench,
            "max_rate_under_slo",
            Unit::OpsPerSecond,
            stress.max_rate,
        );
        m.labels.insert(
            "slo".into(),
            format!(
                "p99 < {} ms, errors < {}%",
                plan.slo_p99.as_millis(),
                plan.slo_max_errors * 100.0
            ),
        );
        m.labels.insert("steps".into(), steps.join("; "));
        say(&format!(
            "{bench}: highest rate under the SLO {:.0}/s ({})",
            stress.max_rate,
            steps.join("; ")
        ));
        if let Some((_, _, last)) = stress.steps.last()
            && let Some(why) = &last.aborted
        {
            return Err(aborted(&target, &format!("{bench}/stress"), why.clone()));
        }
    }

    if colls.len() >= 2 {
        for &p in target.protocols() {
            fanout::phase(&mut rec, &target, &colls, p, opts).await?;
        }
    }

    mix::phase(&mut rec, &target, &colls, cache, opts).await?;

    if !plan.growth_sizes.is_empty() {
        let spec = fixture.select(Some(&[plan.growth_collection]))?.remove(0);
        growth::run(&mut rec, &target, &spec, opts).await?;
    }
    Ok(colls)
}

/// Deletes the suite's collections (unless asked to keep them). Errors are reported, not
/// returned: the measurements are done.
pub async fn cleanup(target: &Target, colls: &[Arc<Collection>], opts: &Options) {
    if opts.keep_collections {
        return;
    }
    for c in colls {
        if let Err(e) = target.delete_collection(c.qname.as_ref()).await {
            say(&format!("could not delete collection {}: {e}", c.qname));
        }
    }
}
