//! The open loop: requests are due at a fixed rate whatever the target does, and each one's
//! latency counts from when it was due.
//!
//! A pacer ([`super::pacer`]) releases one permit per due slot on a semaphore; up to
//! `max_in_flight` workers take permits in order and send each when its slot is due. When
//! every worker is busy (the target is stalled, or slower than the offered rate), permits
//! wait: those requests go out late and their latency includes the wait, which is the
//! coordinated-omission correction. How late each request went out beyond its slot is
//! recorded too (`send_lag_*`): the engine's own share of the latency it reports.

use std::fmt::Display;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use super::LoadConfig;
use super::clock::Clock;
use super::pacer::{self, Pacer, Schedule};
use super::recorder::{Failure, Recorder, Shared};
use super::report::{LoadMode, LoadReport};
use super::shape::Shape;

/// The first slot is due this long after the call, leaving time to spawn the workers.
const LEAD_IN: Duration = Duration::from_millis(5);

/// Runs `op` at `rate` requests per second for `cfg.warmup + cfg.duration`, with at most
/// `max_in_flight` requests outstanding. Slot `k` is due at `start + k / rate` and is sent
/// as `op(k)`; with a [`Share`] in `cfg`, only this worker's slots are sent (at `rate / n`),
/// from the shared start. Requests due during the warm-up are sent but not recorded. Slots still
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
    open_loop_shaped(cfg, &Shape::Constant { rate }, max_in_flight, |_| None, op).await
}

/// [`open_loop`] at a rate that follows `shape`, each request tagged by `tag_of(slot)`:
/// the report's [`tags`](LoadReport::tags) then hold each tag's own counts and histograms
/// (latency from the intended send time, as the run's). The tag is decided by the slot,
/// not by when it went out, so a backlog's late requests count where they were due.
///
/// # Panics
/// When the shape's [`check`](Shape::check) fails.
pub async fn open_loop_shaped<F, Fut, T, E>(
    cfg: &LoadConfig,
    shape: &Shape,
    max_in_flight: usize,
    tag_of: impl Fn(u64) -> Option<usize> + Send + Sync + 'static,
    op: F,
) -> LoadReport
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: Display + Send + 'static,
{
    let plan = Arc::new(shape.schedule(cfg.warmup, cfg.duration));
    // The offered rate the report states: the mean over the measured period.
    let rate = match shape {
        Shape::Constant { rate } => *rate,
        _ => plan.measured_rate(),
    };
    let tag_of = Arc::new(tag_of);
    let max_in_flight = max_in_flight.max(1);
    let op = Arc::new(op);
    let shared = Shared::new();
    let monitor = tokio::spawn(super::progress::monitor(
        format!("{} (open, {rate:.0}/s)", cfg.label),
        cfg.progress,
        cfg.total(),
        cfg.abort_after,
        cfg.clock.clone(),
        shared.clone(),
    ));
    let clock = cfg.clock.clone();
    // A worker's share of a plan starts at the shared wall-clock time; its caller checked that
    // the time has not passed (`Share::start`), and a start found late here is kept, late. A
    // virtual clock has no wall-clock time to share.
    let share = cfg.share;
    let t0 = match &clock {
        Clock::Real => share.start(LEAD_IN).unwrap_or_else(|_| Instant::now()),
        Clock::Virtual(_) => clock.now() + LEAD_IN,
    };
    let measure_start = t0 + cfg.warmup;
    let end = measure_start + cfg.duration;
    let slots = share.count(plan.slots());
    let permits = Arc::new(Semaphore::new(0));
    let next_slot = Arc::new(AtomicU64::new(0));

    let schedule = Schedule {
        t0,
        plan,
        share,
        slots,
    };
    let pacer = Pacer::start(
        &clock,
        schedule.clone(),
        end + cfg.late_after,
        permits.clone(),
        shared.clone(),
    );

    let mut workers = Vec::with_capacity(max_in_flight);
    for _ in 0..max_in_flight {
        let op = op.clone();
        let shared = shared.clone();
        let permits = permits.clone();
        let next_slot = next_slot.clone();
        let (schedule, tag_of) = (schedule.clone(), tag_of.clone());
        let (timeout, slowdown, window, late_after) =
            (cfg.timeout, cfg.slowdown, cfg.window, cfg.late_after);
        let clock = clock.clone();
        workers.push(tokio::spawn(async move {
            let mut rec = Recorder::new(measure_start, end, window, shared);
            while let Ok(permit) = permits.acquire().await {
                permit.forget();
                let j = next_slot.fetch_add(1, Ordering::Relaxed);
                let (k, intended) = (share.slot(j), schedule.due_at(j));
                let fut = op(k);
                pacer::on_time(&clock, intended).await;
                let sent = clock.now();
                let failure = Failure::of(clock.timeout(timeout, fut).await, timeout);
                slowdown.apply_on(&clock, sent).await;
                let done = clock.now();
                if intended >= measure_start {
                    let lag = sent.saturating_duration_since(intended);
                    if lag > late_after {
                        rec.late += 1;
                    }
                    rec.send_lag.record(lag);
                    rec.record(intended, sent, done, failure, tag_of(k));
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
    let released = pacer.join().await;
    shared.stop.store(true, Ordering::Relaxed);
    let aborted = monitor.await.ok().flatten();
    // Slots released but never taken were never sent; slots never released (the run was
    // aborted) were never due within the run that happened, and do not count.
    let dropped = released.saturating_sub(next_slot.load(Ordering::Relaxed));
    let measured = match aborted {
        Some(_) => clock
            .now()
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
