//! The PR comment: the report posted through GitHub's REST API and updated in place.
//!
//! perfwarden finds its own earlier comment by the hidden marker on the report's first line
//! ([`MARKER`]), following the pagination of the comment list, and edits it; otherwise it
//! creates one. A pull request so carries one perfwarden comment that always shows the latest
//! verdict, the way rustc-perf's bot keeps its comment.
//!
//! The token comes from the environment and is never printed: [`Token`]'s `Debug` hides it,
//! the `Authorization` header is marked sensitive, and errors name the endpoint (a method and
//! a path, never a header) with GitHub's own message.
//!
//! The client is blocking (ureq): the command sends a few requests, one after another, and
//! needs no async runtime.
//!
//! The pure parts (repository names, the `Link` header, rate-limit headers, fitting the body
//! into GitHub's limit) live in [`rules`]; this file is the HTTP edge.

mod rules;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Deserialize;
use ureq::config::RedirectAuthHeaders;
use ureq::http::header::{
    ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue, LINK, USER_AGENT,
};
use ureq::http::{self, Method, StatusCode, Uri};

pub use rules::{MARKER, MAX_COMMENT_CHARS, Repo, fit_comment, next_link, rate_limit};
pub(crate) use rules::{github_message, is_marked, with_marker};

/// Where the REST API lives on github.com (GitHub Enterprise Server: `https://HOST/api/v3`).
pub(crate) const DEFAULT_API_URL: &str = "https://api.github.com";
/// Comments per page when listing: GitHub's maximum.
const PER_PAGE: u32 = 100;
/// A bound on pagination, so a server that links pages in a loop cannot hold us forever.
const MAX_PAGES: usize = 200;
/// The most bytes read from one response: a page of 100 comments of 65,536 characters each,
/// four bytes a character at worst, with room for the JSON around them.
const MAX_RESPONSE_BYTES: u64 = 32 * 1024 * 1024;

/// A GitHub token. Its `Debug` output never shows the secret.
#[derive(Clone)]
pub struct Token(String);

impl Token {
    /// Wraps a token; an empty one is [`GitHubError::MissingToken`].
    pub fn new(secret: impl Into<String>) -> Result<Token, GitHubError> {
        let secret = secret.into();
        let secret = secret.trim();
        if secret.is_empty() {
            return Err(GitHubError::MissingToken);
        }
        if HeaderValue::from_str(secret).is_err() {
            return Err(GitHubError::InvalidToken);
        }
        Ok(Token(secret.to_string()))
    }

    /// The token from `GITHUB_TOKEN`, or `GH_TOKEN` as the `gh` CLI reads it.
    pub(crate) fn from_env() -> Result<Token, GitHubError> {
        ["GITHUB_TOKEN", "GH_TOKEN"]
            .iter()
            .filter_map(|var| std::env::var(var).ok())
            .find(|v| !v.trim().is_empty())
            .map(Token::new)
            .unwrap_or(Err(GitHubError::MissingToken))
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum GitHubError {
    #[error(
        "no token: set GITHUB_TOKEN (or GH_TOKEN) to a token that can write pull-request comments"
    )]
    MissingToken,
    #[error("the token in GITHUB_TOKEN is not a valid HTTP header value")]
    InvalidToken,
    #[error("{input:?} is not a repository in owner/name form")]
    BadRepo { input: String },
    #[error("{url:?} is not an http(s) URL of GitHub's REST API")]
    BadApiUrl { url: String },
    #[error(
        "GitHub refused (401) {endpoint}: the token was not accepted (expired, revoked or mistyped)"
    )]
    Unauthorized { endpoint: String },
    #[error(
        "GitHub refused (403): the token cannot {action} comments on {repo}#{pr}; on pull requests from forks the comment is posted by the comment workflow"
    )]
    Forbidden {
        repo: String,
        pr: u64,
        action: &'static str,
    },
    #[error(
        "GitHub answered 404 for {endpoint}: {repo}#{pr} does not exist or the token cannot see it"
    )]
    NotFound {
        endpoint: String,
        repo: String,
        pr: u64,
    },
    #[error("GitHub rejected {endpoint} (422): {message}")]
    Unprocessable { endpoint: String, message: String },
    #[error(
        "GitHub's rate limit stops {endpoint}: it resets {reset}, beyond the {max_wait_secs} s this command waits"
    )]
    RateLimited {
        endpoint: String,
        reset: String,
        max_wait_secs: u64,
    },
    #[error("{endpoint}: GitHub answered {status}: {message}")]
    Status {
        endpoint: String,
        status: u16,
        message: String,
    },
    #[error("{endpoint}: {source}")]
    Request {
        endpoint: String,
        #[source]
        source: ureq::Error,
    },
    #[error("{endpoint}: unexpected response: {what}")]
    BadResponse { endpoint: String, what: String },
    #[error("{endpoint}: the next-page link {link:?} leaves {api}; the token is not sent there")]
    ForeignLink {
        endpoint: String,
        link: String,
        api: String,
    },
}

/// How long to keep trying when GitHub asks us to wait (rate limits) or fails (5xx).
#[derive(Clone, Copy, Debug)]
pub struct RetryPolicy {
    /// The most this command sleeps in total before giving up.
    pub(crate) max_wait: Duration,
    /// Attempts per request, the first included.
    pub(crate) max_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            max_wait: Duration::from_secs(60),
            max_attempts: 4,
        }
    }
}

/// One of perfwarden's comments as GitHub lists it.
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct Comment {
    pub(crate) id: u64,
    #[serde(default)]
    pub(crate) body: Option<String>,
    #[serde(default)]
    pub(crate) html_url: Option<String>,
    #[serde(default)]
    pub(crate) user: Option<User>,
}

#[derive(Clone, Debug, Deserialize)]
pub(crate) struct User {
    pub(crate) login: String,
}

/// What [`Client::upsert_comment`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    Created,
    Updated,
    /// The earlier comment already had this body: nothing was sent.
    Unchanged,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Upserted {
    pub(crate) action: Action,
    pub(crate) id: u64,
    pub(crate) url: Option<String>,
}

/// A REST client for the comment calls, holding the token.
#[derive(Debug)]
pub struct Client {
    http: ureq::Agent,
    /// The API root as given, without a trailing slash: paths are appended to it.
    base: String,
    api: Uri,
    headers: HeaderMap,
    policy: RetryPolicy,
}

/// The request being made, for error messages.
struct Op<'a> {
    repo: &'a Repo,
    pr: u64,
    action: &'static str,
}

impl Client {
    /// A client for the API at `api_url` (no trailing slash needed).
    pub fn new(api_url: &str, token: &Token, policy: RetryPolicy) -> Result<Client, GitHubError> {
        let bad = || GitHubError::BadApiUrl {
            url: api_url.to_string(),
        };
        let base = api_url.trim_end_matches('/').to_string();
        let api = Uri::try_from(base.as_str()).map_err(|_| bad())?;
        if origin(&api).is_none() {
            return Err(bad());
        }
        let mut auth = HeaderValue::from_str(&format!("Bearer {}", token.0))
            .map_err(|_| GitHubError::InvalidToken)?;
        auth.set_sensitive(true);
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, auth);
        headers.insert(
            ACCEPT,
            HeaderValue::from_static("application/vnd.github+json"),
        );
        headers.insert(
            "x-github-api-version",
            HeaderValue::from_static("2022-11-28"),
        );
        headers.insert(
            USER_AGENT,
            HeaderValue::from_static(concat!("perfwarden/", env!("CARGO_PKG_VERSION"))),
        );
        let http = ureq::Agent::config_builder()
            .timeout_connect(Some(Duration::from_secs(10)))
            .timeout_global(Some(Duration::from_secs(30)))
            // Every status comes back as a response: 4xx and 5xx are classified below.
            .http_status_as_error(false)
            // As GitHub redirects a renamed repository: the token follows on the same host.
            .redirect_auth_headers(RedirectAuthHeaders::SameHost)
            .build()
            .new_agent();
        Ok(Client {
            http,
            base,
            api,
            headers,
            policy,
        })
    }

    /// Posts `body` on `repo#pr`, or updates perfwarden's earlier comment there. With `author`,
    /// only a marked comment by that login counts as perfwarden's (a marker pasted by someone
    /// else is left alone).
    pub(crate) fn upsert_comment(
        &self,
        repo: &Repo,
        pr: u64,
        body: &str,
        author: Option<&str>,
    ) -> Result<Upserted, GitHubError> {
        let body = with_marker(body);
        let body = fit_comment(&body);
        let payload = serde_json::json!({ "body": body });
        let write = Op {
            repo,
            pr,
            action: "write",
        };
        if let Some(found) = self.find_comment(repo, pr, author)? {
            if found.body.as_deref() == Some(&*body) {
                return Ok(Upserted {
                    action: Action::Unchanged,
                    id: found.id,
                    url: found.html_url,
                });
            }
            let url = self.url(&format!(
                "/repos/{}/{}/issues/comments/{}",
                repo.owner, repo.name, found.id
            ))?;
            let done = self.send_json(Method::PATCH, url, Some(&payload), &write)?;
            return Ok(Upserted {
                action: Action::Updated,
                id: done.id,
                url: done.html_url,
            });
        }
        let url = self.url(&format!(
            "/repos/{}/{}/issues/{}/comments",
            repo.owner, repo.name, pr
        ))?;
        let done = self.send_json(Method::POST, url, Some(&payload), &write)?;
        Ok(Upserted {
            action: Action::Created,
            id: done.id,
            url: done.html_url,
        })
    }

    /// perfwarden's earlier comment on `repo#pr`: the first marked one, following the
    /// `Link: rel="next"` pages.
    pub(crate) fn find_comment(
        &self,
        repo: &Repo,
        pr: u64,
        author: Option<&str>,
    ) -> Result<Option<Comment>, GitHubError> {
        let read = Op {
            repo,
            pr,
            action: "read",
        };
        let mut url = self.url(&format!(
            "/repos/{}/{}/issues/{}/comments?per_page={PER_PAGE}",
            repo.owner, repo.name, pr
        ))?;
        for _ in 0..MAX_PAGES {
            let endpoint = self.endpoint(&Method::GET, &url);
            let mut resp = self.send(Method::GET, url, None, &read)?;
            let next = resp
                .headers()
                .get(LINK)
                .and_then(|v| v.to_str().ok())
                .and_then(next_link);
            let page: Vec<Comment> =
                read_json(&mut resp).map_err(|e| GitHubError::BadResponse {
                    endpoint: endpoint.clone(),
                    what: format!("not a list of comments: {e}"),
                })?;
            if let Some(ours) = page.into_iter().find(|c| is_ours(c, author)) {
                return Ok(Some(ours));
            }
            let Some(link) = next else {
                return Ok(None);
            };
            url = match Uri::try_from(link.as_str()) {
                // `new` checked that the API root has an origin: a link without one never
                // matches.
                Ok(u) if origin(&u) == origin(&self.api) => u,
                _ => {
                    return Err(GitHubError::ForeignLink {
                        endpoint,
                        link,
                        api: self.api.to_string(),
                    });
                }
            };
        }
        Err(GitHubError::BadResponse {
            endpoint: format!(
                "GET /repos/{}/{}/issues/{pr}/comments",
                repo.owner, repo.name
            ),
            what: format!("more than {MAX_PAGES} pages of comments"),
        })
    }

    fn url(&self, path_and_query: &str) -> Result<Uri, GitHubError> {
        Uri::try_from(format!("{}{path_and_query}", self.base)).map_err(|_| {
            GitHubError::BadApiUrl {
                url: self.api.to_string(),
            }
        })
    }

    /// `METHOD /path?query`, relative to the API root: what errors name.
    fn endpoint(&self, method: &Method, url: &Uri) -> String {
        let prefix = self.api.path().trim_end_matches('/');
        let path = url.path().strip_prefix(prefix).unwrap_or(url.path());
        match url.query() {
            Some(q) => format!("{method} {path}?{q}"),
            None => format!("{method} {path}"),
        }
    }

    fn send_json(
        &self,
        method: Method,
        url: Uri,
        body: Option<&serde_json::Value>,
        op: &Op<'_>,
    ) -> Result<Comment, GitHubError> {
        let endpoint = self.endpoint(&method, &url);
        let mut resp = self.send(method, url, body, op)?;
        read_json(&mut resp).map_err(|e| GitHubError::BadResponse {
            endpoint,
            what: format!("not a comment: {e}"),
        })
    }

    /// Sends one request, waiting and retrying within the policy when GitHub asks us to
    /// (rate limits) or fails on its side (5xx); every other failure is one clear error.
    fn send(
        &self,
        method: Method,
        url: Uri,
        body: Option<&serde_json::Value>,
        op: &Op<'_>,
    ) -> Result<http::Response<ureq::Body>, GitHubError> {
        let endpoint = self.endpoint(&method, &url);
        let failed = |source| GitHubError::Request {
            endpoint: endpoint.clone(),
            source,
        };
        let body = body.map(|b| b.to_string().into_bytes());
        let mut waited = Duration::ZERO;
        let mut attempt = 1;
        loop {
            let mut req = http::Request::builder()
                .method(method.clone())
                .uri(url.clone());
            if let Some(headers) = req.headers_mut() {
                headers.extend(self.headers.clone());
            }
            let sent = match &body {
                Some(b) => req
                    .header(CONTENT_TYPE, "application/json")
                    .body(b.as_slice())
                    .map(|r| self.http.run(r)),
                None => req.body(()).map(|r| self.http.run(r)),
            };
            let mut resp = sent.map_err(ureq::Error::from).flatten().map_err(failed)?;
            let status = resp.status();
            tracing::debug!(%endpoint, attempt, %status, "GitHub API");
            if status.is_success() {
                return Ok(resp);
            }
            let text = resp
                .body_mut()
                .with_config()
                .lossy_utf8(true)
                .read_to_string()
                .unwrap_or_default();
            let headers = resp.headers();
            let message = github_message(&text);
            let can_retry = attempt < self.policy.max_attempts;
            if let Some(limit) = rate_limit(status, headers, &message, now_epoch_secs()) {
                if can_retry && waited + limit.wait <= self.policy.max_wait {
                    tracing::warn!(
                        "{endpoint}: rate limited ({message}); waiting {:.0} s, then attempt {}",
                        limit.wait.as_secs_f64(),
                        attempt + 1
                    );
                    std::thread::sleep(limit.wait);
                    waited += limit.wait;
                    attempt += 1;
                    continue;
                }
                return Err(GitHubError::RateLimited {
                    endpoint,
                    reset: limit.describe_reset(),
                    max_wait_secs: self.policy.max_wait.as_secs(),
                });
            }
            let backoff = Duration::from_secs(1 << (attempt - 1).min(4));
            if status.is_server_error() && can_retry && waited + backoff <= self.policy.max_wait {
                tracing::warn!(
                    "{endpoint}: HTTP {status} ({message}); retrying in {} s",
                    backoff.as_secs()
                );
                std::thread::sleep(backoff);
                waited += backoff;
                attempt += 1;
                continue;
            }
            return Err(classify(status, endpoint, message, op));
        }
    }
}

/// A JSON body, read up to [`MAX_RESPONSE_BYTES`]; the error says what went wrong.
fn read_json<T: serde::de::DeserializeOwned>(
    resp: &mut http::Response<ureq::Body>,
) -> Result<T, String> {
    let bytes = resp
        .body_mut()
        .with_config()
        .limit(MAX_RESPONSE_BYTES)
        .read_to_vec()
        .map_err(|e| e.to_string())?;
    serde_json::from_slice(&bytes).map_err(|e| e.to_string())
}

/// Scheme, host and port (the scheme's default when none is written): what must match for a
/// URL to be the API's. `None` for anything but an absolute http(s) URL without credentials.
fn origin(uri: &Uri) -> Option<(String, String, u16)> {
    let scheme = uri.scheme_str()?.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "http" => 80,
        "https" => 443,
        _ => return None,
    };
    let authority = uri.authority()?;
    if authority.as_str().contains('@') || authority.host().is_empty() {
        return None;
    }
    let port = authority.port_u16().unwrap_or(default_port);
    Some((scheme, authority.host().to_ascii_lowercase(), port))
}

fn is_ours(comment: &Comment, author: Option<&str>) -> bool {
    let by_author = match (author, &comment.user) {
        (None, _) => true,
        (Some(want), Some(user)) => user.login.eq_ignore_ascii_case(want),
        (Some(_), None) => false,
    };
    by_author && comment.body.as_deref().is_some_and(is_marked)
}

fn classify(status: StatusCode, endpoint: String, message: String, op: &Op<'_>) -> GitHubError {
    match status.as_u16() {
        401 => GitHubError::Unauthorized { endpoint },
        403 => GitHubError::Forbidden {
            repo: op.repo.to_string(),
            pr: op.pr,
            action: op.action,
        },
        404 => GitHubError::NotFound {
            endpoint,
            repo: op.repo.to_string(),
            pr: op.pr,
        },
        422 => GitHubError::Unprocessable { endpoint, message },
        code => GitHubError::Status {
            endpoint,
            status: code,
            message,
        },
    }
}

fn now_epoch_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
