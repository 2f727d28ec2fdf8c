//! `perfwarden calibrate`: run a bench N times on unchanged code (and N times with an injected
//! slowdown), report per metric the spread, the false alarms and the detections the gate
//! would have had, and write the noise floor into the baselines.

use std::path::PathBuf;

use crate::calibrate::{self, CalibrateError, analysis, floor, report};
use crate::profile::Profile;
use crate::rerun::{self, BenchCommand, RerunError};
use crate::results::{self, Run};

#[derive(Debug, clap::Args)]
pub struct CalibrateArgs {
    /// The cargo bench target to run (`cargo bench --bench <name>`).
    #[arg(long, required_unless_present = "runs_from")]
    pub bench: Option<String>,
    /// How many unchanged runs (and as many injected ones).
    #[arg(long, default_value_t = 20)]
    pub runs: usize,
    /// The run profile the bench runs at (`PERFWARDEN_PROFILE`).
    #[arg(long, default_value = "smoke")]
    pub profile: Profile,
    /// Also run with `PERFWARDEN_INJECT_SLOWDOWN=<fraction>` and report how often the gate
    /// catches it (e.g. 0.15).
    #[arg(long, value_name = "FRACTION")]
    pub inject_slowdown: Option<f64>,
    /// Write each metric's noise floor into the baselines of this machine class directory
    /// (e.g. baselines/gha-ubuntu-2core/).
    #[arg(long, value_name = "DIR")]
    pub write_noise: Option<PathBuf>,
    /// Where the calibration's JSON goes. [default: target/perfwarden/calibration.json]
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Analyse the runs kept in this directory (`unchanged/*.json`, `injected/*.json`)
    /// instead of running the bench.
    #[arg(long, value_name = "DIR", conflicts_with = "bench")]
    pub runs_from: Option<PathBuf>,
    /// Where each run is kept. [default: target/perfwarden/calibration/<bench>/]
    #[arg(long, value_name = "DIR")]
    pub keep: Option<PathBuf>,
    /// The built bench binary, when it is already built (skips `cargo bench --no-run`).
    #[arg(long, value_name = "FILE")]
    pub binary: Option<PathBuf>,
    /// Also count instructions (callgrind, one run of the bench with
    /// PERFWARDEN_INSTRUCTIONS_ONCE=1) as metric `<SUITE/BENCHMARK>/instructions`.
    #[arg(long, value_name = "SUITE/BENCHMARK")]
    pub instructions: Option<String>,
    /// Gate configuration. [default: perfwarden.toml when it exists, else built-in defaults]
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Arguments for the bench binary after `--bench` (Criterion options, a filter).
    #[arg(last = true)]
    pub bench_args: Vec<String>,
}

/// Runs the command: 0 when every metric meets the goals, 1 when some do not (the table
/// says which and why).
pub fn run(args: &CalibrateArgs) -> Result<i32, CalibrateError> {
    let (config, _) = super::publish::load_config(args.config.as_deref())?;
    if let Some(f) = args.inject_slowdown
        && !(f > 0.0 && f <= 10.0)
    {
        return Err(CalibrateError::Runs {
            path: PathBuf::from("--inject-slowdown"),
            what: format!("{f} is not a fraction in (0, 10]"),
        });
    }
    let (unchanged, injected) = match &args.runs_from {
        Some(dir) => calibrate::read_runs(dir, args.profile)?,
        None => measure(args)?,
    };
    let slowdown = args.inject_slowdown.filter(|_| !injected.is_empty());
    let calibration = analysis::analyse(&unchanged, &injected, slowdown, &config)?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| results::results_dir().join("calibration.json"));
    let json = serde_json::to_string_pretty(&calibration).expect("a calibration serializes");
    results::write_atomic(&out, json.as_bytes())?;
    print!("{}", report::render(&calibration));
    println!("\ncalibration: {}", out.display());
    if let Some(dir) = &args.write_noise {
        let written = floor::write_noise(dir, &calibration, unchanged.first())?;
        for (path, n) in &written.files {
            println!("noise floor: {} ({n} metrics)", path.display());
        }
        for id in &written.unmatched {
            println!("noise floor: {id} is in no baseline file (not written)");
        }
        for (id, cv) in &written.refused {
            println!(
                "noise floor: {id} not written: its instruction counts vary by {:.2}% between \
                 unchanged runs, so the runs measured different code (were they all built \
                 from this tree?)",
                cv * 100.0
            );
        }
    }
    let all_met = calibration
        .metrics
        .iter()
        .all(|m| report::status(m, &calibration) == "meets the goal");
    Ok(if all_met { 0 } else { 1 })
}

/// Builds the bench once, then runs its binary `runs` times unchanged and, with an injected
/// slowdown, `runs` times more, alternating so that a drift of the machine during the
/// calibration spreads over both sides instead of looking like (or hiding) the slowdown.
fn measure(args: &CalibrateArgs) -> Result<(Vec<Run>, Vec<Run>), CalibrateError> {
    let name = args.bench.clone().unwrap_or_default();
    let workdir = std::env::current_dir().map_err(|e| RerunError {
        bench: name.clone(),
        what: format!("no current directory: {e}"),
    })?;
    let mut cmd = match &args.binary {
        Some(binary) => BenchCommand {
            name: name.clone(),
            binary: binary.clone(),
            workdir,
            args: Vec::new(),
            profile: args.profile,
            instructions: None,
        },
        None => rerun::build_benches(&workdir, std::slice::from_ref(&name), None)?
            .pop()
            .expect("one command per bench built"),
    };
    cmd.args = args.bench_args.clone();
    cmd.profile = args.profile;
    cmd.instructions = args.instructions.clone();
    let keep = args
        .keep
        .clone()
        .unwrap_or_else(|| results::results_dir().join("calibration").join(&name));
    let (mut unchanged, mut injected) = (Vec::new(), Vec::new());
    for i in 0..args.runs {
        let mut sides = vec![None];
        if args.inject_slowdown.is_some() {
            sides.push(args.inject_slowdown);
        }
        for slowdown in sides {
            let label = if slowdown.is_some() {
                "injected"
            } else {
                "unchanged"
            };
            let raw = keep.join("raw").join(format!("{label}-{i:03}"));
            let started = std::time::Instant::now();
            let run = cmd.run_once(&raw, slowdown)?;
            let path = calibrate::keep_run(&keep, slowdown.is_some(), i, &run)?;
            eprintln!(
                "calibrate: {name} {label} run {}/{} in {:.1}s: {}",
                i + 1,
                args.runs,
                started.elapsed().as_secs_f64(),
                path.display()
            );
            if slowdown.is_some() {
                injected.push(run);
            } else {
                unchanged.push(run);
            }
        }
    }
    Ok((unchanged, injected))
}
