//! The offered rate of an open loop over time, and the schedule of slots it gives.
//!
//! A constant rate, a spike (a base rate, `factor ×` the base for a while, the base again)
//! and a soak (a constant rate held long, judged window by window) are all piecewise
//! constant: a [`Schedule`] is a list of segments, slot `k` of a segment of rate `r` due
//! `k / r` after the segment starts. Pure: the engine asks it when each slot is due, tests
//! ask it the same without running anything.

use std::time::Duration;

/// How an open loop's rate changes over its run (warm-up included: the warm-up runs at the
/// starting rate).
#[derive(Clone, Debug, PartialEq)]
pub enum Shape {
    Constant {
        rate: f64,
    },
    /// `base` requests/s; from `at` (counted from the start of the measured period) for
    /// `length`, `factor × base`; then `base` again.
    Spike {
        base: f64,
        factor: f64,
        at: Duration,
        length: Duration,
    },
}

/// Which part of a spike a slot falls in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpikePhase {
    Before = 0,
    During = 1,
    After = 2,
}

impl SpikePhase {
    pub const ALL: [SpikePhase; 3] = [SpikePhase::Before, SpikePhase::During, SpikePhase::After];

    pub fn name(self) -> &'static str {
        match self {
            SpikePhase::Before => "before",
            SpikePhase::During => "during",
            SpikePhase::After => "after",
        }
    }
}

/// One piece of constant rate: its slots `first .. first + count` are due from `start`.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Segment {
    start: Duration,
    rate: f64,
    first: u64,
    count: u64,
}

/// When every slot of a shaped run is due, from the run's start (warm-up included).
#[derive(Clone, Debug, PartialEq)]
pub struct Schedule {
    segments: Vec<Segment>,
    warmup: Duration,
    duration: Duration,
}

impl Shape {
    /// The rate the measured period starts at (and the warm-up runs at).
    pub fn base_rate(&self) -> f64 {
        match self {
            Shape::Constant { rate } => *rate,
            Shape::Spike { base, .. } => *base,
        }
    }

    /// Whether every rate is a positive finite number and the spike fits in the run; the
    /// error says which value is wrong.
    pub fn check(&self, duration: Duration) -> Result<(), String> {
        let positive = |name: &str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(format!("{name} must be a positive number, got {v}"))
            }
        };
        match self {
            Shape::Constant { rate } => positive("rate", *rate),
            Shape::Spike {
                base,
                factor,
                at,
                length,
            } => {
                positive("base rate", *base)?;
                positive("spike factor", *factor)?;
                if *at + *length > duration {
                    return Err(format!(
                        "the spike ({at:?} + {length:?}) does not end within the {duration:?} run"
                    ));
                }
                Ok(())
            }
        }
    }

    /// The schedule of a run of `warmup` then `duration` at this shape.
    ///
    /// # Panics
    /// When [`check`](Self::check) fails.
    pub fn schedule(&self, warmup: Duration, duration: Duration) -> Schedule {
        if let Err(e) = self.check(duration) {
            panic!("invalid load shape: {e}");
        }
        let total = warmup + duration;
        let pieces: Vec<(Duration, f64)> = match self {
            Shape::Constant { rate } => vec![(total, *rate)],
            Shape::Spike {
                base,
                factor,
                at,
                length,
            } => vec![
                (warmup + *at, *base),
                (*length, base * factor),
                (total - warmup - *at - *length, *base),
            ],
        };
        if let Shape::Constant { rate } = self {
            // The engine's count since before shapes existed: slots due by the end, the one
            // due at the end itself where floating point puts it there.
            return Schedule {
                segments: vec![Segment {
                    start: Duration::ZERO,
                    rate: *rate,
                    first: 0,
                    count: (total.as_secs_f64() * rate).ceil() as u64,
                }],
                warmup,
                duration,
            };
        }
        let (mut start, mut first) = (Duration::ZERO, 0);
        let mut segments = Vec::with_capacity(pieces.len());
        for (len, rate) in pieces {
            let count = slots_in(len, rate);
            segments.push(Segment {
                start,
                rate,
                first,
                count,
            });
            start += len;
            first += count;
        }
        Schedule {
            segments,
            warmup,
            duration,
        }
    }
}

/// Slots of a `len`-long piece at `rate`: those due strictly before its end. A product a
/// rounding error away from a whole number is that number (1 s at 100/s is 100 slots).
fn slots_in(len: Duration, rate: f64) -> u64 {
    let x = len.as_secs_f64() * rate;
    if (x - x.round()).abs() < 1e-9 {
        x.round() as u64
    } else {
        x.ceil() as u64
    }
}

impl Schedule {
    /// Every slot of the run, warm-up included.
    pub fn slots(&self) -> u64 {
        self.segments.last().map_or(0, |s| s.first + s.count)
    }

    /// When slot `k` is due, from the run's start.
    pub fn due(&self, k: u64) -> Duration {
        let seg = self
            .segments
            .iter()
            .rev()
            .find(|s| s.first <= k)
            .unwrap_or(&self.segments[0]);
        seg.start + Duration::from_secs_f64((k - seg.first) as f64 / seg.rate)
    }

    /// The mean offered rate of the measured period.
    pub fn measured_rate(&self) -> f64 {
        let measured = (0..self.slots())
            .filter(|&k| self.due(k) >= self.warmup)
            .count();
        measured as f64 / self.duration.as_secs_f64().max(f64::MIN_POSITIVE)
    }

    /// The spike phase slot `k` is due in (a constant shape is all `Before`).
    pub fn spike_phase(&self, k: u64) -> SpikePhase {
        match self.segments.as_slice() {
            [_, _, after] if k >= after.first => SpikePhase::After,
            [_, during, _] if k >= during.first => SpikePhase::During,
            _ => SpikePhase::Before,
        }
    }

    /// The window of the measured period slot `k` is due in (windows of `window` from the
    /// end of the warm-up); `None` for a warm-up slot.
    pub fn window_of(&self, k: u64, window: Duration) -> Option<usize> {
        let since = self.due(k).checked_sub(self.warmup)?;
        Some((since.as_nanos() / window.as_nanos().max(1)) as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn a_constant_rate_is_one_segment_as_before() {
        let s = Shape::Constant { rate: 400.0 }.schedule(ms(500), ms(1000));
        assert_eq!(s.slots(), 600);
        assert_eq!(s.due(3), Duration::from_micros(7500));
        assert_eq!(s.measured_rate(), 400.0);
        assert_eq!(s.window_of(199, ms(100)), None);
        assert_eq!(s.window_of(200, ms(100)), Some(0));
        assert_eq!(s.window_of(599, ms(100)), Some(9));
    }

    #[test]
    fn a_spike_is_base_then_k_times_then_base() {
        let spike = Shape::Spike {
            base: 100.0,
            factor: 5.0,
            at: ms(1000),
            length: ms(500),
        };
        let s = spike.schedule(ms(200), ms(3000));
        // 1.2 s at 100/s, 0.5 s at 500/s, 1.5 s at 100/s.
        assert_eq!(s.slots(), 120 + 250 + 150);
        assert_eq!(s.due(119), ms(1190));
        assert_eq!(s.due(120), ms(1200));
        assert_eq!(s.due(121), ms(1202));
        assert_eq!(s.due(370), ms(1700));
        assert_eq!(s.due(371), ms(1710));
        assert_eq!(
            [119, 120, 369, 370].map(|k| s.spike_phase(k)),
            [
                SpikePhase::Before,
                SpikePhase::During,
                SpikePhase::During,
                SpikePhase::After
            ]
        );
        assert_eq!(s.measured_rate(), 500.0 / 3.0);
    }

    #[test]
    fn a_spike_that_outlasts_the_run_is_refused() {
        let spike = Shape::Spike {
            base: 100.0,
            factor: 5.0,
            at: ms(2000),
            length: ms(1500),
        };
        let e = spike.check(ms(3000)).unwrap_err();
        assert!(e.contains("does not end within"), "{e}");
        assert!(Shape::Constant { rate: 0.0 }.check(ms(1)).is_err());
    }
}
