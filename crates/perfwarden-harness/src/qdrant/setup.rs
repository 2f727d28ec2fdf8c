//! Setting a collection up, measured: create it (refusing to touch one of another shape),
//! upload the points in parallel batches, and wait until Qdrant has indexed them. A server
//! indexes in the background and is polled; the embedded engine is optimized, blocking.

use std::time::{Duration, Instant};

use futures::future::try_join_all;
use qdrant_client::qdrant::{
    CreateCollectionBuilder, CreateFieldIndexCollectionBuilder, FieldType, HnswConfigDiffBuilder,
    NamedVectors, OptimizersConfigDiffBuilder, PointStruct, SparseVectorParamsBuilder,
    SparseVectorsConfigBuilder, UpsertPointsBuilder, Vector, VectorParamsBuilder,
    VectorsConfigBuilder, vectors_config::Config,
};

use super::client::{DENSE, SPARSE, Server, Target};
use super::data::{BUCKET_FIELD, Generator, Item};
use super::error::QdrantError;
use super::fixture::{CollectionSpec, Distance, Thresholds};
pub use super::index::{IndexWait, wait_indexed};

/// Environment variable: prefix of the collections the suite creates in Qdrant.
pub(crate) const PREFIX_VAR: &str = "PERFWARDEN_QDRANT_PREFIX";

/// The default prefix.
pub(crate) const DEFAULT_PREFIX: &str = "perfwarden_";

/// The prefix from `PERFWARDEN_QDRANT_PREFIX`, or [`DEFAULT_PREFIX`].
pub(crate) fn prefix_from_env() -> String {
    std::env::var(PREFIX_VAR).unwrap_or_else(|_| DEFAULT_PREFIX.into())
}

/// A server's account of collection `name`.
pub(super) async fn collection_info(
    target: &Target,
    server: &Server,
    name: &str,
) -> Result<qdrant_client::qdrant::CollectionInfo, QdrantError> {
    Ok(server
        .grpc
        .collection_info(name)
        .await
        .map_err(|e| qdrant_err(target, format!("reading collection {name:?}: {e}")))?
        .result
        .unwrap_or_default())
}

pub(super) fn qdrant_err(target: &Target, what: impl std::fmt::Display) -> QdrantError {
    QdrantError::Qdrant {
        endpoint: target.address(),
        what: what.to_string(),
    }
}

fn grpc_distance(d: Distance) -> qdrant_client::qdrant::Distance {
    use qdrant_client::qdrant::Distance as Q;
    match d {
        Distance::Cosine => Q::Cosine,
        Distance::Dot => Q::Dot,
        Distance::Euclid => Q::Euclid,
        Distance::Manhattan => Q::Manhattan,
    }
}

/// Describes an existing collection's shape, or None when it is the shape we want.
fn shape_mismatch(
    existing: &qdrant_client::qdrant::CollectionInfo,
    spec: &CollectionSpec,
) -> Option<String> {
    let params = existing.config.as_ref().and_then(|c| c.params.as_ref());
    let dense = params
        .and_then(|p| p.vectors_config.as_ref())
        .and_then(|v| v.config.as_ref());
    let has_sparse = params
        .and_then(|p| p.sparse_vectors_config.as_ref())
        .is_some_and(|s| s.map.contains_key(SPARSE));
    let describe = |size: u64, distance: i32| {
        let d = qdrant_client::qdrant::Distance::try_from(distance)
            .map(|d| d.as_str_name().to_string())
            .unwrap_or_else(|_| format!("distance #{distance}"));
        format!("{size}-d {d}")
    };
    match dense {
        Some(Config::ParamsMap(map)) => match map.map.get(DENSE) {
            Some(p)
                if p.size == spec.dim as u64
                    && p.distance == grpc_distance(spec.distance) as i32
                    && has_sparse =>
            {
                None
            }
            Some(p) => Some(format!(
                "\"{DENSE}\" {}{}",
                describe(p.size, p.distance),
                if has_sparse {
                    ""
                } else {
                    " without a sparse vector"
                }
            )),
            None => Some(format!("named vectors without \"{DENSE}\"")),
        },
        Some(Config::Params(p)) => Some(format!(
            "an unnamed {} vector",
            describe(p.size, p.distance)
        )),
        None => Some("a collection without dense vectors".into()),
    }
}

/// Creates the collection afresh, with thresholds fit for `points` points
/// ([`CollectionSpec::thresholds`]). On a server, an existing collection of the same shape
/// is a previous run's and is recreated; one of another shape is an error and is left alone.
pub async fn create(
    target: &Target,
    spec: &CollectionSpec,
    name: &str,
    points: u64,
) -> Result<(), QdrantError> {
    let thresholds = spec.thresholds(points);
    match target {
        Target::Server(s) => create_on_server(target, s, spec, name, thresholds).await,
        #[cfg(feature = "embedded-qdrant")]
        Target::Embedded(engine) => engine
            .create(spec, name, thresholds)
            .await
            .map_err(|e| qdrant_err(target, format!("creating collection {name:?}: {e}"))),
    }
}

async fn create_on_server(
    target: &Target,
    server: &Server,
    spec: &CollectionSpec,
    name: &str,
    thresholds: Thresholds,
) -> Result<(), QdrantError> {
    let exists = server
        .grpc
        .collection_exists(name)
        .await
        .map_err(|e| qdrant_err(target, format!("checking collection {name:?}: {e}")))?;
    if exists {
        let info = collection_info(target, server, name).await?;
        if let Some(existing) = shape_mismatch(&info, spec) {
            return Err(QdrantError::Shape {
                endpoint: server.grpc_url.clone(),
                collection: name.to_string(),
                existing,
                wanted: format!(
                    "\"{DENSE}\" {}-d {} with sparse \"{SPARSE}\"",
                    spec.dim,
                    spec.distance.name()
                ),
            });
        }
        server.grpc.delete_collection(name).await.map_err(|e| {
            qdrant_err(target, format!("deleting the previous run's {name:?}: {e}"))
        })?;
    }
    let mut vectors = VectorsConfigBuilder::default();
    vectors.add_named_vector_params(
        DENSE,
        VectorParamsBuilder::new(spec.dim as u64, grpc_distance(spec.distance)),
    );
    let mut sparse = SparseVectorsConfigBuilder::default();
    sparse.add_named_vector_params(SPARSE, SparseVectorParamsBuilder::default());
    server
        .grpc
        .create_collection(
            CreateCollectionBuilder::new(name)
                .vectors_config(vectors)
                .sparse_vectors_config(sparse)
                .hnsw_config(
                    HnswConfigDiffBuilder::default()
                        .m(spec.hnsw.m)
                        .ef_construct(spec.hnsw.ef_construct)
                        .full_scan_threshold(thresholds.full_scan_kb),
                )
                .optimizers_config(
                    OptimizersConfigDiffBuilder::default()
                        .indexing_threshold(thresholds.indexing_kb),
                ),
        )
        .await
        .map_err(|e| qdrant_err(target, format!("creating collection {name:?}: {e}")))?;
    server
        .grpc
        .create_field_index(
            CreateFieldIndexCollectionBuilder::new(name, BUCKET_FIELD, FieldType::Integer)
                .wait(true),
        )
        .await
        .map_err(|e| {
            qdrant_err(
                target,
                format!("indexing payload field {BUCKET_FIELD} of {name:?}: {e}"),
            )
        })?;
    Ok(())
}

/// How an upload went.
#[derive(Clone, Copy, Debug)]
pub struct Upload {
    pub points: u64,
    /// Time spent in upsert requests (generation excluded).
    pub elapsed: Duration,
}

impl Upload {
    pub(crate) fn points_per_s(&self) -> f64 {
        self.points as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Uploads points `0..n` in batches of `batch`, `parallel` requests at a time, each
/// acknowledged once applied (`wait=true`). Points are generated between rounds, off the
/// clock, so the rate is Qdrant's rather than the generator's.
pub async fn upload(
    target: &Target,
    name: &str,
    generator: &Generator,
    n: u64,
    batch: u64,
    parallel: usize,
) -> Result<Upload, QdrantError> {
    let batch = batch.max(1);
    let round = batch * parallel.max(1) as u64;
    let mut elapsed = Duration::ZERO;
    let mut from = 0;
    while from < n {
        let to = (from + round).min(n);
        let g = generator.clone();
        let items = tokio::task::spawn_blocking(move || g.points(from, to, 2))
            .await
            .expect("point generation does not panic");
        elapsed += match target {
            Target::Server(s) => upsert_on_server(s, name, from, batch, &items).await,
            #[cfg(feature = "embedded-qdrant")]
            Target::Embedded(engine) => {
                let batches: Vec<Vec<Item>> =
                    items.chunks(batch as usize).map(<[Item]>::to_vec).collect();
                let started = Instant::now();
                try_join_all(
                    batches
                        .into_iter()
                        .enumerate()
                        .map(|(b, chunk)| engine.upsert(name, from + b as u64 * batch, chunk)),
                )
                .await
                .map(|_| started.elapsed())
            }
        }
        .map_err(|e| {
            qdrant_err(
                target,
                format!("upserting into {name:?} (points {from}..{to}): {e}"),
            )
        })?;
        from = to;
    }
    Ok(Upload { points: n, elapsed })
}

/// Upserts `items` as points `from..` in requests of `batch` points, all at once; returns
/// the time from sending the first to the last acknowledgement.
async fn upsert_on_server(
    server: &Server,
    name: &str,
    from: u64,
    batch: u64,
    items: &[Item],
) -> Result<Duration, String> {
    let requests: Vec<_> = items
        .chunks(batch as usize)
        .enumerate()
        .map(|(b, chunk)| {
            let first = from + b as u64 * batch;
            let points: Vec<PointStruct> = chunk
                .iter()
                .enumerate()
                .map(|(k, it)| {
                    let vectors = NamedVectors::default()
                        .add_vector(DENSE, Vector::new_dense(it.dense.clone()))
                        .add_vector(
                            SPARSE,
                            Vector::new_sparse(it.sparse_indices.clone(), it.sparse_values.clone()),
                        );
                    let mut payload = qdrant_client::Payload::new();
                    payload.insert(BUCKET_FIELD, it.bucket as i64);
                    PointStruct::new(first + k as u64, vectors, payload)
                })
                .collect();
            UpsertPointsBuilder::new(name, points).wait(true).build()
        })
        .collect();
    let started = Instant::now();
    try_join_all(requests.into_iter().map(|r| server.grpc.upsert_points(r)))
        .await
        .map(|_| started.elapsed())
        .map_err(|e| e.to_string())
}
