//! S3: an existing server (`AWS_ENDPOINT_URL_S3` or `S3_ENDPOINT`, with the AWS SDK's own
//! configuration for credentials and region), a MinIO container, `minio` from PATH, or the
//! embedded `s3s-fs` server.

use std::time::Duration;

use aws_sdk_s3::config::{
    BehaviorVersion, Credentials, ProvideCredentials, Region, RequestChecksumCalculation,
    ResponseChecksumValidation,
};
use aws_sdk_s3::error::DisplayErrorContext;
use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
use testcontainers::ImageExt;
use testcontainers::runners::AsyncRunner;
use testcontainers_modules::minio::MinIO;

use super::chain::Decision;
use super::container::{self, ImageRef};
use super::embedded_s3::{self, EmbeddedS3};
use super::endpoint::{self, S3Endpoint};
use super::native::{self, ChildProcess};
use super::sdk_error;
use super::{
    Env, Owned, Provided, ProviderKind, Resolved, ResourceSampler, ResourceTarget, Service,
    ServiceError, ready_timeout,
};

/// The MinIO image, pinned (the testcontainers-modules default).
pub(crate) const IMAGE: &str = "minio/minio";
pub(crate) const TAG: &str = "RELEASE.2025-02-28T09-55-16Z";
/// `PERFWARDEN_MINIO_IMAGE` / `PERFWARDEN_MINIO_TAG` override them.
pub(crate) const IMAGE_VAR_PREFIX: &str = "PERFWARDEN_MINIO";
/// The MinIO image's built-in credentials.
const MINIO_IMAGE_USER: &str = "minioadmin";
/// The bucket of the servers perfwarden starts, unless `S3_BUCKET` names one.
pub(crate) const DEFAULT_BUCKET: &str = "perfwarden";
/// The region the servers perfwarden starts are addressed in.
pub(crate) const DEFAULT_REGION: &str = "us-east-1";

/// An S3 server and a client configured for it; dropping it stops what perfwarden started.
pub struct S3Service {
    /// The endpoint URL, e.g. `http://127.0.0.1:40123`.
    pub endpoint: String,
    pub bucket: String,
    pub region: String,
    pub provider: ProviderKind,
    /// The server program: `MinIO`, `s3s-fs`, or what a named endpoint says it is.
    pub server: String,
    pub version: String,
    /// Buckets are addressed `endpoint/bucket/key` rather than `bucket.endpoint/key`.
    pub path_style: bool,
    /// Configured for this server: endpoint, region, credentials, addressing.
    pub client: aws_sdk_s3::Client,
    pub access_key_id: String,
    secret_access_key: String,
    owned: Owned,
    // Declared after `owned`, so the server stops before its data dir goes.
    _data_dir: Option<tempfile::TempDir>,
}

impl std::fmt::Debug for S3Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Service")
            .field("endpoint", &self.endpoint)
            .field("bucket", &self.bucket)
            .field("provider", &self.provider)
            .field("server", &self.server)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

/// Resolves S3 through the chain (see [`super`]).
pub async fn provide() -> Result<Provided<S3Service>, ServiceError> {
    provide_from(&Env::from_process()).await
}

/// Resolves S3 through one provider only, as `PERFWARDEN_S3=<kind>` would.
pub async fn provide_via(kind: ProviderKind) -> Result<Provided<S3Service>, ServiceError> {
    let env = Env::from_process().with(Service::S3.force_var(), kind.as_str());
    provide_from(&env).await
}

pub async fn provide_from(env: &Env) -> Result<Provided<S3Service>, ServiceError> {
    let timeout = ready_timeout(env)?;
    let named = if super::chain::candidates(Service::S3, env)?.contains(&ProviderKind::Endpoint) {
        endpoint::s3(env)?
    } else {
        None
    };
    let image = ImageRef::from_env(env, IMAGE_VAR_PREFIX, IMAGE, TAG);
    let pull = async || {
        request(&image)
            .pull_image()
            .await
            .map(drop)
            .map_err(|e| e.to_string())
    };
    let decision = super::choose(Service::S3, env, named.is_some(), &image, pull).await?;
    let bucket = env.get(endpoint::S3_BUCKET).unwrap_or(DEFAULT_BUCKET);
    let service = match decision {
        Decision::Skip(reason) => return Ok(Provided::Skipped(reason)),
        Decision::Use(ProviderKind::Endpoint) => match named {
            Some(named) => at_endpoint(named, timeout).await?,
            None => unreachable!("the chain only picks a configured endpoint"),
        },
        Decision::Use(ProviderKind::Container) => in_container(&image, bucket, timeout).await?,
        Decision::Use(ProviderKind::Native) => native_server(bucket, timeout).await?,
        Decision::Use(ProviderKind::Embedded) => embedded(bucket).await?,
    };
    service.resolved().announce();
    Ok(Provided::Ready(service))
}

fn request(image: &ImageRef) -> testcontainers::ContainerRequest<MinIO> {
    MinIO::default()
        .with_name(image.name.clone())
        .with_tag(image.tag.clone())
}

/// The parts every provider fills in before the client is built.
struct Parts {
    endpoint: String,
    bucket: String,
    region: String,
    access_key_id: String,
    secret_access_key: String,
    path_style: bool,
    provider: ProviderKind,
    server: String,
    version: String,
}

impl Parts {
    fn owned(endpoint: String, bucket: &str, key: &str, secret: &str) -> Parts {
        Parts {
            endpoint,
            bucket: bucket.to_string(),
            region: DEFAULT_REGION.into(),
            access_key_id: key.into(),
            secret_access_key: secret.into(),
            path_style: true,
            provider: ProviderKind::Embedded,
            server: String::new(),
            version: String::new(),
        }
    }

    fn into_service(self, owned: Owned, data_dir: Option<tempfile::TempDir>) -> S3Service {
        let client = client_for(&self);
        S3Service {
            endpoint: self.endpoint,
            bucket: self.bucket,
            region: self.region,
            provider: self.provider,
            server: self.server,
            version: self.version,
            path_style: self.path_style,
            client,
            access_key_id: self.access_key_id,
            secret_access_key: self.secret_access_key,
            owned,
            _data_dir: data_dir,
        }
    }
}

/// The SDK's HTTPS client on rustls with ring: without default features the SDK has none, and
/// its default one would bring aws-lc and a second TLS stack beside reqwest's.
pub(crate) fn http_client() -> aws_sdk_s3::config::SharedHttpClient {
    use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

fn client_for(p: &Parts) -> aws_sdk_s3::Client {
    let credentials = Credentials::new(
        &p.access_key_id,
        &p.secret_access_key,
        None,
        None,
        "perfwarden",
    );
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .http_client(http_client())
        .region(Region::new(p.region.clone()))
        .endpoint_url(&p.endpoint)
        .credentials_provider(credentials);
    aws_sdk_s3::Client::from_conf(addressed(config, p.path_style).build())
}

fn addressed(config: aws_sdk_s3::config::Builder, path_style: bool) -> aws_sdk_s3::config::Builder {
    let config = config.force_path_style(path_style);
    if !path_style {
        return config;
    }
    // Servers other than AWS differ in which optional checksums they understand; sending
    // only the required ones keeps every provider on the same, widely supported protocol.
    config
        .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
        .response_checksum_validation(ResponseChecksumValidation::WhenRequired)
}

/// The client for an existing server: credentials and region from the AWS SDK's default
/// chain (environment incl. `AWS_SESSION_TOKEN`, `AWS_PROFILE` and its files, web identity,
/// container and instance metadata), over our HTTPS client. The credentials are fetched once
/// here, so a missing or broken configuration is one line now, not a failure mid-run.
async fn sdk_client(
    named: &S3Endpoint,
) -> Result<(aws_sdk_s3::Client, String, Credentials), ServiceError> {
    let sdk = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http_client())
        .endpoint_url(&named.endpoint)
        .load()
        .await;
    let region = sdk
        .region()
        .map_or(DEFAULT_REGION.to_string(), |r| r.to_string());
    let no_credentials = |what: String| ServiceError::Config {
        var: named.var.to_string(),
        what: format!(
            "is set, but the AWS SDK found no credentials (AWS_ACCESS_KEY_ID and \
             AWS_SECRET_ACCESS_KEY, AWS_PROFILE, AWS_WEB_IDENTITY_TOKEN_FILE, ...): {what}"
        ),
    };
    let provider = sdk
        .credentials_provider()
        .ok_or_else(|| no_credentials("no credentials provider".into()))?;
    let credentials = provider.provide_credentials().await.map_err(|e| {
        tracing::debug!(error = %DisplayErrorContext(&e), "S3 credentials failed");
        no_credentials(sdk_error::causes(&e).join(": "))
    })?;
    let config = aws_sdk_s3::config::Builder::from(&sdk).region(Region::new(region.clone()));
    let client = aws_sdk_s3::Client::from_conf(addressed(config, named.path_style).build());
    Ok((client, region, credentials))
}

async fn at_endpoint(named: S3Endpoint, timeout: Duration) -> Result<S3Service, ServiceError> {
    // Any HTTP answer proves the endpoint is there; its Server header says what it is.
    let http = reqwest::Client::builder()
        .timeout(timeout)
        .build()
        .map_err(|e| endpoint_error(&named.endpoint, e.to_string()))?;
    let response = http
        .get(&named.endpoint)
        .send()
        .await
        .map_err(|e| endpoint_error(&named.endpoint, format!("no answer: {e}")))?;
    let server = response
        .headers()
        .get(reqwest::header::SERVER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("S3")
        .to_string();
    let (client, region, credentials) = sdk_client(&named).await?;
    let owned = Owned::Endpoint {
        default_port: default_http_port(&named.endpoint),
        url: named.endpoint.clone(),
    };
    Ok(S3Service {
        endpoint: named.endpoint,
        bucket: named.bucket,
        region,
        provider: ProviderKind::Endpoint,
        server,
        version: "(version not reported)".into(),
        path_style: named.path_style,
        client,
        access_key_id: credentials.access_key_id().to_string(),
        secret_access_key: credentials.secret_access_key().to_string(),
        owned,
        _data_dir: None,
    })
}

/// The port an S3 endpoint URL without one is reached on: its scheme's.
fn default_http_port(endpoint: &str) -> u16 {
    if endpoint.starts_with("https:") {
        443
    } else {
        80
    }
}

fn endpoint_error(endpoint: &str, what: String) -> ServiceError {
    ServiceError::Endpoint {
        service: Service::S3,
        endpoint: endpoint.to_string(),
        what,
    }
}

async fn in_container(
    image: &ImageRef,
    bucket: &str,
    timeout: Duration,
) -> Result<S3Service, ServiceError> {
    let started = container::start(Service::S3, image, request(image), &[9000], timeout).await?;
    let endpoint = format!("http://{}:{}", started.host, started.ports[0]);
    started
        .guard
        .wait_ready(Service::S3, timeout, || minio_ready(&endpoint))
        .await?;
    let mut parts = Parts::owned(endpoint, bucket, MINIO_IMAGE_USER, MINIO_IMAGE_USER);
    parts.provider = ProviderKind::Container;
    parts.server = "MinIO".into();
    parts.version = image.tag.clone();
    let service = parts.into_service(Owned::Container(started.guard), None);
    if let Err(e) = service.ensure_bucket().await {
        return Err(match &service.owned {
            Owned::Container(c) => c.start_error(Service::S3, e.to_string()),
            _ => e,
        });
    }
    Ok(service)
}

async fn native_server(bucket: &str, timeout: Duration) -> Result<S3Service, ServiceError> {
    let binary = native::binary_for(Service::S3)?;
    let dir = native::data_dir("minio")?;
    let (key, secret) = (random_token("perfwarden"), random_token(""));
    let port = native::pick_port()?;
    let console = native::pick_port()?;
    let mut command = std::process::Command::new(&binary);
    command
        .arg("server")
        .arg(dir.path().join("data"))
        .args(["--address", &format!("127.0.0.1:{port}")])
        .args(["--console-address", &format!("127.0.0.1:{console}")])
        .arg("--certs-dir")
        .arg(dir.path().join("certs"))
        .env("MINIO_ROOT_USER", &key)
        .env("MINIO_ROOT_PASSWORD", &secret)
        .env("MINIO_BROWSER", "off")
        .env("MINIO_UPDATE", "off")
        .current_dir(dir.path());
    let mut child = ChildProcess::spawn(Service::S3, command, &dir.path().join("minio.log"))?;
    let endpoint = format!("http://127.0.0.1:{port}");
    child.wait_ready(timeout, || minio_ready(&endpoint)).await?;
    let version = native::version_output(&binary, &["--version"])
        .and_then(|text| parse_minio_version(&text).map(str::to_string))
        .unwrap_or_else(|| "unknown".into());
    let mut parts = Parts::owned(endpoint, bucket, &key, &secret);
    parts.provider = ProviderKind::Native;
    parts.server = "MinIO".into();
    parts.version = version;
    let service = parts.into_service(Owned::Child(child), Some(dir));
    service.ensure_bucket().await?;
    Ok(service)
}

async fn embedded(bucket: &str) -> Result<S3Service, ServiceError> {
    let dir = native::data_dir("s3s")?;
    let (key, secret) = (random_token("perfwarden"), random_token(""));
    let server = EmbeddedS3::start(dir.path(), &key, &secret)?;
    let mut parts = Parts::owned(format!("http://{}", server.addr()), bucket, &key, &secret);
    parts.provider = ProviderKind::Embedded;
    parts.server = "s3s-fs".into();
    parts.version = embedded_s3::VERSION.into();
    let service = parts.into_service(Owned::Embedded(server), Some(dir));
    service.ensure_bucket().await?;
    Ok(service)
}

async fn minio_ready(endpoint: &str) -> bool {
    let url = format!("{endpoint}/minio/health/ready");
    let client = reqwest::Client::new();
    let answer = client.get(url).timeout(Duration::from_secs(2)).send().await;
    answer.is_ok_and(|r| r.status().is_success())
}

/// `RELEASE.2025-02-28T09-55-16Z` from `minio version RELEASE.… (commit-id=…)`.
fn parse_minio_version(text: &str) -> Option<&str> {
    let mut words = text.split_whitespace();
    words.find(|w| *w == "version")?;
    words.next()
}

/// A fresh credential: the servers perfwarden starts accept only the client it configured.
fn random_token(prefix: &str) -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    let hex: String = (0..20)
        .map(|_| char::from_digit(rng.random_range(0..16), 16).unwrap_or('0'))
        .collect();
    format!("{prefix}{hex}")
}

impl S3Service {
    /// Creates the bucket unless it exists (and is ours).
    pub async fn ensure_bucket(&self) -> Result<(), ServiceError> {
        let head = self.client.head_bucket().bucket(&self.bucket).send().await;
        let missing = match &head {
            Ok(_) => return Ok(()),
            Err(e) => e.as_service_error().is_some_and(|s| s.is_not_found()),
        };
        if !missing {
            let e = head.expect_err("checked above");
            tracing::debug!(error = %DisplayErrorContext(&e), "S3 HeadBucket failed");
            return Err(self.client_error(format!(
                "bucket {}: {}",
                self.bucket,
                sdk_error::one_line("HeadBucket", &e)
            )));
        }
        let mut create = self.client.create_bucket().bucket(&self.bucket);
        // us-east-1 is the one region S3 wants no location constraint for.
        if self.region != DEFAULT_REGION {
            create = create.create_bucket_configuration(
                CreateBucketConfiguration::builder()
                    .location_constraint(BucketLocationConstraint::from(self.region.as_str()))
                    .build(),
            );
        }
        match create.send().await {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_bucket_already_owned_by_you()) =>
            {
                Ok(())
            }
            Err(e) => {
                tracing::debug!(error = %DisplayErrorContext(&e), "S3 CreateBucket failed");
                Err(self.client_error(format!(
                    "cannot create bucket {}: {}",
                    self.bucket,
                    sdk_error::one_line("CreateBucket", &e)
                )))
            }
        }
    }

    /// The secret key (the servers perfwarden starts make a fresh one each time).
    pub fn secret_access_key(&self) -> &str {
        &self.secret_access_key
    }

    /// What to hand [`ResourceSampler::start`].
    pub(crate) fn resource_target(&self) -> ResourceTarget {
        self.owned.resource_target(Service::S3)
    }

    /// Starts sampling this server's CPU and memory.
    pub fn sampler(&self) -> ResourceSampler {
        ResourceSampler::start(self.resource_target())
    }

    /// The line printed when the service was resolved.
    pub(crate) fn resolved(&self) -> Resolved {
        let mut detail = format!("bucket {}", self.bucket);
        if let Owned::Container(c) = &self.owned {
            detail = format!("image {}, {detail}", c.image());
        }
        Resolved {
            service: Service::S3,
            provider: self.provider,
            server: self.server.clone(),
            version: self.version.clone(),
            address: self.endpoint.clone(),
            detail: Some(detail),
        }
    }

    fn client_error(&self, what: String) -> ServiceError {
        ServiceError::Client {
            service: Service::S3,
            address: self.endpoint.clone(),
            what,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minio_version_is_the_release_name() {
        let out =
            "minio version RELEASE.2025-02-28T09-55-16Z (commit-id=8c2c92f7)\nRuntime: go1.23";
        assert_eq!(
            parse_minio_version(out),
            Some("RELEASE.2025-02-28T09-55-16Z")
        );
        assert_eq!(parse_minio_version("garbage"), None);
    }

    #[test]
    fn tokens_are_fresh() {
        let (a, b) = (random_token("perfwarden"), random_token("perfwarden"));
        assert_ne!(a, b);
        assert!(a.starts_with("perfwarden") && a.len() == "perfwarden".len() + 20);
    }
}
