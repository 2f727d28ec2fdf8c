//! How cost grows with collection size (the nightly profile): one collection measured at
//! several sizes, curves fitted through the results, and the seed's 100M+ vectors
//! extrapolated from them, labelled as an extrapolation wherever it appears.

use std::sync::Arc;

use super::fit::{Model, fit};
use super::measure;
use super::options::Options;
use super::prepare;
use super::record::{record_serial, record_setup, scoped};
use crate::qdrant::QdrantError;
use crate::qdrant::client::{SearchKind, Target};
use crate::qdrant::fixture::CollectionSpec;
use crate::record::Recorder;
use perfwarden::results::{Direction, Unit};

/// The size the seed asks about (100M+ vectors).
pub(crate) const EXTRAPOLATE_TO: f64 = 100_000_000.0;

/// One measured size.
#[derive(Clone, Copy, Debug)]
struct Point {
    n: f64,
    p50_ms: f64,
    mean_ms: f64,
    qps: f64,
    upsert_s: f64,
    index_s: f64,
}

/// Measures `spec` at every size of the plan and records the fitted extrapolation.
pub async fn run(
    rec: &mut Recorder<'_>,
    target: &Arc<Target>,
    spec: &CollectionSpec,
    opts: &Options,
) -> Result<(), QdrantError> {
    let plan = &opts.plan;
    let mut points = Vec::new();
    let conc = plan.sweep.iter().copied().max().unwrap_or(1);
    // A server's growth is measured over gRPC, the engine's through its calls.
    let protocol = target.protocols()[0];
    for &n in &plan.growth_sizes {
        let bench = scoped(target, "growth", &format!("{}/{n}", spec.name));
        let qname = opts.qdrant_name(&format!("growth_{}_{n}", spec.name));
        let (coll, stats) =
            prepare::collection(target, spec, &qname, opts.load(n, plan.queries.min(100))).await?;
        record_setup(rec, &bench, &stats);
        let serial = match measure::serial(
            target,
            &coll,
            protocol,
            SearchKind::Dense,
            plan.serial_warmup,
            opts.slowdown,
            opts.request_timeout,
        )
        .await
        {
            Ok(s) => s,
            Err((s, why)) => {
                record_serial(rec, &bench, &s);
                return Err(QdrantError::Aborted {
                    endpoint: target.address(),
                    benchmark: bench,
                    what: why,
                });
            }
        };
        record_serial(rec, &bench, &serial);
        let cfg = opts.load_config(bench.clone());
        let report = measure::closed(target, &coll, protocol, SearchKind::Dense, &cfg, conc).await;
        rec.rate(&bench, "qps", Unit::OpsPerSecond, report.throughput())
            .labels
            .insert("concurrency".into(), conc.to_string());
        let s = serial.latency.summary();
        points.push(Point {
            n: n as f64,
            p50_ms: s.p50_ms,
            mean_ms: s.mean_ms,
            qps: report.throughput(),
            upsert_s: stats.upload.elapsed.as_secs_f64(),
            index_s: stats.index.elapsed.as_secs_f64(),
        });
        if !opts.keep_collections {
            // Free the server's memory before the next, bigger size.
            let _ = target.delete_collection(qname.as_str()).await;
        }
        if let Some(why) = report.aborted {
            return Err(QdrantError::Aborted {
                endpoint: target.address(),
                benchmark: bench,
                what: why,
            });
        }
    }
    let bench = scoped(
        target,
        "growth",
        &format!("{}/extrapolated_100M", spec.name),
    );
    record_extrapolation(rec, &bench, &points);
    Ok(())
}

/// A growth series: metric name, fitted model, unit, direction and how to read it.
type Series = (&'static str, Model, Unit, Direction, fn(&Point) -> f64);

fn record_extrapolation(rec: &mut Recorder<'_>, bench: &str, points: &[Point]) {
    let xs: Vec<f64> = points.iter().map(|p| p.n).collect();
    let sizes = xs
        .iter()
        .map(|x| format!("{x:.0}"))
        .collect::<Vec<_>>()
        .join(", ");
    let series: [Series; 5] = [
        (
            "latency_p50",
            Model::Log,
            Unit::Milliseconds,
            Direction::LowerIsBetter,
            |p| p.p50_ms,
        ),
        (
            "latency_mean",
            Model::Log,
            Unit::Milliseconds,
            Direction::LowerIsBetter,
            |p| p.mean_ms,
        ),
        (
            "qps",
            Model::Power,
            Unit::OpsPerSecond,
            Direction::HigherIsBetter,
            |p| p.qps,
        ),
        (
            "upsert_time",
            Model::Power,
            Unit::Seconds,
            Direction::LowerIsBetter,
            |p| p.upsert_s,
        ),
        (
            "index_wait",
            Model::Power,
            Unit::Seconds,
            Direction::LowerIsBetter,
            |p| p.index_s,
        ),
    ];
    for (metric, model, unit, direction, get) in series {
        let ys: Vec<f64> = points.iter().map(get).collect();
        let Some(f) = fit(model, &xs, &ys) else {
            tracing::warn!(
                "qdrant_search: {bench}/{metric}: cannot fit a curve through sizes {sizes}"
            );
            continue;
        };
        let value = f.predict(EXTRAPOLATE_TO).max(0.0);
        let m = rec.value(bench, metric, unit, direction, value);
        m.labels.insert(
            "extrapolated".into(),
            format!("not measured: fitted over measured sizes {sizes}"),
        );
        m.labels.insert("fit".into(), f.describe());
        eprintln!(
            "qdrant_search: {bench}/{metric}: EXTRAPOLATED to 100M points: {value:.3} {unit} ({})",
            f.describe()
        );
    }
}
