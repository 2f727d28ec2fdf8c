//! Fan-out over all collections (seed 001): one query per collection, sent one after the
//! other, and all at once. The parallel time is compared with the sequential time (the
//! seed counts ≥ 30% time saved as success) and with the slowest single branch (what
//! parallelism cannot beat). Every branch has its own timeout; a fan-out where some
//! branches fail is a partial success, counted as such.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::join_all;

use super::measure::Collection;
use super::options::Options;
use super::record::{aborted, record_load, say};
use crate::load::{LatencyHistogram, Slowdown};
use crate::qdrant::QdrantError;
use crate::qdrant::client::{Protocol, SearchKind, Target, search_quick};
use crate::record::Recorder;
use perfwarden::results::{Direction, Unit};

/// How one branch of a fan-out ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Branch {
    Ok,
    Error,
    Timeout,
}

/// One branch: its collection, outcome and time.
pub(crate) type BranchResult = (Branch, Duration);

/// Sends query `q` to every collection at once, each under its own `timeout`.
pub(crate) async fn parallel_once(
    target: &Target,
    colls: &[Arc<Collection>],
    protocol: Protocol,
    q: usize,
    timeout: Duration,
) -> (Duration, Vec<BranchResult>) {
    let started = Instant::now();
    let branches = join_all(
        colls
            .iter()
            .map(|c| branch(target, c, protocol, q, timeout)),
    )
    .await;
    (started.elapsed(), branches)
}

async fn branch(
    target: &Target,
    coll: &Collection,
    protocol: Protocol,
    q: usize,
    timeout: Duration,
) -> BranchResult {
    let reqs = coll.requests(SearchKind::Dense);
    let started = Instant::now();
    let outcome = match tokio::time::timeout(
        timeout,
        search_quick(target, protocol, &coll.qname, &reqs[q % reqs.len()]),
    )
    .await
    {
        Ok(Ok(())) => Branch::Ok,
        Ok(Err(_)) => Branch::Error,
        Err(_) => Branch::Timeout,
    };
    (outcome, started.elapsed())
}

/// Fan-outs of `rounds` queries, each sent sequentially then in parallel.
#[derive(Clone, Debug)]
pub struct Fanout {
    pub sequential: LatencyHistogram,
    pub parallel: LatencyHistogram,
    /// The slowest branch of each parallel fan-out.
    pub slowest: LatencyHistogram,
    /// Per collection (in `colls` order): branch times in the parallel fan-outs, errors,
    /// timeouts.
    pub per_collection: Vec<(LatencyHistogram, u64, u64)>,
    /// Parallel fan-outs where every branch answered, some did, none did.
    pub full: u64,
    pub partial: u64,
    pub failed: u64,
}

impl Fanout {
    /// Mean sequential time over mean parallel time.
    pub(crate) fn speedup(&self) -> f64 {
        let par = self.parallel.mean_us();
        if par > 0.0 {
            self.sequential.mean_us() / par
        } else {
            0.0
        }
    }

    /// The fraction of the sequential time the parallel fan-out saves (seed 001: ≥ 0.3).
    pub(crate) fn time_saved(&self) -> f64 {
        let seq = self.sequential.mean_us();
        if seq > 0.0 {
            1.0 - self.parallel.mean_us() / seq
        } else {
            0.0
        }
    }

    /// Mean parallel time over mean slowest-branch time: 1.0 is the ideal.
    pub(crate) fn over_slowest(&self) -> f64 {
        let slow = self.slowest.mean_us();
        if slow > 0.0 {
            self.parallel.mean_us() / slow
        } else {
            0.0
        }
    }
}

/// Runs `rounds` fan-outs, sequential then parallel for the same query, so both see the
/// same queries and the same state of the server.
pub async fn measure(
    target: &Target,
    colls: &[Arc<Collection>],
    protocol: Protocol,
    rounds: u64,
    timeout: Duration,
    slowdown: Slowdown,
) -> Fanout {
    let mut out = Fanout {
        sequential: LatencyHistogram::new(),
        parallel: LatencyHistogram::new(),
        slowest: LatencyHistogram::new(),
        per_collection: colls
            .iter()
            .map(|_| (LatencyHistogram::new(), 0, 0))
            .collect(),
        full: 0,
        partial: 0,
        failed: 0,
    };
    for round in 0..rounds {
        let q = round as usize;
        let started = Instant::now();
        for c in colls {
            branch(target, c, protocol, q, timeout).await;
        }
        slowdown.apply(started).await;
        out.sequential.record(started.elapsed());

        let started = Instant::now();
        let (_, branches) = parallel_once(target, colls, protocol, q, timeout).await;
        slowdown.apply(started).await;
        out.parallel.record(started.elapsed());
        let slowest = branches.iter().map(|b| b.1).max().unwrap_or_default();
        out.slowest.record(slowest);
        let ok = branches.iter().filter(|b| b.0 == Branch::Ok).count();
        match ok {
            n if n == branches.len() => out.full += 1,
            0 => out.failed += 1,
            _ => out.partial += 1,
        }
        for ((hist, errors, timeouts), (outcome, t)) in out.per_collection.iter_mut().zip(&branches)
        {
            hist.record(*t);
            match outcome {
                Branch::Ok => {}
                Branch::Error => *errors += 1,
                Branch::Timeout => *timeouts += 1,
            }
        }
        // Every branch failed twice running: Qdrant is gone, stop here with what we have.
        if out.failed >= 2 && ok == 0 {
            break;
        }
    }
    out
}

/// Measures the fan-out over `colls` with protocol `p` and records it under
/// `fanout/<protocol>`.
pub(crate) async fn phase(
    rec: &mut Recorder<'_>,
    target: &Arc<Target>,
    colls: &[Arc<Collection>],
    p: Protocol,
    opts: &Options,
) -> Result<(), QdrantError> {
    let plan = &opts.plan;
    let bench = format!("fanout/{}", p.name());
    let f = measure(
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
    // Results hold no negative values: a parallel fan-out slower than the sequential one
    // (a busy machine, a handful of fast rounds) saved nothing, and its speed-up says by
    // how much it lost.
    rec.value(
        &bench,
        "time_saved",
        Unit::Ratio,
        Direction::HigherIsBetter,
        f.time_saved().max(0.0),
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
            let (_, branches) = parallel_once(&t, &cs, p, i as usize, timeout).await;
            let failed = branches.iter().filter(|b| b.0 != Branch::Ok).count();
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
