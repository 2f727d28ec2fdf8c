//! AWS SDK errors in one line: the service and operation, the HTTP status with S3's error
//! code and message, or the chain of causes; never the SDK's debug dump (kilobytes, the
//! response body included), which goes to the debug log instead (`RUST_LOG=debug`).

use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};

/// An SDK error in one line, without the SDK's debug dump: `S3 <op>: ` and its [`detail`].
pub fn one_line<E>(op: &str, e: &SdkError<E, aws_sdk_s3::config::http::HttpResponse>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    format!("S3 {op}: {}", detail(e))
}

/// The HTTP status with S3's error code and message where S3 answered (`HTTP 403:
/// SignatureDoesNotMatch: ...`), else the chain of causes (`dispatch failure: io error: ...:
/// Connection refused (os error 111)`).
pub fn detail<E>(e: &SdkError<E, aws_sdk_s3::config::http::HttpResponse>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let mut parts = Vec::new();
    if let Some(r) = e.raw_response() {
        parts.push(format!("HTTP {}", r.status().as_u16()));
    }
    match e.as_service_error() {
        Some(service) if service.code().is_some() || service.message().is_some() => {
            parts.extend(service.code().map(str::to_string));
            parts.extend(service.message().map(str::to_string));
        }
        // A status alone (a HEAD has no body) says it; else what the client saw.
        Some(_) if !parts.is_empty() => {}
        _ => parts.extend(causes(e)),
    }
    parts.join(": ")
}

/// The messages of `e` and its sources, each on one line and short, repeats left out (many
/// errors repeat their source in their own message).
pub fn causes(e: &(dyn std::error::Error + 'static)) -> Vec<String> {
    /// A longer message is a dump, not a cause.
    const MAX: usize = 200;
    let mut out: Vec<String> = Vec::new();
    let mut next = Some(e);
    while let Some(err) = next {
        let text = err
            .to_string()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let text = match text.char_indices().nth(MAX) {
            Some((cut, _)) => format!("{}...", &text[..cut]),
            None => text,
        };
        if !text.is_empty() && !out.iter().any(|seen| seen.contains(&text)) {
            out.push(text);
        }
        next = err.source();
    }
    out
}
