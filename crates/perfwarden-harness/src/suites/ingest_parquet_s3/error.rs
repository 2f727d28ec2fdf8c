//! The suite's errors. Each names the endpoint, bucket, key or setting it is about, and
//! failures that lose data say how many events were not persisted.

use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// A setting that cannot work (part size under S3's 5 MiB minimum, zero lanes, ...).
    #[error("ingest_parquet_s3: bad setting {setting}: {what}")]
    Config { setting: &'static str, what: String },

    /// The bucket does not exist and the run was told not to create it.
    #[error(
        "ingest_parquet_s3: bucket {bucket:?} does not exist at {endpoint} and creating it is \
         off (set create_bucket, or create the bucket first)"
    )]
    BucketMissing { endpoint: String, bucket: String },

    /// The bucket does not exist and creating it failed.
    #[error(
        "ingest_parquet_s3: bucket {bucket:?} does not exist at {endpoint} and creating it failed: {reason}"
    )]
    BucketCreate {
        endpoint: String,
        bucket: String,
        reason: String,
    },

    /// S3 could not be reached before the run started, even after retrying.
    #[error(
        "ingest_parquet_s3: S3 at {endpoint} (bucket {bucket:?}) unreachable after {attempts} \
         attempts over {elapsed:.1?}; no events were sent: {last_error}"
    )]
    Unreachable {
        endpoint: String,
        bucket: String,
        attempts: u32,
        elapsed: Duration,
        last_error: String,
    },

    /// Uploads failed for good during the run: the data they carried is lost.
    #[error("ingest_parquet_s3: {0}")]
    UploadFailed(Box<UploadFailure>),

    /// Parquet encoding failed (a bug or an impossible setting, never the data).
    #[error("ingest_parquet_s3: encoding {what}: {source}")]
    Parquet {
        what: String,
        #[source]
        source: parquet::errors::ParquetError,
    },

    /// A closed file came out over the size limit: the size estimate was wrong.
    #[error(
        "ingest_parquet_s3: {key}: {size} bytes exceeds max_file_size {max} (size estimate too low)"
    )]
    FileTooLarge { key: String, size: u64, max: u64 },

    /// A single row group of one row does not fit under the size limit.
    #[error(
        "ingest_parquet_s3: max_file_size {max} is too small to hold even one event ({needed} bytes needed)"
    )]
    LimitTooSmall { max: u64, needed: u64 },

    /// An S3 call failed outside the retried upload path (listing, reading back, cleanup).
    #[error("ingest_parquet_s3: S3 {op} on {endpoint} bucket {bucket:?} {key}: {reason}")]
    S3 {
        op: &'static str,
        endpoint: String,
        bucket: String,
        key: String,
        reason: String,
    },

    /// What the run wrote to S3 does not match what it sent.
    #[error("ingest_parquet_s3: verification of {location} failed: {}", problems.join("; "))]
    Verification {
        location: String,
        problems: Vec<String>,
    },

    /// A pipeline thread died (a panic in encoding or pacing).
    #[error("ingest_parquet_s3: pipeline thread {thread} failed: {what}")]
    Thread { thread: String, what: String },
}

impl IngestError {
    pub(crate) fn parquet(what: impl Into<String>, source: parquet::errors::ParquetError) -> Self {
        IngestError::Parquet {
            what: what.into(),
            source,
        }
    }
}

/// The account of uploads that failed for good.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{failed_files} of {total_files} files could not be uploaded to {endpoint} (bucket \
     {bucket:?}; {untried_files} of them not tried once S3 had failed); {events_lost} of \
     {events_sent} events were not persisted; last failure, on {last_key} after {attempts} \
     attempts over {elapsed:.1?}: {last_error}"
)]
pub struct UploadFailure {
    pub endpoint: String,
    pub bucket: String,
    /// Files not persisted: tried and failed, or not tried after a failure.
    pub failed_files: u64,
    /// Of those, the files the run gave up on without trying them.
    pub untried_files: u64,
    pub total_files: u64,
    /// The attempts and time of the last failed file (every file has its own count).
    pub attempts: u32,
    pub elapsed: Duration,
    pub events_lost: u64,
    pub events_sent: u64,
    pub last_key: String,
    /// The last attempt's error, in one line.
    pub last_error: String,
}
