//! Runs the plan: the no-op server, then rounds of every available tool under each load.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};
use perfwarden::profile::Profile;

use super::child::{self, Finished};
use super::ours::{Client, Role};
use super::tools::Tool;
use super::{Mode, Outcome, REDIS_KEY};

/// How long and how often each tool runs.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub rounds: usize,
    /// Measured seconds of every client run.
    pub secs: f64,
    pub saturate_conns: usize,
    /// The fixed rate of the HTTP latency runs, and their connections.
    pub rate: f64,
    pub rate_conns: usize,
}

impl Plan {
    pub fn for_profile(profile: Profile) -> Plan {
        let (rounds, secs) = match profile {
            Profile::Smoke => (1, 2.0),
            Profile::Pr => (2, 2.0),
            Profile::Nightly => (3, 4.0),
            Profile::Full => (5, 5.0),
        };
        Plan {
            rounds,
            secs,
            saturate_conns: 16,
            rate: 500.0,
            rate_conns: 5,
        }
    }
}

/// One load on one target: `http/rate500`, `redis/saturated`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Load {
    pub target: &'static str,
    pub name: &'static str,
    pub mode: Mode,
    pub conns: usize,
}

/// One client run: what the tool said and what it cost.
#[derive(Clone, Debug)]
pub(crate) struct Sample {
    pub outcome: Outcome,
    pub cpu: Duration,
    pub wall: Duration,
}

impl Sample {
    /// Requests per second of client CPU.
    pub(crate) fn per_cpu_s(&self) -> f64 {
        self.outcome.requests as f64 / self.cpu.as_secs_f64().max(1e-6)
    }

    /// Requests per second over the period the tool reports (else the process's wall time).
    pub(crate) fn throughput(&self) -> f64 {
        let secs = if self.outcome.secs > 0.0 {
            self.outcome.secs
        } else {
            self.wall.as_secs_f64()
        };
        self.outcome.requests as f64 / secs.max(1e-6)
    }
}

/// Everything measured, by load and tool, one sample per round.
#[derive(Debug, Default)]
pub struct Results {
    pub(crate) cells: Vec<(Load, Tool, Vec<Sample>)>,
    /// One line per tool or target that did not run.
    pub skipped: Vec<String>,
}

impl Results {
    pub(crate) fn samples(&self, load: &Load, tool: Tool) -> &[Sample] {
        self.cells
            .iter()
            .find(|(l, t, _)| l == load && *t == tool)
            .map_or(&[], |(_, _, s)| s.as_slice())
    }

    fn push(&mut self, load: Load, tool: Tool, sample: Sample) {
        match self
            .cells
            .iter_mut()
            .find(|(l, t, _)| *l == load && *t == tool)
        {
            Some((_, _, s)) => s.push(sample),
            None => self.cells.push((load, tool, vec![sample])),
        }
    }
}

/// The no-op server, a child process killed on drop.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_server(exe: &Path) -> anyhow::Result<(Server, String)> {
    let mut child = Command::new(exe)
        .args(Role::ServeHttp.args())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .context("starting the no-op HTTP server")?;
    let stdout = child.stdout.take().expect("piped");
    let server = Server(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line)?;
    let port = line
        .trim()
        .strip_prefix("port ")
        .context("the no-op server printed no port")?;
    Ok((server, format!("http://127.0.0.1:{port}/")))
}

/// Runs every available tool in `plan`'s rounds against the no-op server and, when
/// `redis_url` is given, against that Redis. Progress goes to stderr.
pub fn run(plan: &Plan, redis_url: Option<&str>) -> anyhow::Result<Results> {
    let mut results = Results::default();
    let exe = std::env::current_exe().context("finding the bench executable")?;
    let (_server, http_url) = start_server(&exe)?;
    let mut targets = vec![("http", http_url, Tool::HTTP.to_vec())];
    match redis_url {
        Some(url) => {
            let mut conn = redis::Client::open(url)?.get_connection()?;
            redis::cmd("SET")
                .arg(REDIS_KEY)
                .arg("xxx")
                .query::<()>(&mut conn)?;
            targets.push(("redis", url.to_string(), Tool::REDIS.to_vec()));
        }
        None => results
            .skipped
            .push("redis: no Redis, so no Redis half".into()),
    }
    for (target, url, tools) in &mut targets {
        tools.retain(|&tool| match tool.find() {
            Ok(_) => true,
            Err(how) => {
                results
                    .skipped
                    .push(format!("{target}/{}: not installed ({how})", tool.name()));
                false
            }
        });
        if tools.len() < 2 {
            // Ours alone measures nothing this suite is for, and would only cost time.
            results
                .skipped
                .push(format!("{target}: no other tool to compare with"));
            continue;
        }
        let loads = loads(plan, target);
        let mut failed: Vec<String> = Vec::new();
        for round in 0..plan.rounds {
            for load in &loads {
                for k in 0..tools.len() {
                    let tool = tools[(k + round) % tools.len()];
                    eprintln!(
                        "peers: round {}/{}: {target}/{}/{}",
                        round + 1,
                        plan.rounds,
                        tool.name(),
                        load.name
                    );
                    let id = format!("{target}/{}/{}", tool.name(), load.name);
                    if failed.contains(&id) {
                        continue;
                    }
                    match measure(&exe, tool, url, load, plan.secs) {
                        Ok(sample) => results.push(*load, tool, sample),
                        // Our own client failing fails the suite; another tool's failure
                        // is that tool's, said in one line.
                        Err(e) if tool == Tool::Ours => return Err(e.context(id)),
                        Err(e) => {
                            results.skipped.push(format!("{id}: failed: {e:#}"));
                            failed.push(id);
                        }
                    }
                }
            }
        }
    }
    for line in &results.skipped {
        eprintln!("peers: skipped: {line}");
    }
    Ok(results)
}

fn loads(plan: &Plan, target: &'static str) -> Vec<Load> {
    let saturated = Load {
        target,
        name: "saturated",
        mode: Mode::Saturate,
        conns: plan.saturate_conns,
    };
    let light = if target == "http" {
        Load {
            target,
            name: "rate500",
            mode: Mode::Rate(plan.rate),
            conns: plan.rate_conns,
        }
    } else {
        Load {
            target,
            name: "c1",
            mode: Mode::Saturate,
            conns: 1,
        }
    };
    vec![saturated, light]
}

fn measure(exe: &Path, tool: Tool, url: &str, load: &Load, secs: f64) -> anyhow::Result<Sample> {
    let scratch = tempfile::tempdir()?;
    let (program, args) = match tool {
        Tool::Ours | Tool::OursHyper => {
            let client = match (load.target, tool) {
                ("redis", _) => Client::Redis,
                (_, Tool::Ours) => Client::Http,
                _ => Client::Hyper,
            };
            let role = Role::Client {
                client,
                url: url.to_string(),
                mode: load.mode,
                connections: load.conns,
                secs,
            };
            (exe.to_path_buf(), role.args())
        }
        _ => (
            tool.find().map_err(anyhow::Error::msg)?,
            tool.args(url, load.mode, load.conns, secs, scratch.path()),
        ),
    };
    let bound = Duration::from_secs_f64(secs * 3.0 + 30.0);
    let Finished {
        stdout,
        stderr,
        cpu,
        wall,
        success,
    } = child::run(&program, &args, bound)?;
    if !success {
        bail!(
            "{} failed: {}",
            program.display(),
            stderr.lines().last().unwrap_or("(no output)")
        );
    }
    let text = match tool {
        Tool::Locust => format!("{stdout}\n{stderr}"),
        _ => stdout,
    };
    let outcome = tool
        .parse(&text, load.conns, secs)
        .map_err(anyhow::Error::msg)?;
    if outcome.requests == 0 {
        bail!("no request answered ({} errors)", outcome.errors);
    }
    Ok(Sample { outcome, cpu, wall })
}
