//! How much the suite does under each profile. Pure data, so a profile's cost can be read
//! in one place and tests can shrink it.

use std::time::Duration;

use perfwarden::profile::Profile;

/// Which (collection, search kind) pairs a load phase covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scope {
    /// Every collection, every kind.
    All,
    /// Dense search on every collection, the other kinds on the first collection only.
    DenseAllOthersFirst,
    /// Dense search on the first collection only.
    FirstDense,
}

/// The suite's work under one profile.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub profile: Profile,
    /// Fixture collections to use (None: all of them).
    pub collections: Option<Vec<&'static str>>,
    pub points: u64,
    /// Queries per collection (serial latency and recall run each once).
    pub queries: u64,
    /// Points per upsert request, and requests in flight while uploading.
    pub upsert_batch: u64,
    pub upsert_parallel: usize,
    /// Bound on waiting for a collection to be green and indexed.
    pub index_timeout: Duration,
    /// Serial queries run before the measured ones.
    pub serial_warmup: u64,
    /// Closed-loop concurrency levels and their run lengths.
    pub sweep: Vec<usize>,
    pub(crate) sweep_scope: Scope,
    pub warmup: Duration,
    pub duration: Duration,
    /// Open-loop offered rates (requests/s), and how long each runs: long enough for a p99
    /// of at least a thousand requests.
    pub open_rates: Vec<f64>,
    pub open_duration: Duration,
    pub(crate) open_scope: Scope,
    /// Stress ramp: run length per step and maximum steps.
    pub stress_steps: usize,
    pub(crate) stress_scope: Scope,
    /// The latency objective of the stress ramp (seed 000: p95 < 20 ms; we hold p99 to it).
    pub slo_p99: Duration,
    pub slo_max_errors: f64,
    /// Serial fan-outs over all collections, and the closed-loop concurrency of parallel
    /// fan-outs.
    pub fanout_rounds: u64,
    pub fanout_concurrency: usize,
    /// Per-branch timeout of a fan-out (seed 001: 30 s for the batch; ours is per branch).
    pub fanout_timeout: Duration,
    /// Collection sizes for the growth measurement (empty: skipped).
    pub growth_sizes: Vec<u64>,
    pub growth_collection: &'static str,
    /// In-flight cap of the open loop.
    pub max_in_flight: usize,
    /// The workload mix phase ([`super::mix`]): the open loop's offered rate, the length of
    /// each of its two runs (open, then users), how many users the closed run has, and the
    /// factor on their think times (1.0: the users' own seconds; less in the quick
    /// profiles, so the users send enough requests to measure within CI's minutes).
    pub mix_rate: f64,
    pub mix_duration: Duration,
    pub mix_users: usize,
    pub mix_think_scale: f64,
}

impl Plan {
    pub(crate) fn for_profile(profile: Profile) -> Plan {
        let base = Plan {
            profile,
            collections: None,
            points: 5_000,
            queries: 100,
            upsert_batch: 128,
            upsert_parallel: 4,
            index_timeout: Duration::from_secs(300),
            serial_warmup: 10,
            sweep: vec![1, 4, 16],
            sweep_scope: Scope::DenseAllOthersFirst,
            warmup: Duration::from_millis(300),
            duration: Duration::from_secs(1),
            open_rates: vec![100.0, 400.0],
            open_duration: Duration::from_secs(10),
            open_scope: Scope::FirstDense,
            stress_steps: 6,
            stress_scope: Scope::FirstDense,
            slo_p99: Duration::from_millis(20),
            slo_max_errors: 0.01,
            fanout_rounds: 50,
            fanout_concurrency: 8,
            fanout_timeout: Duration::from_secs(5),
            growth_sizes: vec![],
            growth_collection: "general",
            max_in_flight: 256,
            mix_rate: 100.0,
            mix_duration: Duration::from_secs(5),
            mix_users: 12,
            mix_think_scale: 0.02,
        };
        match profile {
            Profile::Smoke => Plan {
                collections: Some(vec!["mixtral", "deepcoder"]),
                points: 1_000,
                queries: 20,
                index_timeout: Duration::from_secs(60),
                serial_warmup: 3,
                sweep: vec![1, 4],
                sweep_scope: Scope::All,
                warmup: Duration::from_millis(100),
                duration: Duration::from_millis(400),
                open_rates: vec![250.0],
                open_duration: Duration::from_secs(4),
                stress_steps: 3,
                fanout_rounds: 10,
                fanout_concurrency: 4,
                max_in_flight: 64,
                mix_rate: 50.0,
                mix_duration: Duration::from_secs(3),
                mix_users: 6,
                mix_think_scale: 0.01,
                ..base
            },
            Profile::Pr => base,
            Profile::Nightly => Plan {
                points: 100_000,
                queries: 200,
                index_timeout: Duration::from_secs(1800),
                sweep: vec![1, 4, 16, 64],
                sweep_scope: Scope::All,
                warmup: Duration::from_secs(2),
                duration: Duration::from_secs(10),
                open_rates: vec![100.0, 400.0, 1000.0],
                open_scope: Scope::DenseAllOthersFirst,
                stress_steps: 8,
                stress_scope: Scope::DenseAllOthersFirst,
                fanout_rounds: 200,
                fanout_concurrency: 16,
                growth_sizes: vec![10_000, 30_000, 100_000],
                mix_rate: 200.0,
                mix_duration: Duration::from_secs(60),
                mix_users: 60,
                mix_think_scale: 1.0,
                ..base
            },
            Profile::Full => Plan {
                points: 1_000_000,
                queries: 200,
                upsert_batch: 256,
                upsert_parallel: 8,
                index_timeout: Duration::from_secs(4 * 3600),
                sweep: vec![1, 4, 16, 64, 256],
                sweep_scope: Scope::All,
                warmup: Duration::from_secs(5),
                duration: Duration::from_secs(60),
                open_rates: vec![100.0, 1000.0, 5000.0],
                open_scope: Scope::All,
                stress_steps: 10,
                stress_scope: Scope::All,
                fanout_rounds: 500,
                fanout_concurrency: 64,
                growth_sizes: vec![10_000, 100_000, 1_000_000],
                max_in_flight: 1024,
                mix_rate: 500.0,
                mix_duration: Duration::from_secs(120),
                mix_users: 100,
                mix_think_scale: 1.0,
                ..base
            },
        }
    }

    /// Whether `scope` covers the `index`-th collection's `kind` (dense or not).
    pub(crate) fn covers(scope: Scope, collection_index: usize, dense: bool) -> bool {
        match scope {
            Scope::All => true,
            Scope::DenseAllOthersFirst => dense || collection_index == 0,
            Scope::FirstDense => dense && collection_index == 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_grow() {
        let sizes: Vec<u64> = Profile::ALL
            .iter()
            .map(|&p| Plan::for_profile(p).points)
            .collect();
        assert!(sizes.windows(2).all(|w| w[0] < w[1]), "{sizes:?}");
        assert_eq!(Plan::for_profile(Profile::Full).points, 1_000_000);
        assert!(Plan::for_profile(Profile::Nightly).growth_sizes.len() >= 3);
    }

    #[test]
    fn every_open_loop_gives_a_p99_of_a_thousand_requests() {
        for p in Profile::ALL {
            let plan = Plan::for_profile(p);
            for rate in &plan.open_rates {
                let requests = rate * plan.open_duration.as_secs_f64();
                assert!(requests >= 1000.0, "{p:?}: {rate}/s gives {requests}");
            }
        }
    }

    #[test]
    fn users_think_their_own_seconds_only_in_the_long_profiles() {
        for p in Profile::ALL {
            let plan = Plan::for_profile(p);
            let long = matches!(p, Profile::Nightly | Profile::Full);
            assert_eq!(plan.mix_think_scale == 1.0, long, "{p:?}");
            assert!(plan.mix_think_scale > 0.0 && plan.mix_users >= 3, "{p:?}");
        }
    }

    #[test]
    fn scopes() {
        assert!(Plan::covers(Scope::DenseAllOthersFirst, 3, true));
        assert!(!Plan::covers(Scope::DenseAllOthersFirst, 3, false));
        assert!(Plan::covers(Scope::DenseAllOthersFirst, 0, false));
        assert!(!Plan::covers(Scope::FirstDense, 1, true));
    }
}
