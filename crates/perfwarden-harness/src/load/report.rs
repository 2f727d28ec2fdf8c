//! What a load run measured and the Little's-law check; as metrics in [`super::report_metrics`].

use std::time::Duration;

use super::LoadConfig;
use super::hist::{LatencyHistogram, LatencySummary};
use super::recorder::{Recorder, Window};
use super::tags::TagStats;

/// Which loop produced a report.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LoadMode {
    Closed {
        concurrency: usize,
    },
    Open {
        rate: f64,
        max_in_flight: usize,
    },
    /// A mix's personas as users who think between requests ([`closed_loop_mix`](super::closed_loop_mix)):
    /// `users` of them, each with at most one request in flight.
    Users {
        users: usize,
    },
}

/// In the closed loop, below this fraction of the time with a request in flight the client
/// is what limits the load.
pub(crate) const CLOSED_MIN_UTILISATION: f64 = 0.8;
/// In the open loop, above this fraction of the workers busy the client's in-flight cap is
/// what limits the load.
pub(crate) const OPEN_MAX_UTILISATION: f64 = 0.9;

/// The result of one load run.
#[derive(Clone, Debug)]
pub struct LoadReport {
    pub label: String,
    pub mode: LoadMode,
    /// The measured period (warm-up excluded; shorter when the run was aborted).
    pub measured: Duration,
    /// Latency as users see it: from the intended send time in the open loop.
    pub latency: LatencyHistogram,
    /// Latency from the actual send (service time); equals `latency` in the closed loop.
    pub service: LatencyHistogram,
    /// Open loop: how late each measured request went out after its slot, the engine's own
    /// share of `latency` while workers are free (a backlog's wait is in it too).
    pub send_lag: LatencyHistogram,
    pub ok: u64,
    pub errors: u64,
    /// Errors that were timeouts (included in `errors`).
    pub timeouts: u64,
    /// Open loop: requests sent more than the lateness tolerance after their slot.
    pub late: u64,
    /// Open loop: slots due within the run but never sent.
    pub dropped: u64,
    pub window: Duration,
    pub windows: Vec<Window>,
    /// Per tag, when the run tagged its requests ([`open_loop_shaped`](super::open_loop_shaped)).
    pub tags: Vec<TagStats>,
    /// A few distinct error messages, for the log.
    pub error_samples: Vec<String>,
    /// Why the run ended early, if it did.
    pub aborted: Option<String>,
    /// Summed over workers: time with a request in flight during the measured period.
    pub busy: Duration,
}

/// Little's law (in flight = throughput × latency) applied to a run, to tell whether the
/// target or the client limited it.
#[derive(Clone, Debug, PartialEq)]
pub struct LittleCheck {
    /// Mean requests in flight, measured (time with a request in flight / period).
    pub in_flight: f64,
    /// Mean requests in flight by Little's law: achieved rate × mean service time. Close to
    /// `in_flight` in a steady state; far from it when a backlog grew or drained.
    pub little_in_flight: f64,
    /// What the engine could hold in flight (concurrency, or the open loop's cap).
    pub capacity: f64,
    /// `in_flight / capacity`.
    pub utilisation: f64,
    /// Set when the client, not the target, limited the run: says why in one line.
    pub client_bound: Option<String>,
}

impl LoadReport {
    pub(crate) fn from_recorder(
        cfg: &LoadConfig,
        mode: LoadMode,
        measured: Duration,
        rec: Recorder,
        dropped: u64,
        aborted: Option<String>,
    ) -> LoadReport {
        LoadReport {
            label: cfg.label.clone(),
            mode,
            measured,
            latency: rec.latency,
            service: rec.service,
            send_lag: rec.send_lag,
            ok: rec.ok,
            errors: rec.errors,
            timeouts: rec.timeouts,
            late: rec.late,
            dropped,
            window: cfg.window,
            windows: rec.windows,
            tags: rec.tags,
            error_samples: rec.error_samples,
            aborted,
            busy: rec.busy,
        }
    }

    /// Latency statistics (from the intended send time in the open loop).
    pub fn summary(&self) -> LatencySummary {
        self.latency.summary()
    }

    fn per_second(&self, n: u64) -> f64 {
        let s = self.measured.as_secs_f64();
        if s > 0.0 { n as f64 / s } else { 0.0 }
    }

    /// Successful requests per second of the measured period.
    pub fn throughput(&self) -> f64 {
        self.per_second(self.ok)
    }

    /// Completed requests (successes and errors) per second.
    pub fn achieved_rate(&self) -> f64 {
        self.per_second(self.ok + self.errors)
    }

    /// Per full window of the measured period, requests per second (errors too when
    /// `with_errors`): the rate's spread within the run, which the gate tests a change
    /// against. `None` below two full windows.
    pub(crate) fn window_rates(&self, with_errors: bool) -> Option<Vec<f64>> {
        let secs = self.window.as_secs_f64();
        if secs <= 0.0 {
            return None;
        }
        let full = (self.measured.as_secs_f64() / secs).floor() as usize;
        if full < 2 {
            return None;
        }
        let done = |i: usize| {
            self.windows
                .get(i)
                .map_or(0, |w| w.ok + if with_errors { w.errors } else { 0 })
        };
        Some((0..full).map(|i| done(i) as f64 / secs).collect())
    }

    /// Errors and dropped slots as a fraction of all requests due.
    pub(crate) fn error_ratio(&self) -> f64 {
        let all = self.ok + self.errors + self.dropped;
        if all == 0 {
            0.0
        } else {
            (self.errors + self.dropped) as f64 / all as f64
        }
    }

    /// Late requests as a fraction of those sent.
    pub(crate) fn late_ratio(&self) -> f64 {
        let sent = self.ok + self.errors;
        if sent == 0 {
            0.0
        } else {
            self.late as f64 / sent as f64
        }
    }

    /// Little's law: is the load the client meant to apply the load the target saw?
    ///
    /// Closed loop: the mean number of requests in flight should be close to the
    /// concurrency. Much less means the workers spent their time outside requests
    /// (building them, or starved of CPU), so the client limited the run.
    /// Open loop: the same mean against the in-flight cap; close to the cap means requests
    /// queued in the client waiting for a free worker.
    /// Users of a mix spend most of their time thinking, by design: no verdict here; their
    /// check is the achieved rate against users / (think + latency)
    /// ([`MixReport::model_rate`](super::MixReport::model_rate)).
    pub fn little(&self) -> LittleCheck {
        let period = self.measured.as_secs_f64();
        let in_flight = if period > 0.0 {
            self.busy.as_secs_f64() / period
        } else {
            0.0
        };
        let little_in_flight = self.achieved_rate() * self.service.mean_us() / 1e6;
        let capacity = match self.mode {
            LoadMode::Closed { concurrency } => concurrency as f64,
            LoadMode::Open { max_in_flight, .. } => max_in_flight as f64,
            LoadMode::Users { users } => users as f64,
        };
        let utilisation = in_flight / capacity;
        let client_bound = match self.mode {
            _ if self.ok + self.errors == 0 => None,
            LoadMode::Closed { concurrency } if utilisation < CLOSED_MIN_UTILISATION => {
                Some(format!(
                    "client-side bottleneck: {in_flight:.1} of {concurrency} requests in flight on \
                     average ({:.0}%); the client spent the rest of its time outside requests",
                    utilisation * 100.0
                ))
            }
            LoadMode::Open { max_in_flight, .. } if utilisation > OPEN_MAX_UTILISATION => {
                Some(format!(
                    "client-side bottleneck: {in_flight:.1} of at most {max_in_flight} requests in \
                     flight ({:.0}%); requests queued in the client, raise its in-flight cap",
                    utilisation * 100.0
                ))
            }
            _ => None,
        };
        LittleCheck {
            in_flight,
            little_in_flight,
            capacity,
            utilisation,
            client_bound,
        }
    }

    /// One line for logs: mode, throughput, percentiles, errors, late and dropped.
    pub fn one_line(&self) -> String {
        let s = self.summary();
        let mode = match self.mode {
            LoadMode::Closed { concurrency } => format!("closed c={concurrency}"),
            LoadMode::Open { rate, .. } => format!("open {rate:.0}/s"),
            LoadMode::Users { users } => format!("users n={users}"),
        };
        let mut line = format!(
            "{} ({mode}): {:.0} ops/s, mean {:.2} ms, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms, {} ok, {} errors",
            self.label,
            self.throughput(),
            s.mean_ms,
            s.p50_ms,
            s.p99_ms,
            s.max_ms,
            self.ok,
            self.errors
        );
        if let LoadMode::Open { .. } = self.mode {
            line += &format!(", {} late, {} dropped", self.late, self.dropped);
        }
        if let Some(why) = self.little().client_bound {
            line += &format!("; {why}");
        }
        if let Some(why) = &self.aborted {
            line += &format!("; {why}");
        }
        if let Some(e) = self.error_samples.first() {
            line += &format!("; first error: {e}");
        }
        line
    }
}
