//! `perfwarden comment`: posts the report on a pull request, or updates perfwarden's earlier
//! comment there.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use crate::error::Error;
use crate::github::{Action, Client, DEFAULT_API_URL, Repo, RetryPolicy, Token};

/// A report file larger than this is refused: a comment holds 65,536 characters, and a
/// runaway file should not be read whole.
const MAX_BODY_BYTES: u64 = 16 * 1024 * 1024;

/// Post or update the report comment on a pull request (token from GITHUB_TOKEN).
#[derive(Clone, Debug, clap::Args)]
pub struct CommentArgs {
    /// The repository, owner/name.
    #[arg(long, env = "GITHUB_REPOSITORY")]
    pub repo: String,
    /// The pull request number.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub pr: u64,
    /// The Markdown report to post (its first line is the hidden marker).
    #[arg(long)]
    pub body: PathBuf,
    /// GitHub's REST API root (GitHub Enterprise Server: https://HOST/api/v3).
    #[arg(long, env = "GITHUB_API_URL", default_value = DEFAULT_API_URL)]
    pub api_url: String,
    /// Only a marked comment by this login counts as perfwarden's earlier one
    /// (in the comment workflow: github-actions[bot]).
    #[arg(long)]
    pub author: Option<String>,
    /// The most seconds to wait out GitHub's rate limits before failing.
    #[arg(long, default_value_t = 60)]
    pub max_wait_secs: u64,
}

/// Runs the command with the token from the environment, reporting on stdout.
pub fn run(args: &CommentArgs) -> anyhow::Result<i32> {
    let token = Token::from_env()?;
    run_with(args, &token, &mut std::io::stdout())
}

/// Runs the command with `token`, writing its one line of outcome to `out`.
pub fn run_with(args: &CommentArgs, token: &Token, out: &mut dyn Write) -> anyhow::Result<i32> {
    let repo: Repo = args.repo.parse()?;
    let body = read_body(&args.body)?;
    let policy = RetryPolicy {
        max_wait: Duration::from_secs(args.max_wait_secs),
        ..RetryPolicy::default()
    };
    let client = Client::new(&args.api_url, token, policy)?;
    let done = client.upsert_comment(&repo, args.pr, &body, args.author.as_deref())?;
    let verb = match done.action {
        Action::Created => "created",
        Action::Updated => "updated",
        Action::Unchanged => "left unchanged",
    };
    let url = done.url.map(|u| format!(": {u}")).unwrap_or_default();
    writeln!(
        out,
        "perfwarden: {verb} comment {} on {repo}#{}{url}",
        done.id, args.pr
    )?;
    Ok(0)
}

fn read_body(path: &std::path::Path) -> Result<String, Error> {
    let read = |source| Error::Read {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(read)?;
    let bad = |what: String| Error::BadInput {
        path: path.to_path_buf(),
        what,
    };
    if meta.is_dir() {
        return Err(bad("is a directory, expected the Markdown report".into()));
    }
    if meta.len() > MAX_BODY_BYTES {
        return Err(bad(format!(
            "file is {} bytes, over the {MAX_BODY_BYTES} byte limit for a report",
            meta.len()
        )));
    }
    let bytes = std::fs::read(path).map_err(read)?;
    let text = String::from_utf8(bytes).map_err(|e| bad(format!("not UTF-8: {e}")))?;
    if text.trim().is_empty() {
        return Err(bad("the report is empty".into()));
    }
    Ok(text)
}
