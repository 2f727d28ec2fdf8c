//! The engine's hot path on a fixed collection, for the Criterion bench: one dense, one
//! filtered and one hybrid search at a fixed `ef`, on the same points whatever the profile,
//! so an upgrade of `qdrant-edge` shows in the gate like any other change.

use std::sync::Arc;
use std::time::Duration;

use crate::qdrant::QdrantError;
use crate::qdrant::client::{SearchKind, Target, prepare};
use crate::qdrant::data::Generator;
use crate::qdrant::edge_query::EdgeQuery;
use crate::qdrant::engine::Engine;
use crate::qdrant::fixture::Fixture;
use crate::qdrant::setup;

/// The fixed collection: the fixture's 1536-d `general`, 3,000 points, its own seed.
pub const COLLECTION: &str = "general";
pub const POINTS: u64 = 3_000;
const SEED: u64 = 1_536;
const QUERIES: u64 = 64;
/// The fixed HNSW `ef` of every search.
pub const EF: usize = 64;

/// The collection, loaded and optimized, with its queries per kind.
pub struct HotPath {
    pub engine: Arc<Engine>,
    pub name: String,
    pub queries: Vec<(SearchKind, Vec<EdgeQuery>)>,
    pub indexed_vectors: u64,
}

/// Loads the fixed collection into `engine` (collection `name`) and prepares its queries.
pub async fn set_up(
    engine: Arc<Engine>,
    fixture: &Fixture,
    name: &str,
) -> Result<HotPath, QdrantError> {
    let spec = fixture.select(Some(&[COLLECTION]))?.remove(0);
    let target = Target::Embedded(engine.clone());
    let generator = Generator::new(SEED, &spec.name, spec.dim);
    setup::create(&target, &spec, name, POINTS).await?;
    setup::upload(&target, name, &generator, POINTS, 256, 2).await?;
    let index = setup::wait_indexed(&target, name, POINTS, Duration::from_secs(600)).await?;
    let queries = SearchKind::ALL
        .iter()
        .map(|&kind| {
            let qs = (0..QUERIES)
                .map(|q| prepare(name, kind, &generator.query(q)).edge.with_ef(EF))
                .collect();
            (kind, qs)
        })
        .collect();
    Ok(HotPath {
        engine,
        name: name.to_string(),
        queries,
        indexed_vectors: index.indexed_vectors,
    })
}
