//! Tests of the lane: files hold every event once, stay under the size limit, sit in the
//! partition of their events' day, and have unique keys.

use std::collections::HashSet;

use arrow_array::cast::AsArray;
use arrow_array::types::{TimestampMicrosecondType, UInt64Type};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::file::reader::{FileReader, SerializedFileReader};

use super::*;
use crate::suites::ingest_parquet_s3::columns::{SEQ, TIME};
use crate::suites::ingest_parquet_s3::config::Codec;
use crate::suites::ingest_parquet_s3::events::EventMix;
use crate::suites::ingest_parquet_s3::generator::Generator;
use crate::suites::ingest_parquet_s3::keys::parse_key;

/// 2026-02-08T23:59:58Z: two seconds before a day boundary.
const NEAR_MIDNIGHT_US: i64 = 1_770_595_198_000_000;

fn stamped(mix: EventMix, n: usize, start_us: i64, step_us: i64) -> (Arc<World>, Vec<Event>) {
    let world = Arc::new(World::new(9));
    let mut g = Generator::new(world.clone(), mix, 9);
    let mut events = Vec::new();
    g.fill(&mut events, n);
    for e in &mut events {
        e.time_us = start_us + e.seq as i64 * step_us;
    }
    (world, events)
}

fn run_lane(config: &PipelineConfig, world: Arc<World>, events: &[Event]) -> Vec<ClosedFile> {
    let mut lane = Lane::new(world, config, Arc::new(KeyAllocator::new("t/"))).unwrap();
    let mut out = Vec::new();
    for batch in events.chunks(config.batch_size) {
        lane.handle_batch(batch, &mut out).unwrap();
    }
    lane.flush(&mut out).unwrap();
    assert!(lane.is_empty());
    assert_eq!(lane.stats.events, events.len() as u64);
    assert_eq!(lane.stats.files, out.len() as u64);
    out
}

/// Reads `(seq, time)` of every row, checking the file's own claims on the way.
fn read_back(file: &ClosedFile) -> Vec<(u64, i64)> {
    let reader = ParquetRecordBatchReaderBuilder::try_new(file.bytes.clone())
        .unwrap()
        .build()
        .unwrap();
    let mut rows = Vec::new();
    for batch in reader {
        let batch = batch.unwrap();
        let seq = batch.column(SEQ).as_primitive::<UInt64Type>();
        let time = batch
            .column(TIME)
            .as_primitive::<TimestampMicrosecondType>();
        rows.extend(
            seq.values()
                .iter()
                .copied()
                .zip(time.values().iter().copied()),
        );
    }
    assert_eq!(rows.len() as u64, file.rows, "{}", file.key);
    rows
}

#[test]
fn every_event_lands_in_exactly_one_file_of_its_type_and_day() {
    let config = PipelineConfig {
        row_group_rows: 4_096,
        ..PipelineConfig::default()
    };
    // 40,000 events over four seconds that straddle midnight.
    let (world, events) = stamped(EventMix::Realistic, 40_000, NEAR_MIDNIGHT_US, 100);
    let files = run_lane(&config, world, &events);
    let mut seen = HashSet::new();
    for f in &files {
        let parts = parse_key("t/", &f.key).unwrap_or_else(|| panic!("bad key {}", f.key));
        assert_eq!(parts.event_type, f.kind.id());
        assert_eq!(parts.epoch_day, f.day);
        for (seq, time) in read_back(f) {
            assert!(seen.insert(seq), "seq {seq} twice");
            let e = &events[seq as usize];
            assert_eq!((e.kind, e.time_us), (f.kind, time));
            assert_eq!(
                day_of(time),
                f.day,
                "{} holds an event of another day",
                f.key
            );
        }
    }
    assert_eq!(seen.len(), events.len());
    // Seven types on two days, one file each.
    assert_eq!(files.len(), 14);
    let keys: HashSet<_> = files.iter().map(|f| &f.key).collect();
    assert_eq!(keys.len(), files.len(), "keys are unique");
}

#[test]
fn files_never_pass_the_size_limit_and_the_footer_bound_holds() {
    for (max, rows, codec) in [
        (64 * 1024, 1_000, Codec::Zstd(3)),
        (200 * 1024, 4_096, Codec::Zstd(3)),
        (300 * 1024, 65_536, Codec::None),
        (256 * 1024, 8_192, Codec::Snappy),
    ] {
        let config = PipelineConfig {
            max_file_size: max,
            row_group_rows: rows,
            codec,
            ..PipelineConfig::default()
        };
        let (world, events) = stamped(
            EventMix::Fixed(EventType::Logon),
            20_000,
            NEAR_MIDNIGHT_US - 10_000_000,
            10,
        );
        let files = run_lane(&config, world.clone(), &events);
        assert!(files.len() > 1, "{max}: one file only");
        let total: u64 = files.iter().map(|f| f.rows).sum();
        assert_eq!(total, events.len() as u64);
        let encoder = RowGroupEncoder::new(world, config.writer_properties().unwrap()).unwrap();
        for f in &files {
            assert!(
                f.bytes.len() as u64 <= max,
                "{} is {} > {max}",
                f.key,
                f.bytes.len()
            );
            let reader = SerializedFileReader::new(f.bytes.clone()).unwrap();
            let meta = reader.metadata();
            let body: i64 = meta
                .row_groups()
                .iter()
                .map(|rg| rg.compressed_size())
                .sum();
            let tail = f.bytes.len() as u64 - 4 - body as u64;
            let pages: usize = meta.num_row_groups() * 27 * 3;
            assert!(
                tail <= encoder.footer_bound(meta.num_row_groups(), pages),
                "footer of {} is {tail} bytes",
                f.key
            );
        }
        // Files are cut by size, not left small: all but the last of each partition are
        // at least a third full.
        let small = files
            .iter()
            .filter(|f| (f.bytes.len() as u64) < max / 3)
            .count();
        assert!(small <= 2, "{max}: {small} small files");
    }
}

#[test]
fn a_limit_below_one_event_is_refused() {
    let config = PipelineConfig {
        max_file_size: 2_000,
        ..PipelineConfig::default()
    };
    let (world, events) = stamped(EventMix::Realistic, 10, NEAR_MIDNIGHT_US, 1);
    let mut lane = Lane::new(world, &config, Arc::new(KeyAllocator::new(""))).unwrap();
    let mut out = Vec::new();
    lane.handle_batch(&events, &mut out).unwrap();
    let err = lane.flush(&mut out).unwrap_err().to_string();
    assert!(err.contains("too small to hold even one event"), "{err}");
}

#[test]
fn many_flushes_in_one_second_get_distinct_keys() {
    let config = PipelineConfig::default();
    let (world, events) = stamped(
        EventMix::Fixed(EventType::Logoff),
        5_000,
        NEAR_MIDNIGHT_US,
        1,
    );
    let mut lane = Lane::new(world, &config, Arc::new(KeyAllocator::new(""))).unwrap();
    let mut out = Vec::new();
    for batch in events.chunks(500) {
        lane.handle_batch(batch, &mut out).unwrap();
        lane.flush(&mut out).unwrap();
    }
    let keys: HashSet<_> = out.iter().map(|f| f.key.clone()).collect();
    assert_eq!((out.len(), keys.len()), (10, 10));
    assert!(
        out[9].key.ends_with("_235958_0010.parquet"),
        "{}",
        out[9].key
    );
}

#[test]
fn an_injected_slowdown_encodes_that_share_of_rows_again() {
    let config = PipelineConfig {
        slowdown: 0.15,
        row_group_rows: 1_000,
        ..PipelineConfig::default()
    };
    let (world, events) = stamped(
        EventMix::Realistic,
        20_000,
        NEAR_MIDNIGHT_US - 10_000_000,
        10,
    );
    let mut lane = Lane::new(world, &config, Arc::new(KeyAllocator::new(""))).unwrap();
    let mut out = Vec::new();
    for batch in events.chunks(1_000) {
        lane.handle_batch(batch, &mut out).unwrap();
    }
    lane.flush(&mut out).unwrap();
    // 15% of 20,000 rows, in whole row groups of at most 1,000 rows.
    let burned = lane.stats.burned_rows;
    assert!(
        (2_000..=3_000).contains(&burned),
        "{burned} rows encoded again"
    );
    let rows: u64 = out.iter().map(|f| f.rows).sum();
    assert_eq!(rows, 20_000, "the extra work writes nothing");
}
