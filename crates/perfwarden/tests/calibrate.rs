//! `perfwarden calibrate --runs-from` on runs generated here (a quiet metric, a noisy one, a
//! 15% slowdown), the noise floor written into a baseline; `compare --confirm`'s worktree,
//! alternation and paired decision on a scratch git repository with a tiny bench.

use std::path::Path;
use std::process::Command;

use anyhow::{Result, ensure};
use perfwarden::calibrate::{self, analysis};
use perfwarden::commands::calibrate::{CalibrateArgs, run};
use perfwarden::confirm;
use perfwarden::gate::confirmation::Status;
use perfwarden::gate::{self, Config};
use perfwarden::profile::Profile;
use perfwarden::report::markdown;
use perfwarden::results::{Direction, Environment, Metric, Run, Unit, read_run};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

pub(crate) fn env(commit: Option<&str>) -> Environment {
    Environment {
        machine_class: "test-2core".into(),
        cpu_model: "test".into(),
        cores: 2,
        os: "linux".into(),
        rustc: "rustc".into(),
        git_commit: commit.map(str::to_string),
        timestamp: "2026-11-24T00:00:00Z".into(),
        profile: "smoke".into(),
        services: Default::default(),
    }
}

/// A run of suite `demo`: `quiet` (1% run-to-run noise) and `noisy` (25%), both times in
/// ms, scaled by `factor` (1.15 = a 15% slowdown).
fn demo_run(rng: &mut ChaCha8Rng, factor: f64) -> Run {
    let mut run = Run::new(env(Some("abc")));
    for (name, cv) in [("quiet", 0.01), ("noisy", 0.25)] {
        let v = 100.0 * factor * Normal::new(1.0f64, cv).unwrap().sample(rng).max(0.05);
        run.metrics.push(Metric::new(
            "demo",
            "case",
            name,
            Unit::Milliseconds,
            Direction::LowerIsBetter,
            v,
        ));
    }
    run
}

fn args(runs_from: &Path, out: &Path, config: &Path, noise: Option<&Path>) -> CalibrateArgs {
    CalibrateArgs {
        bench: None,
        runs: 20,
        profile: Profile::Smoke,
        inject_slowdown: Some(0.15),
        write_noise: noise.map(Path::to_path_buf),
        out: Some(out.to_path_buf()),
        runs_from: Some(runs_from.to_path_buf()),
        keep: None,
        binary: None,
        instructions: None,
        config: Some(config.to_path_buf()),
        bench_args: Vec::new(),
    }
}

#[test]
fn calibrate_measures_false_alarms_detection_and_writes_the_noise_floor() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    for i in 0..20 {
        calibrate::keep_run(dir.path(), false, i, &demo_run(&mut rng, 1.0))?;
        calibrate::keep_run(dir.path(), true, i, &demo_run(&mut rng, 1.15))?;
    }
    let config = dir.path().join("perfwarden.toml");
    std::fs::write(&config, "[gate]\nthreshold = 10\nnoise_factor = 3.3\n")?;
    // An existing baseline of the class: the floor goes into it, values untouched.
    let class = dir.path().join("baselines").join("test-2core");
    let mut baseline = demo_run(&mut rng, 1.0);
    baseline.metrics[0].value = 101.0;
    baseline.write(&class.join("demo.json"))?;
    let out = dir.path().join("calibration.json");

    let code = run(&args(dir.path(), &out, &config, Some(&class)))?;
    // The noisy metric cannot meet the goals at 10%: the command says so with exit 1.
    assert_eq!(code, 1);
    let c: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&out)?)?;
    let metric = |name: &str| {
        c["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["id"] == format!("demo/case/{name}"))
            .cloned()
            .unwrap()
    };
    let quiet = metric("quiet");
    assert_eq!(quiet["false_alarms"]["pairs"], 380);
    assert!(
        quiet["false_alarms"]["alarms"].as_u64().unwrap() <= 3,
        "{quiet}"
    );
    assert_eq!(quiet["detections"]["pairs"], 400);
    assert!(
        quiet["detections"]["alarms"].as_u64().unwrap() >= 380,
        "{quiet}"
    );
    assert_eq!(quiet["too_noisy"], false);
    let cv = quiet["spread"]["cv"].as_f64().unwrap();
    assert!((0.005..0.02).contains(&cv), "{cv}");

    let noisy = metric("noisy");
    assert_eq!(noisy["too_noisy"], true);
    let needed = noisy["needed_threshold"].as_f64().unwrap();
    assert!(needed > 0.3, "a 25% CV needs far more than 10%: {needed}");
    // Its floor (3.3 × CV) silences most of the false alarms (not all: the ratio of two
    // values this noisy has a heavier tail than the normal the factor assumes).
    let (raw, floored) = (
        noisy["false_alarms"]["alarms"].as_u64().unwrap(),
        noisy["false_alarms_with_noise"]["alarms"].as_u64().unwrap(),
    );
    assert!(floored * 5 < raw, "{noisy}");

    let written = read_run(&class.join("demo.json"))?;
    let q = written
        .metrics
        .iter()
        .find(|m| m.metric == "quiet")
        .unwrap();
    assert_eq!(q.value, 101.0);
    assert!((q.noise.unwrap() - cv).abs() < 1e-12);
    Ok(())
}

/// Unchanged runs whose instruction counts differ measured different code (a binary cargo
/// reused from another checkout): their spread is not written as a floor, which would widen
/// the counts' 2% threshold past the change it is there to catch.
#[test]
fn instruction_counts_that_vary_get_no_noise_floor() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let count = |v: f64| {
        Metric::new(
            "demo",
            "case",
            "instructions",
            Unit::Count,
            Direction::LowerIsBetter,
            v,
        )
    };
    for i in 0..4 {
        let mut run = Run::new(env(Some("abc")));
        // Every other run measured a binary 12% heavier; the time metric varies as times do.
        run.metrics
            .push(count(if i % 2 == 0 { 333e6 } else { 373e6 }));
        run.metrics.push(demo_metric(100.0 + i as f64));
        calibrate::keep_run(dir.path(), false, i, &run)?;
    }
    let config = dir.path().join("perfwarden.toml");
    std::fs::write(&config, "[gate]\n")?;
    let class = dir.path().join("baselines").join("test-2core");
    let mut baseline = Run::new(env(Some("abc")));
    baseline.metrics.push(count(333e6));
    baseline.metrics.push(demo_metric(100.0));
    baseline.write(&class.join("demo.json"))?;
    let mut a = args(
        dir.path(),
        &dir.path().join("c.json"),
        &config,
        Some(&class),
    );
    a.inject_slowdown = None;

    // Exit 1: the counts' status is not "meets the goal".
    assert_eq!(run(&a)?, 1);
    let written = read_run(&class.join("demo.json"))?;
    let noise = |name: &str| {
        written
            .metrics
            .iter()
            .find(|m| m.metric == name)
            .unwrap()
            .noise
    };
    assert_eq!(noise("instructions"), None);
    assert!(noise("work").is_some_and(|n| n > 0.0));
    Ok(())
}

#[test]
fn too_few_runs_is_bad_input() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    calibrate::keep_run(dir.path(), false, 0, &demo_run(&mut rng, 1.0))?;
    let config = dir.path().join("perfwarden.toml");
    std::fs::write(&config, "[gate]\n")?;
    let err = run(&args(dir.path(), &dir.path().join("c.json"), &config, None)).unwrap_err();
    assert!(err.is_bad_input());
    assert!(err.to_string().contains("at least 2"), "{err}");
    Ok(())
}

#[test]
fn analysis_uses_the_real_gate_rule() -> Result<()> {
    // Identical runs never alarm; a run 30% worse always does.
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let one = demo_run(&mut rng, 1.0);
    let mut worse = one.clone();
    for m in &mut worse.metrics {
        m.value *= 1.3;
    }
    let c = analysis::analyse(
        &[one.clone(), one.clone()],
        &[worse],
        Some(0.3),
        &Config::default(),
    )?;
    for m in &c.metrics {
        assert_eq!((m.false_alarms.alarms, m.false_alarms.pairs), (0, 2));
        assert_eq!(m.detections.unwrap().alarms, 2);
        assert_eq!(m.spread.cv, Some(0.0));
    }
    Ok(())
}

// --- compare --confirm on a scratch repository ---

/// A crate whose bench `demo` writes a results file with metric `demo/case/work` = `work`
/// (deterministic, so the paired decision is exact).
fn scratch_crate(dir: &Path, work: u32) -> Result<()> {
    let bench = r##"fn main() {
    let dir = std::path::PathBuf::from(std::env::var("CARGO_TARGET_DIR").unwrap()).join("perfwarden");
    std::fs::create_dir_all(&dir).unwrap();
    let json = format!(r#"{{"schema_version":1,"environment":{{"machine_class":"test-2core","cpu_model":"t","cores":2,"os":"linux","rustc":"r","timestamp":"2026-11-24T00:00:00Z","profile":"smoke"}},"suites":[{{"suite":"demo","status":"passed"}}],"metrics":[{{"suite":"demo","benchmark":"case","metric":"work","unit":"ms","direction":"lower_is_better","value":{}}}]}}"#, WORK);
    std::fs::write(dir.join("demo.json"), json).unwrap();
}
"##;
    scratch_package(dir, &format!("const WORK: u32 = {work};\n{bench}"))
}

/// A package `scratch` in `dir` with one bench, `demo`, of source `bench`.
pub(crate) fn scratch_package(dir: &Path, bench: &str) -> Result<()> {
    std::fs::create_dir_all(dir.join("benches"))?;
    std::fs::create_dir_all(dir.join("src"))?;
    std::fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"scratch\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[[bench]]\nname = \"demo\"\nharness = false\n\n[workspace]\n",
    )?;
    std::fs::write(dir.join("src/lib.rs"), "")?;
    std::fs::write(dir.join("benches/demo.rs"), bench)?;
    Ok(())
}

/// Makes `repo` a git repository with all its files committed; the commit's id.
pub(crate) fn first_commit(repo: &Path) -> Result<String> {
    git(repo, &["init", "-q"])?;
    git(repo, &["add", "."])?;
    git(repo, &["commit", "-qm", "baseline"])?;
    git(repo, &["rev-parse", "HEAD"])
}

/// A baseline of `demo/case/work` = 100 measured at `commit`, a current run of `current`,
/// and the gate's comparison of the two.
pub(crate) fn demo_comparison(commit: &str, current: f64) -> Result<(Run, Run, gate::Comparison)> {
    let mut baseline = Run::new(env(Some(commit)));
    baseline.metrics.push(demo_metric(100.0));
    let mut now = Run::new(env(Some("new")));
    now.metrics.push(demo_metric(current));
    let comparison = gate::compare(&baseline, &now, &Config::default())?;
    Ok((baseline, now, comparison))
}

/// `confirm`'s options for the scratch repository `repo` in `dir`, three rounds.
pub(crate) fn scratch_options(dir: &Path, repo: &Path) -> Result<confirm::Options> {
    Ok(confirm::Options {
        repo: repo.to_path_buf(),
        rounds: 3,
        benches: Default::default(),
        // Under the target directory, as the default results folder is: the baseline's
        // worktree must not go there (cargo would call the current side fresh). And relative,
        // as that folder is (`target/perfwarden`) when CARGO_TARGET_DIR is not set: the benches
        // run from their own folders, where a relative path names nothing.
        work_dir: relative_to_cwd(&dir.join("target/perfwarden/confirm"))?,
        profile: Profile::Smoke,
        bench_args: Vec::new(),
        instructions: Default::default(),
        target_dir: Some(dir.join("target")),
    })
}

pub(crate) fn git(dir: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .output()?;
    ensure!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

pub(crate) fn demo_metric(value: f64) -> Metric {
    Metric::new(
        "demo",
        "case",
        "work",
        Unit::Milliseconds,
        Direction::LowerIsBetter,
        value,
    )
}

/// `path` (absolute) relative to the current directory, through their common folder.
fn relative_to_cwd(path: &Path) -> Result<std::path::PathBuf> {
    let cwd = std::env::current_dir()?;
    let common = cwd
        .components()
        .zip(path.components())
        .take_while(|(a, b)| a == b)
        .count();
    let mut rel: std::path::PathBuf =
        std::iter::repeat_n("..", cwd.components().count() - common).collect();
    rel.extend(path.components().skip(common));
    ensure!(rel.is_relative());
    Ok(rel)
}

#[test]
fn confirm_tells_a_real_regression_from_drift_and_says_when_it_cannot() -> Result<()> {
    // Beside the test's own folder, so that the relative work folder below names it only
    // from here, not from the benches' folders.
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR"))?;
    let repo = dir.path().join("repo");
    scratch_crate(&repo, 100)?;
    let opts = scratch_options(dir.path(), &repo)?;
    let (mut baseline, current, comparison) = demo_comparison(&first_commit(&repo)?, 150.0)?;
    assert_eq!(comparison.exit_code(), 1);

    // The code did not change: the 50% was the machine. Drift, and drift does not fail.
    let report = confirm::confirm(&comparison, &baseline, &opts, &mut |_| {});
    assert_eq!(report.metrics.len(), 1, "{report:?}");
    let only = &report.metrics["demo/case/work"];
    assert_eq!(only.status, Status::Drift, "{report:?}");
    assert_eq!(
        only.paired.as_ref().unwrap().worse_ratios,
        vec![1.0, 1.0, 1.0]
    );
    let mut judged = comparison.clone();
    gate::confirmation::apply(&mut judged, report).map_err(anyhow::Error::msg)?;
    assert_eq!(judged.exit_code(), 0);

    // The code got 50% worse: confirmed in every round, and it fails.
    scratch_crate(&repo, 150)?;
    git(&repo, &["commit", "-qam", "slower"])?;
    let report = confirm::confirm(&comparison, &baseline, &opts, &mut |_| {});
    assert_eq!(
        report.metrics["demo/case/work"].status,
        Status::Confirmed,
        "{report:?}"
    );
    let mut judged = comparison.clone();
    gate::confirmation::apply(&mut judged, report).map_err(anyhow::Error::msg)?;
    assert_eq!(judged.exit_code(), 1);
    let md = markdown::render(&judged);
    assert!(
        md.contains(
            "**+50%** critical · confirmed (paired +50%, 3/3 beyond, at least +50% at 95%)"
        ),
        "{md}"
    );
    // The baseline's worktree is gone again.
    assert!(!git(&repo, &["worktree", "list"])?.contains("baseline-"));

    // A commit the repository does not have, and none at all: unconfirmed, still failing.
    for commit in [Some("0123456789abcdef0123456789abcdef01234567"), None] {
        baseline.environment.git_commit = commit.map(str::to_string);
        let comparison = gate::compare(&baseline, &current, &Config::default())?;
        let report = confirm::confirm(&comparison, &baseline, &opts, &mut |_| {});
        let Status::Unconfirmed { reason } = &report.metrics["demo/case/work"].status else {
            panic!("{report:?}");
        };
        assert!(
            reason.contains("not in the repository") || reason.contains("names no git commit"),
            "{reason}"
        );
        let mut judged = comparison.clone();
        gate::confirmation::apply(&mut judged, report).map_err(anyhow::Error::msg)?;
        assert_eq!(judged.exit_code(), 1);
    }
    Ok(())
}

#[test]
fn check_calls_flags_on_the_baselines_own_code_the_machines_and_re_measures_a_code_change()
-> Result<()> {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR"))?;
    let repo = dir.path().join("repo");
    scratch_crate(&repo, 150)?;
    // Committed, as a workspace's lockfile is: one made by the build would be a change.
    let lock = Command::new(env!("CARGO"))
        .args(["generate-lockfile", "--offline"])
        .current_dir(&repo)
        .status()?;
    ensure!(lock.success());
    git(&repo, &["init", "-q"])?;
    git(&repo, &["add", "."])?;
    git(&repo, &["commit", "-qm", "measured"])?;
    let measured = git(&repo, &["rev-parse", "HEAD"])?;
    // Its baseline, measured on a faster machine (100 where this one reads 150), comes in
    // the next commit with a README: no code changed since the commit it names.
    let mut baseline = Run::new(env(Some(&measured)));
    baseline.metrics.push(demo_metric(100.0));
    std::fs::create_dir_all(repo.join("baselines/test-2core"))?;
    std::fs::write(
        repo.join("baselines/test-2core/demo.json"),
        baseline.to_json(),
    )?;
    std::fs::write(repo.join("README.md"), "scratch\n")?;
    git(&repo, &["add", "."])?;
    git(&repo, &["commit", "-qm", "baselines"])?;
    let check = || -> Result<(i32, String, String)> {
        let out = Command::new(env!("CARGO_BIN_EXE_perfwarden"))
            .current_dir(&repo)
            .args(["check", "--profile", "smoke", "--print", "none"])
            .env("CARGO_TARGET_DIR", dir.path().join("target"))
            .env("PERFWARDEN_MACHINE_CLASS", "test-2core")
            .env_remove("PERFWARDEN_RESULTS_DIR")
            .env_remove("GITHUB_ACTIONS")
            .output()?;
        let report = dir.path().join("target/perfwarden/report/report.md");
        Ok((
            out.status.code().unwrap_or(-1),
            std::fs::read_to_string(report).unwrap_or_default(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ))
    };
    let (code, report, log) = check()?;
    assert_eq!(code, 0, "{log}\n{report}");
    assert!(log.contains("not re-measured"), "{log}");
    assert!(
        report.contains("unchanged: the code is the baseline's"),
        "{report}"
    );
    assert!(!log.contains("checked out at"), "no baseline build: {log}");

    // The bench's code changes (uncommitted): the flag is re-measured against the commit, and
    // 200 against its 150 is confirmed.
    scratch_crate(&repo, 200)?;
    let (code, report, log) = check()?;
    assert_eq!(code, 1, "{log}\n{report}");
    assert!(
        log.contains("re-measuring: benches/demo.rs changed since commit"),
        "{log}"
    );
    assert!(
        report.contains("confirmed (paired +33.3%, 3/3 beyond"),
        "{report}"
    );
    Ok(())
}
