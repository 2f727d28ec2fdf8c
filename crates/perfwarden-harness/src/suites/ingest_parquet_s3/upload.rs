//! Talking to S3: making sure the bucket exists, and uploading files with bounded retries.
//!
//! The SDK's own retries are switched off on the client used here, so that the suite's
//! [`RetryPolicy`] is the only one and its bound is the real bound (see [`super::retry`]).

use std::time::{Duration, Instant};

use aws_sdk_s3::Client;
use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use bytes::Bytes;
use futures::StreamExt;

use super::config::{PipelineConfig, RetryPolicy};
use super::error::IngestError;
use super::retry::{Attempt, Failed, Tries, classify, with_retry};

/// Where the suite writes: a client, its bucket, and the endpoint for messages.
#[derive(Clone, Debug)]
pub struct S3Target {
    pub client: Client,
    pub bucket: String,
    pub endpoint: String,
    /// The longest key the server stores, where it is shorter than S3's 1,024 bytes (the
    /// embedded server's, see [`crate::services::embedded_s3::max_key_bytes`]).
    pub max_key_bytes: Option<usize>,
}

impl From<&crate::services::s3::S3Service> for S3Target {
    /// The target of a service from the services layer (keep the service alive while
    /// the target is used: dropping it stops the server perfwarden started).
    fn from(s: &crate::services::s3::S3Service) -> S3Target {
        S3Target {
            client: s.client.clone(),
            bucket: s.bucket.clone(),
            endpoint: s.endpoint.clone(),
            max_key_bytes: (s.provider == crate::services::ProviderKind::Embedded)
                .then(|| crate::services::embedded_s3::max_key_bytes(&s.bucket)),
        }
    }
}

impl S3Target {
    /// A target for a plain S3 endpoint with static credentials and path-style addressing
    /// (what MinIO and local servers want). The suite normally gets its client from the
    /// services layer; this is for pointing at an endpoint directly, e.g. a dead one.
    pub fn for_endpoint(
        endpoint: &str,
        bucket: &str,
        access_key: &str,
        secret_key: &str,
    ) -> S3Target {
        use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
        let config = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .http_client(crate::services::s3::http_client())
            .endpoint_url(endpoint)
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new(
                access_key,
                secret_key,
                None,
                None,
                "perfwarden",
            ))
            .force_path_style(true)
            .build();
        S3Target {
            client: Client::from_conf(config),
            bucket: bucket.to_string(),
            endpoint: endpoint.to_string(),
            max_key_bytes: None,
        }
    }

    /// The same target with the SDK's retries off and bounded connect and attempt times.
    pub(crate) fn without_sdk_retries(&self) -> S3Target {
        let config = self
            .client
            .config()
            .to_builder()
            .retry_config(RetryConfig::disabled())
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(3))
                    .operation_attempt_timeout(Duration::from_secs(120))
                    .build(),
            )
            .build();
        S3Target {
            client: Client::from_conf(config),
            ..self.clone()
        }
    }
}

/// Whether the bucket had to be created.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bucket {
    Existed,
    Created,
}

/// Makes sure the bucket exists: creates it when missing and `create` is set, refuses
/// with [`IngestError::BucketMissing`] otherwise; an endpoint that stays unreachable over
/// the retry policy gives [`IngestError::Unreachable`].
pub async fn ensure_bucket(
    target: &S3Target,
    create: bool,
    retry: &RetryPolicy,
) -> Result<Bucket, IngestError> {
    let t = target.without_sdk_retries();
    let started = Instant::now();
    let head = with_retry(retry, || async {
        match t.client.head_bucket().bucket(&t.bucket).send().await {
            Ok(_) => Ok(true),
            Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 404) => Ok(false),
            Err(e) => Err(classify("HeadBucket", e)),
        }
    })
    .await;
    let exists = match head {
        Ok((exists, _)) => exists,
        Err(f) if f.exhausted => {
            return Err(IngestError::Unreachable {
                endpoint: t.endpoint.clone(),
                bucket: t.bucket.clone(),
                attempts: f.attempts,
                elapsed: started.elapsed(),
                last_error: f.error,
            });
        }
        Err(f) => {
            return Err(IngestError::S3 {
                op: "HeadBucket",
                endpoint: t.endpoint.clone(),
                bucket: t.bucket.clone(),
                key: String::new(),
                reason: f.error,
            });
        }
    };
    if exists {
        return Ok(Bucket::Existed);
    }
    if !create {
        return Err(IngestError::BucketMissing {
            endpoint: t.endpoint.clone(),
            bucket: t.bucket.clone(),
        });
    }
    with_retry(retry, || async {
        match t.client.create_bucket().bucket(&t.bucket).send().await {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_bucket_already_owned_by_you()) =>
            {
                Ok(())
            }
            Err(e) => Err(classify("CreateBucket", e)),
        }
    })
    .await
    .map_err(|f| IngestError::BucketCreate {
        endpoint: t.endpoint.clone(),
        bucket: t.bucket.clone(),
        reason: f.error,
    })?;
    Ok(Bucket::Created)
}

/// What one successful upload took.
#[derive(Clone, Copy, Debug)]
pub struct Uploaded {
    /// Attempts and retrying time of all the file's calls (PutObject, or every call of a
    /// multipart upload).
    pub tries: Tries,
    /// Calls made for the file: 1 for PutObject, parts + 2 for a multipart upload.
    pub calls: u32,
    pub parts: usize,
    pub took: Duration,
}

impl Uploaded {
    /// Whether any call of the file needed more than one attempt.
    pub fn retried(&self) -> bool {
        self.tries.attempts > self.calls
    }
}

/// Uploads objects with PutObject, or multipart above the threshold.
#[derive(Clone, Debug)]
pub struct Uploader {
    target: S3Target,
    multipart_threshold: u64,
    part_size: u64,
    retry: RetryPolicy,
}

impl Uploader {
    pub fn new(target: &S3Target, config: &PipelineConfig) -> Uploader {
        Uploader {
            target: target.without_sdk_retries(),
            multipart_threshold: config.multipart_threshold,
            part_size: config.part_size,
            retry: config.retry,
        }
    }

    /// Uploads `body` to `key`.
    pub async fn upload(&self, key: &str, body: Bytes) -> Result<Uploaded, Failed> {
        let started = Instant::now();
        let (tries, parts) = if (body.len() as u64) < self.multipart_threshold {
            let (_, tries) = with_retry(&self.retry, || self.put(key, body.clone())).await?;
            (tries, 1)
        } else {
            self.multipart(key, body).await?
        };
        Ok(Uploaded {
            tries,
            calls: if parts == 1 { 1 } else { parts as u32 + 2 },
            parts,
            took: started.elapsed(),
        })
    }

    async fn put(&self, key: &str, body: Bytes) -> Result<(), Attempt> {
        let t = &self.target;
        let len = body.len() as i64;
        t.client
            .put_object()
            .bucket(&t.bucket)
            .key(key)
            .content_length(len)
            .body(ByteStream::from(body))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| classify("PutObject", e))
    }

    /// Parts of `part_size` bytes (the last one the remainder), four in flight at once,
    /// each retried on its own; an upload that fails for good is aborted.
    async fn multipart(&self, key: &str, body: Bytes) -> Result<(Tries, usize), Failed> {
        let t = &self.target;
        let (created, mut tries) = with_retry(&self.retry, || async {
            t.client
                .create_multipart_upload()
                .bucket(&t.bucket)
                .key(key)
                .send()
                .await
                .map_err(|e| classify("CreateMultipartUpload", e))
        })
        .await?;
        let upload_id = created.upload_id().unwrap_or_default().to_string();
        let ranges = part_ranges(body.len() as u64, self.part_size);
        let parts = ranges.len();
        let results: Vec<_> = futures::stream::iter(ranges.into_iter().enumerate())
            .map(|(i, (start, end))| {
                let chunk = body.slice(start as usize..end as usize);
                let upload_id = &upload_id;
                async move {
                    let number = i as i32 + 1;
                    with_retry(&self.retry, || async {
                        t.client
                            .upload_part()
                            .bucket(&t.bucket)
                            .key(key)
                            .upload_id(upload_id)
                            .part_number(number)
                            .content_length(chunk.len() as i64)
                            .body(ByteStream::from(chunk.clone()))
                            .send()
                            .await
                            .map(|out| {
                                CompletedPart::builder()
                                    .part_number(number)
                                    .set_e_tag(out.e_tag().map(str::to_string))
                                    .build()
                            })
                            .map_err(|e| classify("UploadPart", e))
                    })
                    .await
                }
            })
            .buffered(4)
            .collect()
            .await;
        let mut completed = Vec::with_capacity(parts);
        let mut failure = None;
        for r in results {
            match r {
                Ok((part, a)) => {
                    tries = tries + a;
                    completed.push(part);
                }
                Err(e) => failure = Some(e),
            }
        }
        let result = match failure {
            Some(e) => Err(e),
            None => with_retry(&self.retry, || async {
                t.client
                    .complete_multipart_upload()
                    .bucket(&t.bucket)
                    .key(key)
                    .upload_id(&upload_id)
                    .multipart_upload(
                        CompletedMultipartUpload::builder()
                            .set_parts(Some(completed.clone()))
                            .build(),
                    )
                    .send()
                    .await
                    .map_err(|e| classify("CompleteMultipartUpload", e))
            })
            .await
            .map(|(_, a)| (tries + a, parts)),
        };
        if result.is_err() {
            // Best effort: a dead endpoint will not take the abort either.
            let _ = t
                .client
                .abort_multipart_upload()
                .bucket(&t.bucket)
                .key(key)
                .upload_id(&upload_id)
                .send()
                .await;
        }
        result
    }
}

/// Byte ranges `[start, end)` of the parts of an object of `len` bytes.
pub(crate) fn part_ranges(len: u64, part_size: u64) -> Vec<(u64, u64)> {
    (0..len.div_ceil(part_size))
        .map(|i| (i * part_size, ((i + 1) * part_size).min(len)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suites::ingest_parquet_s3::config::MIB;

    #[test]
    fn parts_cover_the_object_and_only_the_last_is_short() {
        let r = part_ranges(21 * MIB + 3, 8 * MIB);
        assert_eq!(
            r,
            vec![(0, 8 * MIB), (8 * MIB, 16 * MIB), (16 * MIB, 21 * MIB + 3)]
        );
        assert_eq!(part_ranges(16 * MIB, 8 * MIB).len(), 2);
    }
}
