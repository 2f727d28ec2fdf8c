//! The sender: generates batches and hands them to the pipeline, open loop.
//!
//! With a target rate, batch `i` is due at `start + i * batch_size / rate` whatever
//! happened to the batches before it; its events are stamped with times spread over the
//! batch's interval before that moment. When the pipeline cannot take a batch (its
//! channels are bounded) the send blocks and the batch goes late: the slip (actual minus
//! intended send time) is recorded per batch, and the achieved rate drops below the
//! target. Nothing is skipped to catch up, so a slipping rate is reported, not hidden.
//! Without a target, batches go as fast as the pipeline takes them.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::SyncSender;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use super::events::{Event, EventMix};
use super::generator::Generator;

/// When a run stops sending.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Stop {
    /// After this many events.
    Events(u64),
    /// After this long: `rate * duration` events with a target, or whatever fits in the
    /// time without one.
    Duration(Duration),
}

/// The offered load.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LoadSpec {
    /// Events per second; None sends as fast as the pipeline accepts.
    pub target_rate: Option<f64>,
    pub stop: Stop,
    pub mix: EventMix,
    pub seed: u64,
}

/// A wall-clock anchor: event times are Unix microseconds derived from a monotonic clock.
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    pub start: Instant,
    pub start_unix_us: i64,
}

impl Clock {
    pub(crate) fn now() -> Clock {
        Clock {
            start: Instant::now(),
            start_unix_us: chrono::Utc::now().timestamp_micros(),
        }
    }

    pub(crate) fn unix_us(&self, at: Instant) -> i64 {
        self.start_unix_us + at.saturating_duration_since(self.start).as_micros() as i64
    }
}

/// What the sender did.
#[derive(Clone, Debug)]
pub struct SendReport {
    pub events: u64,
    pub batches: u64,
    pub target_rate: Option<f64>,
    /// From the start to the moment the last batch was taken, plus one batch interval
    /// with a target (batch `i` stands for the interval before its due time).
    pub elapsed: Duration,
    /// Actual minus intended send time per batch, in microseconds (target runs only).
    pub slip_us: Histogram<u64>,
    /// Events taken in each second of the run, by actual send time.
    pub per_second: Vec<u64>,
    /// Time spent generating events.
    pub generating: Duration,
    /// True when the run was told to stop early (an upload failed for good).
    pub aborted: bool,
}

impl SendReport {
    pub fn achieved_rate(&self) -> f64 {
        self.events as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Microsecond histogram bounded at ten minutes.
pub(crate) fn micros_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 600_000_000, 3).expect("valid bounds")
}

/// Sends batches round robin to `lanes` until the stop condition, `abort`, or a lane
/// hanging up (its thread failed; the pipeline reports why).
pub(crate) fn run_sender(
    generator: &mut Generator,
    spec: &LoadSpec,
    batch_size: usize,
    lanes: &[SyncSender<Vec<Event>>],
    clock: Clock,
    abort: &AtomicBool,
) -> SendReport {
    let period = spec
        .target_rate
        .map(|r| Duration::from_secs_f64(batch_size as f64 / r));
    let total = match (spec.stop, spec.target_rate) {
        (Stop::Events(n), _) => Some(n),
        (Stop::Duration(d), Some(rate)) => {
            let batches = (rate * d.as_secs_f64() / batch_size as f64).ceil() as u64;
            Some(batches.max(1) * batch_size as u64)
        }
        (Stop::Duration(_), None) => None,
    };
    let mut report = SendReport {
        events: 0,
        batches: 0,
        target_rate: spec.target_rate,
        elapsed: Duration::ZERO,
        slip_us: micros_histogram(),
        per_second: Vec::new(),
        generating: Duration::ZERO,
        aborted: false,
    };
    let mut previous = clock.start;
    let mut last_taken = clock.start;
    loop {
        let left = match total {
            Some(t) => t - report.events,
            None => match spec.stop {
                Stop::Duration(d) if clock.start.elapsed() < d => batch_size as u64,
                _ => 0,
            },
        };
        if left == 0 {
            break;
        }
        if abort.load(Ordering::Relaxed) {
            report.aborted = true;
            break;
        }
        let n = left.min(batch_size as u64) as usize;
        let g = Instant::now();
        let mut batch = Vec::with_capacity(n);
        generator.fill(&mut batch, n);
        report.generating += g.elapsed();

        // The interval the batch's events happened in: before its due time with a target,
        // since the previous send without one.
        let (from, to) = match period {
            Some(p) => {
                let due = clock.start + p.mul_f64(report.batches as f64 + 1.0);
                let now = Instant::now();
                if due > now {
                    std::thread::sleep(due - now);
                }
                (due - p, due)
            }
            None => (previous, Instant::now()),
        };
        stamp(&mut batch, clock.unix_us(from), clock.unix_us(to));
        let lane = &lanes[report.batches as usize % lanes.len()];
        if lane.send(batch).is_err() {
            report.aborted = true;
            break;
        }
        last_taken = Instant::now();
        if period.is_some() {
            report
                .slip_us
                .saturating_record(last_taken.saturating_duration_since(to).as_micros() as u64);
        }
        let second = last_taken.duration_since(clock.start).as_secs() as usize;
        if report.per_second.len() <= second {
            report.per_second.resize(second + 1, 0);
        }
        report.per_second[second] += n as u64;
        report.events += n as u64;
        report.batches += 1;
        previous = to;
    }
    // With a target, batch i is due at the end of its interval; the run covers the
    // intervals up to the last batch's (taken late if it slipped).
    report.elapsed = last_taken.duration_since(clock.start);
    if let Some(p) = period {
        let planned = p.mul_f64(report.batches as f64);
        report.elapsed = report.elapsed.max(planned);
    }
    report
}

/// Spreads the batch's event times evenly over `(from_us, to_us]`.
fn stamp(batch: &mut [Event], from_us: i64, to_us: i64) {
    let n = batch.len() as i64;
    let span = (to_us - from_us).max(0);
    for (k, e) in batch.iter_mut().enumerate() {
        e.time_us = from_us + span * (k as i64 + 1) / n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suites::ingest_parquet_s3::World;
    use std::sync::Arc;
    use std::sync::mpsc::sync_channel;

    fn generator() -> Generator {
        Generator::new(Arc::new(World::new(1)), EventMix::Realistic, 1)
    }

    #[test]
    fn a_paced_run_sends_the_planned_events_on_time() {
        let (tx, rx) = sync_channel(1024);
        let spec = LoadSpec {
            target_rate: Some(20_000.0),
            stop: Stop::Duration(Duration::from_millis(300)),
            mix: EventMix::Realistic,
            seed: 1,
        };
        let clock = Clock::now();
        let r = run_sender(
            &mut generator(),
            &spec,
            1_000,
            &[tx],
            clock,
            &AtomicBool::new(false),
        );
        assert_eq!((r.events, r.batches), (6_000, 6));
        assert!(r.elapsed >= Duration::from_millis(300));
        // Never above the target; the lower bound leaves room for a loaded debug build.
        assert!(r.achieved_rate() > 0.5 * 20_000.0 && r.achieved_rate() <= 20_000.0 + 1.0);
        let batches: Vec<Vec<Event>> = rx.try_iter().collect();
        let times: Vec<i64> = batches.iter().flatten().map(|e| e.time_us).collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]), "times increase");
        let span = times[times.len() - 1] - times[0];
        assert!(
            (290_000..=300_000).contains(&span),
            "events span the run: {span} us"
        );
        assert_eq!(r.per_second.iter().sum::<u64>(), 6_000);
    }

    #[test]
    fn a_blocked_pipeline_shows_as_slip_not_as_lost_events() {
        // A channel of one batch drained slowly: the sender must wait, and says so.
        let (tx, rx) = sync_channel::<Vec<Event>>(1);
        let drain = std::thread::spawn(move || {
            let mut n = 0;
            while let Ok(b) = rx.recv() {
                n += b.len();
                std::thread::sleep(Duration::from_millis(20));
            }
            n
        });
        let spec = LoadSpec {
            target_rate: Some(100_000.0),
            stop: Stop::Events(10_000),
            mix: EventMix::Realistic,
            seed: 1,
        };
        let r = run_sender(
            &mut generator(),
            &spec,
            1_000,
            &[tx],
            Clock::now(),
            &AtomicBool::new(false),
        );
        assert_eq!(drain.join().unwrap(), 10_000);
        assert_eq!(r.events, 10_000);
        assert!(r.achieved_rate() < 80_000.0, "{}", r.achieved_rate());
        assert!(r.slip_us.max() > 50_000, "slip {} us", r.slip_us.max());
    }
}
