//! Pushing an exposition to a Prometheus Pushgateway: the edge of `perfwarden export --push`.
//!
//! The run is pushed with PUT, which replaces every metric of its group, so a run of a machine
//! class and profile replaces the previous one instead of leaving its series behind. The
//! group is `job=perfwarden`, `machine_class`, `profile` unless the URL names one itself
//! (`.../metrics/job/<job>/...`). Grouping values are base64url-encoded (the Pushgateway's
//! `label@base64` form), so any class name is a valid path segment.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE;

use crate::error::Error;
use crate::results::Environment;

/// The most a push may take: a Pushgateway answers at once or not at all.
const TIMEOUT: Duration = Duration::from_secs(30);

/// The URL to push `env`'s run to: `url` itself when it already names a grouping key, else
/// `<url>/metrics/job/perfwarden/machine_class@base64/<class>/profile@base64/<profile>`.
pub(crate) fn grouping_url(url: &str, env: &Environment) -> Result<String, Error> {
    let bad = |what: &str| Error::Endpoint {
        endpoint: url.to_string(),
        what: format!("not a Pushgateway URL: {what}"),
    };
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .ok_or_else(|| bad("not an http:// or https:// URL"))?;
    if rest.is_empty() || rest.starts_with('/') {
        return Err(bad("no host in the URL"));
    }
    if url.contains("/metrics/job/") {
        return Ok(url.to_string());
    }
    let b64 = |v: &str| URL_SAFE.encode(v.as_bytes());
    Ok(format!(
        "{}/metrics/job/perfwarden/machine_class@base64/{}/profile@base64/{}",
        url.trim_end_matches('/'),
        b64(&env.machine_class),
        b64(&env.profile)
    ))
}

/// PUTs `body` (an exposition) to `url`. Any answer but 2xx is an error with the status and
/// the first line the server gave.
pub(crate) fn push(url: &str, body: &str) -> Result<(), Error> {
    let fail = |what: String| Error::Endpoint {
        endpoint: url.to_string(),
        what: format!("cannot push to the Pushgateway: {what}"),
    };
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(TIMEOUT))
        .http_status_as_error(false)
        .build()
        .into();
    let mut response = agent
        .put(url)
        // Text format 0.0.4: what every Pushgateway reads; the exposition is both.
        .header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
        .send(body)
        .map_err(|e| fail(e.to_string()))?;
    let status = response.status();
    tracing::debug!(url, bytes = body.len(), %status, "Pushgateway PUT");
    if status.is_success() {
        return Ok(());
    }
    let text = response
        .body_mut()
        .with_config()
        .limit(64 * 1024)
        .read_to_string()
        .unwrap_or_default();
    let first = text.lines().next().unwrap_or("").trim();
    Err(fail(format!("HTTP {status}: {first}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> Environment {
        Environment {
            machine_class: "gha/ubuntu 2core".into(),
            cpu_model: "x".into(),
            cores: 2,
            os: "linux".into(),
            rustc: "1.95".into(),
            git_commit: None,
            timestamp: "2026-01-01T00:00:00Z".into(),
            profile: "pr".into(),
            services: Default::default(),
        }
    }

    #[test]
    fn the_group_is_the_machine_class_and_profile() {
        let url = grouping_url("http://gw:9091/", &env()).unwrap();
        assert_eq!(
            url,
            "http://gw:9091/metrics/job/perfwarden/machine_class@base64/Z2hhL3VidW50dSAyY29yZQ==/profile@base64/cHI="
        );
        let own = "http://gw:9091/metrics/job/nightly/instance/a";
        assert_eq!(grouping_url(own, &env()).unwrap(), own);
    }

    #[test]
    fn a_url_without_scheme_or_host_is_refused() {
        assert!(
            grouping_url("gw:9091", &env())
                .unwrap_err()
                .to_string()
                .contains("http://")
        );
        assert!(
            grouping_url("http:///x", &env())
                .unwrap_err()
                .to_string()
                .contains("no host")
        );
    }
}
