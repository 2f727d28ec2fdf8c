//! Peak resident memory from `/proc/self/status` (VmHWM).
//!
//! VmHWM is process-wide and only grows, so on its own it would report the largest case so
//! far for every later case. Writing `5` to `/proc/self/clear_refs` (Linux 4.0+) resets it
//! to the current RSS, which makes it a per-case peak: the runner resets it before each
//! case. It still counts everything the process holds at the time, including the shared
//! payload buffer and the idle servers of other profiles. Where the reset is refused the
//! value is the process-wide peak, and the metric's `peak_rss_scope` label says so.

/// Resets the peak to the current RSS; false where the kernel does not allow it.
pub(crate) fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", b"5").is_ok()
}

/// The peak RSS in MiB since the last reset (or since the process started).
pub(crate) fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    parse_vm_hwm_kib(&status).map(|kib| kib as f64 / 1024.0)
}

fn parse_vm_hwm_kib(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().strip_suffix("kB"))
        .and_then(|v| v.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_vm_hwm() {
        let status = "Name:\tx\nVmPeak:\t  9000 kB\nVmHWM:\t    2048 kB\nVmRSS:\t 1000 kB\n";
        assert_eq!(parse_vm_hwm_kib(status), Some(2048));
        assert_eq!(parse_vm_hwm_kib("Name:\tx\n"), None);
    }
}
