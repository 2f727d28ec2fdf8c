//! The pipeline's settings, their defaults (the seed's server configuration) and checks.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use parquet::basic::{Compression, Encoding, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;

use super::error::IngestError;

/// Environment variable injecting extra work, as a fraction of the encoding work:
/// `PERFWARDEN_INJECT_SLOWDOWN=0.15` encodes 15% of the row groups a second time (and
/// discards them), so every batch costs about 15% more CPU. It exists to check that the
/// gate catches a regression of known size; unset or 0 means none.
pub const SLOWDOWN_VAR: &str = "PERFWARDEN_INJECT_SLOWDOWN";

pub const MIB: u64 = 1024 * 1024;
/// S3's smallest allowed multipart part (all but the last).
pub(crate) const MIN_PART_SIZE: u64 = 5 * MIB;

/// Parquet compression. The arrow-rs default is none; the suite's default is ZSTD.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Codec {
    None,
    Snappy,
    /// ZSTD at a level from 1 to 22.
    Zstd(i32),
}

impl Codec {
    pub(crate) fn to_parquet(self) -> Result<Compression, IngestError> {
        Ok(match self {
            Codec::None => Compression::UNCOMPRESSED,
            Codec::Snappy => Compression::SNAPPY,
            Codec::Zstd(level) => {
                Compression::ZSTD(ZstdLevel::try_new(level).map_err(|e| IngestError::Config {
                    setting: "codec",
                    what: e.to_string(),
                })?)
            }
        })
    }
}

impl Default for Codec {
    fn default() -> Codec {
        Codec::Zstd(3)
    }
}

impl fmt::Display for Codec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Codec::None => f.write_str("none"),
            Codec::Snappy => f.write_str("snappy"),
            Codec::Zstd(l) => write!(f, "zstd:{l}"),
        }
    }
}

impl FromStr for Codec {
    type Err = String;

    /// `none`, `snappy`, `zstd` (level 3) or `zstd:N`.
    fn from_str(s: &str) -> Result<Codec, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "none" | "uncompressed" => Ok(Codec::None),
            "snappy" => Ok(Codec::Snappy),
            "zstd" => Ok(Codec::Zstd(3)),
            other => other
                .strip_prefix("zstd:")
                .and_then(|l| l.parse().ok())
                .map(Codec::Zstd)
                .ok_or_else(|| {
                    format!("unknown codec {s:?} (expected none, snappy, zstd or zstd:N)")
                }),
        }
    }
}

/// Bounded exponential backoff for S3 calls: attempt `n` (from 1) that fails waits
/// `base * 2^(n-1)`, capped at `max_delay`, before attempt `n + 1`; after `max_attempts`
/// the call fails for good.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    /// Eight attempts over about eleven seconds: long enough to ride out a restarting
    /// S3 server, short enough that a dead one fails the run promptly.
    fn default() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 8,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    #[cfg(test)]
    /// The sum of all waits: how long a call can keep retrying at most (besides the
    /// attempts' own time).
    pub(crate) fn total_wait(&self) -> Duration {
        (1..self.max_attempts).map(|a| self.delay(a)).sum()
    }

    /// The wait after failed attempt `attempt` (1-based).
    pub(crate) fn delay(&self, attempt: u32) -> Duration {
        let factor = 1u32
            .checked_shl(attempt.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }
}

/// How the pipeline buffers, encodes and uploads.
#[derive(Clone, Debug, PartialEq)]
pub struct PipelineConfig {
    /// Events per batch handed to the pipeline (the seed's client sends 1,000).
    pub batch_size: usize,
    /// Every open file is closed and uploaded this often.
    pub flush_interval: Duration,
    /// No object exceeds this many bytes (the seed's 100 MB, taken as 100 MiB).
    pub max_file_size: u64,
    pub codec: Codec,
    /// Rows per Parquet row group: bounds the memory a buffer holds before encoding.
    pub row_group_rows: usize,
    /// Encoding threads; each buffers every event type it sees and writes its own files.
    pub lanes: usize,
    /// Objects of at least this size go up as multipart uploads.
    pub multipart_threshold: u64,
    /// Multipart part size (at least S3's 5 MiB).
    pub part_size: u64,
    /// Uploads in flight at once.
    pub upload_concurrency: usize,
    pub retry: RetryPolicy,
    /// Extra work per batch as a fraction ([`SLOWDOWN_VAR`]).
    pub slowdown: f64,
    /// Key prefix (with a trailing `/`, or empty) under which partitions are written.
    pub prefix: String,
}

impl Default for PipelineConfig {
    fn default() -> PipelineConfig {
        PipelineConfig {
            batch_size: 1_000,
            flush_interval: Duration::from_secs(5),
            max_file_size: 100 * MIB,
            codec: Codec::default(),
            row_group_rows: 64 * 1024,
            lanes: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
            multipart_threshold: 16 * MIB,
            part_size: 8 * MIB,
            upload_concurrency: 8,
            retry: RetryPolicy::default(),
            slowdown: 0.0,
            prefix: String::new(),
        }
    }
}

impl PipelineConfig {
    /// Checks every setting, naming the first that cannot work.
    pub(crate) fn validate(&self) -> Result<(), IngestError> {
        let bad = |setting, what: String| Err(IngestError::Config { setting, what });
        if self.batch_size == 0 {
            return bad("batch_size", "must be at least 1".into());
        }
        if self.lanes == 0 || self.upload_concurrency == 0 {
            return bad("lanes/upload_concurrency", "must be at least 1".into());
        }
        if self.row_group_rows == 0 {
            return bad("row_group_rows", "must be at least 1".into());
        }
        if self.flush_interval.is_zero() {
            return bad("flush_interval", "must be positive".into());
        }
        if self.part_size < MIN_PART_SIZE {
            return bad(
                "part_size",
                format!("{} is below S3's minimum of 5 MiB", self.part_size),
            );
        }
        if self.multipart_threshold < self.part_size {
            return bad("multipart_threshold", "must be at least part_size".into());
        }
        if !(0.0..=10.0).contains(&self.slowdown) {
            return bad("slowdown", format!("{} is outside 0..=10", self.slowdown));
        }
        if !self.prefix.is_empty() && !self.prefix.ends_with('/') {
            return bad("prefix", format!("{:?} must end with '/'", self.prefix));
        }
        self.codec.to_parquet()?;
        Ok(())
    }

    /// The Parquet writer settings: compression as configured, statistics per page (the
    /// verifier reads the chunk statistics from the footer), string statistics truncated
    /// so the footer stays small and bounded.
    ///
    /// Columns whose values are (nearly) all distinct skip the dictionary, which would
    /// only hash every value to give up later: `seq` and `time` grow steadily and take
    /// delta encoding, logon IDs, process IDs and ports stay plain. Free-text columns
    /// (command lines, privilege lists) keep no statistics: nobody prunes on them and
    /// comparing long strings per value is the writer's most expensive statistic.
    pub fn writer_properties(&self) -> Result<WriterProperties, IngestError> {
        let mut b = WriterProperties::builder();
        for name in ["seq", "time"] {
            b = b
                .set_column_dictionary_enabled(ColumnPath::from(name), false)
                .set_column_encoding(ColumnPath::from(name), Encoding::DELTA_BINARY_PACKED);
        }
        for name in [
            "subject_logon_id",
            "target_logon_id",
            "process_id",
            "ip_port",
        ] {
            b = b.set_column_dictionary_enabled(ColumnPath::from(name), false);
        }
        for name in ["command_line", "privilege_list"] {
            b = b.set_column_statistics_enabled(ColumnPath::from(name), EnabledStatistics::None);
        }
        Ok(b.set_compression(self.codec.to_parquet()?)
            .set_statistics_enabled(EnabledStatistics::Page)
            .set_statistics_truncate_length(Some(64))
            .set_column_index_truncate_length(Some(64))
            .set_max_row_group_row_count(None)
            .set_created_by(format!(
                "perfwarden ingest_parquet_s3 ({})",
                parquet::file::properties::DEFAULT_CREATED_BY
            ))
            .build())
    }
}

/// The slowdown fraction from [`SLOWDOWN_VAR`]; 0 when unset.
pub fn slowdown_from_env() -> Result<f64, IngestError> {
    match std::env::var(SLOWDOWN_VAR) {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite() && (0.0..=10.0).contains(f))
            .ok_or_else(|| IngestError::Config {
                setting: SLOWDOWN_VAR,
                what: format!(
                    "{v:?} is not a fraction between 0 and 10 (0.15 = 15% more work per batch)"
                ),
            }),
        _ => Ok(0.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codecs_parse_and_default_to_zstd() {
        assert_eq!(Codec::default(), Codec::Zstd(3));
        for c in [Codec::None, Codec::Snappy, Codec::Zstd(9)] {
            assert_eq!(c.to_string().parse::<Codec>().unwrap(), c);
        }
        assert!("lz4".parse::<Codec>().unwrap_err().contains("lz4"));
        assert!(Codec::Zstd(40).to_parquet().is_err());
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let r = RetryPolicy::default();
        assert_eq!(r.delay(1), Duration::from_millis(100));
        assert_eq!(r.delay(3), Duration::from_millis(400));
        assert_eq!(r.delay(9), Duration::from_secs(5));
        assert_eq!(r.delay(200), Duration::from_secs(5));
        assert_eq!(
            r.total_wait(),
            Duration::from_millis(100 + 200 + 400 + 800 + 1600 + 3200 + 5000)
        );
    }

    #[test]
    fn validation_names_the_setting() {
        assert!(PipelineConfig::default().validate().is_ok());
        let small_parts = PipelineConfig {
            part_size: MIB,
            ..Default::default()
        };
        assert!(
            small_parts
                .validate()
                .unwrap_err()
                .to_string()
                .contains("part_size")
        );
        let prefix = PipelineConfig {
            prefix: "runs".into(),
            ..Default::default()
        };
        assert!(
            prefix
                .validate()
                .unwrap_err()
                .to_string()
                .contains("prefix")
        );
    }
}
