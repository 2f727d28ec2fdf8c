//! Talking to Qdrant: a server over both of its protocols (gRPC through `qdrant-client`,
//! REST through `reqwest`) or the embedded engine in-process, with the same three kinds of
//! search prepared once per query so the measured loop only sends.

use std::fmt;
#[cfg(feature = "embedded-qdrant")]
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use qdrant_client::Qdrant;
use qdrant_client::qdrant::{
    Condition, Filter, Fusion, PrefetchQueryBuilder, Query, QueryPoints, QueryPointsBuilder,
    VectorInput, point_id::PointIdOptions,
};
use serde::Deserialize;
use serde_json::json;

use super::data::{BUCKET_FIELD, Item};

/// Results per query.
pub(crate) const K: usize = 10;
/// The hybrid query's prefetch limit per source.
pub(crate) const PREFETCH: usize = 20;

/// Name of the dense vector in every collection the suite creates.
pub(crate) const DENSE: &str = "dense";
/// Name of the sparse vector.
pub(crate) const SPARSE: &str = "sparse";

/// A Qdrant server: its gRPC client and its REST endpoint.
#[derive(Clone)]
pub struct Server {
    pub grpc: Qdrant,
    pub rest: reqwest::Client,
    /// REST base URL, e.g. `http://127.0.0.1:6333` (no trailing slash).
    pub http_url: String,
    /// gRPC URL, for messages.
    pub grpc_url: String,
    /// Sent as the `api-key` header of REST requests (None when `rest` already carries it).
    pub api_key: Option<String>,
}

impl Server {
    /// Connects to a Qdrant at `http_url` (REST) and `grpc_url` (gRPC).
    pub fn connect(
        http_url: &str,
        grpc_url: &str,
        api_key: Option<String>,
    ) -> Result<Server, String> {
        let grpc = Qdrant::from_url(grpc_url)
            .api_key(api_key.clone())
            .timeout(Duration::from_secs(60))
            .connect_timeout(Duration::from_secs(3))
            .skip_compatibility_check()
            .build()
            .map_err(|e| format!("{grpc_url}: cannot build the gRPC client: {e}"))?;
        let rest = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .connect_timeout(Duration::from_secs(3))
            .pool_max_idle_per_host(1024)
            .build()
            .map_err(|e| format!("{http_url}: cannot build the HTTP client: {e}"))?;
        Ok(Server {
            grpc,
            rest,
            http_url: http_url.trim_end_matches('/').to_string(),
            grpc_url: grpc_url.to_string(),
            api_key,
        })
    }

    /// A REST request with the API key, if any.
    pub fn rest_request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let req = self
            .rest
            .request(method, format!("{}{path}", self.http_url));
        match &self.api_key {
            Some(key) => req.header("api-key", key),
            None => req,
        }
    }
}

/// What the suites search: a server, over gRPC and REST, or the engine in-process.
#[derive(Clone)]
pub enum Target {
    Server(Server),
    /// Qdrant Edge; its numbers are labelled `embedded` and never compared with a server's.
    #[cfg(feature = "embedded-qdrant")]
    Embedded(Arc<super::engine::Engine>),
}

impl Target {
    /// Connects to a Qdrant server at `http_url` (REST) and `grpc_url` (gRPC).
    pub fn connect(
        http_url: &str,
        grpc_url: &str,
        api_key: Option<String>,
    ) -> Result<Target, String> {
        Server::connect(http_url, grpc_url, api_key).map(Target::Server)
    }

    /// The Qdrant the services layer provided.
    pub fn from_service(service: &crate::services::qdrant::QdrantService) -> Target {
        service.target.clone()
    }

    /// The server, unless this is the embedded engine.
    pub fn server(&self) -> Option<&Server> {
        match self {
            Target::Server(s) => Some(s),
            #[cfg(feature = "embedded-qdrant")]
            Target::Embedded(_) => None,
        }
    }

    /// The protocols this Qdrant answers: a server both of its own, the engine its calls.
    pub fn protocols(&self) -> &'static [Protocol] {
        match self {
            Target::Server(_) => &Protocol::SERVER,
            #[cfg(feature = "embedded-qdrant")]
            Target::Embedded(_) => &[Protocol::Embedded],
        }
    }

    /// Where it is, for messages: the gRPC URL, or the engine and its data directory.
    pub fn address(&self) -> String {
        match self {
            Target::Server(s) => s.grpc_url.clone(),
            #[cfg(feature = "embedded-qdrant")]
            Target::Embedded(e) => format!(
                "embedded qdrant-edge {} ({})",
                super::engine::EDGE_VERSION,
                e.root().display()
            ),
        }
    }

    /// Deletes collection `name`.
    pub async fn delete_collection(&self, name: &str) -> Result<(), String> {
        match self {
            Target::Server(s) => s
                .grpc
                .delete_collection(name)
                .await
                .map(drop)
                .map_err(|e| e.to_string()),
            #[cfg(feature = "embedded-qdrant")]
            Target::Embedded(e) => {
                e.delete(name);
                Ok(())
            }
        }
    }
}

/// The protocol a search goes over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Protocol {
    Grpc,
    Rest,
    /// A call into the engine in-process: no network, no serialization.
    Embedded,
}

impl Protocol {
    /// A server's protocols.
    pub const SERVER: [Protocol; 2] = [Protocol::Grpc, Protocol::Rest];

    pub fn name(self) -> &'static str {
        match self {
            Protocol::Grpc => "grpc",
            Protocol::Rest => "rest",
            Protocol::Embedded => "embedded",
        }
    }
}

/// The kind of search, as the seeds ran them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SearchKind {
    /// Nearest neighbours of a dense vector.
    Dense,
    /// Dense, restricted to the query's payload bucket (10% of the points).
    Filter,
    /// Dense and sparse prefetches fused by reciprocal rank (Query API, RRF).
    Hybrid,
}

impl SearchKind {
    pub const ALL: [SearchKind; 3] = [SearchKind::Dense, SearchKind::Filter, SearchKind::Hybrid];

    pub fn name(self) -> &'static str {
        match self {
            SearchKind::Dense => "dense",
            SearchKind::Filter => "filter",
            SearchKind::Hybrid => "hybrid",
        }
    }
}

/// One query, ready to send over any protocol.
#[derive(Clone, Debug)]
pub struct Prepared {
    pub grpc: QueryPoints,
    /// The JSON body of `POST /collections/{name}/points/query`.
    pub rest: Bytes,
    #[cfg(feature = "embedded-qdrant")]
    pub edge: super::edge_query::EdgeQuery,
}

/// Builds the request for `query` of `kind` against `collection`.
pub fn prepare(collection: &str, kind: SearchKind, query: &Item) -> Prepared {
    let dense = Query::new_nearest(query.dense.clone());
    let mut grpc = QueryPointsBuilder::new(collection)
        .limit(K as u64)
        .with_payload(false);
    let body = match kind {
        SearchKind::Dense | SearchKind::Filter => {
            grpc = grpc.query(dense).using(DENSE);
            let mut body =
                json!({"query": query.dense, "using": DENSE, "limit": K, "with_payload": false});
            if kind == SearchKind::Filter {
                grpc = grpc.filter(Filter::must([Condition::matches(
                    BUCKET_FIELD,
                    query.bucket as i64,
                )]));
                body["filter"] =
                    json!({"must": [{"key": BUCKET_FIELD, "match": {"value": query.bucket}}]});
            }
            body
        }
        SearchKind::Hybrid => {
            let sparse =
                VectorInput::new_sparse(query.sparse_indices.clone(), query.sparse_values.clone());
            grpc = grpc
                .add_prefetch(
                    PrefetchQueryBuilder::default()
                        .query(dense)
                        .using(DENSE)
                        .limit(PREFETCH as u64),
                )
                .add_prefetch(
                    PrefetchQueryBuilder::default()
                        .query(Query::new_nearest(sparse))
                        .using(SPARSE)
                        .limit(PREFETCH as u64),
                )
                .query(Query::new_fusion(Fusion::Rrf));
            json!({
                "prefetch": [
                    {"query": query.dense, "using": DENSE, "limit": PREFETCH},
                    {"query": {"indices": query.sparse_indices, "values": query.sparse_values}, "using": SPARSE, "limit": PREFETCH}
                ],
                "query": {"fusion": "rrf"},
                "limit": K,
                "with_payload": false
            })
        }
    };
    Prepared {
        grpc: grpc.build(),
        rest: Bytes::from(serde_json::to_vec(&body).expect("JSON values serialize")),
        #[cfg(feature = "embedded-qdrant")]
        edge: super::edge_query::prepare(kind, query),
    }
}

/// What one search returned.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Found {
    pub ids: Vec<u64>,
    /// Qdrant's own processing time, as it reports it.
    pub server_time: Option<Duration>,
}

/// Why a search failed.
#[derive(Clone, Debug, PartialEq)]
pub struct SearchError(pub String);

impl fmt::Display for SearchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SearchError {}

#[derive(Deserialize)]
struct RestResponse {
    result: Option<RestResult>,
    time: Option<f64>,
}

#[derive(Deserialize)]
struct RestResult {
    points: Vec<RestPoint>,
}

#[derive(Deserialize)]
struct RestPoint {
    id: serde_json::Value,
}

fn seconds(t: f64) -> Option<Duration> {
    (t.is_finite() && t >= 0.0).then(|| Duration::from_secs_f64(t))
}

fn server(target: &Target, protocol: Protocol) -> Result<&Server, SearchError> {
    target.server().ok_or_else(|| {
        SearchError(format!(
            "{}: the embedded engine has no {} protocol",
            target.address(),
            protocol.name()
        ))
    })
}

/// Runs one prepared search in the embedded engine: the ids found and the engine's time.
#[cfg(feature = "embedded-qdrant")]
async fn embedded(
    target: &Target,
    collection: &str,
    req: &Prepared,
) -> Result<(Vec<u64>, Duration), SearchError> {
    match target {
        Target::Embedded(engine) => engine
            .query(collection, &req.edge)
            .await
            .map_err(|e| SearchError(format!("embedded query: {e}"))),
        Target::Server(s) => Err(SearchError(format!(
            "{}: a server is searched over grpc or rest, not embedded",
            s.grpc_url
        ))),
    }
}

#[cfg(not(feature = "embedded-qdrant"))]
async fn embedded(_: &Target, _: &str, _: &Prepared) -> Result<(Vec<u64>, Duration), SearchError> {
    Err(SearchError(
        "built without the embedded-qdrant feature".into(),
    ))
}

/// Sends one prepared search and returns the ids found (in order) and the server's time.
pub(crate) async fn search(
    target: &Target,
    protocol: Protocol,
    collection: &str,
    req: &Prepared,
) -> Result<Found, SearchError> {
    match protocol {
        Protocol::Grpc => {
            let resp = server(target, protocol)?
                .grpc
                .query(req.grpc.clone())
                .await
                .map_err(|e| SearchError(format!("gRPC query: {e}")))?;
            let ids = resp
                .result
                .iter()
                .filter_map(|p| match p.id.as_ref()?.point_id_options.as_ref()? {
                    PointIdOptions::Num(n) => Some(*n),
                    PointIdOptions::Uuid(_) => None,
                })
                .collect();
            Ok(Found {
                ids,
                server_time: seconds(resp.time),
            })
        }
        Protocol::Rest => {
            let bytes = rest_query(server(target, protocol)?, collection, req).await?;
            let resp: RestResponse = serde_json::from_slice(&bytes)
                .map_err(|e| SearchError(format!("REST query: unreadable response: {e}")))?;
            let ids = resp
                .result
                .map(|r| r.points.iter().filter_map(|p| p.id.as_u64()).collect())
                .unwrap_or_default();
            Ok(Found {
                ids,
                server_time: resp.time.and_then(seconds),
            })
        }
        Protocol::Embedded => {
            let (ids, took) = embedded(target, collection, req).await?;
            Ok(Found {
                ids,
                server_time: Some(took),
            })
        }
    }
}

/// Sends one prepared search and only checks it succeeded: the load loops' request, which
/// skips decoding the answer beyond what the protocol needs.
pub async fn search_quick(
    target: &Target,
    protocol: Protocol,
    collection: &str,
    req: &Prepared,
) -> Result<(), SearchError> {
    match protocol {
        Protocol::Grpc => server(target, protocol)?
            .grpc
            .query(req.grpc.clone())
            .await
            .map(|_| ())
            .map_err(|e| SearchError(format!("gRPC query: {e}"))),
        Protocol::Rest => rest_query(server(target, protocol)?, collection, req)
            .await
            .map(|_| ()),
        Protocol::Embedded => embedded(target, collection, req).await.map(|_| ()),
    }
}

async fn rest_query(
    target: &Server,
    collection: &str,
    req: &Prepared,
) -> Result<Bytes, SearchError> {
    let resp = target
        .rest_request(
            reqwest::Method::POST,
            &format!("/collections/{collection}/points/query"),
        )
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(req.rest.clone())
        .send()
        .await
        .map_err(|e| SearchError(format!("REST query: {}", error_chain(&e))))?;
    let status = resp.status();
    let bytes = resp.bytes().await.map_err(|e| {
        SearchError(format!(
            "REST query: reading the answer: {}",
            error_chain(&e)
        ))
    })?;
    if !status.is_success() {
        let text = String::from_utf8_lossy(&bytes[..bytes.len().min(300)]).into_owned();
        return Err(SearchError(format!("REST query: HTTP {status}: {text}")));
    }
    Ok(bytes)
}

/// An error and its causes on one line (reqwest's top-level message alone says little).
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let m = c.to_string();
        if !s.contains(&m) {
            s.push_str(": ");
            s.push_str(&m);
        }
        cur = c.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::super::data::Generator;
    use super::*;

    #[test]
    fn rest_bodies_carry_the_query() {
        let g = Generator::new(1, "c", 8);
        let q = g.query(0);
        let body: serde_json::Value =
            serde_json::from_slice(&prepare("c", SearchKind::Filter, &q).rest).unwrap();
        assert_eq!(body["using"], "dense");
        assert_eq!(body["limit"], 10);
        assert_eq!(body["query"].as_array().unwrap().len(), 8);
        assert_eq!(body["filter"]["must"][0]["match"]["value"], q.bucket);
        let hybrid: serde_json::Value =
            serde_json::from_slice(&prepare("c", SearchKind::Hybrid, &q).rest).unwrap();
        assert_eq!(hybrid["query"]["fusion"], "rrf");
        assert_eq!(hybrid["prefetch"][1]["using"], "sparse");
        assert_eq!(hybrid["prefetch"][1]["limit"], PREFETCH);
        let grpc = prepare("c", SearchKind::Hybrid, &q).grpc;
        assert_eq!(grpc.prefetch.len(), 2);
        assert_eq!(grpc.collection_name, "c");
    }
}
