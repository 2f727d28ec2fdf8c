//! How much the suite does under each profile ([`Plan`], pure data), and the settings the
//! environment may change ([`Options`]).

use std::path::PathBuf;
use std::time::Duration;

use super::error::CacheError;
use super::fault::FaultKind;
use crate::load::{ProgressMode, Slowdown};
use crate::qdrant::{data, fixture};
use perfwarden::profile::Profile;

/// Environment variable: the cache TTL in seconds (default 3,600, the seed's `cache_ttl`).
pub(crate) const TTL_VAR: &str = "PERFWARDEN_REDIS_TTL_SECS";
/// Environment variable: the bound on one Redis command in milliseconds; past it the request
/// falls back to the backend (default 100).
pub(crate) const OP_TIMEOUT_VAR: &str = "PERFWARDEN_REDIS_OP_TIMEOUT_MS";
/// Environment variable: the Zipf exponent of the skewed mix (default 1.2).
pub(crate) const ZIPF_VAR: &str = "PERFWARDEN_REDIS_ZIPF_S";
/// Environment variable: the fault drill, `pause` (default), `shutdown` or `off`.
pub(crate) const FAULT_VAR: &str = "PERFWARDEN_REDIS_FAULT";
/// Environment variable: the number of multiplexed Redis connections (default: one per 8
/// requests in flight).
pub(crate) const CONNECTIONS_VAR: &str = "PERFWARDEN_REDIS_CONNECTIONS";
/// Environment variable: keep the Qdrant collection after the run (`1`).
pub(crate) const KEEP_VAR: &str = "PERFWARDEN_REDIS_CACHE_KEEP";

/// Environment variable: the workload mix of the shaped phases (default
/// `fixtures/personas/cache.toml`).
pub(crate) const MIX_VAR: &str = "PERFWARDEN_MIX";
/// Environment variable: the mix phase's rate in requests/s (the spike's and soak's base is
/// half of it).
pub(crate) const MIX_RATE_VAR: &str = "PERFWARDEN_MIX_RATE";
/// Environment variable: how many times the base rate the spike sends (default 5).
pub(crate) const SPIKE_FACTOR_VAR: &str = "PERFWARDEN_SPIKE_FACTOR";
/// Environment variable: the soak's length in seconds (any profile; 0: no soak).
pub(crate) const SOAK_SECS_VAR: &str = "PERFWARDEN_SOAK_SECS";

/// The seed's cache TTL.
pub(crate) const DEFAULT_TTL: Duration = Duration::from_secs(3600);

/// The suite's work under one profile.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub profile: Profile,
    /// The fixture collection searched behind the cache.
    pub collection: &'static str,
    pub points: u64,
    /// Distinct queries the mixes draw from.
    pub pool: usize,
    /// Requests in each mixed phase (Zipf, uniform): a count, not a duration, so the hit
    /// rate does not depend on how fast the machine is.
    pub requests: u64,
    pub zipf_exponent: f64,
    /// Requests in flight in every phase, and redis-benchmark's `-c`.
    pub concurrency: usize,
    /// Multiplexed Redis connections the requests share. redis-rs pipelines the requests
    /// of one connection that are in flight together, which costs less per request than a
    /// connection each (on 2 cores at 8 in flight: GET p50 36 µs on 1 connection, 68 µs on
    /// 8), so the default is one connection per 8 requests in flight.
    pub connections: usize,
    /// Results per search.
    pub limit: u64,
    /// Every n-th query of the pool carries a payload filter (0: none do).
    pub filtered_every: u32,
    /// Hit-rate windows.
    pub window: Duration,
    /// The steady state is the last this-fraction of a mixed phase's requests.
    pub steady_fraction: f64,
    /// Upper bound on a mixed phase.
    pub phase_bound: Duration,
    /// Warm-up and length of the timed phases (raw GET/SET, hit path, uncached search).
    pub warmup: Duration,
    pub duration: Duration,
    /// redis-benchmark's `-n` per test.
    pub redis_benchmark_requests: u64,
    /// The fault drill: its length, and when and for how long Redis is stalled.
    pub fault_phase: Duration,
    pub fault_at: Duration,
    pub fault_for: Duration,
    /// The shaped phases ([`shaped`](super::shaped)): the mix's rate (requests/s), the open
    /// loop's in-flight cap, and the distinct keys `cache_lookup` draws from.
    pub mix_rate: f64,
    pub max_in_flight: usize,
    pub shaped_keys: usize,
    pub spike: SpikePlan,
    /// Only in the nightly and full profiles (a soak is long by definition).
    pub soak: Option<SoakPlan>,
}

/// A spike: `factor ×` the base rate from `at` for `length`, in a run of `duration`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SpikePlan {
    pub factor: f64,
    pub duration: Duration,
    pub at: Duration,
    pub length: Duration,
}

/// A soak: `duration` at the base rate, judged in `windows` windows.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SoakPlan {
    pub duration: Duration,
    pub windows: u32,
}

impl SpikePlan {
    fn new(duration_ms: u64) -> SpikePlan {
        // A third before, a third of burst, a third to recover in.
        let third = Duration::from_millis(duration_ms / 3);
        SpikePlan {
            factor: 5.0,
            duration: Duration::from_millis(duration_ms),
            at: third,
            length: third,
        }
    }
}

impl Plan {
    pub(crate) fn for_profile(profile: Profile) -> Plan {
        let pr = Plan {
            profile,
            collection: "mixtral",
            points: 5_000,
            pool: 10_000,
            requests: 20_000,
            zipf_exponent: 1.2,
            concurrency: 8,
            connections: 1,
            limit: 10,
            filtered_every: 4,
            window: Duration::from_millis(500),
            steady_fraction: 0.3,
            phase_bound: Duration::from_secs(180),
            warmup: Duration::from_millis(300),
            duration: Duration::from_secs(2),
            redis_benchmark_requests: 100_000,
            fault_phase: Duration::from_secs(3),
            fault_at: Duration::from_secs(1),
            fault_for: Duration::from_secs(1),
            // Half the uncached search's closed-loop capacity on a 2-core runner (918/s in
            // the committed baseline), where 58% of the mix misses: at 1,000/s the queue
            // grew without bound in 2 of 3 unchanged runs (p50 3 ms vs 181 and 210 ms), a
            // verdict on the machine's headroom, not on the code.
            mix_rate: 500.0,
            max_in_flight: 64,
            shaped_keys: 2_000,
            spike: SpikePlan::new(3_000),
            soak: None,
        };
        match profile {
            Profile::Smoke => Plan {
                points: 500,
                pool: 2_000,
                requests: 4_000,
                concurrency: 4,
                connections: 1,
                window: Duration::from_millis(250),
                phase_bound: Duration::from_secs(60),
                warmup: Duration::from_millis(100),
                duration: Duration::from_millis(500),
                redis_benchmark_requests: 20_000,
                fault_phase: Duration::from_millis(1500),
                fault_at: Duration::from_millis(500),
                fault_for: Duration::from_millis(500),
                mix_rate: 400.0,
                shaped_keys: 500,
                spike: SpikePlan::new(1_500),
                ..pr
            },
            Profile::Pr => pr,
            Profile::Nightly => Plan {
                points: 20_000,
                pool: 50_000,
                requests: 100_000,
                concurrency: 16,
                connections: 2,
                window: Duration::from_secs(1),
                phase_bound: Duration::from_secs(900),
                warmup: Duration::from_secs(1),
                duration: Duration::from_secs(10),
                redis_benchmark_requests: 500_000,
                fault_phase: Duration::from_secs(10),
                fault_at: Duration::from_secs(3),
                fault_for: Duration::from_secs(3),
                mix_rate: 1000.0,
                max_in_flight: 128,
                shaped_keys: 10_000,
                spike: SpikePlan::new(9_000),
                soak: Some(SoakPlan {
                    duration: Duration::from_secs(120),
                    windows: 8,
                }),
                ..pr
            },
            Profile::Full => Plan {
                points: 100_000,
                pool: 200_000,
                requests: 1_000_000,
                concurrency: 64,
                connections: 8,
                window: Duration::from_secs(5),
                phase_bound: Duration::from_secs(3600),
                warmup: Duration::from_secs(2),
                duration: Duration::from_secs(60),
                redis_benchmark_requests: 2_000_000,
                fault_phase: Duration::from_secs(30),
                fault_at: Duration::from_secs(10),
                fault_for: Duration::from_secs(10),
                mix_rate: 4000.0,
                max_in_flight: 256,
                shaped_keys: 50_000,
                spike: SpikePlan::new(30_000),
                soak: Some(SoakPlan {
                    duration: Duration::from_secs(600),
                    windows: 10,
                }),
                ..pr
            },
        }
    }

    /// The first sequence number of the steady state.
    pub(crate) fn steady_from(&self) -> u64 {
        (self.requests as f64 * (1.0 - self.steady_fraction)).round() as u64
    }
}

/// Everything that shapes a run besides the services it runs against.
#[derive(Clone, Debug)]
pub struct Options {
    pub plan: Plan,
    pub ttl: Duration,
    /// Bound on one Redis command inside a measured request.
    pub redis_timeout: Duration,
    /// Bound on one whole request.
    pub request_timeout: Duration,
    /// Seeds the points, the queries and the draws (qdrant_search's seed, so both suites
    /// search the same data).
    pub seed: u64,
    pub slowdown: Slowdown,
    pub progress: ProgressMode,
    /// The fault drill (None: not run).
    pub fault: Option<FaultKind>,
    /// Whether the fault was asked for explicitly (it then runs on a named endpoint too).
    pub fault_forced: bool,
    pub fixture: PathBuf,
    /// Prefix of the Qdrant collection, apart from qdrant_search's own.
    pub collection_prefix: String,
    pub keep_collection: bool,
    /// Prefix of every Redis key the run writes, unique per run so each phase starts cold
    /// and a shared server's other keys are never touched.
    pub namespace: String,
    /// The workload mix of the shaped phases.
    pub mix_path: PathBuf,
}

impl Options {
    /// The defaults for `profile`, without looking at the environment.
    pub fn new(profile: Profile) -> Options {
        Options {
            plan: Plan::for_profile(profile),
            ttl: DEFAULT_TTL,
            redis_timeout: Duration::from_millis(100),
            request_timeout: Duration::from_secs(10),
            seed: data::DEFAULT_SEED,
            slowdown: Slowdown::NONE,
            progress: ProgressMode::Auto,
            fault: Some(FaultKind::Pause),
            fault_forced: false,
            fixture: fixture::default_path(),
            collection_prefix: "perfwarden_rc_".into(),
            keep_collection: false,
            namespace: unique_namespace("rc"),
            mix_path: default_mix(),
        }
    }

    /// The defaults with the environment's overrides (see the `*_VAR` constants, plus
    /// `PERFWARDEN_INJECT_SLOWDOWN` and qdrant_search's seed and fixture variables).
    pub fn from_env(profile: Profile) -> Result<Options, CacheError> {
        let mut o = Options::new(profile);
        o.slowdown = Slowdown::from_env().map_err(CacheError::Config)?;
        if let Some(s) = var(data::SEED_VAR) {
            o.seed = parse(data::SEED_VAR, &s, "an unsigned integer")?;
        }
        if let Some(s) = var(TTL_VAR) {
            let secs: f64 = parse(TTL_VAR, &s, "a number of seconds")?;
            if !(secs.is_finite() && secs >= 0.001) {
                return Err(CacheError::Config(format!(
                    "{TTL_VAR}: {s:?} is not a positive number of seconds"
                )));
            }
            o.ttl = Duration::from_secs_f64(secs);
        }
        if let Some(s) = var(OP_TIMEOUT_VAR) {
            o.redis_timeout =
                Duration::from_millis(parse(OP_TIMEOUT_VAR, &s, "a number of milliseconds")?);
        }
        if let Some(s) = var(ZIPF_VAR) {
            let e: f64 = parse(ZIPF_VAR, &s, "a number")?;
            if !(e.is_finite() && e >= 0.0) {
                return Err(CacheError::Config(format!(
                    "{ZIPF_VAR}: {s:?} is not a non-negative exponent"
                )));
            }
            o.plan.zipf_exponent = e;
        }
        if let Some(s) = var(FAULT_VAR) {
            o.fault = FaultKind::parse(&s)
                .map_err(|e| CacheError::Config(format!("{FAULT_VAR}: {e}")))?;
            o.fault_forced = true;
        }
        if let Some(s) = var(CONNECTIONS_VAR) {
            let n: usize = parse(CONNECTIONS_VAR, &s, "a number of connections")?;
            if n == 0 {
                return Err(CacheError::Config(format!(
                    "{CONNECTIONS_VAR}: at least one connection is needed"
                )));
            }
            o.plan.connections = n;
        }
        o.keep_collection = var(KEEP_VAR).is_some_and(|v| v == "1" || v == "true");
        o.shaped_from_env()?;
        Ok(o)
    }

    /// The shaped phases' overrides: mix file, rate, spike factor, soak length.
    fn shaped_from_env(&mut self) -> Result<(), CacheError> {
        if let Some(s) = var(MIX_VAR) {
            self.mix_path = PathBuf::from(s);
        }
        let positive = |name: &str, s: &str| -> Result<f64, CacheError> {
            let v: f64 = parse(name, s, "a number")?;
            if v.is_finite() && v > 0.0 {
                Ok(v)
            } else {
                Err(CacheError::Config(format!(
                    "{name}: {s:?} is not a positive number"
                )))
            }
        };
        if let Some(s) = var(MIX_RATE_VAR) {
            self.plan.mix_rate = positive(MIX_RATE_VAR, &s)?;
        }
        if let Some(s) = var(SPIKE_FACTOR_VAR) {
            self.plan.spike.factor = positive(SPIKE_FACTOR_VAR, &s)?;
        }
        if let Some(s) = var(SOAK_SECS_VAR) {
            let secs: f64 = parse(SOAK_SECS_VAR, &s, "a number of seconds")?;
            self.plan.soak = if secs == 0.0 {
                None
            } else if secs.is_finite() && secs >= 1.0 {
                Some(SoakPlan {
                    duration: Duration::from_secs_f64(secs),
                    windows: self.plan.soak.map_or(8, |p| p.windows),
                })
            } else {
                return Err(CacheError::Config(format!(
                    "{SOAK_SECS_VAR}: {s:?} is neither 0 nor a number of seconds >= 1"
                )));
            };
        }
        Ok(())
    }

    /// The name in Qdrant of the collection behind the cache.
    pub fn qdrant_name(&self) -> String {
        format!("{}{}", self.collection_prefix, self.plan.collection)
    }
}

fn var(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

fn parse<T: std::str::FromStr>(name: &str, text: &str, what: &str) -> Result<T, CacheError> {
    text.parse()
        .map_err(|_| CacheError::Config(format!("{name}: {text:?} is not {what}")))
}

/// `fixtures/personas/cache.toml` of the repository.
fn default_mix() -> PathBuf {
    perfwarden::manifest_dir!().join("../../fixtures/personas/cache.toml")
}

/// `perfwarden:<suite>:<pid>-<time>:`: distinct for every run, even two at once on one
/// server (`rc` is redis_cache, `qs` qdrant_search's mix).
pub(crate) fn unique_namespace(suite: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    format!("perfwarden:{suite}:{:x}-{:x}:", std::process::id(), nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_grow_and_steady_state_is_the_tail() {
        let sizes: Vec<u64> = Profile::ALL
            .iter()
            .map(|&p| Plan::for_profile(p).requests)
            .collect();
        assert!(sizes.windows(2).all(|w| w[0] < w[1]), "{sizes:?}");
        let pr = Plan::for_profile(Profile::Pr);
        assert_eq!(pr.steady_from(), 14_000);
        assert!(pr.fault_at + pr.fault_for < pr.fault_phase);
        for p in Profile::ALL {
            let plan = Plan::for_profile(p);
            assert_eq!(plan.connections, plan.concurrency.div_ceil(8), "{p}");
        }
        assert_eq!(Options::new(Profile::Pr).ttl, Duration::from_secs(3600));
    }

    #[test]
    fn namespaces_are_unique() {
        let (a, b) = (unique_namespace("rc"), unique_namespace("rc"));
        assert_ne!(a, b);
        assert!(a.starts_with("perfwarden:rc:") && a.ends_with(':'));
    }
}
