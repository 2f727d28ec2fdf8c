//! The pure rules of talking to GitHub: names, headers and limits, testable without a server.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use ureq::http::StatusCode;
use ureq::http::header::HeaderMap;

use super::GitHubError;

/// The hidden first line by which perfwarden finds its own comment, and GitHub's limit on a
/// comment body: one definition each, the report's ([`crate::report::markdown`]).
pub use crate::report::markdown::{GITHUB_LIMIT as MAX_COMMENT_CHARS, MARKER};

/// What replaces the end of a report too long for one comment.
const CUT_NOTE: &str = "\n\n_perfwarden: this report was cut to fit GitHub's comment limit; the full report is in the workflow run's artifact._\n";

/// How long a secondary or unexplained rate limit is waited out, as GitHub's documentation
/// asks ("wait for at least one minute").
const DEFAULT_RATE_LIMIT_WAIT: Duration = Duration::from_secs(60);

/// A repository, `owner/name`. Both parts are checked against GitHub's alphabet so they can
/// be put into a URL path as they are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Repo {
    pub owner: String,
    pub name: String,
}

impl FromStr for Repo {
    type Err = GitHubError;

    fn from_str(s: &str) -> Result<Repo, GitHubError> {
        let bad = || GitHubError::BadRepo {
            input: s.to_string(),
        };
        let (owner, name) = s.trim().split_once('/').ok_or_else(bad)?;
        let ok = |part: &str| {
            !part.is_empty()
                && part != "."
                && part != ".."
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        };
        if !ok(owner) || !ok(name) {
            return Err(bad());
        }
        Ok(Repo {
            owner: owner.to_string(),
            name: name.to_string(),
        })
    }
}

impl fmt::Display for Repo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

/// True when a comment body is a perfwarden report: its first line is the marker.
pub fn is_marked(body: &str) -> bool {
    body.trim_start()
        .lines()
        .next()
        .is_some_and(|first| first.trim_end() == MARKER)
}

/// The body with the marker as its first line, added when missing, so that a report from
/// any source can be found and updated next time.
pub fn with_marker(body: &str) -> Cow<'_, str> {
    if is_marked(body) {
        Cow::Borrowed(body)
    } else {
        Cow::Owned(format!("{MARKER}\n{body}"))
    }
}

/// The body cut at a line boundary, with a note, when it is over GitHub's limit.
pub fn fit_comment(body: &str) -> Cow<'_, str> {
    if body.chars().count() <= MAX_COMMENT_CHARS {
        return Cow::Borrowed(body);
    }
    let budget = MAX_COMMENT_CHARS - CUT_NOTE.chars().count();
    let cut = body
        .char_indices()
        .nth(budget)
        .map_or(body.len(), |(i, _)| i);
    let head = &body[..cut];
    let head = match head.rfind('\n') {
        Some(i) if i > 0 => &head[..i],
        _ => head,
    };
    Cow::Owned(format!("{head}{CUT_NOTE}"))
}

/// The `rel="next"` target of a `Link` header, as GitHub paginates:
/// `<https://api.github.com/...&page=2>; rel="next", <...&page=5>; rel="last"`.
pub fn next_link(header: &str) -> Option<String> {
    let mut rest = header;
    while let Some(open) = rest.find('<') {
        let close = open + rest[open..].find('>')?;
        let target = &rest[open + 1..close];
        let params_end = rest[close..].find('<').map_or(rest.len(), |i| close + i);
        let params = &rest[close + 1..params_end];
        let is_next = params.split(';').any(|p| {
            let p = p.trim().trim_end_matches(',').trim();
            p.strip_prefix("rel=").is_some_and(|v| {
                v.trim_matches('"')
                    .split_ascii_whitespace()
                    .any(|r| r.eq_ignore_ascii_case("next"))
            })
        });
        if is_next {
            return Some(target.to_string());
        }
        rest = &rest[params_end..];
    }
    None
}

/// GitHub's `message` from an error body, on one line and bounded; the raw text otherwise.
pub fn github_message(body: &str) -> String {
    let text = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            let msg = v.get("message")?.as_str()?.to_string();
            let details: Vec<String> = v
                .get("errors")
                .and_then(|e| e.as_array())
                .into_iter()
                .flatten()
                .filter_map(|e| {
                    e.get("message")
                        .and_then(|m| m.as_str())
                        .map(str::to_string)
                        .or_else(|| e.as_str().map(str::to_string))
                })
                .collect();
            Some(if details.is_empty() {
                msg
            } else {
                format!("{msg}: {}", details.join("; "))
            })
        })
        .unwrap_or_else(|| body.to_string());
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.is_empty() {
        return "(no message)".into();
    }
    let mut bounded: String = one_line.chars().take(300).collect();
    if bounded.len() < one_line.len() {
        bounded.push('…');
    }
    bounded
}

/// A rate limit GitHub reported, and how long it asks us to wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    pub wait: Duration,
    /// `x-ratelimit-reset`, in seconds since the Unix epoch, when GitHub sent it.
    pub reset_epoch: Option<u64>,
}

impl RateLimit {
    /// When the limit lifts, for an error message: `at 2026-10-27T02:13:00Z (in 3540 s)`.
    pub fn describe_reset(&self) -> String {
        let secs = self.wait.as_secs();
        match self
            .reset_epoch
            .and_then(|e| chrono::DateTime::from_timestamp(e as i64, 0))
        {
            Some(t) => format!(
                "at {} (in {secs} s)",
                t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ),
            None => format!("in {secs} s"),
        }
    }
}

/// Whether a response is a rate limit, following GitHub's documented order: `retry-after`
/// first, then `x-ratelimit-remaining: 0` with `x-ratelimit-reset`, then a 429 (or a 403
/// whose message says so) without either, which is waited out for a minute. Any other 403
/// is a permission problem, not a rate limit.
pub fn rate_limit(
    status: StatusCode,
    headers: &HeaderMap,
    message: &str,
    now_epoch_secs: u64,
) -> Option<RateLimit> {
    if status != StatusCode::FORBIDDEN && status != StatusCode::TOO_MANY_REQUESTS {
        return None;
    }
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    let reset_epoch = header("x-ratelimit-reset").and_then(|v| v.parse::<u64>().ok());
    if let Some(secs) = header("retry-after").and_then(|v| v.parse::<u64>().ok()) {
        return Some(RateLimit {
            wait: Duration::from_secs(secs),
            reset_epoch,
        });
    }
    if header("x-ratelimit-remaining") == Some("0") {
        // At least a second: the reset time is whole seconds and our clock may lag GitHub's.
        let secs = reset_epoch.map_or(DEFAULT_RATE_LIMIT_WAIT.as_secs(), |reset| {
            reset.saturating_sub(now_epoch_secs).max(1)
        });
        return Some(RateLimit {
            wait: Duration::from_secs(secs),
            reset_epoch,
        });
    }
    if status == StatusCode::TOO_MANY_REQUESTS
        || message.to_ascii_lowercase().contains("rate limit")
    {
        return Some(RateLimit {
            wait: DEFAULT_RATE_LIMIT_WAIT,
            reset_epoch,
        });
    }
    None
}
