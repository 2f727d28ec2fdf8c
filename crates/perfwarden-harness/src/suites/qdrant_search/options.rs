//! What shapes a run besides the Qdrant it runs against: the plan of the profile, the
//! fixture, the seed and the environment's overrides.

use std::path::PathBuf;
use std::time::Duration;

use super::overrides;
use super::plan::Plan;
use super::prepare::Load;
use crate::load::{LoadConfig, ProgressMode, Slowdown};
use crate::qdrant::QdrantError;
use crate::qdrant::fixture;
use crate::qdrant::setup;
use perfwarden::profile::Profile;

/// Environment variable: keep the collections after the run (`1`).
pub(crate) const KEEP_VAR: &str = "PERFWARDEN_QDRANT_KEEP";
/// Environment variable: the workload mix of the mix phase, or `none` to skip the phase.
pub(crate) const MIX_VAR: &str = "PERFWARDEN_QDRANT_MIX";
/// Environment variable: `0` measures only the server the chain found, not Qdrant's engine
/// in-process beside it (default `1`, where the engine is built in).
pub const ALSO_EMBEDDED_VAR: &str = "PERFWARDEN_QDRANT_ALSO_EMBEDDED";
pub(crate) use crate::qdrant::data::{DEFAULT_SEED, SEED_VAR};

/// Everything that shapes a run besides the Qdrant it runs against.
#[derive(Clone, Debug)]
pub struct Options {
    pub plan: Plan,
    pub fixture: PathBuf,
    pub seed: u64,
    pub progress: ProgressMode,
    pub slowdown: Slowdown,
    /// Bound on any single search.
    pub request_timeout: Duration,
    pub keep_collections: bool,
    /// Prefix of the collection names in Qdrant (`perfwarden_mixtral`), so the suite never
    /// touches a user's own `mixtral`.
    pub prefix: String,
    /// The mix phase's workload (`fixtures/personas/seed-002.toml`); None skips the phase.
    pub mix: Option<PathBuf>,
    /// Prefix of every Redis key the mix's cache writes, unique per run, removed after it.
    pub cache_namespace: String,
    /// Where the chain found a server, measure the engine in-process beside it too, under
    /// its own `embedded` ids: a server's numbers never stand in for the engine's baseline.
    pub also_embedded: bool,
}

impl Options {
    /// The defaults for `profile`, without looking at the environment.
    pub fn new(profile: Profile) -> Options {
        Options {
            plan: Plan::for_profile(profile),
            fixture: fixture::default_path(),
            seed: DEFAULT_SEED,
            progress: ProgressMode::Auto,
            slowdown: Slowdown::NONE,
            request_timeout: Duration::from_secs(10),
            keep_collections: false,
            prefix: setup::DEFAULT_PREFIX.into(),
            mix: Some(default_mix()),
            cache_namespace: crate::suites::redis_cache::options::unique_namespace("qs"),
            also_embedded: true,
        }
    }

    /// The defaults for `profile` with the environment's overrides: the fixture
    /// (`PERFWARDEN_QDRANT_FIXTURE`), seed, injected slowdown, collection prefix, keeping
    /// collections, the mix file (`PERFWARDEN_QDRANT_MIX`, `none` to skip) and the plan's
    /// sizes ([`overrides`]).
    pub fn from_env(profile: Profile) -> Result<Options, QdrantError> {
        let mut o = Options::new(profile);
        o.slowdown = Slowdown::from_env().map_err(QdrantError::Config)?;
        if let Ok(s) = std::env::var(SEED_VAR)
            && !s.trim().is_empty()
        {
            o.seed = s.trim().parse().map_err(|_| {
                QdrantError::Config(format!("{SEED_VAR}: {s:?} is not an unsigned integer"))
            })?;
        }
        o.prefix = setup::prefix_from_env();
        o.keep_collections = std::env::var(KEEP_VAR).is_ok_and(|v| v == "1" || v == "true");
        match std::env::var(MIX_VAR).map(|v| v.trim().to_string()) {
            Ok(v) if v == "none" => o.mix = None,
            Ok(v) if !v.is_empty() => o.mix = Some(PathBuf::from(v)),
            _ => {}
        }
        overrides::apply(&mut o.plan, |name| std::env::var(name).ok())
            .map_err(QdrantError::Config)?;
        o.also_embedded = also_embedded(std::env::var(ALSO_EMBEDDED_VAR).ok().as_deref())
            .map_err(QdrantError::Config)?;
        Ok(o)
    }

    /// An open-loop run's configuration: the plan's open-loop duration.
    pub(crate) fn open_config(&self, label: String) -> LoadConfig {
        self.config_for(label, self.plan.open_duration)
    }

    /// A closed-loop run's configuration: the plan's duration.
    pub(crate) fn load_config(&self, label: String) -> LoadConfig {
        self.config_for(label, self.plan.duration)
    }

    /// A load run of `duration`: at least five windows (a second at most each), so that
    /// even the pr profile's one-second closed loops carry their rate's spread as samples
    /// instead of a single number the gate takes at face value.
    pub(crate) fn config_for(&self, label: String, duration: Duration) -> LoadConfig {
        LoadConfig::new(label, self.plan.warmup, duration)
            .window((duration / 5).clamp(Duration::from_millis(1), Duration::from_secs(1)))
            .timeout(self.request_timeout)
            .progress(self.progress)
            .slowdown(self.slowdown)
    }

    /// A fresh [`Options::cache_namespace`], for the next Qdrant the same process measures:
    /// the mix's cache keys of one run are removed after it, and the next starts cold.
    pub fn renew_cache_namespace(&mut self) {
        self.cache_namespace = crate::suites::redis_cache::options::unique_namespace("qs");
    }

    /// The name in Qdrant of the suite's collection `name`.
    pub fn qdrant_name(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    pub(crate) fn load(&self, points: u64, queries: u64) -> Load {
        Load {
            seed: self.seed,
            points,
            queries,
            batch: self.plan.upsert_batch,
            parallel: self.plan.upsert_parallel,
            index_timeout: self.plan.index_timeout,
        }
    }
}

/// `fixtures/personas/seed-002.toml` of the repository: the users' own Locust plan.
fn default_mix() -> PathBuf {
    perfwarden::manifest_dir!().join("../../fixtures/personas/seed-002.toml")
}

/// Reads [`ALSO_EMBEDDED_VAR`]: unset, empty, `1` or `true` is on; `0` or `false` off.
fn also_embedded(value: Option<&str>) -> Result<bool, String> {
    match value.map(str::trim) {
        None | Some("" | "1" | "true") => Ok(true),
        Some("0" | "false") => Ok(false),
        Some(other) => Err(format!("{ALSO_EMBEDDED_VAR}: {other:?} is not 0 or 1")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_engine_beside_a_server_is_on_unless_turned_off() {
        for on in [None, Some(""), Some("1"), Some(" true ")] {
            assert_eq!(also_embedded(on), Ok(true), "{on:?}");
        }
        for off in [Some("0"), Some("false")] {
            assert_eq!(also_embedded(off), Ok(false), "{off:?}");
        }
        let e = also_embedded(Some("yes")).unwrap_err();
        assert_eq!(e, "PERFWARDEN_QDRANT_ALSO_EMBEDDED: \"yes\" is not 0 or 1");
    }
}
