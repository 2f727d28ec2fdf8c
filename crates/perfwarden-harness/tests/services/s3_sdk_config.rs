//! An existing S3 server configured the AWS SDK's way: `AWS_ENDPOINT_URL_S3` (or the
//! `S3_ENDPOINT` shorthand) with credentials from the SDK's default chain, session token
//! included. The variables are set on a child run of this test binary, never on this process,
//! whose other tests read the environment concurrently.

use std::sync::{Arc, Mutex};

use anyhow::{Result, bail, ensure};
use aws_sdk_s3::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_s3::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_s3::error::BoxError;
use perfwarden_harness::services::s3;
use perfwarden_harness::services::{Env, Provided, ProviderKind};

/// Set on the child run; the child test does nothing without it.
const CHILD: &str = "PERFWARDEN_TEST_S3_SDK_CHILD";
const CHILD_TEST: &str = "services::s3_sdk_config::child_resolves_the_existing_server";

/// Records the session-token header of each request as it leaves for the server.
#[derive(Debug, Default)]
struct SeenToken(Arc<Mutex<Vec<Option<String>>>>);

impl Intercept for SeenToken {
    fn name(&self) -> &'static str {
        "SeenToken"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let token = context.request().headers().get("x-amz-security-token");
        if let Ok(mut seen) = self.0.lock() {
            seen.push(token.map(str::to_string));
        }
        Ok(())
    }
}

#[tokio::test]
async fn child_resolves_the_existing_server() -> Result<()> {
    if std::env::var_os(CHILD).is_none() {
        return Ok(());
    }
    let Provided::Ready(svc) = s3::provide().await? else {
        bail!("an endpoint was named, yet S3 was skipped");
    };
    ensure!(svc.provider == ProviderKind::Endpoint && svc.path_style);
    ensure!(Some(svc.access_key_id.clone()) == std::env::var("AWS_ACCESS_KEY_ID").ok());
    // The server is the parent test's, on loopback: sampled through the listening process.
    super::sampled_through_its_listener(svc.sampler()).await?;
    super::s3::round_trip(&svc).await?;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let config = svc
        .client
        .config()
        .to_builder()
        .interceptor(SeenToken(seen.clone()))
        .build();
    let watched = aws_sdk_s3::Client::from_conf(config);
    watched.list_objects_v2().bucket(&svc.bucket).send().await?;
    let expected = std::env::var("AWS_SESSION_TOKEN").ok();
    let seen = seen
        .lock()
        .map_err(|_| anyhow::anyhow!("poisoned"))?
        .clone();
    ensure!(seen == vec![expected], "session tokens sent: {seen:?}");
    Ok(())
}

/// Runs the child test with `vars`, and none of the user's own AWS configuration.
fn run_child(vars: &[(&str, &str)]) -> Result<()> {
    let mut command = std::process::Command::new(std::env::current_exe()?);
    command.args(["--exact", CHILD_TEST, "--nocapture", "--test-threads=1"]);
    for var in [
        "S3_ENDPOINT",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_S3",
        "AWS_PROFILE",
    ] {
        command.env_remove(var);
    }
    command
        .env(CHILD, "1")
        .env("PERFWARDEN_S3", "auto")
        .env("AWS_CONFIG_FILE", "/nonexistent/perfwarden-test")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/perfwarden-test",
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .envs(vars.iter().copied());
    let out = command.output()?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    ensure!(
        out.status.success() && stdout.contains("1 passed"),
        "child failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_existing_s3_is_configured_the_aws_sdk_way() -> Result<()> {
    // The embedded server is always available; it checks signatures, not session tokens,
    // so the child checks the token on the wire itself.
    let Provided::Ready(server) = s3::provide_via(ProviderKind::Embedded).await? else {
        bail!("the embedded S3 server was skipped");
    };
    let keys = [
        ("AWS_ACCESS_KEY_ID", server.access_key_id.as_str()),
        ("AWS_SECRET_ACCESS_KEY", server.secret_access_key()),
        ("AWS_REGION", server.region.as_str()),
        ("S3_BUCKET", server.bucket.as_str()),
    ];
    let mut sdk = keys.to_vec();
    sdk.push(("AWS_ENDPOINT_URL_S3", &server.endpoint));
    sdk.push(("AWS_SESSION_TOKEN", "perfwarden-session-token"));
    run_child(&sdk)?;
    let mut shorthand = keys.to_vec();
    shorthand.push(("S3_ENDPOINT", &server.endpoint));
    run_child(&shorthand)?;

    // Without the bucket: one line naming what is missing, before any request.
    let env = Env::from_pairs([("AWS_ENDPOINT_URL_S3", server.endpoint.as_str())]);
    let err = s3::provide_from(&env).await.expect_err("no bucket");
    ensure!(err.is_bad_input(), "{err}");
    ensure!(
        err.to_string()
            == "AWS_ENDPOINT_URL_S3: is set, but S3_BUCKET not (the existing bucket to use)",
        "{err}"
    );
    Ok(())
}
