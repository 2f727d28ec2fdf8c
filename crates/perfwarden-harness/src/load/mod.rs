//! The load engine: closed-loop and open-loop request generators with exact latency
//! histograms, shared by every suite that puts a service under load.
//!
//! - [`closed_loop`] keeps `concurrency` requests in flight: each worker sends its next
//!   request as soon as the previous one answers. It measures service time and throughput
//!   at that concurrency.
//! - [`open_loop`] sends at a fixed offered rate, whatever the target does. Each request's
//!   latency counts from its *intended* send time, so a stalled target shows in the tail even
//!   though the client could not send during the stall (coordinated omission, corrected the
//!   way wrk2 does). Requests sent late are counted; those never sent before the run ended
//!   are counted as dropped.
//! - [`open_loop_mix`] and [`closed_loop_mix`] run a workload [`Mix`] (personas, their
//!   request kinds and think times): the first at an offered rate, the second as users who
//!   each send, await and think, Locust's model, reporting per kind and per persona.
//!
//! The first two take an operation `op(i)`: a closure from the request's sequence number to a future
//! resolving to `Result<_, E>`. The closure's synchronous part (building the request) runs
//! before the clock starts in the closed loop, so client-side cost shows in the Little's-law
//! check rather than in the latency. Each worker keeps its own [`LatencyHistogram`]; they
//! are merged exactly at the end into a [`LoadReport`], which converts to schema metrics.
//! The first `warmup` of every run is executed but not recorded. Time comes from the
//! config's [`Clock`]: the real one in benches, a [`VirtualClock`] in tests, where every
//! schedule is exact.

mod clock;
mod closed;
mod closed_mix;
mod hist;
mod mix;
mod mix_run;
mod open;
mod pacer;
mod progress;
mod recorder;
mod report;
mod report_metrics;
mod shape;
mod share;
mod slowdown;
mod soak;
mod spike;
mod tags;

use std::time::Duration;

pub use clock::{Clock, Sleep, VirtualClock};
pub use closed::closed_loop;
pub use closed_mix::closed_loop_mix;
pub use hist::{HIGHEST_US, LOWEST_US, LatencyHistogram, LatencySummary, SIGFIG};
pub use mix::{Mix, Persona};
pub use mix_run::{KindFuture, Kinds, MixPlan, MixReport, open_loop_mix};
pub use open::{open_loop, open_loop_shaped};
pub use progress::ProgressMode;
pub use recorder::Window;
pub use report::{LittleCheck, LoadMode, LoadReport};
pub use shape::{Schedule, Shape, SpikePhase};
pub use share::{JOB_INDEX_VAR, START_AT_VAR, START_GRACE, Share, WORKER_VAR, WORKERS_VAR};
pub use slowdown::{SLOWDOWN_VAR, Slowdown};
pub use soak::{SoakReport, soak};
pub use spike::{SpikeReport, spike};
pub use tags::TagStats;

/// How a load run is shaped; the same for both loops.
#[derive(Clone, Debug)]
pub struct LoadConfig {
    /// Shown in progress lines, e.g. `mixtral/grpc/dense c=16`.
    pub label: String,
    /// Run but not recorded, so connection set-up and cold caches do not count.
    pub warmup: Duration,
    /// The measured period.
    pub duration: Duration,
    /// Length of the fixed windows the measured period is cut into (per-window throughput
    /// and latency show drift and stalls).
    pub window: Duration,
    /// Per-request bound: a request that takes longer is counted as an error (timeout).
    pub timeout: Duration,
    /// Ends the run early once the target has answered nothing but errors for this long.
    pub abort_after: Option<Duration>,
    /// Open loop: a request sent more than this after its intended time counts as late.
    pub late_after: Duration,
    pub progress: ProgressMode,
    /// Extra client-side delay per request (`PERFWARDEN_INJECT_SLOWDOWN`).
    pub slowdown: Slowdown,
    /// Closed loop only: stop once this many requests (warm-up included) have been sent,
    /// `duration` then being an upper bound. For results that depend on how many requests
    /// ran rather than on how fast the machine is (a cache's hit rate as it warms).
    pub max_requests: Option<u64>,
    /// Open loop only: this load machine's share of the plan (the whole plan by default).
    pub share: Share,
    /// Where the run's time comes from: the real clock, or a virtual one in tests.
    pub clock: Clock,
}

impl LoadConfig {
    /// A run of `warmup` then `duration`, with 1 s windows, a 10 s request timeout, an abort
    /// after 2 s of only errors, 2 ms lateness tolerance, automatic progress display and no
    /// injected slowdown.
    pub fn new(label: impl Into<String>, warmup: Duration, duration: Duration) -> LoadConfig {
        LoadConfig {
            label: label.into(),
            warmup,
            duration,
            window: Duration::from_secs(1),
            timeout: Duration::from_secs(10),
            abort_after: Some(Duration::from_secs(2)),
            late_after: Duration::from_millis(2),
            progress: ProgressMode::Auto,
            slowdown: Slowdown::NONE,
            max_requests: None,
            share: Share::WHOLE,
            clock: Clock::Real,
        }
    }

    /// Builder-style setters for the fields most callers change.
    pub fn window(mut self, window: Duration) -> LoadConfig {
        self.window = window;
        self
    }

    pub fn timeout(mut self, timeout: Duration) -> LoadConfig {
        self.timeout = timeout;
        self
    }

    pub fn progress(mut self, progress: ProgressMode) -> LoadConfig {
        self.progress = progress;
        self
    }

    pub(crate) fn slowdown(mut self, slowdown: Slowdown) -> LoadConfig {
        self.slowdown = slowdown;
        self
    }

    pub fn abort_after(mut self, abort_after: Option<Duration>) -> LoadConfig {
        self.abort_after = abort_after;
        self
    }

    pub fn late_after(mut self, late_after: Duration) -> LoadConfig {
        self.late_after = late_after;
        self
    }

    pub fn max_requests(mut self, max_requests: Option<u64>) -> LoadConfig {
        self.max_requests = max_requests;
        self
    }

    pub fn share(mut self, share: Share) -> LoadConfig {
        self.share = share;
        self
    }

    pub fn clock(mut self, clock: Clock) -> LoadConfig {
        self.clock = clock;
        self
    }

    fn total(&self) -> Duration {
        self.warmup + self.duration
    }
}
