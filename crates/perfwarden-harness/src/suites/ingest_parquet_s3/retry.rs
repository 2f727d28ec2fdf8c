//! Bounded retries of S3 calls: which failures are worth another attempt, and the loop
//! that makes them under a [`RetryPolicy`]. Transient failures (connection refused or
//! reset, timeouts, 5xx, 408, 429) are retried; anything else (a 403, a missing bucket)
//! fails at once.

use std::future::Future;

use aws_sdk_s3::error::{DisplayErrorContext, SdkError};

use super::config::RetryPolicy;

/// How one attempt failed.
#[derive(Debug)]
pub(crate) enum Attempt {
    Transient(String),
    Permanent(String),
}

/// Classifies an SDK error: worth another attempt or not. Connection failures,
/// timeouts, unreadable responses and 5xx, 408 and 429 statuses are transient.
pub(crate) fn classify<E>(e: SdkError<E, aws_sdk_s3::config::http::HttpResponse>) -> Attempt
where
    E: std::error::Error + 'static,
{
    let status = e.raw_response().map(|r| r.status().as_u16());
    let transient = match &e {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            true
        }
        _ => status.is_some_and(|s| s >= 500 || s == 408 || s == 429),
    };
    let text = DisplayErrorContext(&e).to_string();
    if transient {
        Attempt::Transient(text)
    } else {
        Attempt::Permanent(text)
    }
}

/// A call that failed for good.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Failed {
    pub error: String,
    pub attempts: u32,
    /// True when every attempt failed transiently (the retries ran out).
    pub exhausted: bool,
}

/// Runs `op` until it succeeds, fails permanently, or has been tried `max_attempts`
/// times. Returns the value and the attempts it took.
pub(crate) async fn with_retry<T, F, Fut>(
    policy: &RetryPolicy,
    mut op: F,
) -> Result<(T, u32), Failed>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Attempt>>,
{
    let mut attempt = 1;
    loop {
        match op().await {
            Ok(v) => return Ok((v, attempt)),
            Err(Attempt::Permanent(error)) => {
                return Err(Failed {
                    error,
                    attempts: attempt,
                    exhausted: false,
                });
            }
            Err(Attempt::Transient(error)) if attempt >= policy.max_attempts => {
                return Err(Failed {
                    error,
                    attempts: attempt,
                    exhausted: true,
                });
            }
            Err(Attempt::Transient(_)) => {
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
        let r: Result<((), u32), _> = with_retry(&policy, || {
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
        let r: Result<((), u32), _> = with_retry(&policy, || {
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
        assert_eq!(r.unwrap(), (3, 3));
    }
}
