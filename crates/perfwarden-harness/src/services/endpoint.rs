//! Named endpoints: what the user's env vars say about servers perfwarden does not own.
//! Pure parsing; the service modules check that the endpoint answers.

use reqwest::Url;

use super::{Env, ServiceError};

pub(crate) const REDIS_URL: &str = "REDIS_URL";
pub(crate) const S3_ENDPOINT: &str = "S3_ENDPOINT";
pub(crate) const S3_BUCKET: &str = "S3_BUCKET";
pub(crate) const AWS_ACCESS_KEY_ID: &str = "AWS_ACCESS_KEY_ID";
pub(crate) const AWS_SECRET_ACCESS_KEY: &str = "AWS_SECRET_ACCESS_KEY";
pub(crate) const AWS_REGION: &str = "AWS_REGION";
/// `true` or `false` overrides the path-style guess for `S3_ENDPOINT`.
pub(crate) const S3_FORCE_PATH_STYLE: &str = "S3_FORCE_PATH_STYLE";
pub(crate) const QDRANT_URL: &str = "QDRANT_URL";
pub(crate) const QDRANT_API_KEY: &str = "QDRANT_API_KEY";
/// The gRPC URL, where it is not `QDRANT_URL`'s host on port 6334.
pub(crate) const QDRANT_GRPC_URL: &str = "QDRANT_GRPC_URL";

/// Qdrant's default ports: REST and gRPC.
pub(crate) const QDRANT_HTTP_PORT: u16 = 6333;
pub(crate) const QDRANT_GRPC_PORT: u16 = 6334;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RedisEndpoint {
    pub url: String,
}

#[derive(Clone, PartialEq, Eq)]
pub(crate) struct S3Endpoint {
    pub endpoint: String,
    pub bucket: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub region: String,
    pub path_style: bool,
}

impl std::fmt::Debug for S3Endpoint {
    // The secret stays out of logs and panic messages.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Endpoint")
            .field("endpoint", &self.endpoint)
            .field("bucket", &self.bucket)
            .field("access_key_id", &self.access_key_id)
            .field("region", &self.region)
            .field("path_style", &self.path_style)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, PartialEq, Eq)]
pub(crate) struct QdrantEndpoint {
    pub http_url: String,
    pub grpc_url: String,
    pub api_key: Option<String>,
}

impl std::fmt::Debug for QdrantEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QdrantEndpoint")
            .field("http_url", &self.http_url)
            .field("grpc_url", &self.grpc_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "<set>"))
            .finish()
    }
}

/// `REDIS_URL`, if set: `redis://`, `rediss://`, `redis+unix://` or `unix://`.
pub(crate) fn redis(env: &Env) -> Result<Option<RedisEndpoint>, ServiceError> {
    let Some(url) = env.get(REDIS_URL) else {
        return Ok(None);
    };
    let parsed = parse_url(REDIS_URL, url)?;
    if !matches!(parsed.scheme(), "redis" | "rediss" | "redis+unix" | "unix") {
        return Err(config(
            REDIS_URL,
            format!("expected a redis:// or rediss:// URL, got {url:?}"),
        ));
    }
    Ok(Some(RedisEndpoint {
        url: url.to_string(),
    }))
}

/// `S3_ENDPOINT` with its bucket, credentials and region, if `S3_ENDPOINT` is set. A partial
/// setting is an error naming what is missing, never a silent fall-through to another server.
pub(crate) fn s3(env: &Env) -> Result<Option<S3Endpoint>, ServiceError> {
    let Some(endpoint) = env.get(S3_ENDPOINT) else {
        return Ok(None);
    };
    let url = parse_url(S3_ENDPOINT, endpoint)?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(config(
            S3_ENDPOINT,
            format!("expected an http:// or https:// URL, got {endpoint:?}"),
        ));
    }
    let region = env
        .get(AWS_REGION)
        .or_else(|| env.get("AWS_DEFAULT_REGION"));
    let required = [
        (S3_BUCKET, env.get(S3_BUCKET)),
        (AWS_ACCESS_KEY_ID, env.get(AWS_ACCESS_KEY_ID)),
        (AWS_SECRET_ACCESS_KEY, env.get(AWS_SECRET_ACCESS_KEY)),
        (AWS_REGION, region),
    ];
    let missing: Vec<&str> = required
        .iter()
        .filter(|(_, v)| v.is_none())
        .map(|(name, _)| *name)
        .collect();
    if !missing.is_empty() {
        return Err(config(
            S3_ENDPOINT,
            format!("is set, but {} not", missing.join(", ")),
        ));
    }
    let path_style = match env.get(S3_FORCE_PATH_STYLE) {
        None => needs_path_style(&url),
        Some(v) => parse_bool(S3_FORCE_PATH_STYLE, v)?,
    };
    let value = |i: usize| required[i].1.unwrap_or_default().to_string();
    Ok(Some(S3Endpoint {
        endpoint: endpoint.trim_end_matches('/').to_string(),
        bucket: value(0),
        access_key_id: value(1),
        secret_access_key: value(2),
        region: value(3),
        path_style,
    }))
}

/// AWS serves virtual-hosted buckets; everything else (MinIO, s3s, Ceph, a bare IP) is
/// addressed path-style, since bucket subdomains of `localhost:9000` do not resolve.
pub(crate) fn needs_path_style(url: &Url) -> bool {
    !url.host_str()
        .is_some_and(|h| h.ends_with(".amazonaws.com"))
}

/// `QDRANT_URL` (REST, as Qdrant's own clients take it) with the gRPC URL beside it: the
/// same host on 6334, unless `QDRANT_URL` itself names 6334 (then REST is 6333) or
/// `QDRANT_GRPC_URL` says otherwise.
pub(crate) fn qdrant(env: &Env) -> Result<Option<QdrantEndpoint>, ServiceError> {
    let Some(text) = env.get(QDRANT_URL) else {
        return Ok(None);
    };
    let url = parse_url(QDRANT_URL, text)?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(config(
            QDRANT_URL,
            format!("expected an http:// or https:// URL, got {text:?}"),
        ));
    }
    let given_grpc = url.port() == Some(QDRANT_GRPC_PORT);
    let http_url = if given_grpc {
        with_port(&url, QDRANT_HTTP_PORT)
    } else {
        origin(&url)
    };
    let grpc_url = match env.get(QDRANT_GRPC_URL) {
        Some(g) => origin(&parse_url(QDRANT_GRPC_URL, g)?),
        None if given_grpc => origin(&url),
        None => with_port(&url, QDRANT_GRPC_PORT),
    };
    Ok(Some(QdrantEndpoint {
        http_url,
        grpc_url,
        api_key: env.get(QDRANT_API_KEY).map(str::to_string),
    }))
}

fn parse_url(var: &str, text: &str) -> Result<Url, ServiceError> {
    Url::parse(text).map_err(|e| config(var, format!("not a URL ({e}): {text:?}")))
}

fn parse_bool(var: &str, text: &str) -> Result<bool, ServiceError> {
    match text.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" => Ok(true),
        "0" | "false" | "no" => Ok(false),
        _ => Err(config(var, format!("expected true or false, got {text:?}"))),
    }
}

/// `scheme://host[:port]` plus the path, without a trailing slash.
fn origin(url: &Url) -> String {
    url.as_str().trim_end_matches('/').to_string()
}

fn with_port(url: &Url, port: u16) -> String {
    let mut url = url.clone();
    // Only URLs without a host refuse a port, and those were rejected by the scheme check.
    let _ = url.set_port(Some(port));
    origin(&url)
}

fn config(var: &str, what: String) -> ServiceError {
    ServiceError::Config {
        var: var.into(),
        what,
    }
}

#[cfg(test)]
#[path = "endpoint_tests.rs"]
mod tests;
