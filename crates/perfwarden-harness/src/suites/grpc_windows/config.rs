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
/// `PERFWARDEN_GRPC_OPS=read,stream`: run only these operations.
pub const OPS_VAR: &str = "PERFWARDEN_GRPC_OPS";
/// `PERFWARDEN_GRPC_SIZES=16,256`: these payload sizes (MiB) under every condition.
pub const SIZES_VAR: &str = "PERFWARDEN_GRPC_SIZES";
/// `PERFWARDEN_GRPC_RTTS=0,10`: only the conditions with these round-trip times (ms; 0 is
/// loopback as it is).
pub const RTTS_VAR: &str = "PERFWARDEN_GRPC_RTTS";

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

    fn by_name(name: &str) -> Option<Op> {
        Op::ALL.into_iter().find(|op| op.name() == name)
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
    /// `PERFWARDEN_GRPC_PROFILES`, `PERFWARDEN_GRPC_OPS`, `PERFWARDEN_GRPC_RTTS`,
    /// `PERFWARDEN_GRPC_SIZES` and `PERFWARDEN_INJECT_SLOWDOWN` where set.
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
        if let Some(v) = get(OPS_VAR) {
            let all = Op::ALL.map(Op::name).join(", ");
            self.ops = list(OPS_VAR, &v, Op::by_name, &all)?;
        }
        if let Some(v) = get(RTTS_VAR) {
            let rtts: Vec<u32> = list(RTTS_VAR, &v, |ms| ms.parse().ok(), "milliseconds")?;
            let known = |ms: u32| self.conditions.iter().any(|c| c.rtt_ms.unwrap_or(0) == ms);
            if let Some(ms) = rtts.iter().find(|&&ms| !known(ms)) {
                let have: Vec<String> = (self.conditions.iter())
                    .map(|c| c.rtt_ms.unwrap_or(0).to_string())
                    .collect();
                return Err(GrpcWindowsError::Config {
                    var: RTTS_VAR,
                    what: format!(
                        "{ms} ms is not in this profile (it has {})",
                        have.join(", ")
                    ),
                });
            }
            self.conditions
                .retain(|c| rtts.contains(&c.rtt_ms.unwrap_or(0)));
        }
        if let Some(v) = get(SIZES_VAR) {
            let mbs: Vec<usize> = list(
                SIZES_VAR,
                &v,
                |mb| mb.parse().ok().filter(|&mb| (1..=256).contains(&mb)),
                "sizes in MiB from 1 to 256",
            )?;
            for c in &mut self.conditions {
                c.sizes = with_sizes(&c.sizes, &mbs);
            }
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

/// `mbs` as size cases, each with the iterations the plan gives that size, else those of
/// the plan's largest size (the most conservative count).
fn with_sizes(plan: &[SizeCase], mbs: &[usize]) -> Vec<SizeCase> {
    let fallback = plan
        .iter()
        .max_by_key(|s| s.bytes)
        .map_or(MIN_ITERATIONS, |s| s.iterations);
    mbs.iter()
        .map(|&mb| SizeCase {
            bytes: mb * MIB,
            iterations: plan
                .iter()
                .find(|s| s.bytes == mb * MIB)
                .map_or(fallback, |s| s.iterations),
        })
        .collect()
}

/// A comma list whose every item `item` accepts; an unknown item names what was expected.
fn list<T>(
    var: &'static str,
    value: &str,
    item: impl Fn(&str) -> Option<T>,
    expected: &str,
) -> Result<Vec<T>, GrpcWindowsError> {
    value
        .split(',')
        .map(|s| {
            item(s.trim()).ok_or_else(|| GrpcWindowsError::Config {
                var,
                what: format!("{:?} is not one of {expected}", s.trim()),
            })
        })
        .collect()
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

    /// A source of variables holding `pairs`.
    fn vars<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k: &str| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn environment_knobs_are_read_and_checked() {
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

    #[test]
    fn a_subset_of_operations_sizes_and_delays() {
        let c = Config::for_profile(Profile::Nightly)
            .with_vars(vars(&[
                (OPS_VAR, "read, stream"),
                (RTTS_VAR, "0"),
                (SIZES_VAR, "16,256,32"),
            ]))
            .unwrap();
        assert_eq!(c.ops, [Op::Read, Op::Stream]);
        assert_eq!(c.conditions.len(), 1);
        let sizes: Vec<(usize, usize)> = c.conditions[0]
            .sizes
            .iter()
            .map(|s| (s.bytes / MIB, s.iterations))
            .collect();
        assert_eq!(sizes, [(16, 10), (256, 4), (32, 4)]);
        let c = Config::for_profile(Profile::Pr)
            .with_vars(vars(&[(RTTS_VAR, "10,50")]))
            .unwrap();
        assert_eq!(
            c.conditions.iter().map(|c| c.rtt_ms).collect::<Vec<_>>(),
            [Some(10), Some(50)]
        );
        for (var, bad, says) in [
            (OPS_VAR, "read,copy", "\"copy\""),
            (RTTS_VAR, "20", "20 ms"),
            (SIZES_VAR, "0", "\"0\""),
        ] {
            let err = Config::for_profile(Profile::Pr)
                .with_vars(vars(&[(var, bad)]))
                .unwrap_err()
                .to_string();
            assert!(err.contains(var) && err.contains(says), "{err}");
        }
    }
}
