//! The other tools: how each is started for a given load, and what its output says. The
//! parsers are pure; the numbers are what each tool itself reports.
//!
//! - `wrk` (Debian): `-t1 -c<n> -d<s>s --latency`. It has no rate option, so at a fixed
//!   rate each of its connections waits `n / rate` between requests (a `delay()` script):
//!   a rate slightly below the target, since the wait comes on top of the round trip.
//! - `oha` (a Rust crate): `-c<n> -z<s>s`, and `-q <rate>` at a fixed rate, JSON output.
//! - Locust (PyPI): headless, one process, `FastHttpUser`s, `constant_throughput` at a
//!   fixed rate, its final summary.
//! - `redis-benchmark` (Debian's redis-tools): `-t get -c<n> -n<N> --csv`, which has no rate
//!   option either; its light load is one connection, as ours is there.

use std::path::{Path, PathBuf};

use super::{Mode, Outcome};
use crate::services::endpoint::REDIS_PORT;

/// A tool, by name in benchmark ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tool {
    /// Our engine behind a minimal HTTP client (or the `redis` crate against Redis).
    Ours,
    /// Our engine behind hyper's client: what the HTTP library adds, against `ours`.
    OursHyper,
    Wrk,
    Oha,
    Locust,
    RedisBenchmark,
}

impl Tool {
    pub(crate) const HTTP: [Tool; 5] = [
        Tool::Ours,
        Tool::OursHyper,
        Tool::Wrk,
        Tool::Oha,
        Tool::Locust,
    ];
    pub(crate) const REDIS: [Tool; 2] = [Tool::Ours, Tool::RedisBenchmark];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Tool::Ours => "ours",
            Tool::OursHyper => "ours-hyper",
            Tool::Wrk => "wrk",
            Tool::Oha => "oha",
            Tool::Locust => "locust",
            Tool::RedisBenchmark => "redis-benchmark",
        }
    }

    /// Its executable on PATH, or what would provide it.
    pub(crate) fn find(self) -> Result<PathBuf, &'static str> {
        let (binary, how) = match self {
            Tool::Ours | Tool::OursHyper => {
                return std::env::current_exe().map_err(|_| "no current executable");
            }
            Tool::Wrk => ("wrk", "apt-get install wrk"),
            Tool::Oha => ("oha", "cargo install oha --locked"),
            Tool::Locust => ("locust", "pip install locust"),
            Tool::RedisBenchmark => ("redis-benchmark", "apt-get install redis-tools"),
        };
        crate::services::native::find_on_path(binary).ok_or(how)
    }

    /// The command line for `mode` with `conns` connections for `secs` against `url`;
    /// `scratch` is a directory for script files.
    pub(crate) fn args(
        self,
        url: &str,
        mode: Mode,
        conns: usize,
        secs: f64,
        scratch: &Path,
    ) -> Vec<String> {
        let s = |x: &str| x.to_string();
        let whole_secs = format!("{}s", secs.ceil() as u64);
        match self {
            Tool::Ours | Tool::OursHyper => {
                unreachable!("our client is started through its role")
            }
            Tool::Wrk => {
                let mut a = vec![
                    s("-t1"),
                    format!("-c{conns}"),
                    format!("-d{whole_secs}"),
                    s("--latency"),
                ];
                if let Mode::Rate(rate) = mode {
                    let script = scratch.join("delay.lua");
                    let ms = (conns as f64 * 1000.0 / rate).round() as u64;
                    // A write failure shows as wrk's own error, naming the script.
                    let _ =
                        std::fs::write(&script, format!("function delay()\n  return {ms}\nend\n"));
                    a.extend([s("-s"), script.display().to_string()]);
                }
                a.push(url.to_string());
                a
            }
            Tool::Oha => {
                let mut a = vec![
                    format!("-c{conns}"),
                    format!("-z{whole_secs}"),
                    s("--no-tui"),
                    s("--output-format"),
                    s("json"),
                ];
                if let Mode::Rate(rate) = mode {
                    a.extend([s("-q"), format!("{rate}"), s("--latency-correction")]);
                }
                a.push(url.to_string());
                a
            }
            Tool::Locust => {
                let wait = match mode {
                    Mode::Saturate => "constant(0)".to_string(),
                    Mode::Rate(rate) => format!("constant_throughput({})", rate / conns as f64),
                };
                let file = scratch.join("locustfile.py");
                let _ = std::fs::write(&file, locustfile(&wait));
                vec![
                    s("-f"),
                    file.display().to_string(),
                    s("--headless"),
                    format!("-u{conns}"),
                    format!("-r{conns}"),
                    format!("-t{whole_secs}"),
                    s("--host"),
                    url.trim_end_matches('/').to_string(),
                    s("--only-summary"),
                    s("--loglevel"),
                    s("WARNING"),
                ]
            }
            Tool::RedisBenchmark => {
                let u = reqwest::Url::parse(url).ok();
                let host = u
                    .as_ref()
                    .and_then(|u| u.host_str().map(str::to_string))
                    .unwrap_or_default();
                let port = u.as_ref().and_then(|u| u.port()).unwrap_or(REDIS_PORT);
                vec![
                    s("-h"),
                    host,
                    s("-p"),
                    port.to_string(),
                    // Its options take their values as separate arguments.
                    s("-c"),
                    conns.to_string(),
                    s("-n"),
                    redis_benchmark_requests(conns, secs).to_string(),
                    s("-t"),
                    s("get"),
                    s("--csv"),
                ]
            }
        }
    }

    /// What the tool reported on its output (Locust's summary may go to either stream, so
    /// the caller passes both).
    pub(crate) fn parse(self, stdout: &str, conns: usize, secs: f64) -> Result<Outcome, String> {
        match self {
            Tool::Ours | Tool::OursHyper => {
                serde_json::from_str(stdout.trim()).map_err(|e| format!("our client's line: {e}"))
            }
            Tool::Wrk => parse_wrk(stdout),
            Tool::Oha => parse_oha(stdout),
            Tool::Locust => parse_locust(stdout),
            Tool::RedisBenchmark => {
                parse_redis_benchmark(stdout, redis_benchmark_requests(conns, secs))
            }
        }
    }
}

fn locustfile(wait: &str) -> String {
    format!(
        "from locust import FastHttpUser, task, constant, constant_throughput\n\n\
         class Peer(FastHttpUser):\n    wait_time = {wait}\n\n    @task\n    def noop(self):\n        self.client.get(\"/\")\n"
    )
}

/// `123.45us`, `1.20ms`, `2.00s`, `1.00m` as microseconds.
fn wrk_duration_us(text: &str) -> Option<f64> {
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (n, unit) = text.split_at(split);
    let n: f64 = n.parse().ok()?;
    Some(
        n * match unit {
            "us" => 1.0,
            "ms" => 1e3,
            "s" => 1e6,
            "m" => 60e6,
            "h" => 3600e6,
            _ => return None,
        },
    )
}

pub(crate) fn parse_wrk(text: &str) -> Result<Outcome, String> {
    let mut out = Outcome::default();
    let mut seen = false;
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["50%", v] => out.p50_us = wrk_duration_us(v),
            ["99%", v] => out.p99_us = wrk_duration_us(v),
            [n, "requests", "in", t, ..] => {
                out.requests = n.parse().map_err(|_| format!("wrk: request count {n:?}"))?;
                out.secs = wrk_duration_us(t.trim_end_matches(',')).unwrap_or(0.0) / 1e6;
                seen = true;
            }
            ["Non-2xx", "or", "3xx", "responses:", n] => {
                out.errors += n.parse::<u64>().unwrap_or(0)
            }
            ["Socket", "errors:", rest @ ..] => {
                out.errors += rest
                    .iter()
                    .filter_map(|w| w.trim_end_matches(',').parse::<u64>().ok())
                    .sum::<u64>();
            }
            _ => {}
        }
    }
    if !seen {
        return Err("wrk: no \"requests in\" line".into());
    }
    out.requests = out.requests.saturating_sub(out.errors);
    Ok(out)
}

pub(crate) fn parse_oha(text: &str) -> Result<Outcome, String> {
    let v: serde_json::Value =
        serde_json::from_str(text.trim()).map_err(|e| format!("oha's JSON: {e}"))?;
    let ok = v["statusCodeDistribution"]["200"].as_u64().unwrap_or(0);
    let all: u64 = v["statusCodeDistribution"]
        .as_object()
        .map_or(0, |m| m.values().filter_map(|n| n.as_u64()).sum());
    // Requests in flight when `-z` runs out are "aborted due to deadline": cut, not failed.
    let errors: u64 = v["errorDistribution"].as_object().map_or(0, |m| {
        m.iter()
            .filter(|(k, _)| !k.contains("deadline"))
            .filter_map(|(_, n)| n.as_u64())
            .sum()
    });
    let us = |k: &str| v["latencyPercentiles"][k].as_f64().map(|s| s * 1e6);
    Ok(Outcome {
        requests: ok,
        errors: errors + (all - ok),
        secs: v["summary"]["total"].as_f64().unwrap_or(0.0),
        p50_us: us("p50"),
        p99_us: us("p99"),
        ..Outcome::default()
    })
}

/// Locust's final summary on stdout: the Aggregated line of its percentile table (`50%` ...
/// `100%`, then the request count) and the failures of its request table. Its CSV is not
/// used: the stats file is written on a timer and can miss the last second.
pub(crate) fn parse_locust(text: &str) -> Result<Outcome, String> {
    let aggregated = |line: &&str| line.split_whitespace().next() == Some("Aggregated");
    let mut lines = text.lines();
    let requests_line = lines
        .by_ref()
        .find(aggregated)
        .ok_or("locust: no Aggregated line")?;
    let percentiles: Vec<f64> = lines
        .skip_while(|l| !l.contains("Response time percentiles"))
        .find(aggregated)
        .ok_or("locust: no percentile table")?
        .split_whitespace()
        .skip(1)
        .filter_map(|w| w.parse().ok())
        .collect();
    // 50% 66% 75% 80% 90% 95% 98% 99% 99.9% 99.99% 100% # reqs
    let [p50, _, _, _, _, _, _, p99, _, _, _, count] = percentiles[..] else {
        return Err(format!("locust: percentile line {percentiles:?}"));
    };
    let errors = requests_line
        .split_whitespace()
        .nth(2)
        .and_then(|w| w.split('(').next())
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or(0);
    let count = count as u64;
    Ok(Outcome {
        requests: count - errors.min(count),
        errors,
        secs: 0.0,
        p50_us: Some(p50 * 1e3),
        p99_us: Some(p99 * 1e3),
        ..Outcome::default()
    })
}

/// redis-benchmark runs a request count, not a time: about `secs` at the rates it reaches
/// here (one connection: one round trip at a time).
fn redis_benchmark_requests(conns: usize, secs: f64) -> u64 {
    let per_s = if conns == 1 { 15_000.0 } else { 60_000.0 };
    (per_s * secs) as u64
}

/// Its GET line, for a run of `n` requests (it reports their rate, not their count).
pub(crate) fn parse_redis_benchmark(csv: &str, n: u64) -> Result<Outcome, String> {
    let tests = crate::suites::redis_cache::redis_benchmark::parse_csv(csv);
    let get = tests
        .iter()
        .find(|t| t.test == "GET")
        .ok_or("redis-benchmark: no GET line")?;
    Ok(Outcome {
        requests: n,
        errors: 0,
        secs: if get.rps > 0.0 {
            n as f64 / get.rps
        } else {
            0.0
        },
        p50_us: get.p50_ms.map(|ms| ms * 1e3),
        p99_us: get.p99_ms.map(|ms| ms * 1e3),
        ..Outcome::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrk_output() {
        let text = "Running 2s test @ http://127.0.0.1:1/\n  1 threads and 16 connections\n  Latency Distribution\n     50%   95.00us\n     75%  110.00us\n     90%  130.00us\n     99%    1.25ms\n  250000 requests in 2.00s, 20.00MB read\n  Non-2xx or 3xx responses: 10\nRequests/sec: 125000.00\n";
        let o = parse_wrk(text).unwrap();
        assert_eq!(
            (o.requests, o.errors, o.secs, o.p50_us, o.p99_us),
            (249_990, 10, 2.0, Some(95.0), Some(1250.0))
        );
        assert!(parse_wrk("unable to connect").is_err());
    }

    #[test]
    fn oha_json() {
        let text = r#"{"summary":{"successRate":1.0,"total":2.0,"requestsPerSec":500.0},"latencyPercentiles":{"p50":0.0001,"p99":0.0004},"statusCodeDistribution":{"200":998,"500":2},"errorDistribution":{"connection closed":1,"aborted due to deadline":4}}"#;
        let o = parse_oha(text).unwrap();
        assert_eq!((o.requests, o.errors, o.secs), (998, 3, 2.0));
        assert!(
            (o.p50_us.unwrap() - 100.0).abs() < 1e-6 && (o.p99_us.unwrap() - 400.0).abs() < 1e-6
        );
    }

    #[test]
    fn locust_summary() {
        let text = "Type     Name    # reqs      # fails |    Avg     Min     Max    Med |   req/s  failures/s\n\
GET      /          2582     3(0.12%) |      6       0      73      6 | 1290.00        0.00\n\
         Aggregated 2582     3(0.12%) |      6       0      73      6 | 1290.00        0.00\n\n\
Response time percentiles (approximated)\n\
GET      /           6      7      9     10     11     15     17     18     72     73     73   2582\n\
         Aggregated  6      7      9     10     11     15     17     18     72     73     73   2582\n";
        let o = parse_locust(text).unwrap();
        assert_eq!(
            (o.requests, o.errors, o.p50_us, o.p99_us),
            (2579, 3, Some(6000.0), Some(18000.0))
        );
        assert!(parse_locust("nothing").is_err());
    }

    #[test]
    fn wrk_at_a_rate_waits_per_connection() {
        let dir = tempfile::tempdir().unwrap();
        let a = Tool::Wrk.args("http://h/", Mode::Rate(500.0), 5, 2.0, dir.path());
        assert!(
            a.contains(&"-c5".to_string()) && a.contains(&"-d2s".to_string()),
            "{a:?}"
        );
        let script = std::fs::read_to_string(dir.path().join("delay.lua")).unwrap();
        assert!(script.contains("return 10"), "{script}");
    }
}
