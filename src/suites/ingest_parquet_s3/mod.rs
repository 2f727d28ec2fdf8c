//! Suite `ingest_parquet_s3`: Windows security events → Parquet → S3, verified row by row.
//!
//! The users archive Windows Security events as Parquet on S3 (seed
//! `003_723c033882e541fd.txt`). This suite reproduces their pipeline and measures it:
//!
//! ```text
//! generator ─▶ sender (open loop, batches of 1,000 at a target rate)
//!                 │ round robin over bounded channels
//!                 ▼
//!              lanes (one thread each: buffers per event type and day, row groups,
//!                 │   files closed every flush_interval or before max_file_size)
//!                 ▼ bounded channel
//!              uploader (aws-sdk-s3: PutObject or multipart, bounded retries)
//!                 ▼
//!              S3 ─▶ verify (list, footers, every event exactly once)
//! ```
//!
//! Every channel is bounded, so a slow stage slows the sender: with a target rate the
//! slip shows as send times later than intended, never as events silently dropped.
//!
//! Code map: [`events`], [`world`] and [`generator`] make events; [`columns`] and
//! [`encode`] turn them into Parquet; [`lane`] buffers and cuts files; [`keys`] names them.

pub mod columns;
pub mod config;
pub mod encode;
pub mod encode_alone;
pub mod error;
pub mod events;
pub mod generator;
pub mod keys;
pub mod lane;
mod names;
pub mod pacing;
pub mod pipeline;
pub mod report;
pub mod runner;
pub mod sampler;
pub mod scenarios;
pub mod upload;
pub mod verify;
pub mod world;

pub use config::{Codec, PipelineConfig, RetryPolicy, SLOWDOWN_VAR};
pub use error::IngestError;
pub use events::{Event, EventMix, EventType};
pub use generator::Generator;
pub use world::World;

/// The suite's name in results.
pub const SUITE: &str = "ingest_parquet_s3";
