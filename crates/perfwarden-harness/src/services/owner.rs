//! Which perfwarden process owns a container or a data dir, so what a killed process left
//! behind can be told apart from what a live one still uses, and removed by the next run.
//!
//! A process is named by its pid and its start time after boot (together unique on a host,
//! even when pids are reused) and, for containers on a possibly shared Docker engine, by
//! the host name.

use std::path::Path;

use super::proc::read_proc_stat;

/// Data dirs are named `perfwarden-<what>-<pid>.<start>-<random>` in the temp dir.
pub(crate) const DIR_PREFIX: &str = "perfwarden-";

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Owner {
    pub host: String,
    pub pid: u32,
    pub start_ticks: u64,
}

impl Owner {
    /// This process.
    pub(crate) fn current() -> Owner {
        let pid = std::process::id();
        Owner {
            host: hostname(),
            pid,
            start_ticks: read_proc_stat(pid).map(|s| s.start_ticks).unwrap_or(0),
        }
    }

    /// `host:pid:start`, the container label's value.
    pub(crate) fn label(&self) -> String {
        format!("{}:{}:{}", self.host, self.pid, self.start_ticks)
    }

    /// Reads a label; host names may hold colons (IPv6 literals), so the last two fields
    /// are the pid and the start time.
    pub(crate) fn parse_label(label: &str) -> Option<Owner> {
        let mut parts = label.rsplitn(3, ':');
        let start_ticks = parts.next()?.parse().ok()?;
        let pid = parts.next()?.parse().ok()?;
        let host = parts.next()?.to_string();
        Some(Owner {
            host,
            pid,
            start_ticks,
        })
    }

    /// `<pid>.<start>`, the part of a data dir's name naming its owner.
    pub(crate) fn dir_tag(&self) -> String {
        format!("{}.{}", self.pid, self.start_ticks)
    }

    /// The owner named in a data dir's name, e.g. `perfwarden-redis-4242.98765-Ab3dEf`.
    pub(crate) fn from_dir_name(name: &str) -> Option<(u32, u64)> {
        let rest = name.strip_prefix(DIR_PREFIX)?;
        // <what>-<pid>.<start>-<random>; <what> holds no dash, <random> may.
        let (_, rest) = rest.split_once('-')?;
        let (tag, _) = rest.split_once('-')?;
        let (pid, start) = tag.split_once('.')?;
        Some((pid.parse().ok()?, start.parse().ok()?))
    }
}

/// True when the process `pid` that started at `start_ticks` still runs on this host.
pub fn is_alive(pid: u32, start_ticks: u64) -> bool {
    read_proc_stat(pid).is_ok_and(|s| s.start_ticks == start_ticks && s.state != 'Z')
}

pub(crate) fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "unknown-host".into())
}

/// Removes the data dirs in `temp` whose owner is gone; returns how many.
pub fn sweep_dirs(temp: &Path, alive: impl Fn(u32, u64) -> bool) -> usize {
    let Ok(entries) = std::fs::read_dir(temp) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some((pid, start)) = name.to_str().and_then(Owner::from_dir_name) else {
            continue;
        };
        if !alive(pid, start) && std::fs::remove_dir_all(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_round_trip_even_with_colons_in_the_host() {
        let owner = Owner {
            host: "fe80::1".into(),
            pid: 11,
            start_ticks: 500,
        };
        assert_eq!(Owner::parse_label(&owner.label()), Some(owner));
        assert_eq!(Owner::parse_label("garbage"), None);
    }

    #[test]
    fn dir_names_carry_their_owner() {
        assert_eq!(
            Owner::from_dir_name("perfwarden-redis-4242.98765-Ab3d-f"),
            Some((4242, 98765))
        );
        assert_eq!(Owner::from_dir_name("perfwarden-redis-Ab3dEf"), None);
        assert_eq!(Owner::from_dir_name("perfwarden-mine"), None);
        assert_eq!(Owner::from_dir_name("other-redis-1.2-x"), None);
    }

    #[test]
    fn only_dirs_of_dead_owners_are_swept() {
        let temp = tempfile::tempdir().unwrap();
        for name in [
            "perfwarden-redis-10.500-a",
            "perfwarden-redis-11.500-b",
            "perfwarden-mine",
        ] {
            std::fs::create_dir(temp.path().join(name)).unwrap();
        }
        let alive = |pid: u32, start: u64| pid == 10 && start == 500;
        assert_eq!(sweep_dirs(temp.path(), alive), 1);
        assert!(temp.path().join("perfwarden-redis-10.500-a").exists());
        assert!(!temp.path().join("perfwarden-redis-11.500-b").exists());
        assert!(temp.path().join("perfwarden-mine").exists());
    }

    #[test]
    fn this_process_is_alive() {
        let me = Owner::current();
        assert!(is_alive(me.pid, me.start_ticks));
        assert!(!is_alive(me.pid, me.start_ticks + 1));
    }
}
