//! The commands as the CLI will run them: parsed from argv by clap, then `run`.

use std::path::Path;

use clap::Parser;
use perfwarden::commands::{baseline, export, import, merge};
use perfwarden::results::{self, export as formats, read_run};

/// The same shape as the `perfwarden` CLI's subcommands for these commands.
#[derive(Parser)]
#[command(name = "perfwarden")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(clap::Subcommand)]
enum Cmd {
    Baseline(baseline::BaselineArgs),
    Export(export::ExportArgs),
    Merge(merge::MergeArgs),
    Import(import::ImportArgs),
}

/// Runs a command line; `Ok` only with exit code 0, which is all these commands return.
fn run(args: &[&str]) -> Result<(), perfwarden::Error> {
    let cli = Cli::try_parse_from(std::iter::once("perfwarden").chain(args.iter().copied()))
        .unwrap_or_else(|e| panic!("{args:?}: {e}"));
    let code = match &cli.cmd {
        Cmd::Baseline(a) => baseline::run(a),
        Cmd::Export(a) => export::run(a),
        Cmd::Merge(a) => merge::run(a),
        Cmd::Import(a) => import::run(a),
    }?;
    assert_eq!(code, 0);
    Ok(())
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn import_then_baseline_update() {
    let tmp = tempfile::tempdir().unwrap();
    let good = crate::results::fixtures().join("criterion/good");
    let out = tmp.path().join("results/criterion.json");
    run(&[
        "import",
        "criterion",
        "--criterion-dir",
        s(&good),
        "--out",
        s(&out),
        "--profile",
        "smoke",
        "--suite",
        "micro",
    ])
    .unwrap();
    let imported = read_run(&out).unwrap();
    assert_eq!(imported.metrics.len(), 16);
    assert_eq!(imported.environment.profile, "smoke");
    assert!(imported.metrics.iter().any(|m| m.suite == "micro"));

    let baselines = tmp.path().join("baselines");
    run(&[
        "baseline",
        "update",
        "--current",
        s(out.parent().unwrap()),
        "--baselines",
        s(&baselines),
    ])
    .unwrap();
    let class = baselines.join(&imported.environment.machine_class);
    let back = results::read_run_set(&class).unwrap();
    assert_eq!(back.metrics.len(), 16);
    let mut files: Vec<String> = std::fs::read_dir(&class)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files, ["group.json", "micro.json", "thr.json"]);
}

#[test]
fn export_each_format_to_a_file() {
    let tmp = tempfile::tempdir().unwrap();
    let full = crate::results::fixtures().join("results/full.json");
    let run_ = read_run(&full).unwrap();
    let (smaller, bigger) = formats::github_action_benchmark(&run_);
    for (format, expected) in [
        ("bencher", formats::bencher(&run_)),
        ("gab-smaller", smaller),
        ("gab-bigger", bigger),
    ] {
        let out = tmp.path().join(format!("{format}.json"));
        run(&[
            "export",
            "--format",
            format,
            "--current",
            s(&full),
            "--out",
            s(&out),
        ])
        .unwrap();
        assert_eq!(std::fs::read_to_string(&out).unwrap(), expected, "{format}");
    }
    let bad = crate::results::fixtures().join("malformed/nan-token.json");
    let e = run(&["export", "--format", "bencher", "--current", s(&bad)]).unwrap_err();
    assert!(e.is_bad_input(), "{e}");
    assert!(Cli::try_parse_from(["perfwarden", "export", "--format", "xml"]).is_err());
}

#[test]
fn merge_two_machines_and_name_the_file_that_does_not_fit() {
    let tmp = tempfile::tempdir().unwrap();
    let full = crate::results::fixtures().join("results/full.json");
    let out = tmp.path().join("merged.json");
    run(&["merge", s(&full), s(&full), "--out", s(&out)]).unwrap();
    let merged = read_run(&out).unwrap();
    assert_eq!(merged.machines, 2);
    let one = read_run(&full).unwrap();
    let ops = |r: &results::Run| {
        r.metrics
            .iter()
            .find(|m| m.metric == "throughput")
            .unwrap()
            .value
    };
    assert_eq!(ops(&merged), 2.0 * ops(&one));

    let other = tmp.path().join("other.json");
    let mut laptop = one.clone();
    laptop.environment.machine_class = "laptop".into();
    laptop.write(&other).unwrap();
    let e = run(&["merge", s(&full), s(&other), "--out", s(&out)]).unwrap_err();
    assert!(e.is_bad_input());
    assert!(
        e.to_string().starts_with(&format!(
            "{}: cannot merge: run 1: machine class",
            other.display()
        )),
        "{e}"
    );
    // The failed merge left the earlier output alone.
    assert_eq!(read_run(&out).unwrap(), merged);
    assert!(Cli::try_parse_from(["perfwarden", "merge", "--out", "x.json"]).is_err());
}

#[test]
fn defaults_are_the_documented_ones() {
    let cli = Cli::try_parse_from(["perfwarden", "baseline", "update"]).unwrap();
    let Cmd::Baseline(b) = cli.cmd else { panic!() };
    let baseline::BaselineAction::Update(u) = b.action;
    assert_eq!(u.current, results::results_dir());
    assert_eq!(u.baselines, Path::new("baselines"));
    assert!(!u.force);
    let cli =
        Cli::try_parse_from(["perfwarden", "import", "criterion", "--profile", "nightly"]).unwrap();
    let Cmd::Import(i) = cli.cmd else { panic!() };
    let import::ImportSource::Criterion(c) = i.source;
    assert_eq!(
        c.criterion_dir,
        perfwarden::commands::default_criterion_dir()
    );
    assert_eq!(c.out, results::results_dir().join("criterion.json"));
    assert_eq!(c.suite, "criterion");
}
