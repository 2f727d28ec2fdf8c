//! The shell glue of the GitHub workflows (scripts/*.sh), run for real in a scratch copy of
//! the repository: git against a local bare `origin`, and a fake `gh` on PATH that records
//! its calls and answers as GitHub's CLI would.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A scratch repository holding a copy of scripts/, with a bare `origin` and a fake `gh`.
struct Sandbox {
    _dir: tempfile::TempDir,
    root: PathBuf,
    origin: PathBuf,
    bin: PathBuf,
    gh_log: PathBuf,
}

const FAKE_GH: &str = r#"#!/usr/bin/env bash
all="$*"
printf '%s\n' "${all//$'\n'/\\n}" >> "$FAKE_GH_LOG"
case "$1 $2" in
  "api "*) echo "${FAKE_GH_HEAD:-}" ;;
  "pr list" | "issue list") echo "${FAKE_GH_EXISTING:-}" ;;
  "pr create") echo "https://github.com/octo/perf/pull/99" ;;
  "issue create") echo "https://github.com/octo/perf/issues/98" ;;
esac
"#;

const SHA: &str = "0123456789abcdef0123456789abcdef01234567";

fn tools_present() -> bool {
    ["bash", "git", "jq"].iter().all(|t| {
        let ok = Command::new(t).arg("--version").output().is_ok();
        if !ok {
            println!(
                "skipped: {t} is not installed (scripts/setup.d/50-actionlint.sh installs jq)"
            );
        }
        ok
    })
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn sandbox() -> Sandbox {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    let origin = dir.path().join("origin.git");
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(root.join("scripts")).unwrap();
    std::fs::create_dir_all(&bin).unwrap();
    let scripts = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("scripts");
    for entry in std::fs::read_dir(&scripts).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_some_and(|e| e == "sh") {
            std::fs::copy(&p, root.join("scripts").join(p.file_name().unwrap())).unwrap();
        }
    }
    let gh = bin.join("gh");
    std::fs::write(&gh, FAKE_GH).unwrap();
    make_executable(&gh);
    std::fs::write(root.join("README.md"), "perfwarden\n").unwrap();
    git(
        dir.path(),
        &["init", "-q", "--bare", "-b", "main", "origin.git"],
    );
    git(&root, &["init", "-q", "-b", "main"]);
    git(&root, &["add", "."]);
    git(&root, &["commit", "-q", "-m", "initial"]);
    git(
        &root,
        &["remote", "add", "origin", origin.to_str().unwrap()],
    );
    git(&root, &["push", "-q", "origin", "main"]);
    let gh_log = dir.path().join("gh.log");
    Sandbox {
        _dir: dir,
        root,
        origin,
        bin,
        gh_log,
    }
}

fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

impl Sandbox {
    /// Runs `scripts/<script>` with `args` and `env`, GitHub's variables cleared.
    fn run(&self, script: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
        let path = format!("{}:{}", self.bin.display(), std::env::var("PATH").unwrap());
        let mut cmd = Command::new("bash");
        cmd.arg(self.root.join("scripts").join(script))
            .args(args)
            .current_dir(&self.root)
            .env("PATH", path)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("FAKE_GH_LOG", &self.gh_log);
        for var in [
            "GITHUB_ACTIONS",
            "GITHUB_OUTPUT",
            "GITHUB_STEP_SUMMARY",
            "GITHUB_SERVER_URL",
            "GITHUB_REPOSITORY",
            "GITHUB_RUN_ID",
            "GITHUB_SHA",
            "GH_REPO",
            "GH_TOKEN",
            "GITHUB_TOKEN",
            "PERFWARDEN_MACHINE_CLASS",
            "PERFWARDEN_THRESHOLD",
            "PERFWARDEN_ITERATIONS",
            "CARGO_TARGET_DIR",
            "PERFWARDEN_RESULTS_DIR",
            "PERFWARDEN_BASE_SHA",
            "PERFWARDEN_SUITES",
            "PERFWARDEN_INSTRUCTIONS",
            "PERFWARDEN_HISTORY",
            "PERFWARDEN_BIN",
            "RUN_URL",
        ] {
            cmd.env_remove(var);
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    }

    fn gh_calls(&self) -> Vec<String> {
        std::fs::read_to_string(&self.gh_log)
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }

    fn file(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn machine_class_and_argument_checks() {
    if !tools_present() {
        return;
    }
    let s = sandbox();
    let out = s.run(
        "machine-class.sh",
        &[],
        &[("PERFWARDEN_MACHINE_CLASS", "gha-x-4core")],
    );
    assert_eq!(text(&out.stdout), "gha-x-4core\n");
    let out = s.run("machine-class.sh", &[], &[]);
    let class = text(&out.stdout);
    assert!(
        class.ends_with("core\n") && class.starts_with("gha-"),
        "{class}"
    );
    let out = s.run(
        "machine-class.sh",
        &[],
        &[("PERFWARDEN_MACHINE_CLASS", "../x")],
    );
    assert_eq!(out.status.code(), Some(2));

    let out = s.run("run-suites.sh", &["huge"], &[]);
    assert_eq!(out.status.code(), Some(2));
    let out = s.run(
        "run-suites.sh",
        &["pr"],
        &[("PERFWARDEN_ITERATIONS", "3; rm -rf /")],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("is not a positive integer"));
}

#[test]
fn gate_judges_with_the_base_commits_config_and_baselines_never_the_prs() {
    if !tools_present() {
        return;
    }
    let s = sandbox();
    let output = s.file("github_output");
    let out_env = output.to_str().unwrap();
    // The pull request's own tree loosens the gate; the base checkout does not.
    std::fs::write(s.file("perfwarden.toml"), "[gate]\nthreshold = 1000\n").unwrap();
    std::fs::create_dir_all(s.file("base/baselines/gha-x-4core")).unwrap();
    std::fs::write(s.file("base/perfwarden.toml"), "[gate]\nthreshold = 10\n").unwrap();
    let fake = s.file("fake-perfwarden");
    std::fs::write(
        &fake,
        "#!/usr/bin/env bash\n[[ $1 == check ]] && printf '%s\\n' \"$@\" > args.txt\nexit 1\n",
    )
    .unwrap();
    make_executable(&fake);
    let env = [
        ("GITHUB_OUTPUT", out_env),
        ("PERFWARDEN_BIN", fake.to_str().unwrap()),
        ("PERFWARDEN_THRESHOLD", "7.5"),
        ("PERFWARDEN_BASE_SHA", SHA),
        ("GITHUB_REPOSITORY", "octo/perf"),
        ("GITHUB_RUN_ID", "3"),
    ];
    let out = s.run("gate.sh", &["base"], &env);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(std::fs::read_to_string(&output).unwrap(), "status=1\n");
    assert_eq!(
        std::fs::read_to_string(s.file("args.txt")).unwrap(),
        format!(
            "check\n--config\nbase/perfwarden.toml\n--baselines-dir\nbase/baselines\n\
--out-dir\ntarget/perfwarden-report\n--threshold\n7.5\n--base\n{SHA}\n"
        )
    );
    // The fake check wrote no report: the stale one is gone and the PR is told why.
    assert_eq!(
        std::fs::read_to_string(s.file("target/perfwarden-report/report.md")).unwrap(),
        "<!-- perfwarden-report -->\n### perfwarden: the gate could not run (exit status 1)\n\n\
`perfwarden check` wrote no report; its error is in the log of https://github.com/octo/perf/actions/runs/3.\n"
    );
    let out = s.run("gate.sh", &["--strict", "base"], &env);
    assert_eq!(out.status.code(), Some(1));

    // Instruction counts come from the base config unless the workflow names others or none.
    let named = [
        env.as_slice(),
        &[("PERFWARDEN_INSTRUCTIONS", "gate=gate/compare")],
    ]
    .concat();
    s.run("gate.sh", &["base"], &named);
    let args = std::fs::read_to_string(s.file("args.txt")).unwrap();
    assert!(
        args.ends_with("--instructions\ngate=gate/compare\n"),
        "{args}"
    );
    let none = [env.as_slice(), &[("PERFWARDEN_INSTRUCTIONS", "")]].concat();
    s.run("gate.sh", &["base"], &none);
    let args = std::fs::read_to_string(s.file("args.txt")).unwrap();
    assert!(args.ends_with("--no-instructions\n"), "{args}");
    let bad = [env.as_slice(), &[("PERFWARDEN_INSTRUCTIONS", "gate=$(x)")]].concat();
    assert_eq!(s.run("gate.sh", &["base"], &bad).status.code(), Some(2));

    // A base without a config is judged by the built-in defaults, still not the PR's file.
    std::fs::remove_file(s.file("base/perfwarden.toml")).unwrap();
    s.run("gate.sh", &["base"], &env);
    let args = std::fs::read_to_string(s.file("args.txt")).unwrap();
    assert!(
        args.contains("--config\ntarget/perfwarden-report/base-defaults.toml\n"),
        "{args}"
    );
    assert_eq!(
        std::fs::read_to_string(s.file("target/perfwarden-report/base-defaults.toml")).unwrap(),
        ""
    );

    for bad in [
        ("PERFWARDEN_THRESHOLD", "10; echo pwned"),
        ("PERFWARDEN_BASE_SHA", "HEAD~1"),
        ("PERFWARDEN_INSTRUCTIONS", "gate=x;rm -rf ~"),
    ] {
        let out = s.run("gate.sh", &["base"], &[bad]);
        assert_eq!(out.status.code(), Some(2));
    }
}

/// The comment's verdict comes from the results data, judged by perfwarden itself against
/// the base commit's config and baselines: a PR that loosened its own config and wrote its
/// own "passed" report still gets a failing verdict, and nothing it rendered is posted.
#[test]
fn the_trusted_verdict_ignores_what_the_pr_job_rendered() {
    if !tools_present() {
        return;
    }
    let s = sandbox();
    let env_json = r#"{"machine_class":"gha-x-4core","cpu_model":"t","cores":4,"os":"linux","rustc":"r","git_commit":"abc","timestamp":"2026-12-01T00:00:00Z","profile":"pr"}"#;
    let run = |value: f64| {
        format!(
            r#"{{"schema_version":1,"environment":{env_json},"suites":[{{"suite":"demo","status":"passed"}}],"metrics":[{{"suite":"demo","benchmark":"case","metric":"latency","unit":"ms","direction":"lower_is_better","value":{value}}}]}}"#
        )
    };
    std::fs::create_dir_all(s.file("base/baselines/gha-x-4core")).unwrap();
    std::fs::write(s.file("base/baselines/gha-x-4core/demo.json"), run(10.0)).unwrap();
    std::fs::write(s.file("base/perfwarden.toml"), "[gate]\nthreshold = 10\n").unwrap();
    std::fs::create_dir_all(s.file("art/perfwarden")).unwrap();
    std::fs::create_dir_all(s.file("art/perfwarden-report")).unwrap();
    std::fs::write(s.file("art/perfwarden/demo.json"), run(11.5)).unwrap();
    std::fs::write(
        s.file("art/perfwarden-report/report.md"),
        "<!-- perfwarden-report -->\n**perfwarden: passed** @everyone [click](https://evil)\n",
    )
    .unwrap();
    std::fs::write(s.file("perfwarden.toml"), "[gate]\nthreshold = 1000\n").unwrap();
    let output = s.file("github_output");
    let env = [
        ("PERFWARDEN_BIN", env!("CARGO_BIN_EXE_perfwarden")),
        ("GITHUB_OUTPUT", output.to_str().unwrap()),
        ("RUN_URL", "https://github.com/octo/perf/actions/runs/3"),
    ];
    let out = s.run("trusted-verdict.sh", &["art", "base", "trusted"], &env);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(std::fs::read_to_string(&output).unwrap(), "status=1\n");
    let report = std::fs::read_to_string(s.file("trusted/report.md")).unwrap();
    assert!(
        report.contains("**perfwarden: failed, 1 regression**"),
        "{report}"
    );
    assert!(
        !report.contains("evil") && !report.contains("@everyone"),
        "{report}"
    );
    assert!(
        report.contains("[perf-pr run](https://github.com/octo/perf/actions/runs/3)"),
        "{report}"
    );

    // A confirmation the PR job claims is checked against the ratios it carries: "drift"
    // with ratios that are all beyond the threshold is confirmed, and still fails.
    std::fs::write(
        s.file("art/perfwarden-report/confirmation.json"),
        r#"{"baseline_commit":"abc","rounds":3,"profile":"pr","metrics":{"demo/case/latency":{"status":"drift","paired":{"worse_ratios":[1.3,1.3,1.3],"beyond":3,"needed":3,"paired_change":0.3}}}}"#,
    )
    .unwrap();
    std::fs::remove_file(&output).unwrap();
    s.run("trusted-verdict.sh", &["art", "base", "trusted"], &env);
    assert_eq!(std::fs::read_to_string(&output).unwrap(), "status=1\n");
    let report = std::fs::read_to_string(s.file("trusted/report.md")).unwrap();
    assert!(
        report.contains("· confirmed (paired +30%, 3/3 beyond, at least +30% at 95%)"),
        "{report}"
    );

    // A confirmation about a metric the gate did not flag is refused: exit 2, and the
    // comment says the results could not be judged.
    std::fs::write(
        s.file("art/perfwarden-report/confirmation.json"),
        r#"{"baseline_commit":"abc","rounds":1,"metrics":{"demo/case/other":{"status":"unconfirmed","reason":"x"}}}"#,
    )
    .unwrap();
    std::fs::remove_file(&output).unwrap();
    let out = s.run("trusted-verdict.sh", &["art", "base", "trusted"], &env);
    assert_eq!(std::fs::read_to_string(&output).unwrap(), "status=2\n");
    assert!(
        text(&out.stderr).contains("confirmation.json"),
        "{}",
        text(&out.stderr)
    );
    let report = std::fs::read_to_string(s.file("trusted/report.md")).unwrap();
    assert!(report.contains("could not be judged"), "{report}");

    // A symbolic link in the artifact is refused before anything is read.
    std::os::unix::fs::symlink("/etc/passwd", s.file("art/perfwarden/x.json")).unwrap();
    let out = s.run("trusted-verdict.sh", &["art", "base", "trusted"], &env);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_pull_request_that_changes_no_code_is_judged_unchanged_by_the_trusted_side() {
    if !tools_present() {
        return;
    }
    let s = sandbox();
    let measured = git(&s.root, &["rev-parse", "HEAD"]).trim().to_string();
    let run = |value: f64| {
        format!(
            r#"{{"schema_version":1,"environment":{{"machine_class":"c","cpu_model":"t","cores":4,"os":"linux","rustc":"r","git_commit":"{measured}","timestamp":"2026-12-01T00:00:00Z","profile":"pr"}},"suites":[{{"suite":"demo","status":"passed"}}],"metrics":[{{"suite":"demo","benchmark":"case","metric":"latency","unit":"ms","direction":"lower_is_better","value":{value}}}]}}"#
        )
    };
    std::fs::create_dir_all(s.file("base/baselines/c")).unwrap();
    std::fs::write(s.file("base/baselines/c/demo.json"), run(10.0)).unwrap();
    std::fs::create_dir_all(s.file("art/perfwarden-report")).unwrap();
    std::fs::create_dir_all(s.file("art/perfwarden")).unwrap();
    std::fs::write(s.file("art/perfwarden/demo.json"), run(15.0)).unwrap();
    // The PR job says "unchanged" of a code change: the trusted side decides it from git.
    std::fs::write(
        s.file("art/perfwarden-report/confirmation.json"),
        format!(r#"{{"baseline_commit":"{measured}","rounds":0,"profile":"pr","metrics":{{"demo/case/latency":{{"status":"unchanged"}}}}}}"#),
    )
    .unwrap();
    let pr = |path: &str| {
        git(&s.root, &["checkout", "-q", "-B", "pr", &measured]);
        std::fs::create_dir_all(s.file(path).parent().unwrap()).unwrap();
        std::fs::write(s.file(path), "x\n").unwrap();
        git(&s.root, &["add", path]);
        git(&s.root, &["commit", "-q", "-m", path]);
        git(&s.root, &["rev-parse", "HEAD"]).trim().to_string()
    };
    let output = s.file("github_output");
    let judge = |head: &str| {
        let env = [
            ("PERFWARDEN_BIN", env!("CARGO_BIN_EXE_perfwarden")),
            ("GITHUB_OUTPUT", output.to_str().unwrap()),
            ("HEAD_SHA", head),
            ("BASE_SHA", measured.as_str()),
        ];
        let _ = std::fs::remove_file(&output);
        let out = s.run("trusted-verdict.sh", &["art", "base", "trusted"], &env);
        let report = std::fs::read_to_string(s.file("trusted/report.md")).unwrap_or_default();
        let status = std::fs::read_to_string(&output).unwrap_or_default();
        (status, report, text(&out.stderr))
    };
    let (status, report, err) = judge(&pr("docs/notes.md"));
    assert_eq!(status, "status=0\n", "{report}{err}");
    assert!(
        report.contains("unchanged: the code is the baseline's"),
        "{report}"
    );
    let (status, report, err) = judge(&pr("scripts/slow.sh"));
    assert_eq!(status, "status=1\n", "{report}");
    assert!(report.contains("not verified here"), "{report}");
    assert!(
        err.contains("scripts/slow.sh changed since commit"),
        "{err}"
    );
    let (status, _, err) = judge("not-a-sha");
    assert_eq!(status, "", "{err}");
    assert!(
        err.contains("HEAD_SHA='not-a-sha' is not a commit id"),
        "{err}"
    );
}

#[test]
fn the_pr_number_from_an_artifact_is_believed_only_after_checks() {
    if !tools_present() {
        return;
    }
    let s = sandbox();
    let file = s.file("pr-number");
    let output = s.file("github_output");
    let check = |content: &str, prs: &str, head: &str| {
        std::fs::write(&file, content).unwrap();
        let _ = std::fs::remove_file(&output);
        let out = s.run(
            "pr-number.sh",
            &[file.to_str().unwrap()],
            &[
                ("HEAD_SHA", SHA),
                ("GH_REPO", "octo/perf"),
                ("RUN_PRS", prs),
                ("FAKE_GH_HEAD", head),
                ("GITHUB_OUTPUT", output.to_str().unwrap()),
            ],
        );
        let written = std::fs::read_to_string(&output).unwrap_or_default();
        (out.status.code(), written, text(&out.stderr))
    };
    // A fork's run lists no pull request: the head commit decides.
    assert_eq!(check("42\n", "[]", SHA).0, Some(0));
    let ok = format!("number=42\nbase={SHA}\nskip=false\n");
    assert_eq!(check("42\n", "[]", SHA).1, ok);
    // The pull request moved on since: no comment from this stale run.
    assert_eq!(
        check("42\n", "[]", "ffffffffffffffffffffffffffffffffffffffff").1,
        "skip=true\n"
    );
    // A same-repository run lists its pull request, and the artifact must agree.
    let listed = r#"[{"number": 42, "head": {"sha": "x"}}]"#;
    assert_eq!(check("42", listed, SHA).1, ok);
    let (code, written, err) = check("41", listed, SHA);
    assert_eq!((code, written.as_str()), (Some(1), ""));
    assert!(
        err.contains("PR #41 is not among the run's pull requests (42)"),
        "{err}"
    );
    for bad in ["", "0", "-1", "4 2", "42abc", "$(reboot)", "99999999999999"] {
        let (code, written, _) = check(bad, "[]", SHA);
        assert_eq!(
            (code, written.as_str()),
            (Some(1), ""),
            "{bad:?} was believed"
        );
    }
    // Only the valid cases asked GitHub about the pull request (its head, then its base).
    assert_eq!(s.gh_calls().len(), 7);
    assert_eq!(
        s.gh_calls()[0],
        "api repos/octo/perf/pulls/42 --jq .head.sha"
    );
}

#[test]
fn history_lines_are_appended_to_the_history_branch() {
    if !tools_present() {
        return;
    }
    let s = sandbox();
    let new = s.file("line.jsonl");
    let branch_file = |s: &Sandbox| git(&s.origin, &["show", "perfwarden-history:history.jsonl"]);

    std::fs::write(&new, "{\"history_version\":1,\"n\":1}\n").unwrap();
    let out = s.run("history-push.sh", &[new.to_str().unwrap()], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(branch_file(&s), "{\"history_version\":1,\"n\":1}\n");

    std::fs::write(&new, "{\"history_version\":1,\"n\":2}\n").unwrap();
    let env = [("PERFWARDEN_HISTORY_KEEP", "2"), ("GITHUB_RUN_ID", "77")];
    assert!(
        s.run("history-push.sh", &[new.to_str().unwrap()], &env)
            .status
            .success()
    );
    std::fs::write(&new, "{\"history_version\":1,\"n\":3}\n").unwrap();
    assert!(
        s.run("history-push.sh", &[new.to_str().unwrap()], &env)
            .status
            .success()
    );
    assert_eq!(
        branch_file(&s),
        "{\"history_version\":1,\"n\":2}\n{\"history_version\":1,\"n\":3}\n"
    );
    // Each push is a commit on top of the last: the history of the history is kept.
    assert_eq!(
        git(&s.origin, &["rev-list", "--count", "perfwarden-history"]),
        "3\n"
    );
    // The default branch is untouched.
    assert_eq!(git(&s.origin, &["rev-list", "--count", "main"]), "1\n");

    std::fs::write(&new, "not json\n").unwrap();
    let out = s.run("history-push.sh", &[new.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        git(&s.origin, &["rev-list", "--count", "perfwarden-history"]),
        "3\n"
    );
}

#[test]
fn baselines_are_proposed_through_a_pull_request_never_pushed_to_main() {
    if !tools_present() {
        return;
    }
    let s = sandbox();
    let new = s.file("measured");
    std::fs::create_dir_all(&new).unwrap();
    std::fs::write(new.join("redis_cache.json"), "{\"v\":1}\n").unwrap();
    let env = [
        ("GH_TOKEN", "x"),
        ("PERFWARDEN_MACHINE_CLASS", "gha-x-4core"),
        ("BASE_BRANCH", "main"),
        ("GITHUB_SHA", SHA),
        ("GITHUB_REPOSITORY", "octo/perf"),
        ("GITHUB_RUN_ID", "5"),
    ];
    let args = [new.to_str().unwrap(), "baselines/gha-x-4core", "pr"];
    let main_before = git(&s.origin, &["rev-parse", "main"]);
    let out = s.run("propose-baselines.sh", &args, &env);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(git(&s.origin, &["rev-parse", "main"]), main_before);
    let branch = "perfwarden/baselines-pr-gha-x-4core";
    assert_eq!(
        git(
            &s.origin,
            &[
                "show",
                &format!("{branch}:baselines/gha-x-4core/redis_cache.json")
            ]
        ),
        "{\"v\":1}\n"
    );
    let calls = s.gh_calls();
    assert_eq!(
        calls[0],
        format!(
            "pr list --head {branch} --base main --state open --json number --jq .[0].number // empty"
        )
    );
    assert!(
        calls[1].starts_with(&format!(
            "pr create --base main --head {branch} --title perfwarden: refresh pr baselines for gha-x-4core --body Baselines for machine class `gha-x-4core` (pr profile), measured on {SHA} by https://github.com/octo/perf/actions/runs/5."
        )),
        "{}",
        calls[1]
    );

    // Measured again while the pull request is open: the branch moves, the PR is edited.
    std::fs::write(new.join("redis_cache.json"), "{\"v\":2}\n").unwrap();
    git(&s.root, &["switch", "-q", "main"]);
    let mut env2 = env.to_vec();
    env2.push(("FAKE_GH_EXISTING", "17"));
    let out = s.run("propose-baselines.sh", &args, &env2);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        s.gh_calls()[3].starts_with("pr edit 17 --title"),
        "{:?}",
        s.gh_calls()
    );
    assert_eq!(git(&s.origin, &["rev-parse", "main"]), main_before);

    // Nothing changed: no commit, no pull request.
    let calls_before = s.gh_calls().len();
    let out = s.run("propose-baselines.sh", &args, &env2);
    assert!(text(&out.stdout).contains("is unchanged; no pull request"));
    assert_eq!(s.gh_calls().len(), calls_before);

    // Nowhere but under baselines/, and never onto the default branch.
    let out = s.run(
        "propose-baselines.sh",
        &[new.to_str().unwrap(), "src", "pr"],
        &env,
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn a_nightly_regression_opens_an_issue_or_comments_on_the_open_one() {
    if !tools_present() {
        return;
    }
    let s = sandbox();
    let report = s.file("report.md");
    std::fs::write(&report, "<!-- perfwarden-report -->\n### 1 regression\n").unwrap();
    let env = [
        ("GH_REPO", "octo/perf"),
        ("GITHUB_RUN_ID", "9"),
        ("GITHUB_SHA", SHA),
        ("PERFWARDEN_MACHINE_CLASS", "gha-x-4core"),
    ];
    let out = s.run("nightly-issue.sh", &[report.to_str().unwrap()], &env);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let calls = s.gh_calls();
    assert!(calls[0].starts_with("label create perf-regression"));
    assert_eq!(
        calls[1],
        "issue list --state open --label perf-regression --search in:title \"Nightly performance regression\" --json number --jq .[0].number // empty --limit 1"
    );
    assert!(calls[2].starts_with(
        "issue create --title Nightly performance regression --label perf-regression --body-file "
    ));

    let mut env2 = env.to_vec();
    env2.push(("FAKE_GH_EXISTING", "12"));
    assert!(
        s.run("nightly-issue.sh", &[report.to_str().unwrap()], &env2)
            .status
            .success()
    );
    assert!(s.gh_calls()[5].starts_with("issue comment 12 --body-file "));
}

/// scripts/drill.sh end to end, on the gate's own Criterion bench at the smoke profile:
/// a baseline, an unchanged commit checked 5 times (all pass), a real slowdown (fails,
/// confirmed), and the slowdown with a loosened config through scripts/gate.sh (fails).
#[test]
#[ignore = "runs scripts/drill.sh: builds and runs benches for several minutes"]
fn drill() {
    if !tools_present() {
        return;
    }
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    let out = Command::new("bash")
        .arg(root.join("scripts/drill.sh"))
        .current_dir(root)
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    println!("{stdout}");
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(stdout.contains("drill: passed"), "{stdout}");
}
