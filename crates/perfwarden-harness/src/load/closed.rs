//! The closed loop: `concurrency` workers, each sending its next request as soon as the
//! previous one has answered.

use std::fmt::Display;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::LoadConfig;
use super::recorder::{Failure, Recorder, Shared};
use super::report::{LoadMode, LoadReport};

/// Runs `op` in a closed loop at `concurrency` (at least 1) for `cfg.warmup + cfg.duration`.
///
/// Worker `w` calls `op(i)` with `i = w, w + concurrency, w + 2·concurrency, …`, so every
/// request gets a distinct sequence number. The clock of a request starts after `op(i)` has
/// returned its future, i.e. after any synchronous preparation. With `cfg.max_requests`, the
/// run ends once sequence numbers `0..max_requests` have all been sent. Must be called inside a
/// tokio runtime; workers are spawned so they spread over its threads.
pub async fn closed_loop<F, Fut, T, E>(cfg: &LoadConfig, concurrency: usize, op: F) -> LoadReport
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: Display + Send + 'static,
{
    let concurrency = concurrency.max(1);
    let op = Arc::new(op);
    let shared = Shared::new();
    let monitor = tokio::spawn(super::progress::monitor(
        format!("{} (closed, c={concurrency})", cfg.label),
        cfg.progress,
        cfg.total(),
        cfg.abort_after,
        cfg.clock.clone(),
        shared.clone(),
    ));
    let clock = cfg.clock.clone();
    let t0 = clock.now();
    let measure_start = t0 + cfg.warmup;
    let end = measure_start + cfg.duration;
    let mut workers = Vec::with_capacity(concurrency);
    for w in 0..concurrency {
        let op = op.clone();
        let shared = shared.clone();
        let (timeout, slowdown, window) = (cfg.timeout, cfg.slowdown, cfg.window);
        let clock = clock.clone();
        let max_requests = cfg.max_requests.unwrap_or(u64::MAX);
        workers.push(tokio::spawn(async move {
            let mut rec = Recorder::new(measure_start, end, window, shared.clone());
            let mut i = w as u64;
            while clock.now() < end && !shared.stopped() && i < max_requests {
                let fut = op(i);
                i += concurrency as u64;
                let sent = clock.now();
                let failure = Failure::of(clock.timeout(timeout, fut).await, timeout);
                slowdown.apply_on(&clock, sent).await;
                let done = clock.now();
                if sent >= measure_start {
                    rec.record(sent, sent, done, failure, None);
                } else {
                    rec.record_warmup(sent, done, failure);
                }
            }
            rec
        }));
    }
    let mut total = Recorder::new(measure_start, end, cfg.window, shared.clone());
    for worker in workers {
        match worker.await {
            Ok(rec) => total.merge(rec),
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => panic!("load worker of {} was cancelled: {e}", cfg.label),
        }
    }
    let finished = clock.now();
    shared.stop.store(true, Ordering::Relaxed);
    let aborted = monitor.await.ok().flatten();
    LoadReport::from_recorder(
        cfg,
        LoadMode::Closed { concurrency },
        finished.saturating_duration_since(measure_start),
        total,
        0,
        aborted,
    )
}
