//! The pure rules of talking to GitHub (Link headers, repository names, the comment limit,
//! rate-limit headers) and the command line the comment workflow uses.

use std::path::PathBuf;

use perfwarden::commands::comment::CommentArgs;
use perfwarden::github::{self, MARKER, MAX_COMMENT_CHARS, Repo};

use super::REPORT;

#[test]
fn link_headers_repos_and_long_bodies() {
    assert_eq!(
        github::next_link(
            "<https://api.github.com/x?page=1>; rel=\"prev\", <https://api.github.com/x?page=3>; rel=\"next\""
        )
        .as_deref(),
        Some("https://api.github.com/x?page=3")
    );
    assert_eq!(
        github::next_link("<https://api.github.com/x?page=5>; rel=\"last\""),
        None
    );
    assert_eq!(
        "a-b_c.d/e.f".parse::<Repo>().unwrap().to_string(),
        "a-b_c.d/e.f"
    );
    for bad in ["", "a", "a/", "/b", "a/b/c", "a b/c", "../b", "a/.."] {
        assert!(bad.parse::<Repo>().is_err(), "{bad:?} accepted");
    }

    let long = format!("{MARKER}\n{}", "| row | 1 |\n".repeat(10_000));
    let fitted = github::fit_comment(&long);
    assert!(fitted.chars().count() <= MAX_COMMENT_CHARS);
    assert!(fitted.starts_with(MARKER));
    assert!(fitted.ends_with("the full report is in the workflow run's artifact._\n"));
    assert!(
        fitted.contains("| row | 1 |\n\n_perfwarden:"),
        "cut inside a line"
    );
    assert_eq!(github::fit_comment(REPORT), REPORT);
}

#[test]
fn which_responses_are_rate_limits() {
    use ureq::http::StatusCode;
    use ureq::http::header::{HeaderMap, HeaderValue};
    let headers = |pairs: &[(&'static str, &'static str)]| {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    };
    let now = 1_000_000;
    let wait = |status, h: &HeaderMap, msg| {
        github::rate_limit(status, h, msg, now).map(|l| l.wait.as_secs())
    };
    let forbidden = StatusCode::FORBIDDEN;
    // A plain 403 is a permission problem: never waited for.
    assert_eq!(
        wait(
            forbidden,
            &headers(&[]),
            "Resource not accessible by integration"
        ),
        None
    );
    // retry-after comes first, then the primary limit's reset time.
    let both = headers(&[
        ("retry-after", "7"),
        ("x-ratelimit-remaining", "0"),
        ("x-ratelimit-reset", "1000100"),
    ]);
    assert_eq!(wait(forbidden, &both, ""), Some(7));
    let primary = headers(&[
        ("x-ratelimit-remaining", "0"),
        ("x-ratelimit-reset", "1000100"),
    ]);
    assert_eq!(wait(forbidden, &primary, ""), Some(100));
    // A reset already past still waits a second (clocks differ).
    let past = headers(&[
        ("x-ratelimit-remaining", "0"),
        ("x-ratelimit-reset", "999000"),
    ]);
    assert_eq!(wait(StatusCode::TOO_MANY_REQUESTS, &past, ""), Some(1));
    // Remaining requests left and no retry-after: not a rate limit.
    let left = headers(&[("x-ratelimit-remaining", "12")]);
    assert_eq!(wait(forbidden, &left, "Must have admin rights"), None);
    // A secondary limit without headers, or any bare 429: a minute, as GitHub asks.
    assert_eq!(
        wait(
            forbidden,
            &headers(&[]),
            "You have exceeded a secondary rate limit"
        ),
        Some(60)
    );
    assert_eq!(
        wait(StatusCode::TOO_MANY_REQUESTS, &headers(&[]), ""),
        Some(60)
    );
    assert_eq!(wait(StatusCode::NOT_FOUND, &primary, ""), None);
    let limit = github::rate_limit(forbidden, &primary, "", now).unwrap();
    assert_eq!(limit.describe_reset(), "at 1970-01-12T13:48:20Z (in 100 s)");
}

#[test]
fn the_comment_command_line() {
    use clap::Parser;
    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: CommentArgs,
    }
    let cli = Cli::try_parse_from([
        "perfwarden",
        "--repo",
        "octo/perf",
        "--pr",
        "7",
        "--body",
        "target/perfwarden-report/report.md",
        "--api-url",
        "http://127.0.0.1:8080",
        "--author",
        "github-actions[bot]",
    ])
    .unwrap();
    assert_eq!(cli.args.repo, "octo/perf");
    assert_eq!(cli.args.pr, 7);
    assert_eq!(
        cli.args.body,
        PathBuf::from("target/perfwarden-report/report.md")
    );
    assert_eq!(cli.args.api_url, "http://127.0.0.1:8080");
    assert_eq!(cli.args.author.as_deref(), Some("github-actions[bot]"));
    assert_eq!(cli.args.max_wait_secs, 60);
    for bad in [&["--pr", "0"][..], &["--pr", "x"], &["--pr", "-3"]] {
        let mut argv = vec!["perfwarden", "--repo", "o/r", "--body", "r.md"];
        argv.extend_from_slice(bad);
        assert!(Cli::try_parse_from(argv).is_err(), "{bad:?} accepted");
    }
}
