//! `perfwarden check`: the main job in one command, the same on a laptop and in CI. It
//! builds and runs the benches of a profile once, gates them against the committed baseline
//! of this machine class, and re-measures whatever the gate flags against the baseline's
//! commit, A B B A, at the same profile ([`crate::confirm`]), unless the code is that commit's
//! ([`crate::gate::unchanged`]: the flags are the machine's). Where no baseline is committed
//! for this machine class, the merge base with the default branch (or `--base`) is built in
//! a worktree and measured now, interleaved with this tree, and the report says that this is
//! the reference. Then it publishes like `compare` ([`super::publish`]).

mod flags;
mod now;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Args;

use super::publish::{self, Outputs};
use crate::gate;
use crate::profile::Profile;
use crate::report::json;
use crate::rerun::{self, BenchCommand};
use crate::results::{self, Environment, Run, SuiteOutcome, SuiteStatus};

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  perfwarden check                           # every bench at the pr profile, gated, confirmed
  perfwarden check --suite redis_cache --profile smoke
  perfwarden check --base origin/main        # no baseline here: measure origin/main now
  perfwarden check --config base/perfwarden.toml --baselines-dir base/baselines   # CI")]
pub struct CheckArgs {
    /// The run profile of the benches (`PERFWARDEN_PROFILE`).
    #[arg(
        long,
        env = "PERFWARDEN_PROFILE",
        default_value = "pr",
        value_name = "PROFILE"
    )]
    profile: Profile,
    /// Only this bench target (repeatable). [default: every bench target of the workspace]
    #[arg(long = "suite", value_name = "BENCH")]
    suites: Vec<String>,
    /// Where per-machine-class baselines live.
    #[arg(long, value_name = "DIR", default_value = "baselines")]
    baselines_dir: PathBuf,
    /// Gate configuration. [default: perfwarden.toml when it exists, else built-in defaults]
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The default threshold in percent, instead of the config's.
    #[arg(long, value_name = "PERCENT", value_parser = super::compare::parse_percent)]
    threshold: Option<f64>,
    /// The commit measured now when no baseline is committed for this machine class.
    /// [default: the merge base of HEAD with the default branch]
    #[arg(long, value_name = "REV")]
    base: Option<String>,
    /// Do not re-measure what the gate flags (a flag then fails as the gate said).
    #[arg(long)]
    no_confirm: bool,
    /// Rounds of alternating (baseline, current) runs, to confirm or to measure a base now;
    /// K more for a bench whose change the first K left open (most rounds beyond the
    /// threshold, too spread to bound it beyond).
    #[arg(long, default_value_t = 3, value_name = "K")]
    rounds: usize,
    /// Also count the instructions of a CPU-bound bench under callgrind, as metric
    /// `SUITE/BENCHMARK/instructions` (gated at its own tight threshold beside time), where
    /// valgrind is installed; the bench must honour PERFWARDEN_INSTRUCTIONS_ONCE (the `gate` and
    /// `ingest_parquet_s3` benches do). E.g. `gate=gate_10k_metrics/compare`. Repeatable.
    /// [default: the config's `[check] instructions`]
    #[arg(long, value_name = "BENCH=SUITE/BENCHMARK")]
    instructions: Vec<String>,
    /// Count no instructions, whatever the config says.
    #[arg(long, conflicts_with = "instructions")]
    no_instructions: bool,
    /// Where the runs, the baseline's worktree and the binaries go.
    /// [default: target/perfwarden/check/]
    #[arg(long, value_name = "DIR")]
    work_dir: Option<PathBuf>,
    #[command(flatten)]
    outputs: Outputs,
}

pub fn run(args: &CheckArgs) -> anyhow::Result<u8> {
    let repo = std::env::current_dir().context("no current directory")?;
    let (mut config, config_path) = publish::load_config(args.config.as_deref())?;
    if let Some(pct) = args.threshold {
        config.threshold = pct / 100.0;
    }
    let benches = benches(&repo, &args.suites)?;
    let pairs = match (args.no_instructions, args.instructions.is_empty()) {
        (true, _) => &[][..],
        (false, true) => config.instructions(),
        (false, false) => &args.instructions[..],
    };
    let counted = instructions(pairs, &benches)?;
    let work = args
        .work_dir
        .clone()
        .unwrap_or_else(|| results::results_dir().join("check"));
    let class = Environment::detect(args.profile).machine_class;
    let class_dir = crate::baseline::class_dir(&args.baselines_dir, &class);
    let committed = results::json_files(&class_dir).is_ok_and(|f| !f.is_empty());
    let mut log = |line: String| eprintln!("check: {line}");

    let (comparison, current, baseline_path) = if committed {
        let baseline = results::read_run_set(&class_dir)?;
        log(format!("building {}", benches.join(", ")));
        let (current, bench_of) =
            run_once(&repo, &benches, &counted, args.profile, &work, &mut log)?;
        let baseline = if args.suites.is_empty() {
            baseline
        } else {
            only_suites(baseline, &benches, &bench_of)
        };
        let mut c = gate::compare(&baseline, &current, &config)
            .with_context(|| format!("{} vs this run", class_dir.display()))?;
        if !args.no_confirm {
            let how = flags::Confirm {
                repo: &repo,
                rounds: args.rounds,
                benches: bench_of,
                instructions: &counted,
                profile: args.profile,
                work: work.clone(),
            };
            flags::decide(&mut c, &baseline, how, &mut log)?;
        }
        (c, current, class_dir.display().to_string())
    } else {
        let base = match &args.base {
            Some(rev) => rev.clone(),
            None => now::merge_base(&repo)?,
        };
        log(format!(
            "no baseline for machine class {class:?} in {}; measuring commit {base} now, \
             interleaved with this tree",
            args.baselines_dir.display()
        ));
        let (c, current, reference) = now::measure_now(
            args,
            &repo,
            &base,
            (&benches, &counted),
            &work,
            &config,
            &mut log,
        )?;
        // The reference travels with the results, so a trusted job can judge them the same way.
        let out_dir = args
            .outputs
            .out_dir
            .clone()
            .unwrap_or_else(publish::default_out_dir);
        write_split(&reference, &out_dir.join("reference"))?;
        (c, current, format!("commit {base} measured now"))
    };

    write_split(&current, &results::results_dir())?;
    let inputs = json::Inputs {
        baseline: baseline_path,
        current: results::results_dir().display().to_string(),
        config: config_path.map(|p| p.display().to_string()),
    };
    let code = publish::publish(&comparison, &current, &inputs, &args.outputs)?;
    // A bench that failed measured nothing to gate: the check fails with it.
    let failed: Vec<&str> = current
        .suites
        .iter()
        .filter(|s| s.status == SuiteOutcome::Failed)
        .map(|s| s.suite.as_str())
        .collect();
    if !failed.is_empty() {
        eprintln!("check: failed: suite {}", failed.join(", suite "));
        return Ok(1);
    }
    Ok(code)
}

/// `--instructions BENCH=SUITE/BENCHMARK` as bench → metric prefix, for the benches this
/// check runs; empty, with one line saying so, where valgrind is not installed.
fn instructions(pairs: &[String], benches: &[String]) -> anyhow::Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for pair in pairs {
        let Some((bench, id)) = crate::gate::config::instruction_pair(pair) else {
            bail!("--instructions {pair:?}: expected BENCH=SUITE/BENCHMARK");
        };
        if benches.iter().any(|b| b == bench) {
            out.insert(bench.to_string(), id.to_string());
        }
    }
    let valgrind = std::process::Command::new("valgrind")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !out.is_empty() && !valgrind {
        eprintln!("check: valgrind is not installed: instruction counts skipped");
        out.clear();
    }
    Ok(out)
}

/// The bench targets to run: the named ones, which must exist, or all of the workspace's.
fn benches(repo: &Path, named: &[String]) -> anyhow::Result<Vec<String>> {
    let all = rerun::bench_targets(repo);
    if all.is_empty() {
        bail!(
            "{}: cargo lists no bench targets here (run check from the workspace root)",
            repo.display()
        );
    }
    if let Some(unknown) = named.iter().find(|n| !all.contains(*n)) {
        bail!(
            "--suite {unknown}: no bench target of that name (there are: {})",
            all.iter().cloned().collect::<Vec<_>>().join(", ")
        );
    }
    Ok(if named.is_empty() {
        all.into_iter().collect()
    } else {
        named.to_vec()
    })
}

/// Builds the benches once and runs each once; a bench that fails is a failed suite of the
/// run, not the end of the check. Also returns which bench measured each suite (a Criterion
/// bench's suites are its groups), for confirming.
fn run_once(
    repo: &Path,
    benches: &[String],
    counted: &BTreeMap<String, String>,
    profile: Profile,
    work: &Path,
    log: &mut dyn FnMut(String),
) -> anyhow::Result<(Run, BTreeMap<String, String>)> {
    let built = rerun::build_benches(repo, benches, None)?;
    let mut run = Run::new(Environment::detect(profile));
    let mut bench_of = BTreeMap::new();
    for cmd in built {
        let instructions = counted.get(&cmd.name).cloned();
        let cmd = BenchCommand {
            profile,
            instructions,
            ..cmd
        };
        log(format!("running {} at profile {profile}", cmd.name));
        let start = std::time::Instant::now();
        let outcome = cmd.run_once(&work.join("run").join(&cmd.name), None);
        let secs = start.elapsed().as_secs();
        match outcome {
            Ok(r) => {
                log(format!("{} ran in {secs} s", cmd.name));
                run.environment = r.environment.clone();
                for m in &r.metrics {
                    bench_of.insert(m.suite.clone(), cmd.name.clone());
                }
                results::absorb(&mut run, r).map_err(anyhow::Error::msg)?;
            }
            Err(e) => {
                log(format!("{} FAILED after {secs} s: {}", cmd.name, e.what));
                let failed = SuiteStatus::new(&cmd.name, SuiteOutcome::Failed, Some(e.what));
                run.suites.push(failed);
            }
        }
    }
    Ok((run, bench_of))
}

/// The baseline's suites that the benches of this check measure (`bench_of`: suite →
/// bench) or are named after (a bench that failed measured nothing, and its suite stays
/// missing). With `--suite`, the other suites were left out on purpose: gating them would list
/// every one of their metrics as missing (1,709 in a `check --suite gate`).
fn only_suites(mut baseline: Run, benches: &[String], bench_of: &BTreeMap<String, String>) -> Run {
    let keep = |suite: &str| bench_of.contains_key(suite) || benches.iter().any(|b| b == suite);
    baseline.metrics.retain(|m| keep(&m.suite));
    baseline.suites.retain(|s| keep(&s.suite));
    let used: std::collections::BTreeSet<&str> = baseline
        .metrics
        .iter()
        .filter_map(|m| m.histogram.as_deref())
        .collect();
    baseline.histograms.retain(|h| used.contains(h.id.as_str()));
    baseline
}

/// A run as one file per suite in `dir` (the results directory, as `cargo bench` leaves
/// them, so `baseline update`, `report` and `export` read them next). Results there from an
/// earlier run are replaced as a whole: mixing two runs would gate neither.
fn write_split(run: &Run, dir: &Path) -> anyhow::Result<()> {
    let files = crate::baseline::split_by_suite(run)?
        .into_iter()
        .map(|(suite, r)| (dir.join(format!("{suite}.json")), r.to_json().into_bytes()))
        .collect::<Vec<_>>();
    let stale: Vec<PathBuf> = results::json_files(dir)
        .unwrap_or_default()
        .into_iter()
        .filter(|old| !files.iter().any(|(p, _)| p == old))
        .collect();
    results::write_atomic_all(&files)?;
    for old in stale {
        std::fs::remove_file(&old).with_context(|| format!("{}", old.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rerun::instructions::metric;

    #[test]
    fn a_check_of_some_suites_gates_only_their_baselines() {
        let mut baseline = Run::new(Environment::detect(Profile::Smoke));
        for suite in ["gate_10k_metrics", "grpc_windows", "redis_cache"] {
            baseline.metrics.push(metric(suite, "b", 1));
            baseline
                .suites
                .push(SuiteStatus::new(suite, SuiteOutcome::Passed, None));
        }
        let bench_of = BTreeMap::from([("gate_10k_metrics".to_string(), "gate".to_string())]);
        let benches = ["gate".to_string(), "redis_cache".to_string()];
        let kept = only_suites(baseline, &benches, &bench_of);
        let suites: Vec<&str> = kept.metrics.iter().map(|m| m.suite.as_str()).collect();
        // gate measured gate_10k_metrics; redis_cache was named but measured nothing (it
        // failed), so its baseline stays and its metrics show as missing.
        assert_eq!(suites, ["gate_10k_metrics", "redis_cache"]);
        assert_eq!(kept.suites.len(), 2);
    }
}
