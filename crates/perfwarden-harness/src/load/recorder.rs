//! What one worker task records, kept private to the task while the load runs and merged
//! once at the end, so the hot path touches no lock and almost no shared memory.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::hist::LatencyHistogram;
use super::tags::TagStats;

/// How many distinct error messages a report keeps (they are for a human to read).
const ERROR_SAMPLES: usize = 5;
/// Error messages are cut to this many characters.
const ERROR_CHARS: usize = 300;

/// Counters every task bumps, read by the progress display and the abort monitor.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    pub ok: AtomicU64,
    pub errors: AtomicU64,
    /// Set by the monitor to end the run early (the target stopped answering).
    pub stop: AtomicBool,
}

impl Shared {
    pub(crate) fn new() -> Arc<Shared> {
        Arc::new(Shared::default())
    }

    pub(crate) fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }
}

/// Throughput and latency of one fixed window of the measured period.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Window {
    pub ok: u64,
    pub errors: u64,
    /// Sum of the recorded latencies, for the window's mean.
    pub latency_sum: Duration,
    pub latency_max: Duration,
}

impl Window {
    fn merge(&mut self, other: &Window) {
        self.ok += other.ok;
        self.errors += other.errors;
        self.latency_sum += other.latency_sum;
        self.latency_max = self.latency_max.max(other.latency_max);
    }
}

/// One task's measurements.
#[derive(Clone, Debug)]
pub(crate) struct Recorder {
    /// Latency as the user sees it: from the intended send time in the open loop
    /// (coordinated omission corrected), from the actual send in the closed loop.
    pub latency: LatencyHistogram,
    /// Latency from the actual send: the service time the target gave.
    pub service: LatencyHistogram,
    /// How late each measured request went out after it was due (the open loop records it).
    pub send_lag: LatencyHistogram,
    pub ok: u64,
    pub errors: u64,
    pub timeouts: u64,
    /// Open loop: requests sent later than the lateness tolerance after their slot.
    pub late: u64,
    pub windows: Vec<Window>,
    /// Per tag (a request kind and persona of a mix, a phase of a spike, a window of a
    /// soak: whatever the caller's `tag_of` says), the same counts and histograms again.
    pub tags: Vec<TagStats>,
    pub error_samples: Vec<String>,
    /// Time this task had a request in flight within the measured period, warm-up
    /// requests included: its time average is the mean in-flight count (Little's L).
    pub busy: Duration,
    measure_start: Instant,
    measure_end: Instant,
    window: Duration,
    shared: Arc<Shared>,
}

impl Recorder {
    pub(crate) fn new(
        measure_start: Instant,
        measure_end: Instant,
        window: Duration,
        shared: Arc<Shared>,
    ) -> Recorder {
        Recorder {
            latency: LatencyHistogram::new(),
            service: LatencyHistogram::new(),
            send_lag: LatencyHistogram::new(),
            ok: 0,
            errors: 0,
            timeouts: 0,
            late: 0,
            windows: Vec::new(),
            tags: Vec::new(),
            error_samples: Vec::new(),
            busy: Duration::ZERO,
            measure_start,
            measure_end,
            window: window.max(Duration::from_millis(1)),
            shared,
        }
    }

    /// Records one finished request. `intended` is when it should have been sent,
    /// `sent` when it was, `done` when its answer (or error) arrived; `tag` is its tag, if
    /// the run has tags.
    pub(crate) fn record(
        &mut self,
        intended: Instant,
        sent: Instant,
        done: Instant,
        failure: Option<Failure>,
        tag: Option<usize>,
    ) {
        self.add_busy(sent, done);
        let latency = done.saturating_duration_since(intended);
        let service = done.saturating_duration_since(sent);
        self.latency.record(latency);
        self.service.record(service);
        if let Some(t) = tag {
            if self.tags.len() <= t {
                self.tags.resize_with(t + 1, TagStats::default);
            }
            self.tags[t].record(latency, service, failure.as_ref());
        }
        let idx = (done
            .saturating_duration_since(self.measure_start)
            .as_nanos()
            / self.window.as_nanos()) as usize;
        if self.windows.len() <= idx {
            self.windows.resize(idx + 1, Window::default());
        }
        let w = &mut self.windows[idx];
        w.latency_sum += latency;
        w.latency_max = w.latency_max.max(latency);
        match failure {
            None => {
                self.ok += 1;
                w.ok += 1;
                self.shared.ok.fetch_add(1, Ordering::Relaxed);
            }
            Some(f) => {
                self.errors += 1;
                w.errors += 1;
                if f.timeout {
                    self.timeouts += 1;
                }
                self.note_error(f.message);
                self.shared.errors.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Counts a request that ended before the measured period (warm-up) only in the
    /// shared counters, so the abort monitor still sees a dead target during warm-up.
    pub(crate) fn record_warmup(&mut self, sent: Instant, done: Instant, failure: Option<Failure>) {
        self.add_busy(sent, done);
        match failure {
            None => self.shared.ok.fetch_add(1, Ordering::Relaxed),
            Some(f) => {
                self.note_error(f.message);
                self.shared.errors.fetch_add(1, Ordering::Relaxed)
            }
        };
    }

    /// Adds the part of `[sent, done]` inside the measured period to the busy time.
    fn add_busy(&mut self, sent: Instant, done: Instant) {
        let from = sent.max(self.measure_start);
        let to = done.min(self.measure_end);
        self.busy += to.saturating_duration_since(from);
    }

    fn note_error(&mut self, message: String) {
        if self.error_samples.len() < ERROR_SAMPLES && !self.error_samples.contains(&message) {
            self.error_samples.push(message);
        }
    }

    pub(crate) fn merge(&mut self, other: Recorder) {
        self.latency.merge(&other.latency);
        self.service.merge(&other.service);
        self.send_lag.merge(&other.send_lag);
        self.ok += other.ok;
        self.errors += other.errors;
        self.timeouts += other.timeouts;
        self.late += other.late;
        self.busy += other.busy;
        if self.windows.len() < other.windows.len() {
            self.windows.resize(other.windows.len(), Window::default());
        }
        for (mine, theirs) in self.windows.iter_mut().zip(&other.windows) {
            mine.merge(theirs);
        }
        if self.tags.len() < other.tags.len() {
            self.tags.resize_with(other.tags.len(), TagStats::default);
        }
        for (mine, theirs) in self.tags.iter_mut().zip(&other.tags) {
            mine.merge(theirs);
        }
        for m in other.error_samples {
            self.note_error(m);
        }
    }
}

/// Why a request failed.
#[derive(Clone, Debug)]
pub(crate) struct Failure {
    pub message: String,
    pub timeout: bool,
}

impl Failure {
    pub(crate) fn error(e: impl std::fmt::Display) -> Failure {
        let mut message = e.to_string();
        if message.chars().count() > ERROR_CHARS {
            message = message.chars().take(ERROR_CHARS).collect::<String>() + "…";
        }
        Failure {
            message,
            timeout: false,
        }
    }

    /// What a request's outcome (`None` when it timed out after `timeout`) says failed.
    pub(crate) fn of<T, E: std::fmt::Display>(
        outcome: Option<Result<T, E>>,
        timeout: Duration,
    ) -> Option<Failure> {
        match outcome {
            Some(Ok(_)) => None,
            Some(Err(e)) => Some(Failure::error(e)),
            None => Some(Failure::timeout(timeout)),
        }
    }

    pub(crate) fn timeout(after: Duration) -> Failure {
        Failure {
            message: format!("timed out after {after:?}"),
            timeout: true,
        }
    }
}
