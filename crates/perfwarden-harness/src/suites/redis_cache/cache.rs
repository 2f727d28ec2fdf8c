//! Cache-aside around search: look the answer up in Redis; on a miss search and store it
//! with a TTL; when Redis fails, search anyway.
//!
//! Every Redis command is bounded by `op_timeout`: a stalled server costs a request that
//! much, then the request falls back to the backend. After a failed GET the SET is skipped
//! (Redis is known to be in trouble; writing would only add a second timeout). Commands go
//! through the services layer's pool of multiplexed connections.

use std::sync::Arc;
use std::time::Duration;

use super::codec::{self, Answer};
use super::queries::{Backend, SearchRequest};
use super::tally::Served;
use crate::services::redis::RedisPool;

/// The cache in front of (optionally) a backend.
pub struct CacheAside {
    pool: Arc<RedisPool>,
    /// Where the pool connects, for messages.
    pub address: String,
    pub ttl: Duration,
    pub op_timeout: Duration,
    /// None: Redis-only mode. A miss is counted and filled with a placeholder, never
    /// answered, and a Redis failure fails the request.
    pub backend: Option<Backend>,
    placeholder: Vec<u8>,
}

/// What a lookup did.
#[derive(Clone, Debug)]
pub struct Lookup {
    pub served: Served,
    /// The answer, when there is one (a placeholder on hits in Redis-only mode).
    pub answer: Option<Answer>,
    /// Redis commands that failed or timed out.
    pub redis_errors: u32,
    /// Why the request failed, or the first Redis error of a served one.
    pub error: Option<String>,
}

impl CacheAside {
    pub fn new(
        pool: Arc<RedisPool>,
        address: String,
        ttl: Duration,
        op_timeout: Duration,
        backend: Option<Backend>,
        limit: usize,
    ) -> CacheAside {
        CacheAside {
            pool,
            address,
            ttl,
            op_timeout,
            backend,
            placeholder: codec::encode(&Answer::placeholder(limit)),
        }
    }

    /// `GET key`, bounded.
    pub(crate) async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, String> {
        let mut conn = self.pool.get();
        let cmd = ::redis::cmd("GET").arg(key).to_owned();
        self.bounded("GET", cmd.query_async::<Option<Vec<u8>>>(&mut conn))
            .await
    }

    /// `SET key value PX ttl`, bounded.
    pub(crate) async fn set(&self, key: &str, value: &[u8]) -> Result<(), String> {
        let mut conn = self.pool.get();
        let ttl_ms = self.ttl.as_millis().max(1) as u64;
        let cmd = ::redis::cmd("SET")
            .arg(key)
            .arg(value)
            .arg("PX")
            .arg(ttl_ms)
            .to_owned();
        self.bounded("SET", cmd.query_async::<()>(&mut conn)).await
    }

    async fn bounded<T>(
        &self,
        what: &str,
        fut: impl Future<Output = ::redis::RedisResult<T>>,
    ) -> Result<T, String> {
        match tokio::time::timeout(self.op_timeout, fut).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(format!("{}: {what}: {e}", self.address)),
            Err(_) => Err(format!(
                "{}: {what}: no answer within {} ms",
                self.address,
                self.op_timeout.as_millis()
            )),
        }
    }

    /// The encoded placeholder written on misses in Redis-only mode.
    pub(crate) fn placeholder_value(&self) -> &[u8] {
        &self.placeholder
    }

    /// Serves one request for `key`; `request` builds the search, called only when the
    /// backend is needed.
    pub async fn lookup(&self, key: &str, request: impl FnOnce() -> SearchRequest) -> Lookup {
        let mut redis_errors = 0;
        let mut first_error = None;
        let cached = self.get(key).await;
        match cached {
            Ok(Some(bytes)) => match codec::decode(&bytes) {
                Ok(answer) => {
                    return Lookup {
                        served: Served::Hit,
                        answer: Some(answer),
                        redis_errors,
                        error: None,
                    };
                }
                // Not ours, or from another format: a miss, overwritten below.
                Err(e) => first_error = Some(format!("{}: {key}: {e}", self.address)),
            },
            Ok(None) => {}
            Err(e) => {
                redis_errors += 1;
                first_error = Some(e);
            }
        }
        let redis_down = redis_errors > 0;
        let Some(backend) = &self.backend else {
            if redis_down {
                return Lookup {
                    served: Served::Failed,
                    answer: None,
                    redis_errors,
                    error: first_error,
                };
            }
            if let Err(e) = self.set(key, &self.placeholder).await {
                redis_errors += 1;
                first_error.get_or_insert(e);
            }
            return Lookup {
                served: Served::Unfilled,
                answer: None,
                redis_errors,
                error: first_error,
            };
        };
        let answer = match backend.search(request()).await {
            Ok(a) => a,
            Err(e) => {
                return Lookup {
                    served: Served::Failed,
                    answer: None,
                    redis_errors,
                    error: Some(e),
                };
            }
        };
        if redis_down {
            return Lookup {
                served: Served::Degraded,
                answer: Some(answer),
                redis_errors,
                error: first_error,
            };
        }
        if let Err(e) = self.set(key, &codec::encode(&answer)).await {
            redis_errors += 1;
            first_error.get_or_insert(e);
        }
        Lookup {
            served: Served::Miss,
            answer: Some(answer),
            redis_errors,
            error: first_error,
        }
    }
}
