//! Parquet encoding alone: the pipeline's own ceiling, measured in the same run.
//!
//! The same lanes with the same settings encode events generated beforehand, one thread
//! per lane, flushing on the same interval, with no pacing, no channels and no upload.
//! The pipeline's unthrottled rate divided by this rate says how much of the encoder's
//! capacity the whole pipeline (generation, hand-over, upload) keeps.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::config::PipelineConfig;
use super::error::IngestError;
use super::events::{Event, EventMix};
use super::generator::Generator;
use super::lane::{KeyAllocator, Lane};
use super::world::World;

/// What encoding alone achieved.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct EncodeAlone {
    pub events: u64,
    pub files: u64,
    /// Parquet bytes produced.
    pub bytes: u64,
    pub elapsed: Duration,
    pub lanes: usize,
}

impl EncodeAlone {
    pub(crate) fn events_per_s(&self) -> f64 {
        self.events as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// Parquet output in MB (10^6 bytes) per second.
    pub(crate) fn mb_per_s(&self) -> f64 {
        self.bytes as f64 / 1e6 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// Compressed bytes per event.
    pub(crate) fn bytes_per_event(&self) -> f64 {
        self.bytes as f64 / self.events.max(1) as f64
    }
}

/// Generates `events` events of `mix` (stamped one microsecond apart from now), then
/// times `config.lanes` threads encoding them in batches of `config.batch_size`, dealt
/// round robin as the pipeline deals them.
pub(crate) fn measure(
    world: Arc<World>,
    config: &PipelineConfig,
    mix: EventMix,
    seed: u64,
    events: u64,
) -> Result<EncodeAlone, IngestError> {
    config.validate()?;
    let mut generator = Generator::new(world.clone(), mix, seed);
    let start_us = chrono::Utc::now().timestamp_micros();
    let mut shares: Vec<Vec<Vec<Event>>> = vec![Vec::new(); config.lanes];
    let mut made = 0u64;
    let mut batch_no = 0usize;
    while made < events {
        let n = (events - made).min(config.batch_size as u64) as usize;
        let mut batch = Vec::with_capacity(n);
        generator.fill(&mut batch, n);
        for e in &mut batch {
            e.time_us = start_us + e.seq as i64;
        }
        shares[batch_no % config.lanes].push(batch);
        batch_no += 1;
        made += n as u64;
    }
    let keys = Arc::new(KeyAllocator::new(config.prefix.clone()));
    let lanes: Vec<Lane> = (0..config.lanes)
        .map(|_| Lane::new(world.clone(), config, keys.clone()))
        .collect::<Result<_, _>>()?;
    let interval = config.flush_interval;
    let started = Instant::now();
    let results: Vec<Result<(u64, u64), IngestError>> = std::thread::scope(|s| {
        let handles: Vec<_> = lanes
            .into_iter()
            .zip(shares)
            .map(|(mut lane, batches)| {
                s.spawn(move || {
                    let mut out = Vec::new();
                    let (mut files, mut bytes) = (0u64, 0u64);
                    let mut next_flush = Instant::now() + interval;
                    for batch in &batches {
                        lane.handle_batch(batch, &mut out)?;
                        if Instant::now() >= next_flush {
                            lane.flush(&mut out)?;
                            next_flush += interval;
                        }
                        // Files are dropped as they close, as an upload would free them.
                        files += out.len() as u64;
                        bytes += out.drain(..).map(|f| f.bytes.len() as u64).sum::<u64>();
                    }
                    lane.flush(&mut out)?;
                    files += out.len() as u64;
                    bytes += out.drain(..).map(|f| f.bytes.len() as u64).sum::<u64>();
                    Ok((files, bytes))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(IngestError::Thread {
                        thread: "encode-alone".into(),
                        what: "panicked".into(),
                    })
                })
            })
            .collect()
    });
    let elapsed = started.elapsed();
    let (mut files, mut bytes) = (0, 0);
    for r in results {
        let (f, b) = r?;
        files += f;
        bytes += b;
    }
    Ok(EncodeAlone {
        events,
        files,
        bytes,
        elapsed,
        lanes: config.lanes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_is_encoded_once() {
        let config = PipelineConfig {
            lanes: 2,
            row_group_rows: 8_192,
            ..PipelineConfig::default()
        };
        let r = measure(
            Arc::new(World::new(1)),
            &config,
            EventMix::Realistic,
            1,
            30_000,
        )
        .unwrap();
        assert_eq!(r.events, 30_000);
        assert!(
            r.files >= 14,
            "seven types in each of two lanes: {}",
            r.files
        );
        assert!(
            r.bytes_per_event() > 5.0 && r.bytes_per_event() < 200.0,
            "{}",
            r.bytes_per_event()
        );
        assert!(r.events_per_s() > 0.0 && r.mb_per_s() > 0.0);
    }
}
