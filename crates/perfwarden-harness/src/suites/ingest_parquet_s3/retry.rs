//! Bounded retries of S3 calls: which failures are worth another attempt, and the loop
//! that makes them under a [`RetryPolicy`]. Transient failures (connection refused or
//! reset, timeouts, 5xx, 408, 429) are retried; anything else (a 403, a missing bucket)
//! fails at once.

use std::future::Future;
use std::time::{Duration, Instant};

use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

pub use crate::services::sdk_error::{causes, detail, one_line};

use super::config::RetryPolicy;

/// How one attempt failed, in one line (see [`one_line`]).
#[derive(Debug)]
pub(crate) enum Attempt {
    Transient(String),
    Permanent(String),
}

/// Classifies an SDK error of operation `op` (`PutObject`, ...): worth another attempt or
/// not. Connection failures, timeouts, unreadable responses and 5xx, 408 and 429 statuses
/// are transient. The SDK's whole account of the error is logged at debug level; the
/// attempt carries only its one-line summary.
pub(crate) fn classify<E>(
    op: &'static str,
    e: SdkError<E, aws_sdk_s3::config::http::HttpResponse>,
) -> Attempt
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let status = e.raw_response().map(|r| r.status().as_u16());
    let transient = match &e {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            true
        }
        _ => status.is_some_and(|s| s >= 500 || s == 408 || s == 429),
    };
    tracing::debug!(op, transient, error = %DisplayErrorContext(&e), "S3 call failed");
    let text = one_line(op, &e);
    if transient {
        Attempt::Transient(text)
    } else {
        Attempt::Permanent(text)
    }
}

/// What the retries of one call cost: the attempts made, and the time from the first
/// attempt to the start of the last (failed attempts and the waits between them).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tries {
    pub attempts: u32,
    pub retrying: Duration,
}

/// The tries of two calls made for one file: attempts and retrying time add up.
impl std::ops::Add for Tries {
    type Output = Tries;

    fn add(self, other: Tries) -> Tries {
        Tries {
            attempts: self.attempts + other.attempts,
            retrying: self.retrying + other.retrying,
        }
    }
}

/// A call that failed for good.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failed {
    /// The last attempt's error, in one line.
    pub error: String,
    pub attempts: u32,
    /// From the first attempt until the call gave up.
    pub elapsed: Duration,
    /// True when every attempt failed transiently (the retries ran out).
    pub exhausted: bool,
}

/// Runs `op` until it succeeds, fails permanently, or has been tried `max_attempts`
/// times. Returns the value and what the retries cost.
pub(crate) async fn with_retry<T, F, Fut>(
    policy: &RetryPolicy,
    mut op: F,
) -> Result<(T, Tries), Failed>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Attempt>>,
{
    let started = Instant::now();
    let mut attempt = 1;
    loop {
        let this_attempt = Instant::now();
        let failed = |error, exhausted| Failed {
            error,
            attempts: attempt,
            elapsed: started.elapsed(),
            exhausted,
        };
        match op().await {
            Ok(v) => {
                let tries = Tries {
                    attempts: attempt,
                    retrying: this_attempt.duration_since(started),
                };
                return Ok((v, tries));
            }
            Err(Attempt::Permanent(error)) => return Err(failed(error, false)),
            Err(Attempt::Transient(error)) if attempt >= policy.max_attempts => {
                return Err(failed(error, true));
            }
            Err(Attempt::Transient(error)) => {
                tracing::debug!(attempt, error, "S3 call failed; retrying");
                tokio::time::sleep(policy.delay(attempt)).await;
                attempt += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[tokio::test]
    async fn retries_are_bounded_and_permanent_errors_stop_at_once() {
        let policy = RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(2),
            max_delay: Duration::from_millis(5),
        };
        let mut calls = 0;
        let started = Instant::now();
        let r: Result<((), Tries), _> = with_retry(&policy, || {
            calls += 1;
            async { Err(Attempt::Transient("connection refused".into())) }
        })
        .await;
        let f = r.unwrap_err();
        assert_eq!(
            (f.error.as_str(), f.attempts, f.exhausted),
            ("connection refused", 5, true)
        );
        assert_eq!(calls, 5);
        // Waits of 2, 4, 5 and 5 ms between the five attempts.
        assert_eq!(policy.total_wait(), Duration::from_millis(16));
        assert!(started.elapsed() >= policy.total_wait());

        let mut calls = 0;
        let r: Result<((), Tries), _> = with_retry(&policy, || {
            calls += 1;
            async { Err(Attempt::Permanent("403".into())) }
        })
        .await;
        let f = r.unwrap_err();
        assert_eq!((f.attempts, f.exhausted, calls), (1, false, 1));

        let mut calls = 0;
        let r = with_retry(&policy, || {
            calls += 1;
            let n = calls;
            async move {
                if n < 3 {
                    Err(Attempt::Transient("503".into()))
                } else {
                    Ok(n)
                }
            }
        })
        .await;
        let (v, tries) = r.unwrap();
        assert_eq!((v, tries.attempts), (3, 3));
        // Two failed attempts and the waits after them (2 and 4 ms) came before the third.
        assert!(tries.retrying >= Duration::from_millis(6), "{tries:?}");
    }
}
