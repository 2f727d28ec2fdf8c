//! Fan-out over all collections (seed 001): one query per collection, sent one after the
//! other, and all at once. The parallel time is compared with the sequential time (the
//! seed counts ≥ 30% time saved as success) and with the slowest single branch (what
//! parallelism cannot beat). Every branch has its own timeout; a fan-out where some
//! branches fail is a partial success, counted as such.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::join_all;

use super::client::{Protocol, SearchKind, Target, search_quick};
use super::measure::Collection;
use crate::load::{LatencyHistogram, Slowdown};

/// How one branch of a fan-out ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Branch {
    Ok,
    Error,
    Timeout,
}

/// One branch: its collection, outcome and time.
pub type BranchResult = (Branch, Duration);

/// Sends query `q` to every collection at once, each under its own `timeout`.
pub async fn parallel_once(
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
    pub fn speedup(&self) -> f64 {
        let par = self.parallel.mean_us();
        if par > 0.0 {
            self.sequential.mean_us() / par
        } else {
            0.0
        }
    }

    /// The fraction of the sequential time the parallel fan-out saves (seed 001: ≥ 0.3).
    pub fn time_saved(&self) -> f64 {
        let seq = self.sequential.mean_us();
        if seq > 0.0 {
            1.0 - self.parallel.mean_us() / seq
        } else {
            0.0
        }
    }

    /// Mean parallel time over mean slowest-branch time: 1.0 is the ideal.
    pub fn over_slowest(&self) -> f64 {
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
