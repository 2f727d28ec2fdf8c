//! `PERFWARDEN_INJECT_SLOWDOWN`: a known, client-side slowdown for calibrating the gate.
//!
//! Set to a fraction (`0.1` = 10%), every request the load engine (and the suites' serial
//! loops) measures is followed by an extra wait of that fraction of its own latency, before
//! its end time is taken. Every latency then grows by exactly that fraction, and throughput
//! in the closed loop shrinks accordingly, so a run with the knob set is a regression of known
//! size: the calibration check expects the gate to flag it, and a run without it not to.

use std::time::{Duration, Instant};

use super::clock::Clock;

/// The environment variable holding the fraction.
pub const SLOWDOWN_VAR: &str = "PERFWARDEN_INJECT_SLOWDOWN";

/// Waits shorter than this are spun (yielding) rather than slept, because tokio's timer
/// rounds sleeps up to whole milliseconds and would inflate the slowdown.
const SPIN_BELOW: Duration = Duration::from_millis(2);

/// A fractional extra delay per request; 0 disables it.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Slowdown(f64);

impl Slowdown {
    pub(crate) const NONE: Slowdown = Slowdown(0.0);

    /// A slowdown of `fraction` (must be finite and between 0 and 100).
    pub(crate) fn new(fraction: f64) -> Result<Slowdown, String> {
        if fraction.is_finite() && (0.0..=100.0).contains(&fraction) {
            Ok(Slowdown(fraction))
        } else {
            Err(format!(
                "{SLOWDOWN_VAR}: {fraction} is not a fraction between 0 and 100 (0.1 = 10% slower)"
            ))
        }
    }

    /// Reads `PERFWARDEN_INJECT_SLOWDOWN`; unset or empty means none.
    pub(crate) fn from_env() -> Result<Slowdown, String> {
        match std::env::var(SLOWDOWN_VAR) {
            Ok(v) if !v.trim().is_empty() => {
                let f: f64 = v.trim().parse().map_err(|_| {
                    format!("{SLOWDOWN_VAR}: {v:?} is not a number (0.1 = 10% slower)")
                })?;
                Slowdown::new(f)
            }
            _ => Ok(Slowdown::NONE),
        }
    }

    pub(crate) fn is_none(self) -> bool {
        self.0 == 0.0
    }

    /// [`apply`](Self::apply) on `clock`: exact on a virtual one.
    pub(crate) async fn apply_on(self, clock: &Clock, sent: Instant) {
        match clock {
            Clock::Virtual(v) if !self.is_none() => {
                let now = v.now();
                v.sleep_until(now + (now - sent).mul_f64(self.0)).await
            }
            _ => self.apply(sent).await,
        }
    }

    /// Waits `fraction` × (now − `sent`), the extra client-side delay for a request sent at
    /// `sent` that has just completed.
    pub(crate) async fn apply(self, sent: Instant) {
        if self.is_none() {
            return;
        }
        let extra = sent.elapsed().mul_f64(self.0);
        let until = Instant::now() + extra;
        if extra > SPIN_BELOW {
            tokio::time::sleep(extra - SPIN_BELOW / 2).await;
        }
        while Instant::now() < until {
            tokio::task::yield_now().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_what_is_not_a_fraction() {
        assert!(Slowdown::new(0.1).is_ok());
        assert!(Slowdown::new(-0.1).unwrap_err().contains(SLOWDOWN_VAR));
        assert!(Slowdown::new(f64::NAN).is_err());
    }

    #[test]
    fn adds_exactly_the_fraction_of_the_latency_on_a_virtual_clock() {
        super::super::VirtualClock::run(|v| async move {
            let clock = Clock::Virtual(v.clone());
            let sent = v.now();
            v.sleep(Duration::from_millis(20)).await;
            Slowdown::new(0.5).unwrap().apply_on(&clock, sent).await;
            assert_eq!(v.now() - sent, Duration::from_millis(30));
        });
    }

    /// On the real clock the wait is never shorter than the fraction (a busy machine may
    /// make it longer, which is not asserted).
    #[tokio::test]
    async fn never_waits_less_than_the_fraction() {
        let sent = Instant::now();
        tokio::time::sleep(Duration::from_millis(20)).await;
        let before = sent.elapsed();
        Slowdown::new(0.5).unwrap().apply(sent).await;
        let extra = sent.elapsed() - before;
        assert!(extra >= before.mul_f64(0.5), "{extra:?} vs {before:?}");
    }
}
