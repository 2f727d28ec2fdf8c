//! Bringing one collection to the point where it can be measured: created, loaded,
//! indexed, its queries prepared and its exact answers known.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::measure::Collection;
use super::truth::TruthBuilder;
use crate::qdrant::QdrantError;
use crate::qdrant::client::{SearchKind, Target, prepare};
use crate::qdrant::data::{Generator, Item};
use crate::qdrant::fixture::CollectionSpec;
use crate::qdrant::setup::{self, IndexWait, Upload};

/// Points generated and fed to the ground truth at a time.
const TRUTH_CHUNK: u64 = 2048;

/// What setting a collection up took.
#[derive(Clone, Debug)]
pub struct SetupStats {
    pub upload: Upload,
    pub index: IndexWait,
    /// Brute-force ground truth (not a benchmark; shown so a slow run can be explained).
    pub truth_time: Duration,
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
    setup::create(target, spec, qname).await?;
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
    Ok((
        Collection {
            spec: spec.clone(),
            qname: Arc::from(qname),
            requests,
            truth: Arc::new(truth),
        },
        SetupStats {
            upload,
            index,
            truth_time,
        },
    ))
}
