//! The measurements of one (collection, protocol, search kind): serial latency with recall
//! and server time, closed-loop throughput, open-loop latency, and the stress ramp.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::truth::{Truth, recall, recall_hybrid};
use crate::load::{self, LatencyHistogram, LoadConfig, LoadReport, Slowdown};
use crate::qdrant::client::{Prepared, Protocol, SearchKind, Target, search, search_quick};
use crate::qdrant::fixture::CollectionSpec;

/// Consecutive failed serial searches after which Qdrant is taken to be gone.
const SERIAL_GIVE_UP: u64 = 5;

/// A collection that is set up, with its queries prepared and its ground truth known.
pub struct Collection {
    pub spec: CollectionSpec,
    /// Its name in Qdrant.
    pub qname: Arc<str>,
    /// Prepared requests per search kind, in `SearchKind::ALL` order.
    pub requests: [Arc<Vec<Prepared>>; 3],
    pub truth: Arc<Truth>,
}

impl Collection {
    pub fn requests(&self, kind: SearchKind) -> &Arc<Vec<Prepared>> {
        let i = SearchKind::ALL
            .iter()
            .position(|k| *k == kind)
            .expect("listed");
        &self.requests[i]
    }

    /// recall@10 of `ids` as the answer to query `q` of `kind`.
    pub(crate) fn recall(&self, kind: SearchKind, q: usize, ids: &[u64]) -> f64 {
        match kind {
            SearchKind::Dense => recall(ids, &self.truth.dense[q]),
            SearchKind::Filter => recall(ids, &self.truth.filtered[q]),
            SearchKind::Hybrid => recall_hybrid(ids, &self.truth.hybrid[q]),
        }
    }
}

/// Serial latency, with what Qdrant says it spent and how good the answers were.
#[derive(Clone, Debug)]
pub(crate) struct Serial {
    pub latency: LatencyHistogram,
    pub server: LatencyHistogram,
    pub recall_mean: f64,
    pub queries: u64,
    pub errors: u64,
    pub first_error: Option<String>,
}

/// Sends every query once, one at a time, after `warmup` unrecorded ones. Gives up (Err,
/// with what was measured) after a few failures in a row: Qdrant is gone.
pub(crate) async fn serial(
    target: &Target,
    coll: &Collection,
    protocol: Protocol,
    kind: SearchKind,
    warmup: u64,
    slowdown: Slowdown,
    timeout: Duration,
) -> Result<Serial, (Serial, String)> {
    let reqs = coll.requests(kind);
    let mut out = Serial {
        latency: LatencyHistogram::new(),
        server: LatencyHistogram::new(),
        recall_mean: 0.0,
        queries: 0,
        errors: 0,
        first_error: None,
    };
    let mut recall_sum = 0.0;
    let mut in_a_row = 0;
    let n = reqs.len() as u64;
    for i in 0..warmup + n {
        let q = (i % n.max(1)) as usize;
        let sent = Instant::now();
        let result =
            tokio::time::timeout(timeout, search(target, protocol, &coll.qname, &reqs[q])).await;
        slowdown.apply(sent).await;
        let elapsed = sent.elapsed();
        let result = match result {
            Ok(r) => r.map_err(|e| e.0),
            Err(_) => Err(format!("timed out after {timeout:?}")),
        };
        match result {
            Ok(found) => {
                in_a_row = 0;
                if i >= warmup {
                    out.latency.record(elapsed);
                    if let Some(t) = found.server_time {
                        out.server.record(t);
                    }
                    recall_sum += coll.recall(kind, q, &found.ids);
                    out.queries += 1;
                }
            }
            Err(e) => {
                in_a_row += 1;
                out.errors += 1;
                out.first_error.get_or_insert(e);
                if in_a_row >= SERIAL_GIVE_UP {
                    let why = format!(
                        "{in_a_row} searches failed in a row: {}",
                        out.first_error.clone().unwrap_or_default()
                    );
                    out.recall_mean = if out.queries > 0 {
                        recall_sum / out.queries as f64
                    } else {
                        0.0
                    };
                    return Err((out, why));
                }
            }
        }
    }
    out.recall_mean = if out.queries > 0 {
        recall_sum / out.queries as f64
    } else {
        0.0
    };
    Ok(out)
}

/// Closed loop of searches at `concurrency`.
pub(crate) async fn closed(
    target: &Arc<Target>,
    coll: &Collection,
    protocol: Protocol,
    kind: SearchKind,
    cfg: &LoadConfig,
    concurrency: usize,
) -> LoadReport {
    let (t, reqs, name) = (
        target.clone(),
        coll.requests(kind).clone(),
        coll.qname.clone(),
    );
    let n = reqs.len() as u64;
    load::closed_loop(cfg, concurrency, move |i| {
        let (t, reqs, name) = (t.clone(), reqs.clone(), name.clone());
        async move { search_quick(&t, protocol, &name, &reqs[(i % n) as usize]).await }
    })
    .await
}

/// Open loop of searches at `rate` per second.
pub async fn open(
    target: &Arc<Target>,
    coll: &Collection,
    protocol: Protocol,
    kind: SearchKind,
    cfg: &LoadConfig,
    rate: f64,
    max_in_flight: usize,
) -> LoadReport {
    let (t, reqs, name) = (
        target.clone(),
        coll.requests(kind).clone(),
        coll.qname.clone(),
    );
    let n = reqs.len() as u64;
    load::open_loop(cfg, rate, max_in_flight, move |i| {
        let (t, reqs, name) = (t.clone(), reqs.clone(), name.clone());
        async move { search_quick(&t, protocol, &name, &reqs[(i % n) as usize]).await }
    })
    .await
}

/// The result of a stress ramp.
#[derive(Clone, Debug)]
pub(crate) struct Stress {
    /// The highest offered rate that met the objective (0 when none did).
    pub max_rate: f64,
    /// Every step: offered rate, whether it met the objective, its report.
    pub steps: Vec<(f64, bool, LoadReport)>,
}

/// Whether a step met the objective: p99 under `slo` with errors (and dropped requests)
/// under `max_errors`, and not cut short.
pub(crate) fn meets(report: &LoadReport, slo: Duration, max_errors: f64) -> bool {
    report.aborted.is_none()
        && report.ok > 0
        && report.summary().p99_ms < slo.as_secs_f64() * 1000.0
        && report.error_ratio() < max_errors
}

/// The next rate of a ramp: grow by half while every step passed, then bisect between the
/// best passing and the lowest failing rate.
pub(crate) fn next_rate(passed: Option<f64>, failed: Option<f64>, current: f64) -> f64 {
    match (passed, failed) {
        (_, None) => current * 1.5,
        (Some(lo), Some(hi)) => (lo + hi) / 2.0,
        (None, Some(hi)) => hi / 2.0,
    }
}

/// Open-loop steps from `start` per second, finding the highest rate that keeps p99 under
/// the objective with under `max_errors` errors, in at most `steps` runs. Stops early when
/// a step was aborted (Qdrant stopped answering).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn stress(
    target: &Arc<Target>,
    coll: &Collection,
    protocol: Protocol,
    kind: SearchKind,
    cfg: &LoadConfig,
    start: f64,
    steps: usize,
    slo: Duration,
    max_errors: f64,
    max_in_flight: usize,
) -> Stress {
    let mut out = Stress {
        max_rate: 0.0,
        steps: Vec::new(),
    };
    let (mut passed, mut failed): (Option<f64>, Option<f64>) = (None, None);
    let mut rate = start.max(1.0);
    for _ in 0..steps {
        let step_cfg = LoadConfig {
            label: format!("{} stress", cfg.label),
            ..cfg.clone()
        };
        let report = open(target, coll, protocol, kind, &step_cfg, rate, max_in_flight).await;
        let ok = meets(&report, slo, max_errors);
        let aborted = report.aborted.is_some();
        out.steps.push((rate, ok, report));
        if ok {
            passed = Some(passed.map_or(rate, |p: f64| p.max(rate)));
        } else {
            failed = Some(failed.map_or(rate, |f: f64| f.min(rate)));
        }
        if aborted {
            break;
        }
        rate = next_rate(passed, failed, rate);
        // Bisection closer than 5% says nothing more.
        if let (Some(lo), Some(hi)) = (passed, failed)
            && hi / lo < 1.05
        {
            break;
        }
    }
    out.max_rate = passed.unwrap_or(0.0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ramp_grows_then_bisects() {
        assert_eq!(next_rate(Some(100.0), None, 100.0), 150.0);
        assert_eq!(next_rate(Some(150.0), Some(225.0), 225.0), 187.5);
        assert_eq!(next_rate(None, Some(100.0), 100.0), 50.0);
    }
}
