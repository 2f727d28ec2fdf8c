//! `perfwarden comment` against a local server that records the requests and answers as
//! GitHub's REST API does: pagination by `Link` headers, 401/403/404/422, rate limits.

mod logs;
mod rules;
mod server;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use perfwarden::commands::comment::{CommentArgs, run_with};
use perfwarden::github::{Client, GitHubError, MARKER, RetryPolicy, Token};
use serde_json::json;
use server::{Recorded, Reply, Server};

/// A token-shaped secret that must never appear in any output.
const SECRET: &str = "ghs_perfwardenTestSecret0123456789abcdef";
const REPORT: &str = "<!-- perfwarden-report -->\n## perfwarden: 1 regression\n\n| a | b |\n";

fn token() -> Token {
    Token::new(SECRET).unwrap()
}

/// A comment as GitHub lists it.
fn comment(id: u64, login: &str, body: &str) -> serde_json::Value {
    json!({
        "id": id,
        "body": body,
        "user": { "login": login, "type": "User" },
        "html_url": format!("https://github.com/octo/perf/pull/7#issuecomment-{id}"),
    })
}

fn page(ids: std::ops::Range<u64>) -> serde_json::Value {
    ids.map(|id| comment(id, "someone", &format!("comment {id}")))
        .collect()
}

fn args(server: &Server, body: PathBuf) -> CommentArgs {
    CommentArgs {
        repo: "octo/perf".into(),
        pr: 7,
        body,
        api_url: server.base.clone(),
        author: None,
        max_wait_secs: 10,
    }
}

fn report_file() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.md");
    std::fs::write(&path, REPORT).unwrap();
    (dir, path)
}

/// Runs `perfwarden comment` and returns its outcome with everything it printed.
fn comment_on(server: &Server, author: Option<&str>) -> (anyhow::Result<i32>, String) {
    let (_dir, path) = report_file();
    let mut a = args(server, path);
    a.author = author.map(str::to_string);
    let mut out = Vec::new();
    let result = run_with(&a, &token(), &mut out);
    (result, String::from_utf8(out).unwrap())
}

/// The method and target of every request, for exact comparison.
fn calls(requests: &[Recorded]) -> Vec<String> {
    requests
        .iter()
        .map(|r| format!("{} {}", r.method, r.target))
        .collect()
}

fn assert_headers(r: &Recorded) {
    assert_eq!(
        r.header("authorization"),
        Some(&*format!("Bearer {SECRET}"))
    );
    assert_eq!(r.header("accept"), Some("application/vnd.github+json"));
    assert_eq!(r.header("x-github-api-version"), Some("2022-11-28"));
    assert!(r.header("user-agent").unwrap().starts_with("perfwarden/"));
}

fn assert_no_secret(texts: &[&str]) {
    for t in texts {
        assert!(!t.contains(SECRET), "the token leaked into: {t}");
    }
}

fn error_text(e: &anyhow::Error) -> (String, String) {
    (format!("{e:#}"), format!("{e:?}"))
}

#[test]
fn updates_the_marked_comment_found_on_the_last_of_three_pages() {
    let server =
        Server::start(|r, _, base| {
            let list = "/repos/octo/perf/issues/7/comments?per_page=100";
            let link = |n: u32| format!("<{base}{list}&page={n}>");
            match (r.method.as_str(), r.target.as_str()) {
            ("GET", t) if t == list => Reply::json(200, page(1..101)).header(
                "link",
                format!("{}; rel=\"next\", {}; rel=\"last\"", link(2), link(3)),
            ),
            ("GET", t) if t == format!("{list}&page=2") => Reply::json(200, page(101..201))
                .header(
                    "link",
                    format!(
                        "{}; rel=\"prev\", {}; rel=\"next\", {}; rel=\"last\", {}; rel=\"first\"",
                        link(1),
                        link(3),
                        link(3),
                        link(1)
                    ),
                ),
            ("GET", t) if t == format!("{list}&page=3") => Reply::json(
                200,
                json!([
                    comment(201, "someone", "looks good"),
                    comment(202, "github-actions[bot]", "<!-- perfwarden-report -->\nold report"),
                    comment(203, "someone", "thanks"),
                ]),
            )
            .header("link", format!("{}; rel=\"prev\", {}; rel=\"first\"", link(2), link(1))),
            ("PATCH", "/repos/octo/perf/issues/comments/202") => {
                let mut c = comment(202, "github-actions[bot]", "");
                c["body"] = r.json()["body"].clone();
                Reply::json(200, c)
            }
            _ => Reply::json(404, json!({"message": "Not Found"})),
        }
        });
    let (result, out) = comment_on(&server, None);
    assert_eq!(result.unwrap(), 0);
    assert_eq!(
        out,
        "perfwarden: updated comment 202 on octo/perf#7: https://github.com/octo/perf/pull/7#issuecomment-202\n"
    );
    let requests = server.requests();
    assert_eq!(
        calls(&requests),
        [
            "GET /repos/octo/perf/issues/7/comments?per_page=100",
            "GET /repos/octo/perf/issues/7/comments?per_page=100&page=2",
            "GET /repos/octo/perf/issues/7/comments?per_page=100&page=3",
            "PATCH /repos/octo/perf/issues/comments/202",
        ]
    );
    requests.iter().for_each(assert_headers);
    assert_eq!(requests[3].json(), json!({ "body": REPORT }));
    assert_no_secret(&[&out]);
}

#[test]
fn creates_a_comment_when_no_comment_is_marked() {
    let server = Server::start(|r, _, _| match r.method.as_str() {
        "GET" => Reply::json(
            200,
            json!([
                comment(1, "someone", "a review"),
                // The marker quoted inside another comment is not perfwarden's comment.
                comment(2, "someone", "> <!-- perfwarden-report -->\n> quoted"),
            ]),
        ),
        "POST" => Reply::json(
            201,
            comment(3, "github-actions[bot]", &r.json()["body"].to_string()),
        ),
        _ => Reply::json(404, json!({"message": "Not Found"})),
    });
    let (result, out) = comment_on(&server, None);
    assert_eq!(result.unwrap(), 0);
    assert_eq!(
        out,
        "perfwarden: created comment 3 on octo/perf#7: https://github.com/octo/perf/pull/7#issuecomment-3\n"
    );
    let requests = server.requests();
    assert_eq!(
        calls(&requests),
        [
            "GET /repos/octo/perf/issues/7/comments?per_page=100",
            "POST /repos/octo/perf/issues/7/comments",
        ]
    );
    requests.iter().for_each(assert_headers);
    assert_eq!(requests[1].header("content-type"), Some("application/json"));
    assert_eq!(requests[1].json(), json!({ "body": REPORT }));
}

#[test]
fn with_an_author_only_that_authors_marked_comment_is_updated() {
    let server = Server::start(|r, _, _| match r.method.as_str() {
        "GET" => Reply::json(
            200,
            json!([
                comment(10, "mallory", "<!-- perfwarden-report -->\nfake report"),
                comment(11, "github-actions[bot]", "<!-- perfwarden-report -->\nold"),
            ]),
        ),
        "PATCH" => Reply::json(200, comment(11, "github-actions[bot]", "")),
        _ => Reply::json(404, json!({"message": "Not Found"})),
    });
    let (result, _) = comment_on(&server, Some("github-actions[bot]"));
    assert_eq!(result.unwrap(), 0);
    assert_eq!(
        calls(&server.requests())[1],
        "PATCH /repos/octo/perf/issues/comments/11"
    );
}

#[test]
fn an_identical_comment_is_left_alone() {
    let server = Server::start(|_, _, _| {
        Reply::json(200, json!([comment(5, "github-actions[bot]", REPORT)]))
    });
    let (result, out) = comment_on(&server, None);
    assert_eq!(result.unwrap(), 0);
    assert!(
        out.starts_with("perfwarden: left unchanged comment 5 on octo/perf#7"),
        "{out}"
    );
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn a_report_without_the_marker_gets_it_added() {
    let server = Server::start(|r, _, _| match r.method.as_str() {
        "GET" => Reply::json(200, json!([])),
        _ => Reply::json(201, comment(1, "github-actions[bot]", "")),
    });
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.md");
    std::fs::write(&path, "plain report\n").unwrap();
    let mut out = Vec::new();
    run_with(&args(&server, path), &token(), &mut out).unwrap();
    assert_eq!(
        server.requests()[1].json(),
        json!({ "body": format!("{MARKER}\nplain report\n") })
    );
}

#[test]
fn forbidden_gives_one_line_naming_the_repo_and_the_fork_case() {
    let server = Server::start(|r, _, _| match r.method.as_str() {
        "GET" => Reply::json(200, json!([])),
        _ => Reply::json(
            403,
            json!({"message": "Resource not accessible by integration", "documentation_url": "https://docs.github.com/rest"}),
        ),
    });
    let (result, out) = comment_on(&server, None);
    let (line, debug) = error_text(&result.unwrap_err());
    assert_eq!(
        line,
        "GitHub refused (403): the token cannot write comments on octo/perf#7; on pull requests from forks the comment is posted by the comment workflow"
    );
    assert_no_secret(&[&line, &debug, &out]);
    // A permission error is not retried.
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn not_found_names_the_pull_request() {
    let server = Server::start(|_, _, _| Reply::json(404, json!({"message": "Not Found"})));
    let (result, _) = comment_on(&server, None);
    let (line, debug) = error_text(&result.unwrap_err());
    assert_eq!(
        line,
        "GitHub answered 404 for GET /repos/octo/perf/issues/7/comments?per_page=100: octo/perf#7 does not exist or the token cannot see it"
    );
    assert_no_secret(&[&line, &debug]);
}

#[test]
fn unauthorized_and_unprocessable_are_one_line_each() {
    let server = Server::start(|_, _, _| Reply::json(401, json!({"message": "Bad credentials"})));
    let (result, _) = comment_on(&server, None);
    let (line, debug) = error_text(&result.unwrap_err());
    assert_eq!(
        line,
        "GitHub refused (401) GET /repos/octo/perf/issues/7/comments?per_page=100: the token was not accepted (expired, revoked or mistyped)"
    );
    assert_no_secret(&[&line, &debug]);

    let server = Server::start(|r, _, _| match r.method.as_str() {
        "GET" => Reply::json(200, json!([])),
        _ => Reply::json(
            422,
            json!({"message": "Validation Failed", "errors": [{"resource": "IssueComment", "code": "custom", "field": "body", "message": "body is too long (maximum is 65536 characters)"}]}),
        ),
    });
    let (result, _) = comment_on(&server, None);
    assert_eq!(
        format!("{:#}", result.unwrap_err()),
        "GitHub rejected POST /repos/octo/perf/issues/7/comments (422): Validation Failed: body is too long (maximum is 65536 characters)"
    );
}

#[test]
fn a_primary_rate_limit_is_waited_out_then_the_comment_is_posted() {
    let server = Server::start(|r, i, _| match (i, r.method.as_str()) {
        (0, _) => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs();
            Reply::json(
                403,
                json!({"message": "API rate limit exceeded for installation ID 1."}),
            )
            .header("x-ratelimit-limit", "5000")
            .header("x-ratelimit-remaining", "0")
            .header("x-ratelimit-reset", (now + 1).to_string())
        }
        (_, "GET") => Reply::json(200, json!([])),
        _ => Reply::json(201, comment(9, "github-actions[bot]", "")),
    });
    let start = Instant::now();
    let (result, out) = comment_on(&server, None);
    assert_eq!(result.unwrap(), 0);
    assert!(
        start.elapsed() >= Duration::from_millis(900),
        "did not wait"
    );
    assert!(out.starts_with("perfwarden: created comment 9"));
    assert_eq!(
        calls(&server.requests()),
        [
            "GET /repos/octo/perf/issues/7/comments?per_page=100",
            "GET /repos/octo/perf/issues/7/comments?per_page=100",
            "POST /repos/octo/perf/issues/7/comments",
        ]
    );
}

#[test]
fn a_secondary_rate_limit_honours_retry_after() {
    let server = Server::start(|r, i, _| match (i, r.method.as_str()) {
        (1, _) => Reply::json(
            429,
            json!({"message": "You have exceeded a secondary rate limit."}),
        )
        .header("retry-after", "1"),
        (_, "GET") => Reply::json(200, json!([])),
        _ => Reply::json(201, comment(4, "github-actions[bot]", "")),
    });
    let (result, _) = comment_on(&server, None);
    assert_eq!(result.unwrap(), 0);
    assert_eq!(
        calls(&server.requests())[1..],
        [
            "POST /repos/octo/perf/issues/7/comments",
            "POST /repos/octo/perf/issues/7/comments",
        ]
    );
}

#[test]
fn a_rate_limit_beyond_the_bound_fails_with_the_reset_time() {
    let server = Server::start(|_, _, _| {
        Reply::json(403, json!({"message": "API rate limit exceeded"}))
            .header("x-ratelimit-remaining", "0")
            .header("x-ratelimit-reset", "4102444800")
    });
    let start = Instant::now();
    let (result, _) = comment_on(&server, None);
    let line = format!("{:#}", result.unwrap_err());
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "waited instead of failing"
    );
    assert!(
        line.starts_with(
            "GitHub's rate limit stops GET /repos/octo/perf/issues/7/comments?per_page=100: it resets at 2100-01-01T00:00:00Z (in "
        ),
        "{line}"
    );
    assert!(
        line.ends_with("s), beyond the 10 s this command waits"),
        "{line}"
    );
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn a_server_error_is_retried() {
    let server = Server::start(|r, i, _| match (i, r.method.as_str()) {
        (0, _) => Reply::json(502, json!({"message": "Server Error"})),
        (_, "GET") => Reply::json(200, json!([])),
        _ => Reply::json(201, comment(8, "github-actions[bot]", "")),
    });
    let (result, _) = comment_on(&server, None);
    assert_eq!(result.unwrap(), 0);
    assert_eq!(server.requests().len(), 3);
}

#[test]
fn a_next_link_to_another_host_is_not_followed() {
    let server = Server::start(|_, _, _| {
        Reply::json(200, page(1..3)).header(
            "link",
            "<https://elsewhere.example/repos/octo/perf/issues/7/comments?page=2>; rel=\"next\"",
        )
    });
    let (result, _) = comment_on(&server, None);
    let line = format!("{:#}", result.unwrap_err());
    assert!(line.contains("leaves http://127.0.0.1:"), "{line}");
    assert!(line.contains("the token is not sent there"), "{line}");
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn the_token_is_redacted_from_debug_output() {
    let t = token();
    assert_eq!(format!("{t:?}"), "Token(<redacted>)");
    let client = Client::new("http://127.0.0.1:9", &t, RetryPolicy::default()).unwrap();
    assert_no_secret(&[&format!("{client:?}")]);
    assert!(matches!(Token::new("  "), Err(GitHubError::MissingToken)));
}

#[test]
fn bad_arguments_are_refused_before_any_request() {
    let server = Server::start(|_, _, _| Reply::json(500, json!({})));
    let (_dir, path) = report_file();
    let mut a = args(&server, path.clone());
    a.repo = "octo/perf/../../admin".into();
    let err = run_with(&a, &token(), &mut Vec::new()).unwrap_err();
    assert_eq!(
        format!("{err:#}"),
        "\"octo/perf/../../admin\" is not a repository in owner/name form"
    );
    let mut a = args(&server, path.with_file_name("missing.md"));
    a.repo = "octo/perf".into();
    let err = run_with(&a, &token(), &mut Vec::new()).unwrap_err();
    assert!(
        format!("{err:#}").contains("missing.md: cannot read"),
        "{err:#}"
    );
    assert!(server.requests().is_empty());
}
