//! The suite's scenarios and how each profile sizes them.
//!
//! | scenario        | seed test                        | smoke  | pr      | nightly | full    |
//! |-----------------|----------------------------------|--------|---------|---------|---------|
//! | `unthrottled`   | baseline, 50,000 events, no limit| 200k ev| 2M ev   | 10M ev  | 20M ev  |
//! | `sustained_10k` | 10k events/s, type 4624, 60 s    | 2 s    | 10 s    | 60 s    | 60 s    |
//! | `target_100k`   | 1M events at 100k/s              | 1 s    | 3 s     | 10 s    | 10 s    |
//! | `target_200k`   | 2M events at 200k/s              | 1 s    | 3 s     | 10 s    | 10 s    |
//! | `target_500k`   | 5M events at 500k/s              | 1 s    | 3 s     | 10 s    | 10 s    |
//! | encode alone    | (the pipeline's own ceiling)     | 200k ev| 2M ev   | 4M ev   | 8M ev   |
//!
//! The sustained scenario passes at 95% of its target (the seed's criterion); the high
//! targets report the rate reached. The sustained scenario runs one lane, as the seed's
//! server has one writer per event type, so its file count is comparable to the seed's
//! (about twelve files a minute at a 5 s flush); the others use every core.

use std::time::Duration;

use super::events::{EventMix, EventType};
use super::pacing::{LoadSpec, Stop};
use perfwarden::profile::Profile;

/// The rate the seed's server reached unthrottled.
pub(crate) const SEED_RATE: f64 = 48_000.0;
/// Sustained runs pass at this share of their target.
pub(crate) const PASS_RATIO: f64 = 0.95;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Unthrottled,
    /// A target the pipeline must hold (pass/fail at [`PASS_RATIO`]).
    Sustained,
    /// A target reported as reached, not judged.
    HighTarget,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Scenario {
    /// The benchmark name in results.
    pub name: String,
    pub kind: Kind,
    pub load: LoadSpec,
    /// Lanes for this scenario; None uses the configured number.
    pub lanes: Option<usize>,
}

/// Everything a profile runs.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub(crate) scenarios: Vec<Scenario>,
    /// Events for the encode-alone measurement (0: not measured).
    pub encode_events: u64,
    pub encode_mix: EventMix,
    pub seed: u64,
}

/// The plan for `profile`, with events drawn from `seed`.
pub fn plan(profile: Profile, seed: u64) -> Plan {
    let (unthrottled, sustained_s, high_s, encode) = match profile {
        Profile::Smoke => (200_000, 2, 1, 200_000),
        Profile::Pr => (2_000_000, 10, 3, 2_000_000),
        Profile::Nightly => (10_000_000, 60, 10, 4_000_000),
        Profile::Full => (20_000_000, 60, 10, 8_000_000),
    };
    let load = |target_rate, stop, mix| LoadSpec {
        target_rate,
        stop,
        mix,
        seed,
    };
    let mut scenarios = vec![
        Scenario {
            name: "unthrottled".into(),
            kind: Kind::Unthrottled,
            load: load(None, Stop::Events(unthrottled), EventMix::Realistic),
            lanes: None,
        },
        Scenario {
            name: "sustained_10k".into(),
            kind: Kind::Sustained,
            load: load(
                Some(10_000.0),
                Stop::Duration(Duration::from_secs(sustained_s)),
                EventMix::Fixed(EventType::Logon),
            ),
            lanes: Some(1),
        },
    ];
    for k in [100, 200, 500] {
        scenarios.push(Scenario {
            name: format!("target_{k}k"),
            kind: Kind::HighTarget,
            load: load(
                Some(k as f64 * 1_000.0),
                Stop::Duration(Duration::from_secs(high_s)),
                EventMix::Realistic,
            ),
            lanes: None,
        });
    }
    Plan {
        scenarios,
        encode_events: encode,
        encode_mix: EventMix::Realistic,
        seed,
    }
}

impl Plan {
    /// Only the named parts of the plan: scenario names and `encode_alone`. An unknown
    /// name is an error listing the known ones.
    pub fn select(mut self, names: &[&str]) -> Result<Plan, String> {
        let known: Vec<&str> = std::iter::once(ENCODE_ALONE)
            .chain(self.scenarios.iter().map(|s| s.name.as_str()))
            .collect();
        if let Some(bad) = names.iter().find(|n| !known.contains(n)) {
            return Err(format!(
                "unknown scenario {bad:?} (known: {})",
                known.join(", ")
            ));
        }
        self.scenarios.retain(|s| names.contains(&s.name.as_str()));
        if !names.contains(&ENCODE_ALONE) {
            self.encode_events = 0;
        }
        Ok(self)
    }
}

/// The name of the encode-alone measurement in results and selections.
pub(crate) const ENCODE_ALONE: &str = "encode_alone";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_scale_the_same_scenarios() {
        let names = |p| {
            plan(p, 1)
                .scenarios
                .into_iter()
                .map(|s| s.name)
                .collect::<Vec<_>>()
        };
        for p in Profile::ALL {
            assert_eq!(
                names(p),
                [
                    "unthrottled",
                    "sustained_10k",
                    "target_100k",
                    "target_200k",
                    "target_500k"
                ]
            );
        }
        let nightly = plan(Profile::Nightly, 1);
        let sustained = &nightly.scenarios[1];
        assert_eq!(sustained.load.stop, Stop::Duration(Duration::from_secs(60)));
        assert_eq!(sustained.load.mix, EventMix::Fixed(EventType::Logon));
        assert_eq!(
            plan(Profile::Pr, 1).scenarios[1].load.stop,
            Stop::Duration(Duration::from_secs(10))
        );
    }
}
