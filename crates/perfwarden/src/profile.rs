//! Run profiles: how big and how long a suite runs.
//!
//! Every suite scales its work by one profile, chosen with `PERFWARDEN_PROFILE`
//! (default `smoke` for `cargo test`, `pr` for CI's PR job, `nightly` for the nightly job).

use std::fmt;
use std::str::FromStr;

/// Environment variable selecting the profile.
pub(crate) const PROFILE_VAR: &str = "PERFWARDEN_PROFILE";

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Profile {
    /// Seconds: proves the suite works end to end.
    Smoke,
    /// A few minutes for all suites: the PR gate.
    Pr,
    /// Tens of minutes: the nightly job.
    Nightly,
    /// The seeds' full sizes (1M points per collection, 256 MB payloads, 60 s sustained).
    Full,
}

impl Profile {
    pub const ALL: [Profile; 4] = [Profile::Smoke, Profile::Pr, Profile::Nightly, Profile::Full];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Profile::Smoke => "smoke",
            Profile::Pr => "pr",
            Profile::Nightly => "nightly",
            Profile::Full => "full",
        }
    }

    /// The profile named by `PERFWARDEN_PROFILE`, or `default` when it is unset.
    /// An unknown name is an error naming the variable and the accepted values.
    pub fn from_env_or(default: Profile) -> Result<Profile, String> {
        match std::env::var(PROFILE_VAR) {
            Ok(v) if !v.trim().is_empty() => {
                v.parse().map_err(|e: String| format!("{PROFILE_VAR}: {e}"))
            }
            _ => Ok(default),
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Profile {
    type Err = String;

    fn from_str(s: &str) -> Result<Profile, String> {
        Profile::ALL
            .into_iter()
            .find(|p| p.name() == s.trim())
            .ok_or_else(|| format!("unknown profile {s:?} (expected smoke, pr, nightly or full)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for p in Profile::ALL {
            assert_eq!(p.name().parse::<Profile>().unwrap(), p);
        }
        assert!("huge".parse::<Profile>().unwrap_err().contains("huge"));
    }
}
