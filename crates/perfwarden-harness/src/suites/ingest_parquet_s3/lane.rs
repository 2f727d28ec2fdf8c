//! A lane: one encoding thread's state. It buffers events per event type and UTC day,
//! encodes the fullest buffer as a row group whenever `row_group_rows` events are waiting
//! in all, and closes files when the next row group would pass `max_file_size` or when
//! told to flush.
//!
//! The lane is plain synchronous code: the pipeline runs one per thread and feeds it from
//! a channel, and the encode-alone measurement calls it directly, so both measure the same
//! work.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::config::PipelineConfig;
use super::encode::{OpenFile, RowGroupEncoder};
use super::error::IngestError;
use super::events::{Event, EventType};
use super::keys::{day_of, file_key};
use super::world::World;

/// A finished Parquet file, ready to upload.
#[derive(Clone, Debug)]
pub(crate) struct ClosedFile {
    pub key: String,
    /// What the key names, kept for the tests that check a file holds one type and day.
    #[cfg(test)]
    pub kind: EventType,
    #[cfg(test)]
    pub day: i64,
    pub bytes: Bytes,
    pub rows: u64,
    /// Event times run-length encoded per millisecond: (milliseconds since the epoch,
    /// events), for the event-to-visible lag.
    pub times: Vec<(i64, u32)>,
}

/// Hands out the run-wide counter that makes keys unique.
#[derive(Debug)]
pub(crate) struct KeyAllocator {
    prefix: String,
    next: AtomicU64,
}

impl KeyAllocator {
    pub(crate) fn new(prefix: impl Into<String>) -> KeyAllocator {
        KeyAllocator {
            prefix: prefix.into(),
            next: AtomicU64::new(1),
        }
    }

    pub(crate) fn key(&self, kind: EventType, first_us: i64) -> String {
        file_key(
            &self.prefix,
            kind,
            first_us,
            self.next.fetch_add(1, Ordering::Relaxed),
        )
    }
}

/// What a lane did.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct LaneStats {
    pub events: u64,
    pub files: u64,
    pub bytes: u64,
    /// Time spent routing, encoding and closing files (without waiting for input).
    pub busy: Duration,
    /// Rows encoded a second time by the injected slowdown.
    pub burned_rows: u64,
}

struct FileState {
    file: OpenFile,
    min_us: i64,
    max_us: i64,
    times: Vec<(i64, u32)>,
}

struct Partition {
    kind: EventType,
    day: i64,
    pending: Vec<Event>,
    file: Option<FileState>,
}

pub(crate) struct Lane {
    encoder: RowGroupEncoder,
    keys: Arc<KeyAllocator>,
    max_file_size: u64,
    row_group_rows: usize,
    slowdown: f64,
    partitions: Vec<Partition>,
    last: usize,
    /// Events buffered over all partitions, not yet encoded.
    pending: usize,
    /// Injected extra encoding owed, in millionths of a row (fractions carry over).
    burn_credit: u64,
    pub stats: LaneStats,
}

impl Lane {
    #[cfg(test)]
    /// Whether anything is buffered or open.
    pub(crate) fn is_empty(&self) -> bool {
        self.partitions.is_empty()
    }

    pub(crate) fn new(
        world: Arc<World>,
        config: &PipelineConfig,
        keys: Arc<KeyAllocator>,
    ) -> Result<Lane, IngestError> {
        Ok(Lane {
            encoder: RowGroupEncoder::new(world, config.writer_properties()?)?,
            keys,
            max_file_size: config.max_file_size,
            row_group_rows: config.row_group_rows,
            slowdown: config.slowdown,
            partitions: Vec::new(),
            last: 0,
            pending: 0,
            burn_credit: 0,
            stats: LaneStats::default(),
        })
    }

    /// Buffers a batch; encodes the row groups it completes and appends the files it
    /// closes to `out`.
    pub(crate) fn handle_batch(
        &mut self,
        batch: &[Event],
        out: &mut Vec<ClosedFile>,
    ) -> Result<(), IngestError> {
        let started = Instant::now();
        for e in batch {
            let p = self.slot(e.kind, day_of(e.time_us));
            self.partitions[p].pending.push(*e);
        }
        self.stats.events += batch.len() as u64;
        self.pending += batch.len();
        // A lane holds at most `row_group_rows` events unencoded, over all its buffers:
        // memory stays bounded and a pipeline that cannot keep up slows the sender within
        // a fraction of a second instead of absorbing seconds of input. The fullest
        // buffer becomes the next row group.
        while self.pending >= self.row_group_rows {
            let i = (0..self.partitions.len())
                .max_by_key(|&i| self.partitions[i].pending.len())
                .expect("events are pending");
            let p = &mut self.partitions[i];
            let take = p.pending.len().min(self.row_group_rows);
            let rest = p.pending.split_off(take);
            let group = std::mem::replace(&mut p.pending, rest);
            self.pending -= take;
            self.place(i, &group, out)?;
        }
        self.finish_work(started);
        Ok(())
    }

    /// Encodes everything buffered and closes every open file.
    pub(crate) fn flush(&mut self, out: &mut Vec<ClosedFile>) -> Result<(), IngestError> {
        let started = Instant::now();
        for i in 0..self.partitions.len() {
            let pending = std::mem::take(&mut self.partitions[i].pending);
            if !pending.is_empty() {
                self.place(i, &pending, out)?;
            }
            if let Some(file) = self.partitions[i].file.take() {
                out.push(self.close(i, file)?);
            }
        }
        self.partitions.clear();
        self.last = 0;
        self.pending = 0;
        self.finish_work(started);
        Ok(())
    }

    /// Accounts the work since `started`.
    fn finish_work(&mut self, started: Instant) {
        self.stats.busy += started.elapsed();
    }

    /// The injected slowdown: once `slowdown` times the rows encoded so far add up to a
    /// row group's worth, the row group is encoded once more and thrown away. The extra
    /// work is real encoding of whole row groups (with their fixed costs), so it is the
    /// same share of the work on any machine and under any load; a timed spin would
    /// stretch with whatever else the machine does.
    fn burn(&mut self, events: &[Event]) -> Result<(), IngestError> {
        if self.slowdown <= 0.0 || events.is_empty() {
            return Ok(());
        }
        // In millionths of a row, so that shares add up exactly over row groups.
        let len = events.len() as u64 * 1_000_000;
        self.burn_credit += (self.slowdown * 1e6).round() as u64 * events.len() as u64;
        while self.burn_credit >= len {
            drop(self.encoder.encode(events)?);
            self.burn_credit -= len;
            self.stats.burned_rows += events.len() as u64;
        }
        Ok(())
    }

    fn slot(&mut self, kind: EventType, day: i64) -> usize {
        if let Some(p) = self.partitions.get(self.last)
            && p.kind == kind
            && p.day == day
        {
            return self.last;
        }
        let found = self
            .partitions
            .iter()
            .position(|p| p.kind == kind && p.day == day);
        self.last = found.unwrap_or_else(|| {
            self.partitions.push(Partition {
                kind,
                day,
                pending: Vec::with_capacity(self.row_group_rows.min(1 << 14)),
                file: None,
            });
            self.partitions.len() - 1
        });
        self.last
    }

    /// Encodes `events` and adds them to partition `i`'s file, closing it first when
    /// they would not fit and splitting them when they would not fit even an empty file.
    fn place(
        &mut self,
        i: usize,
        events: &[Event],
        out: &mut Vec<ClosedFile>,
    ) -> Result<(), IngestError> {
        let group = self.encoder.encode(events)?;
        self.burn(events)?;
        if let Some(state) = &self.partitions[i].file
            && self.encoder.size_with(&state.file, &group) > self.max_file_size
        {
            let state = self.partitions[i].file.take().expect("checked above");
            out.push(self.close(i, state)?);
        }
        if self.partitions[i].file.is_none() {
            let empty = self.encoder.start_file()?;
            let needed = self.encoder.size_with(&empty, &group);
            if needed > self.max_file_size {
                if events.len() == 1 {
                    return Err(IngestError::LimitTooSmall {
                        max: self.max_file_size,
                        needed,
                    });
                }
                drop(group);
                let (a, b) = events.split_at(events.len() / 2);
                self.place(i, a, out)?;
                return self.place(i, b, out);
            }
            self.partitions[i].file = Some(FileState {
                file: empty,
                min_us: i64::MAX,
                max_us: i64::MIN,
                times: Vec::new(),
            });
        }
        let state = self.partitions[i].file.as_mut().expect("opened above");
        state.file.append(group)?;
        for e in events {
            state.min_us = state.min_us.min(e.time_us);
            state.max_us = state.max_us.max(e.time_us);
            let ms = e.time_us.div_euclid(1_000);
            match state.times.last_mut() {
                Some((t, n)) if *t == ms => *n += 1,
                _ => state.times.push((ms, 1)),
            }
        }
        Ok(())
    }

    fn close(&mut self, i: usize, state: FileState) -> Result<ClosedFile, IngestError> {
        let p = &self.partitions[i];
        let rows = state.file.rows;
        let bytes = state.file.finish()?;
        let key = self.keys.key(p.kind, state.min_us);
        if bytes.len() as u64 > self.max_file_size {
            return Err(IngestError::FileTooLarge {
                key,
                size: bytes.len() as u64,
                max: self.max_file_size,
            });
        }
        self.stats.files += 1;
        self.stats.bytes += bytes.len() as u64;
        Ok(ClosedFile {
            key,
            #[cfg(test)]
            kind: p.kind,
            #[cfg(test)]
            day: p.day,
            bytes,
            rows,
            times: state.times,
        })
    }
}

#[cfg(test)]
#[path = "lane_tests.rs"]
mod tests;
