//! Qdrant's own engine in-process (the `qdrant-edge` crate, "Qdrant Edge"): one Edge shard
//! per collection, each in a directory of its own under one temporary root. The suites reach
//! it through [`super::client::Target::Embedded`] with the same collections, points, payload
//! index and queries as a server, and label its numbers `embedded`.
//!
//! The engine is synchronous and CPU-bound. Its calls run on the blocking threads of a small
//! runtime of its own (threads named `qdrant-edge`, so the resource sampler can tell them
//! from the load engine's), at most [`EmbeddedOptions::threads`] at a time, as a server's
//! search pool would bound them. Nothing optimizes in the background: [`Engine::optimize`]
//! builds the HNSW graphs and must be called after loading, before measuring.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use qdrant_edge::{
    CreateIndex, EdgeConfigBuilder, EdgeOptimizersConfig, EdgeShard, EdgeSparseVectorParamsBuilder,
    EdgeVectorParamsBuilder, FieldIndexOperations, HnswIndexConfig, PayloadFieldSchema,
    PayloadSchemaType, PointId, PointInsertOperations, PointOperations, PointStruct,
    UpdateOperation, Vector, Vectors,
};

use super::client::{DENSE, SPARSE};
use super::data::{BUCKET_FIELD, Item};
use super::edge_query::EdgeQuery;
use super::fixture::{CollectionSpec, Distance, Thresholds};

/// The engine's version: the pinned `qdrant-edge` (a test holds it to Cargo.lock).
pub const EDGE_VERSION: &str = "0.7.2";

/// The name of the engine's threads (15 bytes at most: Linux truncates thread names).
pub(crate) const THREAD_NAME: &str = "qdrant-edge";

/// Environment variable: how many engine calls run at once (default: the CPU count).
pub(crate) const THREADS_VAR: &str = "PERFWARDEN_QDRANT_EMBEDDED_THREADS";

/// How the engine runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EmbeddedOptions {
    /// Engine calls (searches, upserts) running at once; more wait their turn.
    pub threads: usize,
}

impl EmbeddedOptions {
    /// `PERFWARDEN_QDRANT_EMBEDDED_THREADS`, or the CPU count.
    pub fn from_env() -> Result<EmbeddedOptions, String> {
        let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
        let threads = threads(std::env::var(THREADS_VAR).ok().as_deref(), cpus)?;
        Ok(EmbeddedOptions { threads })
    }
}

/// The thread count `value` asks for (unset or blank: `cpus`), or one line saying why not.
fn threads(value: Option<&str>, cpus: usize) -> Result<usize, String> {
    match value.map(str::trim) {
        None | Some("") => Ok(cpus),
        Some(v) => v
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=1024).contains(n))
            .ok_or_else(|| format!("{THREADS_VAR}: {v:?} is not a number from 1 to 1024")),
    }
}

/// What [`Engine::info`] reports of one collection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShardStats {
    pub points: u64,
    pub indexed_vectors: u64,
    pub segments: u64,
}

/// The embedded Qdrant: its shards, their directories and the threads that run them.
pub struct Engine {
    shards: RwLock<HashMap<String, Arc<EdgeShard>>>,
    runtime: Option<tokio::runtime::Runtime>,
    pub threads: usize,
    // Declared last: the shards are dropped (and flushed) before their directories go.
    root: tempfile::TempDir,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("root", &self.root.path())
            .field("threads", &self.threads)
            .finish_non_exhaustive()
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        self.shards.write().map(|mut s| s.clear()).ok();
        // The engine may be dropped inside an async context, where a runtime cannot block.
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

impl Engine {
    /// An engine with no collections, its data in a new temporary directory.
    pub fn start(opts: EmbeddedOptions) -> Result<Engine, String> {
        let root = tempfile::Builder::new()
            .prefix("perfwarden-qdrant-edge-")
            .tempdir()
            .map_err(|e| format!("cannot create its data directory: {e}"))?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .max_blocking_threads(opts.threads.max(1))
            .thread_name(THREAD_NAME)
            .build()
            .map_err(|e| format!("cannot start its threads: {e}"))?;
        Ok(Engine {
            shards: RwLock::default(),
            runtime: Some(runtime),
            threads: opts.threads.max(1),
            root,
        })
    }

    /// Where the shards live.
    pub fn root(&self) -> &std::path::Path {
        self.root.path()
    }

    /// Runs `f` on the engine's threads and waits for it without blocking the caller's.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, String> {
        let rt = self
            .runtime
            .as_ref()
            .expect("the runtime lives as long as the engine");
        rt.spawn_blocking(f)
            .await
            .map_err(|e| format!("an engine call failed: {e}"))
    }

    fn shard(&self, name: &str) -> Result<Arc<EdgeShard>, String> {
        let shards = self
            .shards
            .read()
            .expect("no thread panics holding the lock");
        shards
            .get(name)
            .cloned()
            .ok_or_else(|| format!("no collection {name:?}"))
    }

    pub fn exists(&self, name: &str) -> bool {
        self.shard(name).is_ok()
    }

    /// Creates collection `name` afresh (dropping a previous one): the dense and sparse
    /// vectors of `spec`, its HNSW settings with the thresholds given, and an integer index
    /// on the bucket field, as the server path creates them.
    pub async fn create(
        &self,
        spec: &CollectionSpec,
        name: &str,
        thresholds: Thresholds,
    ) -> Result<(), String> {
        self.delete(name);
        let dir = self.root.path().join(name);
        let hnsw = HnswIndexConfig {
            m: spec.hnsw.m as usize,
            ef_construct: spec.hnsw.ef_construct as usize,
            full_scan_threshold: thresholds.full_scan_kb as usize,
            ..HnswIndexConfig::default()
        };
        let config = EdgeConfigBuilder::new()
            .vector(
                DENSE,
                EdgeVectorParamsBuilder::new(spec.dim, edge_distance(spec.distance)).build(),
            )
            .sparse_vector(SPARSE, EdgeSparseVectorParamsBuilder::new().build())
            .hnsw_config(hnsw)
            .optimizers(EdgeOptimizersConfig {
                indexing_threshold: Some(thresholds.indexing_kb as usize),
                ..EdgeOptimizersConfig::default()
            })
            .build();
        let shard = self
            .run(move || -> Result<EdgeShard, String> {
                std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
                let shard = EdgeShard::new(&dir, config).map_err(|e| e.to_string())?;
                shard
                    .update(UpdateOperation::FieldIndexOperation(
                        FieldIndexOperations::CreateIndex(CreateIndex {
                            field_name: BUCKET_FIELD.try_into().expect("a plain key"),
                            field_schema: Some(PayloadFieldSchema::FieldType(
                                PayloadSchemaType::Integer,
                            )),
                        }),
                    ))
                    .map_err(|e| format!("indexing payload field {BUCKET_FIELD}: {e}"))?;
                Ok(shard)
            })
            .await??;
        self.shards
            .write()
            .expect("no thread panics holding the lock")
            .insert(name.to_string(), Arc::new(shard));
        Ok(())
    }

    /// Upserts `items` as points `first..`; returns the time the engine took.
    pub async fn upsert(
        &self,
        name: &str,
        first: u64,
        items: Vec<Item>,
    ) -> Result<Duration, String> {
        let shard = self.shard(name)?;
        self.run(move || {
            let points = items
                .into_iter()
                .enumerate()
                .map(|(k, it)| point(first + k as u64, it))
                .collect::<Result<Vec<_>, String>>()?;
            let started = Instant::now();
            shard
                .update(UpdateOperation::PointOperation(
                    PointOperations::UpsertPoints(PointInsertOperations::PointsList(points)),
                ))
                .map_err(|e| e.to_string())?;
            Ok(started.elapsed())
        })
        .await?
    }

    /// Runs the optimizers until they have nothing left to do (this builds the HNSW
    /// graphs); returns how long that took.
    pub async fn optimize(&self, name: &str) -> Result<Duration, String> {
        let shard = self.shard(name)?;
        self.run(move || {
            let started = Instant::now();
            shard.optimize().map_err(|e| format!("optimizing: {e}"))?;
            Ok(started.elapsed())
        })
        .await?
    }

    /// Points, indexed vectors and segments of collection `name`.
    pub fn info(&self, name: &str) -> Result<ShardStats, String> {
        let info = self.shard(name)?.info();
        Ok(ShardStats {
            points: info.points_count as u64,
            indexed_vectors: info.indexed_vectors_count as u64,
            segments: info.segments_count as u64,
        })
    }

    /// Runs one query: the ids found, best first, and the time the engine took (its
    /// "server time", without the hop to its thread).
    pub async fn query(
        &self,
        name: &str,
        query: &EdgeQuery,
    ) -> Result<(Vec<u64>, Duration), String> {
        let (hits, took) = self.query_scored(name, query).await?;
        Ok((hits.into_iter().map(|(id, _)| id).collect(), took))
    }

    /// Runs one query: the ids found with their scores, best first, and the engine's time.
    pub async fn query_scored(
        &self,
        name: &str,
        query: &EdgeQuery,
    ) -> Result<(Vec<(u64, f32)>, Duration), String> {
        let shard = self.shard(name)?;
        let request = query.request.clone();
        self.run(move || {
            let started = Instant::now();
            let found = shard.query(request).map_err(|e| e.to_string())?;
            let took = started.elapsed();
            let hits = found
                .iter()
                .filter_map(|p| match p.id {
                    PointId::NumId(n) => Some((n, p.score)),
                    PointId::Uuid(_) => None,
                })
                .collect();
            Ok((hits, took))
        })
        .await?
    }

    /// Runs one query on the caller's thread, blocking: the engine's hot path alone, without
    /// the hop to its threads (what the Criterion bench times).
    pub fn query_now(&self, name: &str, query: &EdgeQuery) -> Result<usize, String> {
        let shard = self.shard(name)?;
        shard
            .query(query.request.clone())
            .map(|found| found.len())
            .map_err(|e| e.to_string())
    }

    /// Drops collection `name` and its files; false when there was none.
    pub fn delete(&self, name: &str) -> bool {
        let removed = self
            .shards
            .write()
            .expect("no thread panics holding the lock")
            .remove(name);
        let had = removed.is_some();
        // The shard flushes as it is dropped; only then do its files go.
        drop(removed);
        let _ = std::fs::remove_dir_all(self.root.path().join(name));
        had
    }
}

fn point(id: u64, it: Item) -> Result<qdrant_edge::PointStructPersisted, String> {
    let sparse = Vector::new_sparse(it.sparse_indices, it.sparse_values)
        .map_err(|e| format!("point {id}: {e}"))?;
    let vectors = Vectors::new_named([(DENSE, Vector::new_dense(it.dense)), (SPARSE, sparse)]);
    let mut payload = serde_json::Map::new();
    payload.insert(BUCKET_FIELD.into(), it.bucket.into());
    let payload = serde_json::Value::Object(payload);
    Ok(PointStruct::new(id, vectors, payload).into())
}

fn edge_distance(d: Distance) -> qdrant_edge::Distance {
    use qdrant_edge::Distance as E;
    match d {
        Distance::Cosine => E::Cosine,
        Distance::Dot => E::Dot,
        Distance::Euclid => E::Euclid,
        Distance::Manhattan => E::Manhattan,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The version every embedded result is labelled with is the one Cargo.lock resolved.
    #[test]
    fn the_labelled_version_is_the_locked_one() {
        let lock = include_str!("../../../../Cargo.lock");
        let locked = lock
            .split("[[package]]")
            .find(|p| p.contains("name = \"qdrant-edge\""))
            .and_then(|p| p.lines().find_map(|l| l.strip_prefix("version = ")))
            .map(|v| v.trim_matches('"'));
        assert_eq!(locked, Some(EDGE_VERSION));
    }

    #[test]
    fn the_thread_count_defaults_to_the_cpus_and_refuses_nonsense() {
        assert_eq!(threads(None, 2), Ok(2));
        assert_eq!(threads(Some(" "), 2), Ok(2));
        assert_eq!(threads(Some("8"), 2), Ok(8));
        assert_eq!(
            threads(Some("0"), 2),
            Err(r#"PERFWARDEN_QDRANT_EMBEDDED_THREADS: "0" is not a number from 1 to 1024"#.into())
        );
    }
}
