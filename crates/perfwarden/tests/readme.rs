//! README.md's command and environment variable tables are the ones generated from code
//! (`perfwarden::commands::reference`), and that code lists every variable the workspace reads.
//! `PERFWARDEN_BLESS=1` rewrites the README's tables instead of failing.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use clap::CommandFactory;
use perfwarden::cli::Cli;
use perfwarden::commands::reference::{VARIABLES, commands_table, variables_table};

/// Names that look like variables but are not for users: a constant's name, the tests' own
/// child-process switches, a prefix, and one a script sets for nobody.
const NOT_VARIABLES: &[&str] = &[
    "PERFWARDEN_SEES",
    "PERFWARDEN_TEST_ATOMIC_CHILD_DIR",
    "PERFWARDEN_TEST_S3_SDK_CHILD",
    "PERFWARDEN_ORPHAN_HELPER",
    // The prefix of PERFWARDEN_MINIO_IMAGE and PERFWARDEN_MINIO_TAG.
    "PERFWARDEN_MINIO",
    // scripts/load-workers-docker.sh sets it; nothing in the workspace reads it.
    "PERFWARDEN_PROGRESS",
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn readme_tables_are_the_generated_ones() {
    let path = root().join("README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let mut updated = readme.clone();
    let mut wrong = Vec::new();
    for (marker, table) in [
        ("commands", commands_table()),
        ("variables", variables_table()),
    ] {
        let (start, end) = section(&updated, marker);
        if updated[start..end] != table {
            updated.replace_range(start..end, &table);
            wrong.push(format!(
                "README.md: the {marker} table between <!-- {marker}:begin --> and \
                 <!-- {marker}:end --> should be:\n{table}"
            ));
        }
    }
    if wrong.is_empty() {
        return;
    }
    if std::env::var("PERFWARDEN_BLESS").is_ok_and(|v| v == "1") {
        std::fs::write(&path, updated).unwrap();
        return;
    }
    panic!(
        "{}\n(or run with PERFWARDEN_BLESS=1 to rewrite them)",
        wrong.join("\n")
    );
}

/// The byte range between a marker pair's lines.
fn section(readme: &str, marker: &str) -> (usize, usize) {
    let begin = format!("<!-- {marker}:begin -->\n");
    let end = format!("<!-- {marker}:end -->");
    let start = readme
        .find(&begin)
        .unwrap_or_else(|| panic!("README.md has no {begin:?} line"))
        + begin.len();
    let stop = start
        + readme[start..]
            .find(&end)
            .unwrap_or_else(|| panic!("README.md has no {end:?} after {begin:?}"));
    (start, stop)
}

#[test]
fn every_variable_in_the_workspace_is_listed() {
    let listed: BTreeSet<&str> = VARIABLES.iter().map(|(name, _)| *name).collect();
    assert_eq!(listed.len(), VARIABLES.len(), "a variable is listed twice");
    let own = [
        root().join("crates/perfwarden/src/commands/reference.rs"),
        root().join("crates/perfwarden/tests/readme.rs"),
    ];
    let mut found = BTreeSet::new();
    for dir in ["crates", "scripts", ".github", "deploy"] {
        for file in files(&root().join(dir)) {
            if own.iter().any(|o| same(o, &file)) {
                continue;
            }
            if let Ok(text) = std::fs::read_to_string(&file) {
                found.extend(names(&text));
            }
        }
    }
    let missing: Vec<_> = found
        .iter()
        .filter(|n| !listed.contains(n.as_str()) && !NOT_VARIABLES.contains(&n.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "not in perfwarden::commands::reference::VARIABLES: {missing:?}"
    );
}

#[test]
fn every_variable_an_option_reads_is_listed() {
    let mut stack = vec![Cli::command()];
    while let Some(cmd) = stack.pop() {
        for arg in cmd.get_arguments() {
            if let Some(env) = arg.get_env() {
                let env = env.to_str().unwrap();
                assert!(
                    VARIABLES.iter().any(|(name, _)| *name == env),
                    "{env} (perfwarden {} --{}) is not in VARIABLES",
                    cmd.get_name(),
                    arg.get_id()
                );
            }
        }
        stack.extend(cmd.get_subcommands().cloned());
    }
}

/// Every `PERFWARDEN_*` name in a text; a name ending in `_` is a prefix, not a variable.
fn names(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("PERFWARDEN_") {
        let tail = &rest[at..];
        let len = tail
            .find(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
            .unwrap_or(tail.len());
        let name = &tail[..len];
        if !name.ends_with('_') {
            out.push(name.to_string());
        }
        rest = &tail[len..];
    }
    out
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push(path);
        }
    }
    out
}

fn same(a: &Path, b: &Path) -> bool {
    a.canonicalize().ok() == b.canonicalize().ok()
}
