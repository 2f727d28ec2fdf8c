//! Named endpoints: what the user's env vars say about servers perfwarden does not own.
//! Pure parsing; the service modules check that the endpoint answers.

use reqwest::Url;

use super::{Env, ServiceError};

pub const REDIS_URL: &str = "REDIS_URL";
/// The AWS SDK's own endpoint variables: the S3-specific one, then the one for every service.
pub const AWS_ENDPOINT_URL_S3: &str = "AWS_ENDPOINT_URL_S3";
pub const AWS_ENDPOINT_URL: &str = "AWS_ENDPOINT_URL";
/// `true` makes the SDK (and so perfwarden) disregard the two variables above.
pub const AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: &str = "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS";
/// perfwarden's shorthand for `AWS_ENDPOINT_URL_S3`.
pub const S3_ENDPOINT: &str = "S3_ENDPOINT";
pub const S3_BUCKET: &str = "S3_BUCKET";
/// `true` or `false` overrides the path-style guess for `S3_ENDPOINT`.
pub(crate) const S3_FORCE_PATH_STYLE: &str = "S3_FORCE_PATH_STYLE";
pub(crate) const QDRANT_URL: &str = "QDRANT_URL";
pub(crate) const QDRANT_API_KEY: &str = "QDRANT_API_KEY";
/// The gRPC URL, where it is not `QDRANT_URL`'s host on port 6334.
pub(crate) const QDRANT_GRPC_URL: &str = "QDRANT_GRPC_URL";

/// Qdrant's default ports: REST and gRPC.
pub(crate) const QDRANT_HTTP_PORT: u16 = 6333;
pub(crate) const QDRANT_GRPC_PORT: u16 = 6334;
/// Redis's default port, where a `redis://` URL names none.
pub(crate) const REDIS_PORT: u16 = 6379;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RedisEndpoint {
    pub url: String,
}

/// An existing S3 server. Credentials and region are not here: the AWS SDK's default chain
/// finds them (environment, profiles, web identity), as it would for any other AWS tool.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct S3Endpoint {
    pub endpoint: String,
    /// The variable that named it, for messages.
    pub var: &'static str,
    pub bucket: String,
    pub path_style: bool,
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

/// The S3 server named by `AWS_ENDPOINT_URL_S3`, `S3_ENDPOINT` or `AWS_ENDPOINT_URL` (the
/// first set), with `S3_BUCKET`. A partial setting is an error naming what is missing, never a
/// silent fall-through to another server.
pub fn s3(env: &Env) -> Result<Option<S3Endpoint>, ServiceError> {
    let Some((var, endpoint)) = s3_endpoint_var(env) else {
        return Ok(None);
    };
    let url = parse_url(var, endpoint)?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(config(
            var,
            format!("expected an http:// or https:// URL, got {endpoint:?}"),
        ));
    }
    let Some(bucket) = env.get(S3_BUCKET) else {
        return Err(config(
            var,
            format!("is set, but {S3_BUCKET} not (the existing bucket to use)"),
        ));
    };
    let path_style = match env.get(S3_FORCE_PATH_STYLE) {
        None => needs_path_style(&url),
        Some(v) => parse_bool(S3_FORCE_PATH_STYLE, v)?,
    };
    Ok(Some(S3Endpoint {
        endpoint: endpoint.trim_end_matches('/').to_string(),
        var,
        bucket: bucket.to_string(),
        path_style,
    }))
}

/// The variable naming the S3 endpoint and its value: the SDK's S3-specific variable, our
/// shorthand, then the SDK's variable for every service, as the SDK itself ranks them.
fn s3_endpoint_var(env: &Env) -> Option<(&'static str, &str)> {
    let sdk_ignored = env
        .get(AWS_IGNORE_CONFIGURED_ENDPOINT_URLS)
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    [AWS_ENDPOINT_URL_S3, S3_ENDPOINT, AWS_ENDPOINT_URL]
        .into_iter()
        .filter(|var| !sdk_ignored || *var == S3_ENDPOINT)
        .find_map(|var| env.get(var).map(|value| (var, value)))
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
