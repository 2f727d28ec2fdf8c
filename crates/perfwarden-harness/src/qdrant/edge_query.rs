//! The embedded engine's form of the three searches: the same query vectors, filter,
//! prefetches and fusion as the gRPC and REST requests of [`super::client::prepare`], as
//! Qdrant Edge 0.7's `QueryRequest`.

use qdrant_edge::{
    Condition, FieldCondition, Filter, Fusion, Match, NamedQuery, Prefetch, QueryEnum,
    QueryRequest, ScoringQuery, SearchParams, SparseVector, VectorInternal, WithPayloadInterface,
    WithVector,
};

use super::client::{DENSE, K, PREFETCH, SPARSE, SearchKind};
use super::data::{BUCKET_FIELD, Item};

/// Qdrant's default `k` of reciprocal rank fusion (the server's RRF without parameters).
const RRF_K: usize = 2;

/// One query, ready for [`super::engine::Engine::query`].
#[derive(Clone, Debug)]
pub struct EdgeQuery {
    pub(crate) request: QueryRequest,
}

impl EdgeQuery {
    /// The same query answered by exact search (every point scored, no index): what the
    /// engine itself holds to be the true top-k, to check our brute-force truth against.
    pub fn exact(&self) -> EdgeQuery {
        self.with_params(SearchParams {
            exact: true,
            ..SearchParams::default()
        })
    }

    /// The same query at a fixed HNSW `ef` (the engine's default is the index's
    /// `ef_construct`).
    pub fn with_ef(&self, ef: usize) -> EdgeQuery {
        self.with_params(SearchParams {
            hnsw_ef: Some(ef),
            ..SearchParams::default()
        })
    }

    /// The same query with `params` on it and on each of its prefetches.
    fn with_params(&self, params: SearchParams) -> EdgeQuery {
        let mut request = self.request.clone();
        request.params = Some(params);
        for p in &mut request.prefetches {
            p.params = Some(params);
        }
        EdgeQuery { request }
    }
}

fn nearest_to(using: &str, query: VectorInternal) -> ScoringQuery {
    ScoringQuery::Vector(QueryEnum::Nearest(NamedQuery {
        query,
        using: Some(using.to_string()),
    }))
}

fn bucket_filter(bucket: u32) -> Filter {
    Filter::new_must(Condition::Field(FieldCondition::new_match(
        BUCKET_FIELD.try_into().expect("a plain key"),
        Match::from(i64::from(bucket)),
    )))
}

/// The dense search of `query`'s vector for `limit` points, restricted to `bucket` if any
/// (the cache's request).
pub(crate) fn nearest(query: &Item, bucket: Option<u32>, limit: usize) -> EdgeQuery {
    let mut q = prepare(SearchKind::Dense, query);
    q.request.filter = bucket.map(bucket_filter);
    q.request.limit = limit;
    q
}

/// The request for `query` of `kind`.
pub(crate) fn prepare(kind: SearchKind, query: &Item) -> EdgeQuery {
    let dense = nearest_to(DENSE, VectorInternal::from(query.dense.clone()));
    let (prefetches, scoring, filter) = match kind {
        SearchKind::Dense => (vec![], dense, None),
        SearchKind::Filter => (vec![], dense, Some(bucket_filter(query.bucket))),
        SearchKind::Hybrid => {
            // Generated sparse vectors are sorted and distinct, so this cannot fail.
            let sparse =
                SparseVector::new(query.sparse_indices.clone(), query.sparse_values.clone())
                    .expect("generated sparse vectors are valid");
            let prefetch = |query| Prefetch {
                prefetches: vec![],
                query: Some(query),
                limit: PREFETCH,
                params: None,
                filter: None,
                score_threshold: None,
            };
            (
                vec![
                    prefetch(dense),
                    prefetch(nearest_to(SPARSE, VectorInternal::Sparse(sparse))),
                ],
                ScoringQuery::Fusion(Fusion::Rrf {
                    k: RRF_K,
                    weights: None,
                }),
                None,
            )
        }
    };
    EdgeQuery {
        request: QueryRequest {
            prefetches,
            query: Some(scoring),
            filter,
            score_threshold: None,
            limit: K,
            offset: 0,
            params: None,
            with_vector: WithVector::Bool(false),
            with_payload: WithPayloadInterface::Bool(false),
        },
    }
}
