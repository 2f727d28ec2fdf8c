//! What a phase's requests did, counted after the run from one record per request: hit
//! rate overall, at steady state and per time window; separate latency histograms for hits,
//! misses and degraded requests; and the window during which Redis failed and requests
//! fell back to the backend. Pure: the records come in, the numbers go out.

use std::time::Duration;

use crate::load::LatencyHistogram;

/// How one request was served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Served {
    /// From the cache: GET and decode.
    Hit,
    /// Not in the cache: GET, search, SET.
    Miss,
    /// Not in the cache and no backend to ask (Redis-only mode): GET, then a placeholder
    /// SET so later requests can hit. Counted, but not a miss latency: nothing was searched.
    Unfilled,
    /// Redis failed or timed out and the backend answered instead (the fallback).
    Degraded,
    /// No answer: the backend failed, or Redis failed with no backend to fall back on.
    Failed,
}

/// One request, times relative to the start of its phase.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Outcome {
    /// The load engine's sequence number: the order requests were issued in.
    pub seq: u64,
    pub start: Duration,
    pub end: Duration,
    pub served: Served,
    /// Redis commands of this request that failed or timed out (GET, SET).
    pub redis_errors: u32,
}

impl Outcome {
    pub(crate) fn latency(&self) -> Duration {
        self.end.saturating_sub(self.start)
    }

    /// Whether the cache was unavailable to this request: its GET failed, so it was served
    /// by the fallback or not at all. A miss whose SET failed afterwards was served the
    /// normal way and does not count, though its Redis error does.
    pub(crate) fn saw_redis_down(&self) -> bool {
        match self.served {
            Served::Degraded => true,
            Served::Failed => self.redis_errors > 0,
            Served::Hit | Served::Miss | Served::Unfilled => false,
        }
    }
}

/// Requests and hits of one time window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct WindowTally {
    pub requests: u64,
    pub hits: u64,
    pub degraded: u64,
    pub failed: u64,
}

impl WindowTally {
    /// Hits per request, in percent (0 for an empty window).
    pub(crate) fn hit_rate(&self) -> f64 {
        percent(self.hits, self.requests)
    }
}

/// The counts of a phase.
#[derive(Clone, Debug)]
pub struct Tally {
    pub requests: u64,
    pub hits: u64,
    pub misses: u64,
    pub unfilled: u64,
    pub degraded: u64,
    pub failed: u64,
    pub redis_errors: u64,
    pub hit_latency: LatencyHistogram,
    pub miss_latency: LatencyHistogram,
    pub degraded_latency: LatencyHistogram,
    /// Steady state: requests with a sequence number from here on.
    pub steady_from: u64,
    pub steady_requests: u64,
    pub steady_hits: u64,
    pub window: Duration,
    /// By end time: window k holds requests that ended in `[k·window, (k+1)·window)`.
    pub(crate) windows: Vec<WindowTally>,
    /// From the start of the first request the cache was unavailable to (its GET failed)
    /// to the end of the last one.
    pub degraded_window: Option<(Duration, Duration)>,
    /// Requests that got an answer and ended after the first Redis failure: the proof that
    /// search went on while the cache was down.
    pub served_after_fault: u64,
}

fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        100.0 * part as f64 / whole as f64
    }
}

impl Tally {
    /// Counts `outcomes`; the steady state is every request numbered `steady_from` or later.
    pub fn from_outcomes(outcomes: &[Outcome], window: Duration, steady_from: u64) -> Tally {
        let window = window.max(Duration::from_millis(1));
        let mut t = Tally {
            requests: 0,
            hits: 0,
            misses: 0,
            unfilled: 0,
            degraded: 0,
            failed: 0,
            redis_errors: 0,
            hit_latency: LatencyHistogram::new(),
            miss_latency: LatencyHistogram::new(),
            degraded_latency: LatencyHistogram::new(),
            steady_from,
            steady_requests: 0,
            steady_hits: 0,
            window,
            windows: Vec::new(),
            degraded_window: None,
            served_after_fault: 0,
        };
        for o in outcomes {
            t.requests += 1;
            t.redis_errors += u64::from(o.redis_errors);
            let hit = o.served == Served::Hit;
            match o.served {
                Served::Hit => {
                    t.hits += 1;
                    t.hit_latency.record(o.latency());
                }
                Served::Miss => {
                    t.misses += 1;
                    t.miss_latency.record(o.latency());
                }
                Served::Unfilled => t.unfilled += 1,
                Served::Degraded => {
                    t.degraded += 1;
                    t.degraded_latency.record(o.latency());
                }
                Served::Failed => t.failed += 1,
            }
            if o.seq >= steady_from {
                t.steady_requests += 1;
                t.steady_hits += u64::from(hit);
            }
            let k = (o.end.as_nanos() / window.as_nanos()) as usize;
            if t.windows.len() <= k {
                t.windows.resize(k + 1, WindowTally::default());
            }
            let w = &mut t.windows[k];
            w.requests += 1;
            w.hits += u64::from(hit);
            w.degraded += u64::from(o.served == Served::Degraded);
            w.failed += u64::from(o.served == Served::Failed);
            if o.saw_redis_down() {
                t.degraded_window = Some(match t.degraded_window {
                    None => (o.start, o.end),
                    Some((from, to)) => (from.min(o.start), to.max(o.end)),
                });
            }
        }
        if let Some((from, _)) = t.degraded_window {
            t.served_after_fault = outcomes
                .iter()
                .filter(|o| o.served != Served::Failed && o.end > from)
                .count() as u64;
        }
        t
    }

    /// Hits per request over the whole phase, in percent, cold start included.
    pub(crate) fn hit_rate(&self) -> f64 {
        percent(self.hits, self.requests)
    }

    /// Hits per request from `steady_from` on, in percent.
    pub(crate) fn steady_hit_rate(&self) -> f64 {
        percent(self.steady_hits, self.steady_requests)
    }

    /// The windows' hit rates on one line: `0.50s 41.2%, 1.00s 77.0%, …` (end of each window),
    /// at most `max` of them (evenly picked, the last always shown).
    pub(crate) fn windows_line(&self, max: usize) -> String {
        let n = self.windows.len();
        let step = n.div_ceil(max.max(1)).max(1);
        (0..n)
            .filter(|k| k % step == 0 || *k == n - 1)
            .map(|k| {
                let end = self.window * (k as u32 + 1);
                format!(
                    "{:.2}s {:.1}%",
                    end.as_secs_f64(),
                    self.windows[k].hit_rate()
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A stretch of time during which requests found the cache unavailable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Outage {
    pub start: Duration,
    pub end: Duration,
    /// Requests that found Redis down within it.
    pub requests: u64,
}

/// The outages of a phase: requests that found Redis down ([`Outcome::saw_redis_down`]),
/// grouped while each starts within `gap` of the end of the group so far. A stall shows as
/// one outage; a lone command timing out on a busy machine shows as a separate small one
/// instead of stretching the stall's window. Sorted by start.
pub(crate) fn outages(outcomes: &[Outcome], gap: Duration) -> Vec<Outage> {
    let mut down: Vec<&Outcome> = outcomes.iter().filter(|o| o.saw_redis_down()).collect();
    down.sort_by_key(|o| o.start);
    let mut out: Vec<Outage> = Vec::new();
    for o in down {
        match out.last_mut() {
            Some(last) if o.start <= last.end + gap => {
                last.end = last.end.max(o.end);
                last.requests += 1;
            }
            _ => out.push(Outage {
                start: o.start,
                end: o.end,
                requests: 1,
            }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v)
    }

    fn o(seq: u64, start: u64, end: u64, served: Served, redis_errors: u32) -> Outcome {
        Outcome {
            seq,
            start: ms(start),
            end: ms(end),
            served,
            redis_errors,
        }
    }

    #[test]
    fn counts_rates_and_windows() {
        let outcomes = [
            o(0, 0, 5, Served::Miss, 0),
            o(1, 5, 6, Served::Hit, 0),
            o(2, 6, 12, Served::Miss, 0),
            o(3, 12, 13, Served::Hit, 0),
            o(4, 13, 14, Served::Hit, 0),
            o(5, 14, 15, Served::Unfilled, 0),
        ];
        let t = Tally::from_outcomes(&outcomes, ms(10), 3);
        assert_eq!((t.requests, t.hits, t.misses, t.unfilled), (6, 3, 2, 1));
        assert_eq!(t.hit_rate(), 50.0);
        assert_eq!((t.steady_requests, t.steady_hits), (3, 2));
        assert!((t.steady_hit_rate() - 66.666).abs() < 0.01);
        assert_eq!(
            t.windows,
            vec![
                WindowTally {
                    requests: 2,
                    hits: 1,
                    ..Default::default()
                },
                WindowTally {
                    requests: 4,
                    hits: 2,
                    ..Default::default()
                },
            ]
        );
        assert_eq!(t.windows_line(10), "0.01s 50.0%, 0.02s 50.0%");
        assert_eq!(t.hit_latency.count(), 3);
        assert_eq!(t.miss_latency.count(), 2);
        assert!(t.degraded_window.is_none());
    }

    #[test]
    fn the_degraded_window_spans_the_redis_failures() {
        let outcomes = [
            o(0, 0, 1, Served::Hit, 0),
            // A miss whose SET failed when Redis went away: served normally, not degraded.
            o(6, 50, 120, Served::Miss, 1),
            o(1, 100, 160, Served::Degraded, 1),
            o(2, 150, 260, Served::Degraded, 1),
            o(3, 260, 262, Served::Miss, 0),
            o(4, 262, 263, Served::Hit, 0),
            o(5, 270, 290, Served::Failed, 0),
        ];
        let t = Tally::from_outcomes(&outcomes, ms(100), 0);
        assert_eq!(t.degraded_window, Some((ms(100), ms(260))));
        assert_eq!((t.degraded, t.failed, t.redis_errors), (2, 1, 3));
        assert_eq!(t.served_after_fault, 5);
        assert_eq!(t.windows[1].degraded, 1);
        assert_eq!(t.windows[2].degraded, 1);
        assert_eq!(t.degraded_latency.count(), 2);
    }

    #[test]
    fn a_lone_timeout_is_its_own_outage() {
        let outcomes = [
            o(0, 100, 205, Served::Degraded, 1),
            o(1, 110, 215, Served::Degraded, 1),
            o(2, 205, 310, Served::Degraded, 1),
            o(3, 320, 321, Served::Hit, 0),
            // Served normally; its SET failed: not an outage.
            o(4, 330, 400, Served::Miss, 1),
            o(5, 900, 1004, Served::Degraded, 1),
        ];
        assert_eq!(
            outages(&outcomes, ms(50)),
            vec![
                Outage {
                    start: ms(100),
                    end: ms(310),
                    requests: 3
                },
                Outage {
                    start: ms(900),
                    end: ms(1004),
                    requests: 1
                },
            ]
        );
        assert_eq!(outages(&outcomes, ms(1000)).len(), 1);
        assert!(outages(&outcomes[3..5], ms(50)).is_empty());
    }

    #[test]
    fn windows_line_thins_long_runs() {
        let outcomes: Vec<Outcome> = (0..100)
            .map(|i| o(i, i * 10, i * 10 + 1, Served::Hit, 0))
            .collect();
        let t = Tally::from_outcomes(&outcomes, ms(100), 0);
        assert_eq!(t.windows.len(), 10);
        assert_eq!(
            t.windows_line(4),
            "0.10s 100.0%, 0.40s 100.0%, 0.70s 100.0%, 1.00s 100.0%"
        );
    }
}
