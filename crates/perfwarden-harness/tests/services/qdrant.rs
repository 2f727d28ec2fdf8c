//! Qdrant through each provider: create a collection, upsert, search (gRPC and REST, or the
//! engine's own calls in-process), delete points and the collection.

use anyhow::{Context, Result, bail, ensure};
use perfwarden_harness::qdrant::client::{Server, Target};
use perfwarden_harness::services::qdrant::{self, QdrantService};
use perfwarden_harness::services::{Env, Provided, ProviderKind, require_or_skip};
use qdrant_client::qdrant::{
    CountPointsBuilder, CreateCollectionBuilder, DeletePointsBuilder, Distance, PointStruct,
    PointsIdsList, QueryPointsBuilder, UpsertPointsBuilder, VectorParamsBuilder,
};

use super::unique;

const DIM: usize = 8;
const POINTS: u64 = 100;

/// A vector per id, far enough from its neighbours that the nearest one is itself.
fn vector(id: u64) -> Vec<f32> {
    (0..DIM)
        .map(|d| ((id as f32 + 1.0) * (d as f32 + 1.0) * 0.37).sin())
        .collect()
}

async fn count(svc: &Server, collection: &str) -> Result<u64> {
    let out = svc
        .grpc
        .count(CountPointsBuilder::new(collection).exact(true))
        .await?;
    Ok(out.result.context("no count")?.count)
}

async fn round_trip(svc: &QdrantService) -> Result<()> {
    match &svc.target {
        Target::Server(server) => server_round_trip(server).await,
        #[cfg(feature = "embedded-qdrant")]
        Target::Embedded(_) => super::qdrant_embedded::round_trip(&svc.target).await,
    }
}

async fn server_round_trip(svc: &Server) -> Result<()> {
    let client = &svc.grpc;
    let collection = unique("perfwarden_test").replace('-', "_");
    client
        .create_collection(
            CreateCollectionBuilder::new(&collection)
                .vectors_config(VectorParamsBuilder::new(DIM as u64, Distance::Cosine)),
        )
        .await?;
    ensure!(client.collection_exists(&collection).await?);

    let points: Vec<PointStruct> = (0..POINTS)
        .map(|id| PointStruct::new(id, vector(id), [("id", (id as i64).into())]))
        .collect();
    client
        .upsert_points(UpsertPointsBuilder::new(&collection, points).wait(true))
        .await?;
    ensure!(count(svc, &collection).await? == POINTS);

    // gRPC search: the nearest point to a stored vector is that point.
    let found = client
        .query(
            QueryPointsBuilder::new(&collection)
                .query(vector(42))
                .limit(5)
                .with_payload(true),
        )
        .await?;
    let ids: Vec<String> = found
        .result
        .iter()
        .map(|p| {
            format!(
                "{:?}",
                p.id.as_ref().and_then(|i| i.point_id_options.clone())
            )
        })
        .collect();
    ensure!(found.result.len() == 5, "{ids:?}");
    let top = &found.result[0];
    ensure!(
        top.payload.get("id").and_then(|v| v.as_integer()) == Some(42),
        "top hit is not point 42: {ids:?}"
    );
    ensure!(top.score > 0.999, "self-similarity {}", top.score);

    // REST search through the service's reqwest client gives the same top hit.
    let body = serde_json::json!({ "query": vector(42), "limit": 1 });
    let rest: serde_json::Value = svc
        .rest
        .post(format!(
            "{}/collections/{collection}/points/query",
            svc.http_url
        ))
        .json(&body)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let rest_top = &rest["result"]["points"][0]["id"];
    ensure!(rest_top == 42, "REST top hit: {rest}");

    // Delete a point, then the collection.
    client
        .delete_points(
            DeletePointsBuilder::new(&collection)
                .points(PointsIdsList {
                    ids: vec![42.into()],
                })
                .wait(true),
        )
        .await?;
    ensure!(count(svc, &collection).await? == POINTS - 1);
    let after = client
        .query(
            QueryPointsBuilder::new(&collection)
                .query(vector(42))
                .limit(1)
                .with_payload(true),
        )
        .await?;
    ensure!(
        after.result[0]
            .payload
            .get("id")
            .and_then(|v| v.as_integer())
            != Some(42),
        "deleted point still found"
    );
    client.delete_collection(&collection).await?;
    ensure!(!client.collection_exists(&collection).await?);
    Ok(())
}

async fn via(kind: ProviderKind, key: &str) -> Result<()> {
    let Some(svc) = require_or_skip(qdrant::provide_via(kind).await?, key)? else {
        return Ok(());
    };
    ensure!(
        svc.provider == kind,
        "asked for {kind}, got {}",
        svc.provider
    );
    round_trip(&svc).await
}

#[tokio::test]
#[ignore = "needs Qdrant: QDRANT_URL, Docker with the qdrant/qdrant image, or qdrant on PATH"]
async fn qdrant_through_the_chain() -> Result<()> {
    let Some(svc) = require_or_skip(qdrant::provide().await?, "qdrant")? else {
        return Ok(());
    };
    round_trip(&svc).await
}

#[tokio::test]
#[ignore = "needs QDRANT_URL"]
async fn qdrant_at_a_named_endpoint() -> Result<()> {
    via(ProviderKind::Endpoint, "qdrant:endpoint").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Docker with the qdrant/qdrant image (PERFWARDEN_QDRANT_IMAGE/_TAG)"]
async fn qdrant_in_a_container() -> Result<()> {
    via(ProviderKind::Container, "qdrant:container").await
}

#[tokio::test]
#[ignore = "needs qdrant on PATH"]
async fn qdrant_as_a_native_process() -> Result<()> {
    via(ProviderKind::Native, "qdrant:native").await
}

#[tokio::test]
#[ignore = "needs qdrant on PATH"]
async fn qdrant_endpoint_path_against_a_server_perfwarden_started() -> Result<()> {
    let Some(native) = require_or_skip(
        qdrant::provide_via(ProviderKind::Native).await?,
        "qdrant:native",
    )?
    else {
        return Ok(());
    };
    let server = native.server().context("a native Qdrant is a server")?;
    // The named-endpoint provider, pointed at a real server it does not own; gRPC is
    // found on its own (QDRANT_GRPC_URL, since the port is not 6334 here).
    let env = Env::from_process()
        .with("QDRANT_URL", &server.http_url)
        .with("QDRANT_GRPC_URL", &server.grpc_url)
        .with("PERFWARDEN_QDRANT", "auto");
    let Provided::Ready(svc) = qdrant::provide_from(&env).await? else {
        bail!("QDRANT_URL was set, yet Qdrant was skipped");
    };
    ensure!(svc.provider == ProviderKind::Endpoint);
    ensure!(svc.version == native.version);
    super::sampled_through_its_listener(svc.sampler()).await?;
    round_trip(&svc).await
}

#[tokio::test]
async fn an_unreachable_qdrant_endpoint_fails_naming_it() -> Result<()> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let env = Env::from_pairs([
        ("QDRANT_URL", url.as_str()),
        ("PERFWARDEN_READY_TIMEOUT_SECS", "5"),
    ]);
    let err = qdrant::provide_from(&env)
        .await
        .expect_err("nothing listens there");
    ensure!(
        err.to_string().starts_with(&format!(
            "qdrant: endpoint {url}: REST {url} does not answer"
        )),
        "{err}"
    );
    Ok(())
}
