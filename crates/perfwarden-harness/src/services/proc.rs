//! Reading `/proc`: a process's state, CPU time and start time, and resident memory. A leaf
//! module: the owner records (who started a container or data dir) and the resource sampler
//! both read it.

use std::path::Path;

/// The fields of `/proc/<pid>/stat` perfwarden reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcStat {
    pub comm: String,
    pub state: char,
    pub ppid: u32,
    /// utime + stime, in clock ticks.
    pub cpu_ticks: u64,
    /// Start time after boot, in clock ticks: with the pid, it names a process uniquely.
    pub start_ticks: u64,
}

/// Parses `/proc/<pid>/stat`. The command name sits in parentheses and may itself hold
/// spaces and parentheses, so the fields are counted from the last `)`.
pub(crate) fn parse_proc_stat(text: &str) -> Option<ProcStat> {
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let comm = text.get(open + 1..close)?.to_string();
    let rest: Vec<&str> = text.get(close + 1..)?.split_whitespace().collect();
    // rest[0] is field 3 (state); field n is rest[n - 3].
    let field = |n: usize| rest.get(n - 3).and_then(|v| v.parse::<u64>().ok());
    Some(ProcStat {
        comm,
        state: rest.first()?.chars().next()?,
        ppid: u32::try_from(field(4)?).ok()?,
        cpu_ticks: field(14)? + field(15)?,
        start_ticks: field(22)?,
    })
}

pub fn read_proc_stat(pid: u32) -> std::io::Result<ProcStat> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    parse_proc_stat(&text).ok_or_else(|| std::io::Error::other("unparsable /proc stat"))
}

/// `VmRSS` of a `/proc/<pid>/status` text, in bytes.
pub(crate) fn parse_vm_rss(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

pub(crate) fn read_rss(path: impl AsRef<Path>) -> Option<u64> {
    parse_vm_rss(&std::fs::read_to_string(path).ok()?)
}

/// The CPU ticks of this process's threads whose name starts with `prefix` (threads that
/// ended are not counted); None when `/proc/self/task` cannot be read.
pub(crate) fn threads_cpu_ticks(prefix: &str) -> Option<u64> {
    let tasks = std::fs::read_dir("/proc/self/task").ok()?;
    Some(
        tasks
            .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("stat")).ok())
            .filter_map(|text| parse_proc_stat(&text))
            .filter(|s| s.comm.starts_with(prefix))
            .map(|s| s.cpu_ticks)
            .sum(),
    )
}

pub(crate) fn clock_ticks_per_second() -> f64 {
    // SAFETY: sysconf only reads a configuration value.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 { ticks as f64 } else { 100.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_stat_fields_are_counted_from_the_last_parenthesis() {
        // Field 2 (comm) holds a space and a parenthesis, as thread names may.
        let text = "4242 (redis (srv) 1) S 17 4242 4242 0 -1 4194560 1030 0 0 0 \
                    150 50 0 0 20 0 5 0 98765 12345678 2048 18446744073709551615";
        let stat = parse_proc_stat(text).unwrap();
        assert_eq!(stat.comm, "redis (srv) 1");
        assert_eq!(stat.state, 'S');
        assert_eq!(stat.ppid, 17);
        assert_eq!(stat.cpu_ticks, 200);
        assert_eq!(stat.start_ticks, 98765);
        assert_eq!(parse_proc_stat("garbage"), None);
    }

    #[test]
    fn this_process_can_be_read() {
        let me = read_proc_stat(std::process::id()).unwrap();
        let parent = read_proc_stat(me.ppid).unwrap();
        assert!(me.start_ticks >= parent.start_ticks);
        assert!(!me.comm.is_empty());
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        assert!(parse_vm_rss(&status).unwrap() > 1024 * 1024);
    }

    #[test]
    fn vm_rss_is_in_bytes() {
        let status = "Name:\tredis-server\nVmPeak:\t  9000 kB\nVmRSS:\t    4096 kB\nThreads:\t5\n";
        assert_eq!(parse_vm_rss(status), Some(4096 * 1024));
        assert_eq!(parse_vm_rss("Name:\tx\n"), None);
    }
}
