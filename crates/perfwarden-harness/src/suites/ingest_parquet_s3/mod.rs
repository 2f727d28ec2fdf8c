//! Suite `ingest_parquet_s3`: Windows security events → Parquet → S3, verified row by row.
//!
//! The users archive Windows Security events as Parquet on S3 (seed
//! `003_723c033882e541fd.txt`). This suite reproduces their pipeline and measures it:
//!
//! ```text
//! generator ─▶ sender thread (open loop: batches of 1,000 due at a target rate)
//!                 │ round robin over bounded channels (4 batches per lane)
//!                 ▼
//!              lanes (one thread each: buffers per event type and UTC day, at most
//!                 │   row_group_rows events unencoded; row groups encoded alone, then
//!                 │   added to a file only if it stays under max_file_size; every file
//!                 │   closed each flush_interval)
//!                 ▼ bounded channel (two files per upload slot)
//!              uploader (aws-sdk-s3: PutObject, or multipart above a threshold; bounded
//!                 │     exponential backoff; the SDK's own retries off)
//!                 ▼
//!              S3 ─▶ verify (list page by page, every key, size, partition and footer;
//!                           every event's seq exactly once)
//! ```
//!
//! Every channel is bounded, so a slow stage slows the sender: with a target rate the slip
//! shows as send times later than intended, never as events dropped or hidden.
//!
//! Keys: `{prefix}event_type=4624/year=2026/month=02/day=08/events_4624_20260208_104441_0001.parquet`,
//! the partition taken from the events' own (UTC) time, the timestamp that of the file's
//! earliest event, and a four-digit (or longer) counter over the run that keeps keys unique
//! when several files of a type close within one second (see [`keys`]).
//!
//! Knobs of `cargo bench --bench ingest_parquet_s3` (environment): `PERFWARDEN_PROFILE`
//! (default `pr`), [`SLOWDOWN_VAR`] (`PERFWARDEN_INJECT_SLOWDOWN=0.15`: 15% extra CPU work per
//! batch, to calibrate the gate), `PERFWARDEN_INGEST_CODEC` (`none`, `snappy`, `zstd`,
//! `zstd:N`), `PERFWARDEN_INGEST_LANES`, `PERFWARDEN_INGEST_KEEP_OBJECTS=1`,
//! `PERFWARDEN_INGEST_CREATE_BUCKET=0`, `PERFWARDEN_INGEST_SCENARIOS=encode_alone,sustained_10k`
//! (a subset), `PERFWARDEN_INGEST_SUITE=0` / `PERFWARDEN_INGEST_CRITERION=0`.
//!
//! Code map: [`events`], [`world`], [`names`] and [`generator`] make events ([`sampler`]
//! draws the skewed choices); [`columns`] and [`encode`] turn them into Parquet; [`lane`]
//! buffers and cuts files; [`keys`] names them; [`pacing`] is the open-loop sender;
//! [`upload`] talks to S3 with [`retry`]; [`pipeline`] wires the threads; [`verify`] checks S3 afterwards;
//! [`encode_alone`] measures the encoder by itself; [`scenarios`], [`runner`] and
//! [`report`] run the profile's plan and write the results.

pub mod columns;
pub mod config;
pub mod encode;
pub(crate) mod encode_alone;
pub(crate) mod error;
pub(crate) mod events;
pub(crate) mod generator;
pub mod keys;
pub(crate) mod lane;
pub(crate) mod names;
pub mod pacing;
pub mod pipeline;
pub mod report;
pub mod retry;
pub mod runner;
pub(crate) mod sampler;
pub mod scenarios;
pub mod stage_cpu;
pub mod upload;
pub mod verify;
pub(crate) mod world;

pub use config::{Codec, PipelineConfig, RetryPolicy, SLOWDOWN_VAR};
pub use error::{IngestError, UploadFailure};
pub use events::{Event, EventMix, EventType};
pub use generator::Generator;
pub use world::World;

use crate::suite::Suite;
use perfwarden::results::Chart;

/// The suite's name in results, and its chart.
pub const SUITE: Suite = Suite::new("ingest_parquet_s3", charts);

/// Events taken per second over each scenario that kept its per-second samples, against
/// the target rate.
fn charts() -> Vec<Chart> {
    vec![Chart::RateOverTime {
        title: "Ingest rate over time".into(),
        metric: "achieved_rate".into(),
        target: "target_rate".into(),
        y_label: "events/s".into(),
    }]
}
