//! `redis-benchmark` (Debian's redis-tools) against the same server in the same run: the
//! floor our cache-hit latency is held to.
//!
//! It runs `-t set,get -c <concurrency> -n <requests> -d <value size> --csv`: the same
//! concurrency as our own loops (one connection per client, one request in flight on
//! each) and values the size of an encoded answer. Since Redis 6.2 its CSV carries
//! `p50_latency_ms` and `p99_latency_ms`; older releases print only requests per second,
//! and then no ratio is computed (the `-q` line, which 7.x also prints with a p50, is
//! parsed as a fallback).
//!
//! Its percentiles are coarser than they look. redis-benchmark records µs in an
//! HdrHistogram from 10 µs to 3 s with 3 significant figures (`hdr_init(10, 3000000, 3)` in
//! redis-benchmark.c); a lowest value of 10 makes the smallest bucket 8 µs wide, so below
//! 16 ms every latency falls on an 8 µs grid, and it prints each percentile as the top of
//! its bucket (`0.039` ms stands for 32..=39 µs). At a p50 of 40 µs that is 20%. So the
//! ratio puts our hit p50 on the same grid ([`bucket`]) before dividing, and records the
//! range the unrounded ratio may lie in.
//!
//! redis-benchmark waits for ever when the server does not answer, so it runs under a time
//! bound and is killed past it. It writes the key `key:__rand_int__`, removed afterwards.

use std::path::{Path, PathBuf};
use std::time::Duration;

use hdrhistogram::Histogram;

use super::error::CacheError;
use crate::services::endpoint::REDIS_PORT;
use crate::services::native;

/// Environment variable: the redis-benchmark binary (default: `redis-benchmark` on PATH).
pub(crate) const PROGRAM_VAR: &str = "PERFWARDEN_REDIS_BENCHMARK";
/// The key redis-benchmark's GET and SET tests use (without `-r`).
pub(crate) const KEY: &str = "key:__rand_int__";

/// redis-benchmark's histogram bounds and precision (redis-benchmark.c:
/// `CONFIG_LATENCY_HISTOGRAM_MIN_VALUE`, `_MAX_VALUE`, `DEFAULT_LATENCY_PRECISION`).
const HIST_LOWEST_US: u64 = 10;
const HIST_HIGHEST_US: u64 = 3_000_000;
const HIST_SIGFIG: u8 = 3;

/// The bucket of redis-benchmark's histogram holding `us`: its lowest and highest value
/// (the highest is what redis-benchmark prints).
pub(crate) fn bucket(us: u64) -> (u64, u64) {
    let h = Histogram::<u64>::new_with_bounds(HIST_LOWEST_US, HIST_HIGHEST_US, HIST_SIGFIG)
        .expect("constant bounds are valid");
    let us = us.min(HIST_HIGHEST_US);
    (h.lowest_equivalent(us), h.highest_equivalent(us))
}

/// One test of a redis-benchmark run.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct TestResult {
    /// `GET`, `SET`.
    pub test: String,
    pub rps: f64,
    pub avg_ms: Option<f64>,
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub max_ms: Option<f64>,
}

/// The binary to run: `PERFWARDEN_REDIS_BENCHMARK`, else `redis-benchmark` on PATH.
pub fn find_program() -> Option<PathBuf> {
    match std::env::var_os(PROGRAM_VAR) {
        Some(p) if !p.is_empty() => Some(PathBuf::from(p)),
        _ => native::find_on_path("redis-benchmark"),
    }
}

/// The command line for the server at `url`: host, port, credentials and database from the
/// URL, then the tests. TLS (`rediss://`) is refused: redis-benchmark needs certificates
/// perfwarden does not have.
pub(crate) fn args(
    url: &str,
    concurrency: usize,
    requests: u64,
    value_size: usize,
) -> Result<Vec<String>, String> {
    let u = reqwest::Url::parse(url).map_err(|e| format!("not a URL: {e}"))?;
    if u.scheme() != "redis" {
        return Err(format!(
            "scheme {}:// is not run through redis-benchmark (plain redis:// only)",
            u.scheme()
        ));
    }
    let host = u.host_str().unwrap_or("127.0.0.1").trim_matches(['[', ']']);
    let mut out = vec![
        "-h".to_string(),
        host.to_string(),
        "-p".into(),
        u.port().unwrap_or(REDIS_PORT).to_string(),
    ];
    if !u.username().is_empty() {
        out.extend(["--user".into(), u.username().to_string()]);
    }
    if let Some(p) = u.password() {
        out.extend(["-a".into(), p.to_string()]);
    }
    if let Ok(db) = u.path().trim_start_matches('/').parse::<u32>() {
        out.extend(["--dbnum".into(), db.to_string()]);
    }
    out.extend([
        "-t".into(),
        "set,get".into(),
        "-c".into(),
        concurrency.max(1).to_string(),
        "-n".into(),
        requests.max(1).to_string(),
        "-d".into(),
        value_size.max(1).to_string(),
        "--csv".into(),
    ]);
    Ok(out)
}

fn unquote(field: &str) -> &str {
    field.trim().trim_matches('"')
}

/// Parses `--csv` output: a header line (6.2 and later) naming the columns, or bare
/// `"TEST","rps"` lines (earlier releases).
pub(crate) fn parse_csv(text: &str) -> Vec<TestResult> {
    let mut columns: Option<Vec<String>> = None;
    let mut out = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| l.starts_with('"')) {
        let fields: Vec<&str> = line.split(',').map(unquote).collect();
        if fields.first() == Some(&"test") {
            columns = Some(fields.iter().map(|f| f.to_string()).collect());
            continue;
        }
        let col = |name: &str| -> Option<f64> {
            let i = columns.as_ref()?.iter().position(|c| c == name)?;
            fields.get(i)?.parse().ok()
        };
        let Some(rps) = fields.get(1).and_then(|f| f.parse::<f64>().ok()) else {
            continue;
        };
        out.push(TestResult {
            test: fields[0].to_string(),
            rps,
            avg_ms: col("avg_latency_ms"),
            p50_ms: col("p50_latency_ms"),
            p95_ms: col("p95_latency_ms"),
            p99_ms: col("p99_latency_ms"),
            max_ms: col("max_latency_ms"),
        });
    }
    out
}

/// Parses `-q` output: `GET: 55710.31 requests per second, p50=0.047 msec` (the p50 since
/// 6.2), skipping the progress lines it rewrites with carriage returns.
pub(crate) fn parse_quiet(text: &str) -> Vec<TestResult> {
    text.split(['\r', '\n'])
        .filter_map(|line| {
            let (test, rest) = line.trim().split_once(": ")?;
            let (rps, rest) = rest.split_once(" requests per second")?;
            let p50 = rest
                .split_once("p50=")
                .and_then(|(_, v)| v.split_whitespace().next()?.parse().ok());
            Some(TestResult {
                test: test.to_string(),
                rps: rps.trim().parse().ok()?,
                avg_ms: None,
                p50_ms: p50,
                p95_ms: None,
                p99_ms: None,
                max_ms: None,
            })
        })
        .collect()
}

/// What one redis-benchmark run gave.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// Its `--version` line, e.g. `redis-benchmark 7.0.15`.
    pub version: String,
    pub command: String,
    pub(crate) results: Vec<TestResult>,
}

impl Outcome {
    pub(crate) fn test(&self, name: &str) -> Option<&TestResult> {
        self.results
            .iter()
            .find(|r| r.test.eq_ignore_ascii_case(name))
    }
}

/// Runs `program` with `args`, killed after `timeout`.
pub async fn run(
    program: &Path,
    args: &[String],
    timeout: Duration,
) -> Result<Outcome, CacheError> {
    let err = |what: String| CacheError::RedisBenchmark {
        program: program.display().to_string(),
        what,
    };
    let version = native::version_output(program, &["--version"])
        .map(|v| v.trim().to_string())
        .unwrap_or_else(|| "unknown version".into());
    // The command as printed hides the password.
    let shown: Vec<&str> = args
        .iter()
        .enumerate()
        .map(|(i, a)| {
            if i > 0 && args[i - 1] == "-a" {
                "***"
            } else {
                a.as_str()
            }
        })
        .collect();
    let command = format!("{} {}", program.display(), shown.join(" "));
    let child = tokio::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| err(format!("cannot start: {e}")))?;
    let output = match tokio::time::timeout(timeout, child.wait_with_output()).await {
        Ok(Ok(out)) => out,
        Ok(Err(e)) => return Err(err(format!("failed: {e}"))),
        Err(_) => {
            return Err(err(format!(
                "no result within {:.0} s (is the server answering?): {command}",
                timeout.as_secs_f64()
            )));
        }
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    let mut results = parse_csv(&stdout);
    if results.is_empty() {
        results = parse_quiet(&stdout);
    }
    if !output.status.success() || results.is_empty() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let said = stderr.lines().chain(stdout.lines()).last().unwrap_or("");
        return Err(err(format!(
            "{} with no result ({}): {command}",
            output.status,
            said.trim()
        )));
    }
    Ok(Outcome {
        version,
        command,
        results,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Printed by redis-benchmark 7.0.15 (Debian bookworm) on this kind of machine.
    const CSV_7: &str = r#""test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
"SET","57971.02","0.103","0.008","0.047","0.079","3.335","8.151"
"GET","54200.54","0.117","0.008","0.047","0.079","3.823","8.023"
"#;

    #[test]
    fn csv_of_redis_7_has_percentiles() {
        let r = parse_csv(CSV_7);
        assert_eq!(r.len(), 2);
        let get = &r[1];
        assert_eq!(get.test, "GET");
        assert_eq!(get.rps, 54200.54);
        assert_eq!(get.p50_ms, Some(0.047));
        assert_eq!(get.p99_ms, Some(3.823));
        assert_eq!(get.max_ms, Some(8.023));
    }

    #[test]
    fn csv_of_older_releases_has_only_rates() {
        let r = parse_csv("\"SET\",\"81300.81\"\n\"GET\",\"86206.90\"\n");
        assert_eq!(r.len(), 2);
        assert_eq!(r[1].rps, 86206.90);
        assert_eq!(r[1].p50_ms, None);
    }

    #[test]
    fn quiet_output_skips_progress_lines() {
        let text = " SET: rps=0.0 (overall: 56000.0) avg_msec=0.071 (overall: 0.071)\r SET: 52493.44 requests per second, p50=0.047 msec\n GET: rps=22905.1 (overall: 46360.0)\r GET: 55710.31 requests per second, p50=0.047 msec\n\n";
        let r = parse_quiet(text);
        assert_eq!(r.len(), 2, "{r:?}");
        assert_eq!(r[1].test, "GET");
        assert_eq!(r[1].rps, 55710.31);
        assert_eq!(r[1].p50_ms, Some(0.047));
        assert_eq!(
            parse_quiet("GET: 86206.90 requests per second\n")[0].p50_ms,
            None
        );
    }

    #[test]
    fn buckets_are_8_us_wide_below_16_ms() {
        // The p50s seen on this machine: 0.023, 0.031, 0.039, 0.047 ms.
        assert_eq!(bucket(39), (32, 39));
        assert_eq!(bucket(32), (32, 39));
        assert_eq!(bucket(47), (40, 47));
        assert_eq!(bucket(23), (16, 23));
        assert_eq!(bucket(3), (0, 7));
        // Twice as wide from 16,384 µs on.
        assert_eq!(bucket(20_000), (20_000, 20_015));
    }

    #[test]
    fn command_line_from_the_url() {
        let a = args("redis://127.0.0.1:41234", 8, 100_000, 124).unwrap();
        assert_eq!(
            a.join(" "),
            "-h 127.0.0.1 -p 41234 -t set,get -c 8 -n 100000 -d 124 --csv"
        );
        let a = args("redis://app:s3cret@cache.internal:6380/2", 4, 10, 3).unwrap();
        assert_eq!(
            a.join(" "),
            "-h cache.internal -p 6380 --user app -a s3cret --dbnum 2 -t set,get -c 4 -n 10 -d 3 --csv"
        );
        assert!(
            args("rediss://cache:6380", 1, 1, 1)
                .unwrap_err()
                .contains("rediss")
        );
    }
}
