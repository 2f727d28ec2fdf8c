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
