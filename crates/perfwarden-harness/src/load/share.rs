//! One load machine's share of an open-loop plan, for several machines started together by a
//! scheduler people already run (a GitHub Actions matrix, a Kubernetes Indexed Job).
//!
//! The plan is the one-machine plan: slot `k` due at `start + k / rate`. Worker `i` of `n`
//! sends the slots `k ≡ i (mod n)`, so the workers together send exactly the one-machine
//! schedule (same slots, same due times, same request for each slot) and `perfwarden merge`
//! of their results is the one-machine run's distribution, not an approximation of it. Each
//! worker's offered rate is `rate / n`; the rates add up.
//!
//! The environment says which share a process has:
//! - `PERFWARDEN_WORKER=i/n` (0 ≤ i < n), or `JOB_COMPLETION_INDEX=i` (what a Kubernetes
//!   Indexed Job sets) with `PERFWARDEN_WORKERS=n`;
//! - `PERFWARDEN_START_AT=<Unix seconds>`: the shared start. Machines whose clocks agree
//!   (NTP: milliseconds) then send their interleaved slots on one schedule. A worker that
//!   comes up after the start refuses to run rather than measure a different plan.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub const WORKER_VAR: &str = "PERFWARDEN_WORKER";
pub const WORKERS_VAR: &str = "PERFWARDEN_WORKERS";
pub const JOB_INDEX_VAR: &str = "JOB_COMPLETION_INDEX";
pub const START_AT_VAR: &str = "PERFWARDEN_START_AT";

/// How late after the shared start a worker may still begin: its first slots go out late by
/// that much (and count so), which the coordinated-omission correction shows honestly.
pub const START_GRACE: Duration = Duration::from_secs(1);

/// Worker `index` of `of`, starting at `start_at` (else as soon as it is ready).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Share {
    pub index: u64,
    pub of: u64,
    pub start_at: Option<SystemTime>,
}

impl Share {
    /// The whole plan on one machine.
    pub const WHOLE: Share = Share {
        index: 0,
        of: 1,
        start_at: None,
    };

    /// The share the environment names, `None` when it names none. The error is one line
    /// naming the variable.
    pub fn from_env() -> Result<Option<Share>, String> {
        let var = |name: &str| {
            std::env::var(name)
                .ok()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        };
        Share::parse(
            var(WORKER_VAR).as_deref(),
            var(JOB_INDEX_VAR).as_deref(),
            var(WORKERS_VAR).as_deref(),
            var(START_AT_VAR).as_deref(),
        )
    }

    /// [`Share::from_env`] on given values.
    pub fn parse(
        worker: Option<&str>,
        job_index: Option<&str>,
        workers: Option<&str>,
        start_at: Option<&str>,
    ) -> Result<Option<Share>, String> {
        let number = |name: &str, s: &str| {
            s.parse::<u64>()
                .map_err(|_| format!("{name}: {s:?} is not a whole number"))
        };
        let (index, of) = match (worker, job_index, workers) {
            (Some(w), _, _) => {
                let (i, n) = w
                    .split_once('/')
                    .ok_or_else(|| format!("{WORKER_VAR}: {w:?} is not i/n, e.g. 0/3"))?;
                (number(WORKER_VAR, i.trim())?, number(WORKER_VAR, n.trim())?)
            }
            (None, Some(i), Some(n)) => (number(JOB_INDEX_VAR, i)?, number(WORKERS_VAR, n)?),
            (None, Some(_), None) => {
                return Err(format!(
                    "{JOB_INDEX_VAR} is set but {WORKERS_VAR} is not: how many workers share the plan?"
                ));
            }
            (None, None, _) => return Ok(None),
        };
        if of == 0 || index >= of {
            return Err(format!(
                "worker {index} of {of}: the index must be below the number of workers (0-based)"
            ));
        }
        let start_at = start_at
            .map(|s| {
                s.parse::<f64>()
                    .ok()
                    .filter(|t| t.is_finite() && *t > 0.0)
                    .map(|t| UNIX_EPOCH + Duration::from_secs_f64(t))
                    .ok_or_else(|| format!("{START_AT_VAR}: {s:?} is not a time in Unix seconds"))
            })
            .transpose()?;
        Ok(Some(Share {
            index,
            of,
            start_at,
        }))
    }

    /// This worker's part of a plan of `rate` requests per second.
    pub fn rate(&self, rate: f64) -> f64 {
        rate / self.of as f64
    }

    /// The plan's slot number of this worker's `j`-th slot.
    pub fn slot(&self, j: u64) -> u64 {
        self.index + j * self.of
    }

    /// How many of the plan's first `slots` slots are this worker's.
    pub fn count(&self, slots: u64) -> u64 {
        if slots > self.index {
            (slots - self.index - 1) / self.of + 1
        } else {
            0
        }
    }

    /// When slot 0 is due on this machine's monotonic clock: the shared start, else `lead_in`
    /// from now. An error when the shared start is more than [`START_GRACE`] past.
    pub fn start(&self, lead_in: Duration) -> Result<Instant, String> {
        let now = Instant::now();
        let Some(at) = self.start_at else {
            return Ok(now + lead_in);
        };
        let wall = SystemTime::now();
        match at.duration_since(wall) {
            Ok(ahead) => Ok(now + ahead),
            Err(e) if e.duration() <= START_GRACE => Ok(now - e.duration()),
            Err(e) => Err(format!(
                "{START_AT_VAR} was {:.1} s ago: this worker came up too late to run with the others \
                 (give the scheduler more lead time)",
                e.duration().as_secs_f64()
            )),
        }
    }

    /// `i/n`, as in `PERFWARDEN_WORKER`.
    pub fn label(&self) -> String {
        format!("{}/{}", self.index, self.of)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shares_together_are_the_whole_plan() {
        for n in 1..=5u64 {
            for slots in [0u64, 1, 2, 7, 100, 101] {
                let mut all: Vec<u64> = (0..n)
                    .flat_map(|i| {
                        let s = Share {
                            index: i,
                            of: n,
                            start_at: None,
                        };
                        (0..s.count(slots)).map(move |j| s.slot(j))
                    })
                    .collect();
                all.sort_unstable();
                assert_eq!(all, (0..slots).collect::<Vec<_>>(), "n={n} slots={slots}");
            }
        }
    }

    #[test]
    fn the_environment_names_a_share_or_says_what_is_wrong() {
        let p = |w, j, n, s| Share::parse(w, j, n, s);
        assert_eq!(p(None, None, None, None), Ok(None));
        let two_of_three = p(Some("2/3"), None, None, Some("1800000000"))
            .unwrap()
            .unwrap();
        assert_eq!((two_of_three.index, two_of_three.of), (2, 3));
        assert_eq!(
            two_of_three.start_at,
            Some(UNIX_EPOCH + Duration::from_secs(1_800_000_000))
        );
        let k8s = p(None, Some("1"), Some("4"), None).unwrap().unwrap();
        assert_eq!((k8s.index, k8s.of, k8s.start_at), (1, 4, None));
        assert!(
            p(Some("3/3"), None, None, None)
                .unwrap_err()
                .contains("below")
        );
        assert!(
            p(Some("x"), None, None, None)
                .unwrap_err()
                .contains(WORKER_VAR)
        );
        assert!(
            p(None, Some("0"), None, None)
                .unwrap_err()
                .contains(WORKERS_VAR)
        );
        assert!(
            p(Some("0/2"), None, None, Some("soon"))
                .unwrap_err()
                .contains(START_AT_VAR)
        );
        assert_eq!(two_of_three.rate(900.0), 300.0);
    }

    #[test]
    fn a_start_long_past_is_refused() {
        let past = Share {
            start_at: Some(SystemTime::now() - Duration::from_secs(30)),
            ..Share::WHOLE
        };
        assert!(past.start(Duration::ZERO).unwrap_err().contains("too late"));
        let ahead = Share {
            start_at: Some(SystemTime::now() + Duration::from_secs(30)),
            ..Share::WHOLE
        };
        let t0 = ahead.start(Duration::ZERO).unwrap();
        assert!(t0 > Instant::now() + Duration::from_secs(29));
    }
}
