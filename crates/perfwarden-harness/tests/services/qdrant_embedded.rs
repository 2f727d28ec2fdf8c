//! Qdrant's engine in-process: a collection of the fixture's shape created, loaded,
//! optimized into an HNSW index, searched and dropped, through the suites' own calls.

use std::time::Duration;

use anyhow::{Result, bail, ensure};
use perfwarden_harness::qdrant::client::{SearchKind, Target, prepare};
use perfwarden_harness::qdrant::data::Generator;
use perfwarden_harness::qdrant::fixture::{self, Fixture};
use perfwarden_harness::qdrant::setup;
use perfwarden_harness::services::qdrant;
use perfwarden_harness::services::{ProviderKind, require_or_skip};

const POINTS: u64 = 300;

/// Loads `POINTS` of the 768-d collection, checks every vector got into the index, that
/// each kind of search answers ten points, and that the collection goes when deleted.
pub(super) async fn round_trip(target: &Target) -> Result<()> {
    let Target::Embedded(engine) = target else {
        bail!("not the embedded engine");
    };
    let fixture = Fixture::load(&fixture::default_path())?;
    let spec = fixture.select(Some(&["deepcoder"]))?.remove(0);
    let name = super::unique("perfwarden_test").replace('-', "_");
    let generator = Generator::new(1, &spec.name, spec.dim);
    setup::create(target, &spec, &name, POINTS).await?;
    let up = setup::upload(target, &name, &generator, POINTS, 64, 2).await?;
    ensure!(up.points == POINTS);
    let index = setup::wait_indexed(target, &name, POINTS, Duration::from_secs(60)).await?;
    // Qdrant counts the dense and the sparse vector of each point.
    ensure!(
        index.points == POINTS && index.indexed_vectors == 2 * POINTS,
        "{index:?}"
    );
    for kind in SearchKind::ALL {
        let query = prepare(&name, kind, &generator.query(0));
        let (ids, _) = engine
            .query(&name, &query.edge)
            .await
            .map_err(anyhow::Error::msg)?;
        ensure!(ids.len() == 10, "{kind:?}: {ids:?}");
    }
    target
        .delete_collection(&name)
        .await
        .map_err(anyhow::Error::msg)?;
    ensure!(!engine.exists(&name));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the embedded-qdrant feature (default)"]
async fn qdrant_embedded_in_process() -> Result<()> {
    let Some(svc) = require_or_skip(
        qdrant::provide_via(ProviderKind::Embedded).await?,
        "qdrant:embedded",
    )?
    else {
        return Ok(());
    };
    ensure!(svc.provider == ProviderKind::Embedded);
    ensure!(svc.version == perfwarden_harness::qdrant::engine::EDGE_VERSION);
    round_trip(&svc.target).await
}
