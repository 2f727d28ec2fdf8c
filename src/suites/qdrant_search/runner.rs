//! The suite from start to end: set the collections up, then measure serial latency and
//! recall, closed-loop throughput, open-loop latency, the stress ramp, the fan-out and,
//! in the nightly profile, how cost grows with size. Metrics are appended as they are
//! measured, so a run that stops early keeps everything before the stop.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::client::{Protocol, SearchKind, Target};
use super::error::SuiteError;
use super::fixture::{self, Fixture};
use super::measure::{self, Collection, Serial};
use super::plan::{Plan, Scope};
use super::prepare::{self, Load, SetupStats};
use super::record::Collector;
use super::{fanout, growth, setup};
use crate::load::{LoadConfig, LoadReport, ProgressMode, Slowdown};
use crate::profile::Profile;
use crate::results::{Direction, Run, Unit};

/// Environment variable: the data seed (default [`DEFAULT_SEED`]).
pub const SEED_VAR: &str = "PERFGATE_QDRANT_SEED";
/// Environment variable: keep the collections after the run (`1`).
pub const KEEP_VAR: &str = "PERFGATE_QDRANT_KEEP";
pub const DEFAULT_SEED: u64 = 20_250_717;

/// Everything that shapes a run besides the Qdrant it runs against.
#[derive(Clone, Debug)]
pub struct Options {
    pub plan: Plan,
    pub fixture: PathBuf,
    pub seed: u64,
    pub progress: ProgressMode,
    pub slowdown: Slowdown,
    /// Bound on any single search.
    pub request_timeout: Duration,
    pub keep_collections: bool,
    /// Prefix of the collection names in Qdrant (`perfgate_mixtral`), so the suite never
    /// touches a user's own `mixtral`.
    pub prefix: String,
}

impl Options {
    /// The defaults for `profile`, without looking at the environment.
    pub fn new(profile: Profile) -> Options {
        Options {
            plan: Plan::for_profile(profile),
            fixture: fixture::default_path(),
            seed: DEFAULT_SEED,
            progress: ProgressMode::Auto,
            slowdown: Slowdown::NONE,
            request_timeout: Duration::from_secs(10),
            keep_collections: false,
            prefix: setup::DEFAULT_PREFIX.into(),
        }
    }

    /// The defaults for `profile` with the environment's overrides: the fixture
    /// (`PERFGATE_QDRANT_FIXTURE`), seed, injected slowdown, collection prefix and keeping
    /// collections.
    pub fn from_env(profile: Profile) -> Result<Options, SuiteError> {
        let mut o = Options::new(profile);
        o.slowdown = Slowdown::from_env().map_err(SuiteError::Config)?;
        if let Ok(s) = std::env::var(SEED_VAR)
            && !s.trim().is_empty()
        {
            o.seed = s.trim().parse().map_err(|_| {
                SuiteError::Config(format!("{SEED_VAR}: {s:?} is not an unsigned integer"))
            })?;
        }
        o.prefix = setup::prefix_from_env();
        o.keep_collections = std::env::var(KEEP_VAR).is_ok_and(|v| v == "1" || v == "true");
        Ok(o)
    }

    pub(crate) fn load_config(&self, label: String) -> LoadConfig {
        let plan = &self.plan;
        LoadConfig::new(label, plan.warmup, plan.duration)
            .window(plan.duration.min(Duration::from_secs(1)))
            .timeout(self.request_timeout)
            .progress(self.progress)
            .slowdown(self.slowdown)
    }

    /// The name in Qdrant of the suite's collection `name`.
    pub fn qdrant_name(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    pub(crate) fn load(&self, points: u64, queries: u64) -> Load {
        Load {
            seed: self.seed,
            points,
            queries,
            batch: self.plan.upsert_batch,
            parallel: self.plan.upsert_parallel,
            index_timeout: self.plan.index_timeout,
        }
    }
}

fn say(line: &str) {
    eprintln!("qdrant_search: {line}");
}

fn aborted(target: &Target, benchmark: &str, what: impl Into<String>) -> SuiteError {
    SuiteError::Aborted {
        endpoint: target.grpc_url.clone(),
        benchmark: benchmark.to_string(),
        what: what.into(),
    }
}

/// Records a setup's metrics under `benchmark` (`mixtral/setup`).
pub(crate) fn record_setup(rec: &mut Collector, benchmark: &str, stats: &SetupStats) {
    let up = stats.upload;
    rec.value(
        benchmark,
        "upsert_points_per_s",
        Unit::PointsPerSecond,
        Direction::HigherIsBetter,
        up.points_per_s(),
    )
    .sample_count = Some(up.points);
    rec.value(
        benchmark,
        "upsert_time",
        Unit::Seconds,
        Direction::LowerIsBetter,
        up.elapsed.as_secs_f64(),
    );
    let m = rec.value(
        benchmark,
        "index_wait",
        Unit::Seconds,
        Direction::LowerIsBetter,
        stats.index.elapsed.as_secs_f64(),
    );
    m.labels.insert(
        "indexed_vectors".into(),
        stats.index.indexed_vectors.to_string(),
    );
    m.labels
        .insert("segments".into(), stats.index.segments.to_string());
    if stats.index.timed_out {
        m.labels.insert("timed_out".into(), "true".into());
    }
    say(&format!(
        "{benchmark}: {} points in {:.1} s ({:.0} points/s), index ready after {:.1} s ({} of {} vectors indexed, {} segments{}), ground truth {:.1} s",
        up.points,
        up.elapsed.as_secs_f64(),
        up.points_per_s(),
        stats.index.elapsed.as_secs_f64(),
        stats.index.indexed_vectors,
        stats.index.points,
        stats.index.segments,
        if stats.index.timed_out {
            ", gave up waiting"
        } else {
            ""
        },
        stats.truth_time.as_secs_f64()
    ));
}

/// Records serial latency, recall and server time under `benchmark`.
pub(crate) fn record_serial(rec: &mut Collector, benchmark: &str, s: &Serial) {
    rec.latency(benchmark, "latency", &s.latency);
    let m = rec.value(
        benchmark,
        "recall_at_10",
        Unit::Ratio,
        Direction::HigherIsBetter,
        s.recall_mean,
    );
    m.sample_count = Some(s.queries);
    rec.latency(benchmark, "server_time", &s.server);
    let all = s.queries + s.errors;
    let ratio = if all > 0 {
        s.errors as f64 / all as f64
    } else {
        0.0
    };
    rec.value(
        benchmark,
        "error_rate",
        Unit::Ratio,
        Direction::LowerIsBetter,
        ratio,
    );
    let (l, srv) = (s.latency.summary(), s.server.summary());
    say(&format!(
        "{benchmark}: mean {:.2} ms, p50 {:.2}, p95 {:.2}, p99 {:.2}; server mean {:.2} ms; recall@10 {:.3}; {} errors{}",
        l.mean_ms,
        l.p50_ms,
        l.p95_ms,
        l.p99_ms,
        srv.mean_ms,
        s.recall_mean,
        s.errors,
        s.first_error
            .as_deref()
            .map(|e| format!(" (first: {e})"))
            .unwrap_or_default()
    ));
}

fn record_load(
    rec: &mut Collector,
    target: &Target,
    benchmark: &str,
    report: &LoadReport,
) -> Result<(), SuiteError> {
    rec.load(benchmark, report);
    say(&report.one_line());
    match &report.aborted {
        Some(why) => Err(aborted(
            target,
            benchmark,
            format!(
                "{why}; first error: {}",
                report.error_samples.first().map_or("none", |s| s)
            ),
        )),
        None => Ok(()),
    }
}

/// Runs the suite against `target`, appending metrics to `run` as they are measured.
/// Returns the collections (still in Qdrant) for further use, e.g. Criterion benches;
/// pass them to [`cleanup`] when done.
pub async fn run(
    target: Target,
    opts: &Options,
    run: &mut Run,
) -> Result<Vec<Arc<Collection>>, SuiteError> {
    let plan = &opts.plan;
    let fixture = Fixture::load(&opts.fixture)?;
    let specs = fixture.select(plan.collections.as_deref())?;
    let target = Arc::new(target);
    let mut rec = Collector { run };

    let mut colls: Vec<Arc<Collection>> = Vec::new();
    for spec in &specs {
        let qname = opts.qdrant_name(&spec.name);
        let (coll, stats) =
            prepare::collection(&target, spec, &qname, opts.load(plan.points, plan.queries))
                .await?;
        record_setup(&mut rec, &format!("{}/setup", spec.name), &stats);
        colls.push(Arc::new(coll));
    }

    let combos = |scope: Scope| {
        let mut v = Vec::new();
        for (ci, c) in colls.iter().enumerate() {
            for p in Protocol::ALL {
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
            let cfg = opts.load_config(bench.clone());
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
        for p in Protocol::ALL {
            fanout_phase(&mut rec, &target, &colls, p, opts).await?;
        }
    }

    if !plan.growth_sizes.is_empty() {
        let spec = fixture.select(Some(&[plan.growth_collection]))?.remove(0);
        growth::run(&mut rec, &target, &spec, opts).await?;
    }
    Ok(colls)
}

async fn fanout_phase(
    rec: &mut Collector<'_>,
    target: &Arc<Target>,
    colls: &[Arc<Collection>],
    p: Protocol,
    opts: &Options,
) -> Result<(), SuiteError> {
    let plan = &opts.plan;
    let bench = format!("fanout/{}", p.name());
    let f = fanout::measure(
        target,
        colls,
        p,
        plan.fanout_rounds,
        plan.fanout_timeout,
        opts.slowdown,
    )
    .await;
    rec.latency(&bench, "sequential", &f.sequential);
    rec.latency(&bench, "parallel", &f.parallel);
    rec.latency(&bench, "slowest_single", &f.slowest);
    rec.value(
        &bench,
        "speedup",
        Unit::Ratio,
        Direction::HigherIsBetter,
        f.speedup(),
    );
    rec.value(
        &bench,
        "time_saved",
        Unit::Ratio,
        Direction::HigherIsBetter,
        f.time_saved(),
    )
    .labels
    .insert(
        "seed_goal".into(),
        "at least 0.30 (seed 001: parallel >= 30% faster)".into(),
    );
    rec.value(
        &bench,
        "parallel_over_slowest",
        Unit::Ratio,
        Direction::LowerIsBetter,
        f.over_slowest(),
    );
    let rounds = (f.full + f.partial + f.failed).max(1) as f64;
    rec.value(
        &bench,
        "full_success_ratio",
        Unit::Ratio,
        Direction::HigherIsBetter,
        f.full as f64 / rounds,
    );
    rec.value(
        &bench,
        "partial_success",
        Unit::Count,
        Direction::LowerIsBetter,
        f.partial as f64,
    );
    rec.value(
        &bench,
        "failed",
        Unit::Count,
        Direction::LowerIsBetter,
        f.failed as f64,
    );
    for (c, (hist, errors, timeouts)) in colls.iter().zip(&f.per_collection) {
        let b = format!("{bench}/{}", c.spec.name);
        rec.latency(&b, "branch", hist);
        rec.value(
            &b,
            "errors",
            Unit::Count,
            Direction::LowerIsBetter,
            (errors + timeouts) as f64,
        )
        .labels
        .insert("timeouts".into(), timeouts.to_string());
    }
    say(&format!(
        "{bench}: {} collections, sequential mean {:.2} ms, parallel mean {:.2} ms (p99 {:.2}), slowest branch mean {:.2} ms; speed-up {:.2}x, time saved {:.0}%, parallel/slowest {:.2}; {} full, {} partial, {} failed",
        colls.len(),
        f.sequential.summary().mean_ms,
        f.parallel.summary().mean_ms,
        f.parallel.summary().p99_ms,
        f.slowest.summary().mean_ms,
        f.speedup(),
        f.time_saved() * 100.0,
        f.over_slowest(),
        f.full,
        f.partial,
        f.failed
    ));
    if f.failed > 0 && f.full == 0 && f.partial == 0 {
        return Err(aborted(
            target,
            &bench,
            "every branch of every fan-out failed",
        ));
    }

    // Parallel fan-outs under a closed loop: how many whole fan-outs per second, a fan-out
    // with any failed branch counting as an error.
    let cfg = opts.load_config(format!("{bench} parallel"));
    let (t, cs, timeout) = (
        target.clone(),
        Arc::new(colls.to_vec()),
        plan.fanout_timeout,
    );
    let report = crate::load::closed_loop(&cfg, plan.fanout_concurrency, move |i| {
        let (t, cs) = (t.clone(), cs.clone());
        async move {
            let (_, branches) = fanout::parallel_once(&t, &cs, p, i as usize, timeout).await;
            let failed = branches
                .iter()
                .filter(|b| b.0 != fanout::Branch::Ok)
                .count();
            if failed == 0 {
                Ok(())
            } else {
                Err(format!("{failed} of {} branches failed", branches.len()))
            }
        }
    })
    .await;
    record_load(
        rec,
        target,
        &format!("{bench}/closed_c{}", plan.fanout_concurrency),
        &report,
    )
}

/// Deletes the suite's collections (unless asked to keep them). Errors are reported, not
/// returned: the measurements are done.
pub async fn cleanup(target: &Target, colls: &[Arc<Collection>], opts: &Options) {
    if opts.keep_collections {
        return;
    }
    for c in colls {
        if let Err(e) = target.grpc.delete_collection(c.qname.as_ref()).await {
            say(&format!("could not delete collection {}: {e}", c.qname));
        }
    }
}
