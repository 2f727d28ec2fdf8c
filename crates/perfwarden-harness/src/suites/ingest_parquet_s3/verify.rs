//! Verification after a run: what is in S3 must be exactly what was sent.
//!
//! The prefix is listed page by page; every object must have a key of the suite's form,
//! be at most `max_file_size`, and hold only events of its key's type and day (read from
//! the footer's column statistics). Every object is read back: the footer's row counts
//! must add up to the events sent, and the `seq` column must contain every number from 0
//! to events − 1 exactly once (a bitmap), so nothing is lost and nothing duplicated.

use std::time::{Duration, Instant};

use arrow_array::cast::AsArray;
use arrow_array::types::UInt64Type;
use bytes::Bytes;
use futures::StreamExt;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::file::metadata::ParquetMetaData;
use parquet::file::statistics::Statistics;

use super::columns::{EVENT_ID, SEQ, TIME};
use super::error::IngestError;
use super::keys::{KeyParts, day_of, parse_key};
use super::pipeline::Manifest;
use super::retry::{causes, detail};
use super::upload::S3Target;

/// At most this many problems are spelled out; the rest are counted.
const MAX_LISTED_PROBLEMS: usize = 10;

/// What a run should have left under its prefix.
#[derive(Clone, Debug)]
pub struct Expectation<'a> {
    pub prefix: &'a str,
    pub events: u64,
    pub max_file_size: u64,
    /// The objects the pipeline says it uploaded, when known.
    pub manifest: Option<&'a [Manifest]>,
    /// Keys per listing page (S3's maximum is 1,000; tests use fewer to page).
    pub page_size: i32,
}

/// What verification found (when everything matched).
#[derive(Clone, Debug, PartialEq)]
pub struct VerifyReport {
    pub files: u64,
    pub bytes: u64,
    pub rows: u64,
    pub largest_file: u64,
    pub list_pages: u32,
    pub took: Duration,
}

/// Checks everything under `exp.prefix` in `target`.
pub async fn verify(target: &S3Target, exp: &Expectation<'_>) -> Result<VerifyReport, IngestError> {
    let started = Instant::now();
    let (objects, list_pages) = list(target, exp.prefix, exp.page_size).await?;
    let mut problems = Problems::default();
    if let Some(manifest) = exp.manifest {
        let listed: std::collections::HashMap<&str, u64> =
            objects.iter().map(|(k, s)| (k.as_str(), *s)).collect();
        for m in manifest {
            match listed.get(m.key.as_str()) {
                None => problems.add(format!("{} was uploaded but is not listed", m.key)),
                Some(&s) if s != m.size => {
                    problems.add(format!("{} is {s} bytes, uploaded {}", m.key, m.size))
                }
                Some(_) => {}
            }
        }
        if objects.len() != manifest.len() {
            problems.add(format!(
                "{} objects listed, {} uploaded",
                objects.len(),
                manifest.len()
            ));
        }
    }
    let mut seen = vec![0u64; exp.events.div_ceil(64) as usize];
    let (mut rows, mut duplicates, mut out_of_range) = (0u64, 0u64, 0u64);
    let mut reads = futures::stream::iter(objects.iter())
        .map(|(key, _)| async move { (key, get(target, key).await) })
        .buffer_unordered(8);
    while let Some((key, body)) = reads.next().await {
        let body = body?;
        let Some(parts) = parse_key(exp.prefix, key) else {
            problems.add(format!("{key}: not a key this suite writes"));
            continue;
        };
        if body.len() as u64 > exp.max_file_size {
            problems.add(format!(
                "{key}: {} bytes exceeds max_file_size {}",
                body.len(),
                exp.max_file_size
            ));
        }
        let (meta, seqs) = match read_file(body) {
            Ok(x) => x,
            Err(e) => {
                problems.add(format!("{key}: unreadable Parquet: {e}"));
                continue;
            }
        };
        check_partition(key, &parts, &meta, &mut problems);
        let file_rows = meta.file_metadata().num_rows() as u64;
        rows += file_rows;
        if seqs.len() as u64 != file_rows {
            problems.add(format!(
                "{key}: footer says {file_rows} rows, seq column has {}",
                seqs.len()
            ));
        }
        for s in seqs {
            if s >= exp.events {
                out_of_range += 1;
                continue;
            }
            let (word, bit) = ((s / 64) as usize, 1u64 << (s % 64));
            if seen[word] & bit != 0 {
                duplicates += 1;
            }
            seen[word] |= bit;
        }
    }
    let distinct: u64 = seen.iter().map(|w| w.count_ones() as u64).sum();
    if rows != exp.events {
        problems.add(format!("{rows} rows in S3, {} events sent", exp.events));
    }
    if distinct != exp.events {
        problems.add(format!("{} events missing", exp.events - distinct));
    }
    if duplicates > 0 {
        problems.add(format!("{duplicates} events duplicated"));
    }
    if out_of_range > 0 {
        problems.add(format!("{out_of_range} rows with a seq never sent"));
    }
    if !problems.list.is_empty() {
        return Err(IngestError::Verification {
            location: format!(
                "s3://{}/{} at {}",
                target.bucket, exp.prefix, target.endpoint
            ),
            problems: problems.finish(),
        });
    }
    Ok(VerifyReport {
        files: objects.len() as u64,
        bytes: objects.iter().map(|(_, s)| *s).sum(),
        rows,
        largest_file: objects.iter().map(|(_, s)| *s).max().unwrap_or(0),
        list_pages,
        took: started.elapsed(),
    })
}

/// Every object under `prefix` as (key, size), following continuation tokens.
pub async fn list(
    target: &S3Target,
    prefix: &str,
    page_size: i32,
) -> Result<(Vec<(String, u64)>, u32), IngestError> {
    let mut pages = target
        .client
        .list_objects_v2()
        .bucket(&target.bucket)
        .prefix(prefix)
        .max_keys(page_size)
        .into_paginator()
        .send();
    let (mut objects, mut count) = (Vec::new(), 0);
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| s3_error(target, "ListObjectsV2", prefix, detail(&e)))?;
        count += 1;
        for o in page.contents() {
            objects.push((
                o.key().unwrap_or_default().to_string(),
                o.size().unwrap_or(0) as u64,
            ));
        }
    }
    Ok((objects, count))
}

async fn get(target: &S3Target, key: &str) -> Result<Bytes, IngestError> {
    let out = target
        .client
        .get_object()
        .bucket(&target.bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| s3_error(target, "GetObject", key, detail(&e)))?;
    let body = out
        .body
        .collect()
        .await
        .map_err(|e| s3_error(target, "GetObject", key, causes(&e).join(": ")))?;
    Ok(body.into_bytes())
}

pub(crate) fn s3_error(
    target: &S3Target,
    op: &'static str,
    key: &str,
    reason: String,
) -> IngestError {
    IngestError::S3 {
        op,
        endpoint: target.endpoint.clone(),
        bucket: target.bucket.clone(),
        key: key.to_string(),
        reason,
    }
}

/// The footer and the `seq` column of a Parquet file.
fn read_file(body: Bytes) -> Result<(ParquetMetaData, Vec<u64>), parquet::errors::ParquetError> {
    let builder = ParquetRecordBatchReaderBuilder::try_new(body)?;
    let meta = builder.metadata().as_ref().clone();
    let mask = ProjectionMask::roots(builder.parquet_schema(), [SEQ]);
    let mut seqs = Vec::with_capacity(meta.file_metadata().num_rows() as usize);
    for batch in builder
        .with_projection(mask)
        .with_batch_size(65_536)
        .build()?
    {
        seqs.extend_from_slice(batch?.column(0).as_primitive::<UInt64Type>().values());
    }
    Ok((meta, seqs))
}

/// Every row group's `event_id` must be the key's type and its `time` range must lie in
/// the key's day, by the footer's statistics.
fn check_partition(key: &str, parts: &KeyParts, meta: &ParquetMetaData, problems: &mut Problems) {
    for (i, rg) in meta.row_groups().iter().enumerate() {
        match rg.column(EVENT_ID).statistics() {
            Some(Statistics::Int32(s))
                if s.min_opt() == s.max_opt()
                    && s.min_opt() == Some(&(parts.event_type as i32)) => {}
            other => problems.add(format!("{key}: row group {i} has event ids {other:?}")),
        }
        match rg.column(TIME).statistics() {
            Some(Statistics::Int64(s)) => {
                let (min, max) = (s.min_opt().copied(), s.max_opt().copied());
                if min.map(day_of) != Some(parts.epoch_day)
                    || max.map(day_of) != Some(parts.epoch_day)
                {
                    problems.add(format!(
                        "{key}: row group {i} holds times {min:?}..{max:?} outside its day"
                    ));
                }
            }
            other => problems.add(format!(
                "{key}: row group {i} has no time statistics ({other:?})"
            )),
        }
    }
}

#[derive(Default)]
struct Problems {
    list: Vec<String>,
    more: usize,
}

impl Problems {
    fn add(&mut self, p: String) {
        if self.list.len() < MAX_LISTED_PROBLEMS {
            self.list.push(p);
        } else {
            self.more += 1;
        }
    }

    fn finish(mut self) -> Vec<String> {
        if self.more > 0 {
            self.list.push(format!("and {} more", self.more));
        }
        self.list
    }
}

/// Deletes every object under `prefix` (a run's own), sixteen at a time; returns how many.
pub async fn delete_prefix(target: &S3Target, prefix: &str) -> Result<u64, IngestError> {
    let (objects, _) = list(target, prefix, 1_000).await?;
    let mut deletes = futures::stream::iter(objects.iter())
        .map(|(key, _)| async move {
            target
                .client
                .delete_object()
                .bucket(&target.bucket)
                .key(key)
                .send()
                .await
                .map_err(|e| s3_error(target, "DeleteObject", key, detail(&e)))
        })
        .buffer_unordered(16);
    while let Some(done) = deletes.next().await {
        done?;
    }
    Ok(objects.len() as u64)
}
