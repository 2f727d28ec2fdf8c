//! The finite pool of queries the mixes draw from, and the Qdrant search behind the cache.
//!
//! Query r of the pool is qdrant_search's seeded query r of the collection (same generator,
//! same seed), so its answers are real answers over the same clustered data. Every n-th
//! query also carries a payload filter (its own bucket), so filters take part in the keys.
//! A query's vector is generated on demand: a pool of 200,000 queries of 4,096 dimensions
//! would hold 3 GB, while only the queries actually drawn ever need one. What a query's key
//! needs (its digest) is kept once computed.

use std::sync::OnceLock;

use prost::Message as _;
use qdrant_client::qdrant::{
    Condition, Filter, Query, QueryPoints, QueryPointsBuilder, point_id::PointIdOptions,
};

use super::codec::{Answer, Hit};
use super::key::{QueryDigest, cache_key};
use crate::qdrant::client::{DENSE, Target, error_chain};
use crate::qdrant::data::{BUCKET_FIELD, Generator, Item};
use crate::qdrant::fixture::CollectionSpec;

/// One query of the pool, ready to search.
#[derive(Clone, Debug)]
pub struct PoolQuery {
    pub item: Item,
    pub filter: Option<Filter>,
}

/// The pool: `size` queries of one collection.
#[derive(Debug)]
pub struct QueryPool {
    generator: Generator,
    /// The fixture's name, used in keys (`mixtral`).
    collection: String,
    /// The collection's name in Qdrant.
    qname: String,
    limit: u64,
    filtered_every: u32,
    digests: Vec<OnceLock<QueryDigest>>,
    /// Build requests for the embedded engine rather than for a server's gRPC.
    embedded: bool,
}

/// A search for the backend, in the form its Qdrant takes.
#[derive(Clone, Debug)]
pub enum SearchRequest {
    // Both boxed: each request is hundreds of bytes, and one of them is moved per miss.
    Grpc(Box<QueryPoints>),
    #[cfg(feature = "embedded-qdrant")]
    Embedded(Box<crate::qdrant::edge_query::EdgeQuery>),
}

impl QueryPool {
    pub fn new(
        seed: u64,
        spec: &CollectionSpec,
        qname: &str,
        size: usize,
        limit: u64,
        filtered_every: u32,
    ) -> QueryPool {
        QueryPool {
            generator: Generator::new(seed, &spec.name, spec.dim),
            collection: spec.name.clone(),
            qname: qname.to_string(),
            limit,
            filtered_every,
            digests: (0..size).map(|_| OnceLock::new()).collect(),
            embedded: false,
        }
    }

    /// The same pool, its requests made for the backend's Qdrant (a server's gRPC or the
    /// engine); without a backend nothing is ever searched.
    pub fn for_target_of(mut self, backend: Option<&Backend>) -> QueryPool {
        self.embedded = backend.is_some_and(|b| b.target.server().is_none());
        self
    }

    /// Query `rank` of the pool (generated: cost grows with the dimension).
    pub fn query(&self, rank: u32) -> PoolQuery {
        let item = self.generator.query(u64::from(rank));
        let filtered =
            self.filtered_every > 0 && rank % self.filtered_every == self.filtered_every - 1;
        let filter = filtered
            .then(|| Filter::must([Condition::matches(BUCKET_FIELD, i64::from(item.bucket))]));
        PoolQuery { item, filter }
    }

    /// The dense search of `q`, for the pool's kind of Qdrant.
    pub fn request(&self, q: &PoolQuery) -> SearchRequest {
        #[cfg(feature = "embedded-qdrant")]
        if self.embedded {
            let bucket = q.filter.as_ref().map(|_| q.item.bucket);
            return SearchRequest::Embedded(Box::new(crate::qdrant::edge_query::nearest(
                &q.item,
                bucket,
                self.limit as usize,
            )));
        }
        SearchRequest::Grpc(Box::new(self.grpc_request(q)))
    }

    /// The dense search of `q` over gRPC. Built here rather than with qdrant_search's
    /// `prepare`, which also renders the REST body: the cache searches a server over gRPC.
    pub fn grpc_request(&self, q: &PoolQuery) -> QueryPoints {
        let mut b = QueryPointsBuilder::new(self.qname.clone())
            .query(Query::new_nearest(q.item.dense.clone()))
            .using(DENSE)
            .limit(self.limit)
            .with_payload(false);
        if let Some(f) = &q.filter {
            b = b.filter(f.clone());
        }
        b.build()
    }

    /// The `n`-th query of the pool (wrapping) that carries a filter (`filtered`) or does
    /// not; any query when the pool has no filtered ones.
    pub(crate) fn rank_with_filter(&self, n: u32, filtered: bool) -> u32 {
        let size = self.digests.len().max(1) as u32;
        let every = self.filtered_every;
        if every == 0 {
            return n % size;
        }
        if filtered {
            let count = (size / every).max(1);
            return ((n % count) * every + every - 1).min(size - 1);
        }
        let rank = n % size;
        if every > 1 && rank % every == every - 1 {
            rank - 1
        } else {
            rank
        }
    }

    /// The digest of query `rank`'s key, and the query itself when it had to be generated
    /// for it (the first time the rank is drawn), so the caller can search it without
    /// generating it again.
    pub fn digest(&self, rank: u32) -> (QueryDigest, Option<PoolQuery>) {
        let cell = &self.digests[rank as usize];
        if let Some(d) = cell.get() {
            return (*d, None);
        }
        let q = self.query(rank);
        let d = digest_of(&q);
        // Two workers may generate the same rank at once; both digests are equal.
        let _ = cell.set(d);
        (d, Some(q))
    }

    /// The key of query `rank` under `namespace`.
    pub fn key(&self, namespace: &str, digest: &QueryDigest) -> String {
        cache_key(namespace, &self.collection, self.limit, digest)
    }

    /// How many queries have been drawn (and digested) so far.
    pub(crate) fn touched(&self) -> usize {
        self.digests.iter().filter(|c| c.get().is_some()).count()
    }
}

/// A query's digest: its vector's bytes and its filter's protobuf encoding, the filter
/// exactly as it is sent to Qdrant.
pub(crate) fn digest_of(q: &PoolQuery) -> QueryDigest {
    let filter = q.filter.as_ref().map(|f| f.encode_to_vec());
    QueryDigest::of(&q.item.dense, filter.as_deref())
}

/// The search behind the cache: one Qdrant collection, over gRPC or in the engine.
#[derive(Clone)]
pub struct Backend {
    pub target: Target,
    /// The collection's name in Qdrant (the engine's calls name it; gRPC requests carry it).
    pub collection: String,
}

impl Backend {
    /// Sends `req` and returns the ids and scores found, in order.
    pub async fn search(&self, req: SearchRequest) -> Result<Answer, String> {
        match (&self.target, req) {
            (Target::Server(s), SearchRequest::Grpc(req)) => {
                let resp = s
                    .grpc
                    .query(*req)
                    .await
                    .map_err(|e| format!("{}: query: {}", s.grpc_url, error_chain(&e)))?;
                resp.result
                    .iter()
                    .map(
                        |p| match p.id.as_ref().and_then(|id| id.point_id_options.as_ref()) {
                            Some(PointIdOptions::Num(id)) => Ok(Hit {
                                id: *id,
                                score: p.score,
                            }),
                            other => Err(format!(
                                "{}: a point id the cache cannot store: {other:?}",
                                s.grpc_url
                            )),
                        },
                    )
                    .collect::<Result<Vec<_>, _>>()
                    .map(Answer::new)
            }
            #[cfg(feature = "embedded-qdrant")]
            (Target::Embedded(engine), SearchRequest::Embedded(q)) => {
                let (hits, _) = engine
                    .query_scored(&self.collection, &q)
                    .await
                    .map_err(|e| format!("{}: query: {e}", self.target.address()))?;
                Ok(Answer::new(
                    hits.into_iter()
                        .map(|(id, score)| Hit { id, score })
                        .collect(),
                ))
            }
            #[allow(unreachable_patterns)]
            _ => Err(format!(
                "{}: a request built for another kind of Qdrant",
                self.target.address()
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::qdrant::fixture::{Distance, Hnsw};

    fn spec() -> CollectionSpec {
        CollectionSpec {
            name: "deepcoder".into(),
            dim: 16,
            distance: Distance::Cosine,
            hnsw: Hnsw {
                m: 16,
                ef_construct: 100,
                full_scan_threshold: 20_000,
            },
            indexing_threshold_kb: 20_000,
        }
    }

    #[test]
    fn digests_are_kept_and_filters_take_part() {
        let pool = QueryPool::new(7, &spec(), "perfwarden_rc_deepcoder", 8, 10, 4);
        let (d0, fresh) = pool.digest(0);
        assert!(fresh.is_some());
        let (again, fresh) = pool.digest(0);
        assert_eq!((d0, fresh.is_none()), (again, true));
        assert_eq!(pool.touched(), 1);
        // Rank 3 is the filtered one of every four.
        let q3 = pool.query(3);
        assert!(q3.filter.is_some() && pool.query(2).filter.is_none());
        let (d3, _) = pool.digest(3);
        assert!(d3.filter.is_some() && d0.filter.is_none());
        let key = pool.key("ns:", &d3);
        assert!(key.starts_with("ns:deepcoder:k10:"), "{key}");
        let req = pool.grpc_request(&q3);
        assert_eq!(req.collection_name, "perfwarden_rc_deepcoder");
        assert_eq!(req.limit, Some(10));
        assert!(req.filter.is_some());
    }
}
