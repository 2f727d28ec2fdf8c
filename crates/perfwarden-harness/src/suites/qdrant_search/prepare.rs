//! Bringing one collection to the point where it can be measured: created, loaded,
//! indexed, its queries prepared and its exact answers known.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::measure::Collection;
use super::truth::TruthBuilder;
use crate::qdrant::QdrantError;
use crate::qdrant::client::{Prepared, SearchKind, Target, prepare};
use crate::qdrant::data::{Generator, Item};
use crate::qdrant::fixture::CollectionSpec;
use crate::qdrant::setup::{self, IndexWait, Upload};
use qdrant_client::qdrant::{SearchParams, point_id::PointIdOptions};

/// Points generated and fed to the ground truth at a time.
const TRUTH_CHUNK: u64 = 2048;

/// What setting a collection up took.
#[derive(Clone, Debug)]
pub struct SetupStats {
    pub upload: Upload,
    pub index: IndexWait,
    /// Brute-force ground truth (not a benchmark; shown so a slow run can be explained).
    pub truth_time: Duration,
    /// Mean recall@10 of Qdrant's own exact search (`exact: true`) against our brute-force
    /// truth, over the dense and filtered queries: two independent exact answers, so
    /// anything short of 1.0 is a fault in one of them, not approximation.
    pub truth_agreement: f64,
}

/// What to load into a collection.
#[derive(Clone, Copy, Debug)]
pub struct Load {
    pub seed: u64,
    pub points: u64,
    pub queries: u64,
    pub batch: u64,
    pub parallel: usize,
    pub index_timeout: Duration,
}

/// Creates `qname` for `spec`, uploads the points, waits for the index, and computes the
/// ground truth of the queries by regenerating the points (never holding them all).
pub async fn collection(
    target: &Target,
    spec: &CollectionSpec,
    qname: &str,
    load: Load,
) -> Result<(Collection, SetupStats), QdrantError> {
    let generator = Generator::new(load.seed, &spec.name, spec.dim);
    setup::create(target, spec, qname, load.points).await?;
    let upload = setup::upload(
        target,
        qname,
        &generator,
        load.points,
        load.batch,
        load.parallel,
    )
    .await?;
    let index = setup::wait_indexed(target, qname, load.points, load.index_timeout).await?;

    let started = Instant::now();
    let queries: Vec<Item> = (0..load.queries).map(|q| generator.query(q)).collect();
    let (distance, n) = (spec.distance, load.points);
    let truth_queries = queries.clone();
    let truth = tokio::task::spawn_blocking(move || {
        let mut builder = TruthBuilder::new(distance, truth_queries);
        let mut from = 0;
        while from < n {
            let to = (from + TRUTH_CHUNK).min(n);
            builder.add(from, &generator.points(from, to, 2), 2);
            from = to;
        }
        builder.finish()
    })
    .await
    .expect("ground truth does not panic");
    let truth_time = started.elapsed();

    let requests = SearchKind::ALL.map(|kind| {
        Arc::new(
            queries
                .iter()
                .map(|q| prepare(qname, kind, q))
                .collect::<Vec<_>>(),
        )
    });
    let coll = Collection {
        spec: spec.clone(),
        qname: Arc::from(qname),
        requests,
        truth: Arc::new(truth),
    };
    let truth_agreement = agreement(target, &coll).await?;
    Ok((
        coll,
        SetupStats {
            upload,
            index,
            truth_time,
            truth_agreement,
        },
    ))
}

/// Mean recall@10 of the engine's exact search against our truth (see
/// [`SetupStats::truth_agreement`]).
async fn agreement(target: &Target, coll: &Collection) -> Result<f64, QdrantError> {
    let (mut sum, mut n) = (0.0, 0);
    for kind in [SearchKind::Dense, SearchKind::Filter] {
        for (q, req) in coll.requests(kind).iter().enumerate() {
            let ids = exact_search(target, &coll.qname, req)
                .await
                .map_err(|what| QdrantError::Qdrant {
                    endpoint: target.address(),
                    what: format!("exact search in {}: {what}", coll.qname),
                })?;
            sum += coll.recall(kind, q, &ids);
            n += 1;
        }
    }
    Ok(if n > 0 { sum / n as f64 } else { 1.0 })
}

/// The ids of `req` answered by exact search: every point scored, no index. (`name` is the
/// engine's; a server's request names its collection itself.)
#[cfg_attr(not(feature = "embedded-qdrant"), allow(unused_variables))]
async fn exact_search(target: &Target, name: &str, req: &Prepared) -> Result<Vec<u64>, String> {
    match target {
        Target::Server(s) => {
            let mut exact = req.grpc.clone();
            exact.params = Some(SearchParams {
                exact: Some(true),
                ..SearchParams::default()
            });
            let found = s.grpc.query(exact).await.map_err(|e| e.to_string())?;
            Ok(found
                .result
                .iter()
                .filter_map(|p| match p.id.as_ref()?.point_id_options.as_ref()? {
                    PointIdOptions::Num(n) => Some(*n),
                    PointIdOptions::Uuid(_) => None,
                })
                .collect())
        }
        #[cfg(feature = "embedded-qdrant")]
        Target::Embedded(engine) => Ok(engine.query(name, &req.edge.exact()).await?.0),
    }
}
