//! Flags on code that is the baseline's. When nothing that builds or runs the benches changed
//! since the baseline's commit (a pull request of documentation, or the commit that brought
//! the baselines themselves), the two sides would run the same source: whatever the first
//! pass flagged is the machine's doing, and re-measuring it could only confirm the machine
//! (a third of a check's time, and a chance of confirming noise). Such a flag gets status
//! [`Status::Unchanged`] and does not fail; a broken budget still does, a budget being the
//! code's own limit. Pure: the paths come from git through [`crate::confirm`].
//!
//! Only paths no bench can read count as unchanged: the committed baselines, `docs/`, and
//! Markdown at the top of the repository. A fixture, a script, the lockfile, the config or a
//! workflow is code here (each can change what the suites measure).

use super::confirmation::{Confirmation, MetricConfirmation, Status};
use super::verdict::Comparison;

/// The paths [`inert`] allows, as the reports and logs name them.
pub(crate) const INERT: &str = "baselines/, docs/ or top-level Markdown";

/// Whether `path` (relative to the repository's root, `/`-separated) builds and runs nothing.
pub(crate) fn inert(path: &str) -> bool {
    let top_markdown = !path.contains('/') && path.ends_with(".md");
    top_markdown || path.starts_with("baselines/") || path.starts_with("docs/")
}

/// The first of `changed` that is code, if any: why the shortcut does not apply.
pub(crate) fn first_code_path(changed: &[String]) -> Option<&str> {
    changed.iter().map(String::as_str).find(|p| !inert(p))
}

/// Every metric the gate flagged (and those it would re-measure), as unchanged against
/// `commit`. Fold it in with [`super::confirmation::apply_unchanged`].
pub(crate) fn confirmation(comparison: &Comparison, commit: &str, profile: &str) -> Confirmation {
    let suspects = super::drift::suspects(comparison);
    let metrics = suspects
        .into_iter()
        .map(|id| {
            let entry = MetricConfirmation {
                bench: None,
                status: Status::Unchanged,
                paired: None,
            };
            (id, entry)
        })
        .collect();
    Confirmation {
        baseline_commit: Some(commit.to_string()),
        rounds: 0,
        profile: profile.to_string(),
        metrics,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::confirmation::{self, Status};
    use crate::gate::{Config, Verdict, compare};
    use crate::results::{Direction, Environment, Metric, Run, Unit};

    fn run(values: &[(&str, f64)]) -> Run {
        let mut r = Run::new(Environment::detect(crate::profile::Profile::Smoke));
        for (bench, v) in values {
            let m = Metric::new(
                "s",
                *bench,
                "time",
                Unit::Milliseconds,
                Direction::LowerIsBetter,
                *v,
            );
            r.metrics.push(m);
        }
        r
    }

    #[test]
    fn flags_on_the_baselines_code_do_not_fail_but_a_broken_budget_does() {
        let cfg = Config::from_toml("[[gate.budgets]]\nmatch = \"s/b/time\"\nmax = 120\n").unwrap();
        let base = run(&[("a", 100.0), ("b", 100.0), ("c", 100.0)]);
        let cur = run(&[("a", 150.0), ("b", 130.0), ("c", 101.0)]);
        let mut c = compare(&base, &cur, &cfg).unwrap();
        assert_eq!(c.totals.failing, 2);
        confirmation::apply_unchanged(&mut c, "abc", "pr").unwrap();
        let m = |id: &str| c.metrics.iter().find(|m| m.id == id).unwrap();
        let a = m("s/a/time");
        assert_eq!((a.verdict, a.fails), (Verdict::Critical, false));
        assert_eq!(a.confirmation.as_ref().unwrap().status, Status::Unchanged);
        assert!(m("s/b/time").fails, "a budget is the code's own limit");
        assert!(m("s/c/time").confirmation.is_none());
        assert_eq!(c.totals.failing, 1);
        let text = crate::report::markdown::render(&c);
        assert!(
            text.contains("the baseline's: nothing that builds"),
            "{text}"
        );
        assert!(
            text.contains("unchanged: the code is the baseline's"),
            "{text}"
        );
    }

    #[test]
    fn another_jobs_word_that_the_code_is_unchanged_is_not_believed() {
        let base = run(&[("a", 100.0)]);
        let mut c = compare(&base, &run(&[("a", 150.0)]), &Config::default()).unwrap();
        let said = confirmation(&c, "abc", "pr");
        confirmation::apply(&mut c, said).unwrap();
        let a = &c.metrics[0];
        assert!(a.fails);
        let status = &a.confirmation.as_ref().unwrap().status;
        assert!(
            matches!(status, Status::Unconfirmed { reason } if reason.contains("not verified")),
            "{status:?}"
        );
    }

    #[test]
    fn only_baselines_docs_and_top_level_markdown_are_inert() {
        for p in [
            "README.md",
            "baselines/linux-x86_64-2core/redis_cache.json",
            "docs/walks.md",
        ] {
            assert!(inert(p), "{p}");
        }
        for p in [
            "crates/perfwarden-harness/README.md",
            "Cargo.lock",
            "perfwarden.toml",
            "fixtures/collections.json",
            "scripts/setup.sh",
            ".github/workflows/perf-pr.yml",
            "docsy/x.rs",
            "README.md.rs",
        ] {
            assert!(!inert(p), "{p}");
        }
        let changed = vec!["docs/a.md".to_string(), "Cargo.lock".into(), "src/x".into()];
        assert_eq!(first_code_path(&changed), Some("Cargo.lock"));
        assert_eq!(first_code_path(&changed[..1]), None);
    }
}
