//! The open loop: requests are due at a fixed rate whatever the target does, and each one's
//! latency counts from when it was due.
//!
//! A pacer thread releases one permit per due slot on a semaphore; up to `max_in_flight`
//! workers take permits in order and send. The pacer is an OS thread sleeping with the
//! kernel's timer (tens of microseconds of slack) because tokio's timer rounds every sleep
//! up to a whole millisecond, which would add up to a millisecond to every latency measured
//! from the intended time. When every worker is busy (the target is stalled, or slower than
//! the offered rate), permits wait: those requests go out late and their latency includes
//! the wait, which is the coordinated-omission correction.

use std::fmt::Display;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use super::recorder::{Failure, Recorder, Shared};
use super::report::{LoadMode, LoadReport};
use super::{LoadConfig, Share};

/// The pacer never sleeps longer than this, so it notices an aborted run promptly.
const PACER_MAX_SLEEP: Duration = Duration::from_millis(10);
/// The first slot is due this long after the call, leaving time to spawn the workers.
const LEAD_IN: Duration = Duration::from_millis(5);

/// Runs `op` at `rate` requests per second for `cfg.warmup + cfg.duration`, with at most
/// `max_in_flight` requests outstanding. Slot `k` is due at `start + k / rate` and is sent
/// as `op(k)`; with a [`Share`] in `cfg`, only this worker's slots are sent (at `rate / n`
/// together), from the shared start. Requests due during the warm-up are sent but not recorded. Slots still
/// unsent `cfg.late_after` past the end of the run are counted as dropped.
///
/// # Panics
/// When `rate` is not a positive finite number.
pub async fn open_loop<F, Fut, T, E>(
    cfg: &LoadConfig,
    rate: f64,
    max_in_flight: usize,
    op: F,
) -> LoadReport
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: Display + Send + 'static,
{
    assert!(
        rate.is_finite() && rate > 0.0,
        "open loop rate must be positive, got {rate}"
    );
    let max_in_flight = max_in_flight.max(1);
    let op = Arc::new(op);
    let shared = Shared::new();
    let monitor = tokio::spawn(super::progress::monitor(
        format!("{} (open, {rate:.0}/s)", cfg.label),
        cfg.progress,
        cfg.total(),
        cfg.abort_after,
        shared.clone(),
    ));
    // A worker's share of a plan starts at the shared time; its caller checked that the time
    // has not passed (`Share::start`), and a start found late here is kept, late.
    let share = cfg.share;
    let t0 = share.start(LEAD_IN).unwrap_or_else(|_| Instant::now());
    let measure_start = t0 + cfg.warmup;
    let end = measure_start + cfg.duration;
    let slots = share.count((cfg.total().as_secs_f64() * rate).ceil() as u64);
    let permits = Arc::new(Semaphore::new(0));
    let next_slot = Arc::new(AtomicU64::new(0));

    let pacer = {
        let permits = permits.clone();
        let shared = shared.clone();
        let close_at = end + cfg.late_after;
        std::thread::Builder::new()
            .name("perfwarden-pacer".into())
            .spawn(move || pace(t0, rate, share, slots, close_at, &permits, &shared))
            .expect("spawning the pacer thread")
    };

    let mut workers = Vec::with_capacity(max_in_flight);
    for _ in 0..max_in_flight {
        let op = op.clone();
        let shared = shared.clone();
        let permits = permits.clone();
        let next_slot = next_slot.clone();
        let (timeout, slowdown, window, late_after) =
            (cfg.timeout, cfg.slowdown, cfg.window, cfg.late_after);
        workers.push(tokio::spawn(async move {
            let mut rec = Recorder::new(measure_start, end, window, shared);
            while let Ok(permit) = permits.acquire().await {
                permit.forget();
                let k = share.slot(next_slot.fetch_add(1, Ordering::Relaxed));
                let intended = t0 + Duration::from_secs_f64(k as f64 / rate);
                let fut = op(k);
                let sent = Instant::now();
                let failure = match tokio::time::timeout(timeout, fut).await {
                    Ok(Ok(_)) => None,
                    Ok(Err(e)) => Some(Failure::error(e)),
                    Err(_) => Some(Failure::timeout(timeout)),
                };
                slowdown.apply(sent).await;
                let done = Instant::now();
                if intended >= measure_start {
                    if sent.saturating_duration_since(intended) > late_after {
                        rec.late += 1;
                    }
                    rec.record(intended, sent, done, failure);
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
    let released = tokio::task::spawn_blocking(move || pacer.join())
        .await
        .expect("joining the pacer")
        .expect("the pacer thread does not panic");
    shared.stop.store(true, Ordering::Relaxed);
    let aborted = monitor.await.ok().flatten();
    // Slots released but never taken were never sent; slots never released (the run was
    // aborted) were never due within the run that happened, and do not count.
    let dropped = released.saturating_sub(next_slot.load(Ordering::Relaxed));
    let measured = match aborted {
        Some(_) => Instant::now()
            .min(end)
            .saturating_duration_since(measure_start),
        None => cfg.duration,
    };
    LoadReport::from_recorder(
        cfg,
        LoadMode::Open {
            rate: share.rate(rate),
            max_in_flight,
        },
        measured,
        total,
        dropped,
        aborted,
    )
}

/// Releases permits for this share's slots (`slots` of them) as they fall due, then closes
/// the semaphore at `close_at` (or at once when the run is stopped). Returns how many slots
/// it released.
fn pace(
    t0: Instant,
    rate: f64,
    share: Share,
    slots: u64,
    close_at: Instant,
    permits: &Semaphore,
    shared: &Shared,
) -> u64 {
    let mut released = 0u64;
    loop {
        if shared.stopped() {
            break;
        }
        let now = Instant::now();
        if released < slots {
            let elapsed = now.saturating_duration_since(t0).as_secs_f64();
            let due = if now < t0 {
                0
            } else {
                share.count((elapsed * rate).floor() as u64 + 1).min(slots)
            };
            if due > released {
                permits.add_permits((due - released) as usize);
                released = due;
            }
        } else if now >= close_at {
            break;
        }
        let next = if released < slots {
            t0 + Duration::from_secs_f64(share.slot(released) as f64 / rate)
        } else {
            close_at
        };
        let wait = next.saturating_duration_since(Instant::now());
        if !wait.is_zero() {
            std::thread::sleep(wait.min(PACER_MAX_SLEEP));
        }
    }
    permits.close();
    released
}
