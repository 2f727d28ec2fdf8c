//! What a run measures: profiles × operations × payload sizes, per delay condition, scaled
//! by the run profile, plus the knobs read from the environment.

use std::fmt;
use std::time::Duration;

use super::GrpcWindowsError;
use super::delay::DEFAULT_PATH_WINDOW;
use super::payload::{DEFAULT_SEED, MIB};
use super::profiles::WindowProfile;
use super::service::DEFAULT_CHUNK_BYTES;
use perfwarden::profile::Profile;

/// `PERFWARDEN_INJECT_SLOWDOWN=0.15`: the server holds each response back by 15% of the
/// operation's duration (see the module docs).
pub const SLOWDOWN_VAR: &str = "PERFWARDEN_INJECT_SLOWDOWN";
/// `PERFWARDEN_GRPC_CONCURRENCY=N`: operations in flight at once (default 1).
pub const CONCURRENCY_VAR: &str = "PERFWARDEN_GRPC_CONCURRENCY";
/// `PERFWARDEN_GRPC_CHUNK_BYTES=N`: Write and Stream chunk size (default 4 MiB).
pub const CHUNK_VAR: &str = "PERFWARDEN_GRPC_CHUNK_BYTES";
/// `PERFWARDEN_GRPC_PROFILES=default,aggressive`: run only these window profiles.
pub const PROFILES_VAR: &str = "PERFWARDEN_GRPC_PROFILES";

/// The three operations of the blob service.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Op {
    /// Client to server, streamed in chunks.
    Write,
    /// Server to client, one unary message.
    Read,
    /// Server to client, a server stream of chunks.
    Stream,
}

impl Op {
    pub const ALL: [Op; 3] = [Op::Write, Op::Read, Op::Stream];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Op::Write => "write",
            Op::Read => "read",
            Op::Stream => "stream",
        }
    }

    /// The raw TCP direction this operation is compared with: uploads for Write,
    /// downloads (reported as `read`) for Read and Stream.
    pub(crate) fn tcp_counterpart(self) -> Op {
        match self {
            Op::Write => Op::Write,
            Op::Read | Op::Stream => Op::Read,
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Measured iterations every case gets, whatever its budget.
pub const MIN_ITERATIONS: usize = 2;

/// One payload size and how many measured iterations it gets at most (see
/// [`Config::case_budget`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SizeCase {
    pub bytes: usize,
    pub iterations: usize,
}

/// A network condition: loopback as it is (`rtt_ms: None`) or with an emulated RTT.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Condition {
    pub rtt_ms: Option<u32>,
    pub sizes: Vec<SizeCase>,
}

/// Everything one run of the suite does.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub profiles: Vec<WindowProfile>,
    pub ops: Vec<Op>,
    pub conditions: Vec<Condition>,
    /// Unmeasured iterations before each case; the first iteration of a case always
    /// verifies checksums, so with 1 the check costs no measured time.
    pub warmup: usize,
    /// Measured time after which a case stops short of its iterations, once it has
    /// [`MIN_ITERATIONS`]. Fast cases get all their iterations (and a stable median), the
    /// window-bound ones (Conservative at 50 ms moves 1 MB/s) do not take the whole run.
    pub case_budget: Duration,
    pub concurrency: usize,
    pub chunk_bytes: usize,
    pub slowdown: f64,
    /// The delay proxy's emulated TCP window.
    pub path_window: usize,
    pub seed: u64,
}

fn sizes(list: &[(usize, usize)]) -> Vec<SizeCase> {
    list.iter()
        .map(|&(mb, iterations)| SizeCase {
            bytes: mb * MIB,
            iterations,
        })
        .collect()
}

impl Config {
    /// The plan for a run profile. Delayed conditions use the smaller sizes: Conservative
    /// moves about 6 MB/s at 10 ms and 1.3 MB/s at 50 ms, so 64 MB already takes 10 s and
    /// 50 s per operation there.
    pub fn for_profile(profile: Profile) -> Config {
        let cond = |rtt_ms, list: &[(usize, usize)]| Condition {
            rtt_ms,
            sizes: sizes(list),
        };
        let (conditions, budget_s) = match profile {
            Profile::Smoke => (vec![cond(None, &[(1, 3)]), cond(Some(10), &[(1, 2)])], 1),
            Profile::Pr => (
                vec![
                    cond(None, &[(1, 20), (16, 8)]),
                    cond(Some(10), &[(16, 6)]),
                    cond(Some(50), &[(1, 6)]),
                ],
                4,
            ),
            Profile::Nightly => (
                vec![
                    cond(None, &[(1, 20), (16, 10), (64, 6), (256, 4)]),
                    cond(Some(10), &[(16, 6), (64, 4)]),
                    cond(Some(50), &[(16, 4)]),
                ],
                10,
            ),
            Profile::Full => (
                vec![
                    cond(None, &[(1, 50), (16, 20), (64, 10), (256, 6)]),
                    cond(Some(10), &[(16, 8), (64, 6)]),
                    cond(Some(50), &[(16, 6), (64, 4)]),
                ],
                30,
            ),
        };
        Config {
            profiles: WindowProfile::ALL.to_vec(),
            ops: Op::ALL.to_vec(),
            conditions,
            warmup: 1,
            case_budget: Duration::from_secs(budget_s),
            concurrency: 1,
            chunk_bytes: DEFAULT_CHUNK_BYTES,
            slowdown: 0.0,
            path_window: DEFAULT_PATH_WINDOW,
            seed: DEFAULT_SEED,
        }
    }

    /// Applies `PERFWARDEN_GRPC_CONCURRENCY`, `PERFWARDEN_GRPC_CHUNK_BYTES`,
    /// `PERFWARDEN_GRPC_PROFILES` and `PERFWARDEN_INJECT_SLOWDOWN` where set.
    pub fn with_env(self) -> Result<Config, GrpcWindowsError> {
        self.with_vars(|k| std::env::var(k).ok())
    }

    /// [`Config::with_env`] over any source of variables (for tests).
    pub(crate) fn with_vars(
        mut self,
        get: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, GrpcWindowsError> {
        let get = |k: &str| get(k).filter(|v| !v.trim().is_empty());
        if let Some(v) = get(CONCURRENCY_VAR) {
            self.concurrency = parse(CONCURRENCY_VAR, &v, |n: usize| n >= 1, "an integer >= 1")?;
        }
        if let Some(v) = get(CHUNK_VAR) {
            self.chunk_bytes = parse(
                CHUNK_VAR,
                &v,
                |n: usize| (1..=super::messages::MAX_MESSAGE_BYTES / 2).contains(&n),
                "a byte count between 1 and 128 MiB",
            )?;
        }
        if let Some(v) = get(PROFILES_VAR) {
            self.profiles = v
                .split(',')
                .map(|name| {
                    WindowProfile::by_name(name.trim()).ok_or_else(|| GrpcWindowsError::Config {
                        var: PROFILES_VAR,
                        what: format!(
                            "unknown profile {:?} (expected a comma list of {})",
                            name.trim(),
                            WindowProfile::ALL.map(|p| p.name).join(", ")
                        ),
                    })
                })
                .collect::<Result<_, _>>()?;
        }
        if let Some(v) = get(SLOWDOWN_VAR) {
            self.slowdown = parse(
                SLOWDOWN_VAR,
                &v,
                |f: f64| f.is_finite() && (0.0..=10.0).contains(&f),
                "a fraction between 0 and 10, e.g. 0.15",
            )?;
        }
        Ok(self)
    }

    /// The largest payload any case moves: the size of the shared payload buffer.
    pub(crate) fn max_bytes(&self) -> usize {
        self.conditions
            .iter()
            .flat_map(|c| c.sizes.iter().map(|s| s.bytes))
            .max()
            .unwrap_or(0)
    }
}

fn parse<T: std::str::FromStr + Copy>(
    var: &'static str,
    value: &str,
    ok: impl Fn(T) -> bool,
    expected: &str,
) -> Result<T, GrpcWindowsError> {
    match value.trim().parse::<T>() {
        Ok(v) if ok(v) => Ok(v),
        _ => Err(GrpcWindowsError::Config {
            var,
            what: format!("{value:?} is not {expected}"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nightly_covers_every_size_and_pr_stays_small() {
        let nightly = Config::for_profile(Profile::Nightly);
        let loopback: Vec<usize> = nightly.conditions[0]
            .sizes
            .iter()
            .map(|s| s.bytes / MIB)
            .collect();
        assert_eq!(loopback, [1, 16, 64, 256]);
        assert_eq!(nightly.max_bytes(), 256 * MIB);
        let pr = Config::for_profile(Profile::Pr);
        assert_eq!(pr.max_bytes(), 16 * MIB);
        assert!(pr.conditions.iter().any(|c| c.rtt_ms == Some(10)));
        assert!(pr.conditions.iter().any(|c| c.rtt_ms == Some(50)));
    }

    #[test]
    fn environment_knobs_are_read_and_checked() {
        let vars = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        let c = Config::for_profile(Profile::Smoke)
            .with_vars(vars(&[
                (SLOWDOWN_VAR, "0.15"),
                (CONCURRENCY_VAR, "4"),
                (CHUNK_VAR, "65536"),
            ]))
            .unwrap();
        assert_eq!((c.slowdown, c.concurrency, c.chunk_bytes), (0.15, 4, 65536));
        let err = Config::for_profile(Profile::Smoke)
            .with_vars(vars(&[(SLOWDOWN_VAR, "lots")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains(SLOWDOWN_VAR) && err.contains("lots"), "{err}");
        assert!(
            Config::for_profile(Profile::Smoke)
                .with_vars(vars(&[(CONCURRENCY_VAR, "0")]))
                .is_err()
        );
        let c = Config::for_profile(Profile::Smoke)
            .with_vars(vars(&[(PROFILES_VAR, "aggressive, default")]))
            .unwrap();
        assert_eq!(
            c.profiles,
            [WindowProfile::AGGRESSIVE, WindowProfile::DEFAULT]
        );
        let err = Config::for_profile(Profile::Smoke)
            .with_vars(vars(&[(PROFILES_VAR, "default,huge")]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("\"huge\"") && err.contains("conservative"),
            "{err}"
        );
    }
}
