//! Instruction counts: a metric that the other core's load does not move. `perf stat -e
//! instructions` is the cheap way, but this machine's kernel does not expose the counter in
//! containers (`<not supported>`), so the count comes from valgrind's callgrind: the `Ir`
//! total (instructions executed) of one run of a command, deterministic to a fraction of a
//! percent for a CPU-bound program.

use std::path::Path;
use std::process::Command;

use crate::results::{Direction, Metric, Unit};

/// The environment variable a bench reads to run its work once, without Criterion, for
/// counting instructions (the gate bench honours it).
pub(crate) const ONCE_VAR: &str = "PERFWARDEN_INSTRUCTIONS_ONCE";

/// Runs `program args` under callgrind with `envs` and returns the instructions executed.
pub(crate) fn callgrind(
    program: &Path,
    args: &[String],
    envs: &[(String, String)],
    workdir: &Path,
    out_file: &Path,
) -> Result<u64, String> {
    let out = Command::new("valgrind")
        .current_dir(workdir)
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out_file.display()))
        .arg(program)
        .args(args)
        .envs(envs.iter().map(|(k, v)| (k, v)))
        .output()
        .map_err(|e| format!("cannot start valgrind: {e}"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let last = err.lines().last().unwrap_or("").trim().to_string();
        return Err(format!(
            "valgrind {} exited with {}: {last}",
            program.display(),
            out.status
        ));
    }
    let text = std::fs::read_to_string(out_file)
        .map_err(|e| format!("{}: cannot read: {e}", out_file.display()))?;
    parse_total(&text).ok_or_else(|| format!("{}: no summary or totals line", out_file.display()))
}

/// The `Ir` total of a callgrind output file: its `summary:` line, else its `totals:`.
pub(crate) fn parse_total(callgrind_out: &str) -> Option<u64> {
    let line = |key: &str| {
        callgrind_out
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
    };
    line("summary:").or_else(|| line("totals:"))
}

/// The name of the metric [`metric`] makes.
pub(crate) const METRIC: &str = "instructions";

/// The metric gated beside time: a count, lower is better, with no spread to test (the
/// threshold alone decides).
pub(crate) fn metric(suite: &str, benchmark: &str, count: u64) -> Metric {
    let mut m = Metric::new(
        suite,
        benchmark,
        METRIC,
        Unit::Count,
        Direction::LowerIsBetter,
        count as f64,
    );
    m.labels.insert("counter".into(), "callgrind Ir".into());
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_summary_or_the_totals() {
        let out = "version: 1\ncreator: callgrind-3.22.0\nevents: Ir\nfl=a.c\n3 10\nsummary: 1234567\ntotals: 1234567\n";
        assert_eq!(parse_total(out), Some(1_234_567));
        assert_eq!(parse_total("events: Ir\ntotals: 42\n"), Some(42));
        assert_eq!(parse_total("events: Ir\n"), None);
    }
}
