//! `RUST_LOG` on the `perfwarden` binary: quiet by default, ours and ureq's records (through
//! the `log` bridge) at debug, and the token in neither, not even at trace.

use std::process::Command;

use serde_json::json;

use super::server::{Reply, Server};
use super::{REPORT, SECRET, comment, report_file};

/// Runs `perfwarden comment` against `server` with `RUST_LOG` as given (unset for `None`);
/// returns its exit code, stdout and stderr.
fn comment_with_log(server: &Server, rust_log: Option<&str>) -> (i32, String, String) {
    let (_dir, body) = report_file();
    let mut cmd = Command::new(crate::cli::BIN);
    cmd.args(["comment", "--repo", "octo/perf", "--pr", "7", "--api-url"])
        .arg(&server.base)
        .arg("--body")
        .arg(&body)
        .env("GITHUB_TOKEN", SECRET)
        .env_remove("GH_TOKEN")
        .env_remove("RUST_LOG");
    if let Some(filter) = rust_log {
        cmd.env("RUST_LOG", filter);
    }
    let out = cmd.output().expect("perfwarden runs");
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (
        out.status.code().expect("exited"),
        text(&out.stdout),
        text(&out.stderr),
    )
}

/// A PR without perfwarden's comment: one GET, one POST.
fn github() -> Server {
    Server::start(|r, _, _| match r.method.as_str() {
        "GET" => Reply::json(200, json!([])),
        "POST" => Reply::json(201, comment(3, "github-actions[bot]", REPORT)),
        _ => Reply::json(404, json!({"message": "Not Found"})),
    })
}

#[test]
fn without_rust_log_only_the_outcome_is_printed() {
    let (code, stdout, stderr) = comment_with_log(&github(), None);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.starts_with("perfwarden: created comment 3"),
        "{stdout}"
    );
    assert_eq!(stderr, "");
}

#[test]
fn rust_log_debug_shows_our_requests_and_ureqs_without_the_token() {
    let (code, stdout, stderr) = comment_with_log(&github(), Some("debug"));
    assert_eq!(code, 0, "{stderr}");
    // The outcome line is not a diagnostic: it stays on stdout, alone.
    assert!(
        stdout.starts_with("perfwarden: created comment 3"),
        "{stdout}"
    );
    assert!(
        stderr.contains("DEBUG perfwarden::github: GitHub API"),
        "{stderr}"
    );
    assert!(stderr.contains("status=201 Created"), "{stderr}");
    // ureq speaks through the `log` crate; the bridge names its module as the target.
    assert!(stderr.contains("DEBUG ureq::"), "{stderr}");
    assert!(!stderr.contains(SECRET), "{stderr}");
}

#[test]
fn rust_log_trace_still_keeps_ureqs_unredacted_wire_log_out() {
    let (code, _, stderr) = comment_with_log(&github(), Some("trace"));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("DEBUG ureq::"), "{stderr}");
    assert!(!stderr.contains("TRACE ureq"), "{stderr}");
    assert!(!stderr.contains(SECRET), "{stderr}");
}
