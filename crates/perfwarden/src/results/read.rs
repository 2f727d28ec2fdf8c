//! Reading results: one file or a directory of them, validated, with errors that name the
//! file and what is wrong in one line.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::Value;
use serde_json::error::Category;

use super::schema::{Environment, Histogram, Metric, Run, SCHEMA_VERSION, SuiteStatus};
use super::validate::{one_line, validate};
use crate::error::Error;

/// Files larger than this are refused before being read: no results file is near it, and a
/// runaway file should not exhaust memory.
pub(crate) const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Reads and validates one results file.
pub fn read_run(path: &Path) -> Result<Run, Error> {
    let bytes = read_bounded(path)?;
    let run = parse_run(&bytes).map_err(|what| Error::BadInput {
        path: path.to_path_buf(),
        what,
    })?;
    tracing::debug!(
        path = %path.display(),
        bytes = bytes.len(),
        metrics = run.metrics.len(),
        histograms = run.histograms.len(),
        "read results"
    );
    Ok(run)
}

/// Reads a whole regular file of at most [`MAX_FILE_BYTES`].
pub(crate) fn read_bounded(path: &Path) -> Result<Vec<u8>, Error> {
    let bad = |what: String| Error::BadInput {
        path: path.to_path_buf(),
        what,
    };
    let io = |source| Error::Read {
        path: path.to_path_buf(),
        source,
    };
    // `metadata` follows symlinks, so a dangling link or a loop fails here with the OS's words.
    let meta = std::fs::metadata(path).map_err(io)?;
    if meta.is_dir() {
        return Err(bad("is a directory, expected a results JSON file".into()));
    }
    if !meta.is_file() {
        // A FIFO or a device would block or never end; neither is a results file.
        return Err(bad("is not a regular file".into()));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(bad(too_big(meta.len())));
    }
    let file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    // Bounded again while reading: the file may grow between `metadata` and `read`.
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(bad(too_big(bytes.len() as u64)));
    }
    Ok(bytes)
}

fn too_big(len: u64) -> String {
    format!("file is {len} bytes, over the {MAX_FILE_BYTES} byte limit for a results file")
}

/// Parses and validates a results document. The error is one line, without the path.
pub fn parse_run(bytes: &[u8]) -> Result<Run, String> {
    // serde quotes keys and values from the document in its messages, decoded: an escaped
    // newline in a key would become a second line.
    parse(bytes).map_err(|e| one_line(&e))
}

fn parse(bytes: &[u8]) -> Result<Run, String> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err("file is empty".into());
    }
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        return Err("starts with a byte-order mark (BOM): save it as UTF-8 without BOM".into());
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let at = e.valid_up_to();
        let line = 1 + bytes[..at].iter().filter(|&&b| b == b'\n').count();
        format!(
            "not UTF-8: invalid byte 0x{:02x} at line {line} (offset {at})",
            bytes[at]
        )
    })?;
    let value: Value = serde_json::from_str(text).map_err(|e| syntax_error(text, &e))?;
    let obj = value.as_object().ok_or_else(|| {
        format!(
            "expected a JSON object at the top level, found {}",
            json_type(&value)
        )
    })?;
    // The version is checked before the shape, so a future schema gets the right message.
    match obj.get("schema_version") {
        None => return Err("missing field `schema_version`".into()),
        Some(v) if v.as_u64() == Some(u64::from(SCHEMA_VERSION)) => {}
        Some(v) if v.is_u64() => {
            return Err(format!(
                "unsupported schema_version {v} (this perfwarden reads version {SCHEMA_VERSION})"
            ));
        }
        Some(v) => {
            return Err(format!(
                "schema_version must be the integer {SCHEMA_VERSION}, found {} {v}",
                json_type(v)
            ));
        }
    }
    // Deserialize from the text, not the `Value`: only the text still shows duplicate keys.
    let run: Run = serde_json::from_str(text).map_err(|e| shape_error(obj, &e))?;
    validate(&run)?;
    Ok(run)
}

/// One line for a document that is not JSON, naming the usual culprits.
fn syntax_error(text: &str, e: &serde_json::Error) -> String {
    let at = format!("line {} column {}", e.line(), e.column());
    if e.classify() == Category::Eof {
        return format!("truncated JSON: unexpected end of file at {at}");
    }
    let msg = e.to_string();
    if msg.starts_with("recursion limit exceeded") {
        return format!("JSON nested too deeply (over 128 levels) at {at}");
    }
    // serde_json points at the first character it could not take; look there for the
    // non-finite numbers other tools write but JSON does not have.
    let rest = text
        .lines()
        .nth(e.line().saturating_sub(1))
        .and_then(|l| l.get(e.column().saturating_sub(1)..))
        .unwrap_or("");
    for token in ["NaN", "-Infinity", "Infinity", "-inf", "inf", "nan"] {
        if rest.starts_with(token) {
            return format!(
                "{token} at {at}: JSON has no NaN or infinite numbers, and results must be finite"
            );
        }
    }
    format!("invalid JSON: {msg}")
}

/// One line for valid JSON of the wrong shape. serde's message says what is wrong but, for an
/// element of a long list, not which one: look for the first part that fails alone.
fn shape_error(obj: &serde_json::Map<String, Value>, e: &serde_json::Error) -> String {
    let part = |key: &str| obj.get(key).and_then(Value::as_array);
    if let Some(env) = obj.get("environment")
        && let Err(err) = serde_json::from_value::<Environment>(env.clone())
    {
        return format!("environment: {err}");
    }
    for (i, s) in part("suites").into_iter().flatten().enumerate() {
        if let Err(err) = serde_json::from_value::<SuiteStatus>(s.clone()) {
            return format!("suites[{i}]: {err}");
        }
    }
    for (i, m) in part("metrics").into_iter().flatten().enumerate() {
        if let Err(err) = serde_json::from_value::<Metric>(m.clone()) {
            return format!("metrics[{i}]{}: {err}", metric_name(m));
        }
    }
    for (i, h) in part("histograms").into_iter().flatten().enumerate() {
        if let Err(err) = serde_json::from_value::<Histogram>(h.clone()) {
            return format!("histograms[{i}]: {err}");
        }
    }
    e.to_string()
}

/// ` (suite/benchmark/metric)` for a metric object whose names are strings, else nothing.
fn metric_name(m: &Value) -> String {
    let field = |k: &str| m.get(k).and_then(Value::as_str);
    match (field("suite"), field("benchmark"), field("metric")) {
        (Some(s), Some(b), Some(n)) => format!(" ({})", one_line(&format!("{s}/{b}/{n}"))),
        _ => String::new(),
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Reads a results file, or every `*.json` file of a directory (not recursive, sorted by
/// name) merged into one run. Merging files of one run is how suites that write one file
/// each are gated together; the environment is the first file's, with every file's services.
pub fn read_run_set(path: &Path) -> Result<Run, Error> {
    let meta = std::fs::metadata(path).map_err(|e| Error::Read {
        path: path.to_path_buf(),
        source: e,
    })?;
    if !meta.is_dir() {
        return read_run(path);
    }
    let files = json_files(path)?;
    let Some((first, rest)) = files.split_first() else {
        return Err(Error::BadInput {
            path: path.to_path_buf(),
            what: "directory holds no *.json results files".into(),
        });
    };
    let mut run = read_run(first)?;
    for file in rest {
        absorb(&mut run, read_run(file)?).map_err(|what| Error::BadInput {
            path: file.clone(),
            what: format!("{what} is also in another file of {}", path.display()),
        })?;
    }
    Ok(run)
}

/// Adds `other`, a part of the same run (another suite's file, another bench's output), to
/// `run`. A metric or histogram id both have is an error naming it.
pub(crate) fn absorb(run: &mut Run, other: Run) -> Result<(), String> {
    let ids: BTreeSet<String> = run.metrics.iter().map(|m| m.id()).collect();
    let hist_ids: BTreeSet<&str> = run.histograms.iter().map(|h| h.id.as_str()).collect();
    if let Some(m) = other.metrics.iter().find(|m| ids.contains(&m.id())) {
        return Err(format!("metric {}", one_line(&m.id())));
    }
    if let Some(h) = other
        .histograms
        .iter()
        .find(|h| hist_ids.contains(h.id.as_str()))
    {
        return Err(format!("histogram {:?}", h.id));
    }
    run.metrics.extend(other.metrics);
    // Each suite records the services it used; the run used them all.
    run.environment.add_services(&other.environment);
    // A suite may write several files; it ended as badly as the worst of them says.
    for s in &other.suites {
        super::merge::add_suite_status(&mut run.suites, s, s.reason.clone());
    }
    run.histograms.extend(other.histograms);
    Ok(())
}

/// The `*.json` files directly inside `dir`, sorted.
pub(crate) fn json_files(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let rd = std::fs::read_dir(dir).map_err(|e| Error::Read {
        path: dir.to_path_buf(),
        source: e,
    })?;
    let mut files = Vec::new();
    for entry in rd {
        let entry = entry.map_err(|e| Error::Read {
            path: dir.to_path_buf(),
            source: e,
        })?;
        let p = entry.path();
        if p.extension().is_some_and(|e| e == "json") && p.is_file() {
            files.push(p);
        }
    }
    files.sort();
    Ok(files)
}
