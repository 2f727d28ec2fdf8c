//! Waiting for a collection's dense index: a server builds it in the background and is
//! polled until green; the embedded engine builds nothing until it is told to, so it is
//! optimized here, blocking, and the time that takes is its index build time.

use std::time::{Duration, Instant};

use qdrant_client::qdrant::{
    CollectionStatus, OptimizersConfigDiffBuilder, UpdateCollectionBuilder,
};

use super::client::{Server, Target};
use super::error::QdrantError;
use super::setup::{collection_info, qdrant_err};

/// How waiting for the index went.
#[derive(Clone, Debug)]
pub struct IndexWait {
    pub elapsed: Duration,
    pub indexed_vectors: u64,
    pub points: u64,
    pub segments: u64,
    /// Set when the bound passed before the collection was ready.
    pub timed_out: bool,
}

/// Polls until the collection is green with all `n` points and nothing left in its update
/// queue, steadily (five polls in a row, one second), at most `timeout`.
///
/// Green means no optimization runs or waits, which includes building HNSW graphs for the
/// segments big enough to get one (the indexing threshold applies per segment, and segments
/// are uneven, so the number of indexed vectors cannot be predicted and is only reported).
pub async fn wait_indexed(
    target: &Target,
    name: &str,
    n: u64,
    timeout: Duration,
) -> Result<IndexWait, QdrantError> {
    match target {
        Target::Server(s) => wait_on_server(target, s, name, n, timeout).await,
        #[cfg(feature = "embedded-qdrant")]
        Target::Embedded(engine) => {
            let err = |e| qdrant_err(target, format!("indexing collection {name:?}: {e}"));
            let elapsed = engine.optimize(name).await.map_err(err)?;
            let stats = engine.info(name).map_err(err)?;
            Ok(IndexWait {
                elapsed,
                indexed_vectors: stats.indexed_vectors,
                points: stats.points,
                segments: stats.segments,
                timed_out: false,
            })
        }
    }
}

async fn wait_on_server(
    target: &Target,
    server: &Server,
    name: &str,
    n: u64,
    timeout: Duration,
) -> Result<IndexWait, QdrantError> {
    let started = Instant::now();
    let mut green_polls = 0;
    let mut nudged = false;
    loop {
        let info = collection_info(target, server, name).await?;
        let status = CollectionStatus::try_from(info.status)
            .unwrap_or(CollectionStatus::UnknownCollectionStatus);
        let points = info.points_count.unwrap_or(0);
        let indexed = info.indexed_vectors_count.unwrap_or(0);
        let segments = info.segments_count.max(1);
        let queued = info.update_queue.as_ref().map_or(0, |q| q.length);
        let ready = status == CollectionStatus::Green && points >= n && queued == 0;
        green_polls = if ready { green_polls + 1 } else { 0 };
        // Ready for a second: the optimizer had its chance to start and did not.
        let done = green_polls >= 5;
        let timed_out = !done && started.elapsed() >= timeout;
        if done || timed_out {
            return Ok(IndexWait {
                elapsed: started.elapsed(),
                indexed_vectors: indexed,
                points,
                segments,
                timed_out,
            });
        }
        if status == CollectionStatus::Red {
            let why = info.optimizer_status.map(|s| s.error).unwrap_or_default();
            return Err(qdrant_err(
                target,
                format!("collection {name:?} is red: {why}"),
            ));
        }
        if status == CollectionStatus::Grey && !nudged && started.elapsed() > Duration::from_secs(2)
        {
            // Grey: optimizations are pending until an update triggers them.
            nudged = true;
            server
                .grpc
                .update_collection(
                    UpdateCollectionBuilder::new(name)
                        .optimizers_config(OptimizersConfigDiffBuilder::default()),
                )
                .await
                .map_err(|e| {
                    qdrant_err(target, format!("triggering the optimizer of {name:?}: {e}"))
                })?;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
