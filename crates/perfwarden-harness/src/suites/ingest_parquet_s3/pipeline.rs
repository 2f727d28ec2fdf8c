//! The pipeline wired together: sender thread → lane threads → uploader task → S3.
//!
//! Every hand-over is a bounded channel (a few batches per lane, two files per upload
//! slot), so memory stays bounded and a slow stage shows up as the sender's slip. When an
//! upload fails for good, the sender stops, files still coming are counted as lost
//! without being tried, and the run ends with [`IngestError::UploadFailed`] saying how
//! many events were not persisted.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::sync_channel;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::config::PipelineConfig;
use super::error::{IngestError, UploadFailure};
use super::events::Event;
use super::generator::Generator;
use super::lane::{ClosedFile, KeyAllocator, Lane, LaneStats};
use super::pacing::{Clock, LoadSpec, SendReport, micros_histogram, run_sender};
use super::retry::Failed;
use super::stage_cpu::{Stage, StageCpu, StageMeter};
use super::upload::{S3Target, Uploaded, Uploader};
use super::world::World;

/// Batches waiting per lane.
const LANE_QUEUE: usize = 4;

/// An object the pipeline put in S3.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Manifest {
    pub key: String,
    pub size: u64,
    pub rows: u64,
}

/// What the uploads did.
#[derive(Clone, Debug)]
pub struct UploadStats {
    pub files: u64,
    pub bytes: u64,
    pub events: u64,
    pub multipart_files: u64,
    /// Files that needed more than one attempt (of the object or of a part).
    pub retried_files: u64,
    /// Attempts beyond the first, over all calls of all files.
    pub retries: u64,
    /// Time spent on failed attempts and the waits after them, summed over calls.
    pub retrying: Duration,
    /// Sum over files of the time each upload took.
    pub busy: Duration,
    /// Event time to the moment its object was visible, microseconds.
    pub lag_us: Histogram<u64>,
    pub failed_files: u64,
    /// Of the failed files, those not tried because S3 had already failed for good.
    pub untried_files: u64,
    pub failed_events: u64,
    pub(crate) last_failure: Option<(String, Failed)>,
    pub manifest: Vec<Manifest>,
    /// When the last object became visible.
    pub last_visible: Option<Instant>,
}

impl UploadStats {
    fn new() -> UploadStats {
        UploadStats {
            files: 0,
            bytes: 0,
            events: 0,
            multipart_files: 0,
            retried_files: 0,
            retries: 0,
            retrying: Duration::ZERO,
            busy: Duration::ZERO,
            lag_us: micros_histogram(),
            failed_files: 0,
            untried_files: 0,
            failed_events: 0,
            last_failure: None,
            manifest: Vec::new(),
            last_visible: None,
        }
    }

    /// Upload throughput per stream: bytes over the summed upload times, MB/s (10^6).
    pub(crate) fn mb_per_s(&self) -> f64 {
        self.bytes as f64 / 1e6 / self.busy.as_secs_f64().max(1e-9)
    }
}

/// Everything a run measured.
#[derive(Clone, Debug)]
pub struct PipelineOutcome {
    pub send: SendReport,
    pub upload: UploadStats,
    /// From the start until the last object was visible (or the run ended).
    pub finished: Duration,
    pub clock: Clock,
    /// Where the run's CPU went.
    pub cpu: StageCpu,
}

impl PipelineOutcome {
    /// Events per second from the first send until every event was visible in S3.
    pub(crate) fn end_to_end_rate(&self) -> f64 {
        self.upload.events as f64 / self.finished.as_secs_f64().max(1e-9)
    }

    /// The process's CPU seconds per second until every event was visible: how many cores
    /// the run kept busy.
    pub(crate) fn cores_busy(&self) -> f64 {
        self.cpu.total().as_secs_f64() / self.finished.as_secs_f64().max(1e-9)
    }
}

/// Runs the load `spec` through the pipeline into `target`.
pub async fn run_pipeline(
    target: &S3Target,
    world: Arc<World>,
    config: &PipelineConfig,
    spec: &LoadSpec,
) -> Result<PipelineOutcome, IngestError> {
    config.validate()?;
    let keys = Arc::new(KeyAllocator::new(config.prefix.clone()));
    let meter = StageMeter::start();
    let abort = Arc::new(AtomicBool::new(false));
    let (file_tx, file_rx) = mpsc::channel::<ClosedFile>(2 * config.upload_concurrency);
    let mut lane_txs = Vec::with_capacity(config.lanes);
    let mut lane_threads = Vec::with_capacity(config.lanes);
    for i in 0..config.lanes {
        let lane = Lane::new(world.clone(), config, keys.clone())?;
        let (tx, rx) = sync_channel::<Vec<Event>>(LANE_QUEUE);
        lane_txs.push(tx);
        let files = file_tx.clone();
        let (interval, meter) = (config.flush_interval, meter.clone());
        lane_threads.push(spawn(format!("ingest-lane-{i}"), move || {
            let done = lane_loop(lane, rx, files, interval);
            meter.thread_done(Stage::Encode);
            done
        })?);
    }
    drop(file_tx);

    let uploader = Uploader::new(target, config);
    let upload_task = tokio::spawn(upload_loop(
        uploader,
        file_rx,
        config.upload_concurrency,
        abort.clone(),
    ));

    let clock = Clock::now();
    let sender = {
        let (spec, batch_size, abort) = (*spec, config.batch_size, abort.clone());
        let meter = meter.clone();
        spawn("ingest-sender".into(), move || {
            let mut generator = Generator::new(world, spec.mix, spec.seed);
            let report = run_sender(&mut generator, &spec, batch_size, &lane_txs, clock, &abort);
            meter.thread_done(Stage::Generate);
            Ok(report)
        })?
    };
    let send = join(sender).await?;
    let mut lane_error = None;
    for t in lane_threads {
        if let Err(e) = join(t).await {
            lane_error = lane_error.or(Some(e));
        }
    }
    let upload = upload_task.await.map_err(|e| IngestError::Thread {
        thread: "uploader".into(),
        what: e.to_string(),
    })?;
    let cpu = meter.finish();
    let finished = upload
        .last_visible
        .map_or_else(|| clock.start.elapsed(), |t| t.duration_since(clock.start));
    if let Some((last_key, failed)) = &upload.last_failure {
        return Err(IngestError::UploadFailed(Box::new(UploadFailure {
            endpoint: target.endpoint.clone(),
            bucket: target.bucket.clone(),
            failed_files: upload.failed_files,
            untried_files: upload.untried_files,
            total_files: upload.failed_files + upload.files,
            attempts: failed.attempts,
            elapsed: failed.elapsed,
            events_lost: send.events - upload.events.min(send.events),
            events_sent: send.events,
            last_key: last_key.clone(),
            last_error: failed.error.clone(),
        })));
    }
    if let Some(e) = lane_error {
        return Err(e);
    }
    Ok(PipelineOutcome {
        send,
        upload,
        finished,
        clock,
        cpu,
    })
}

/// A lane's thread: feeds batches to the lane, flushes on the interval and at the end,
/// and passes closed files on (blocking while the uploads are behind).
fn lane_loop(
    mut lane: Lane,
    rx: std::sync::mpsc::Receiver<Vec<Event>>,
    files: mpsc::Sender<ClosedFile>,
    interval: Duration,
) -> Result<LaneStats, IngestError> {
    use std::sync::mpsc::RecvTimeoutError;
    let mut out = Vec::new();
    let mut next_flush = Instant::now() + interval;
    let ship = |out: &mut Vec<ClosedFile>| -> Result<(), IngestError> {
        for f in out.drain(..) {
            files.blocking_send(f).map_err(|_| IngestError::Thread {
                thread: "uploader".into(),
                what: "stopped taking files".into(),
            })?;
        }
        Ok(())
    };
    loop {
        let now = Instant::now();
        if now >= next_flush {
            lane.flush(&mut out)?;
            ship(&mut out)?;
            next_flush += interval;
            if next_flush <= now {
                next_flush = now + interval;
            }
            continue;
        }
        match rx.recv_timeout(next_flush - now) {
            Ok(batch) => {
                lane.handle_batch(&batch, &mut out)?;
                ship(&mut out)?;
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => {
                lane.flush(&mut out)?;
                ship(&mut out)?;
                return Ok(lane.stats);
            }
        }
    }
}

/// Uploads files as they come, `concurrency` at a time, and keeps the account.
async fn upload_loop(
    uploader: Uploader,
    mut files: mpsc::Receiver<ClosedFile>,
    concurrency: usize,
    abort: Arc<AtomicBool>,
) -> UploadStats {
    let uploader = Arc::new(uploader);
    let mut stats = UploadStats::new();
    let mut tasks: JoinSet<(ClosedFile, u64, Result<Uploaded, Failed>, Instant)> = JoinSet::new();
    let mut open = true;
    while open || !tasks.is_empty() {
        tokio::select! {
            Some(done) = tasks.join_next(), if !tasks.is_empty() => {
                let (file, size, result, at) = done.expect("upload tasks do not panic");
                record(&mut stats, file, size, result, at, &abort);
            }
            next = files.recv(), if open && tasks.len() < concurrency => match next {
                None => open = false,
                Some(file) if abort.load(Ordering::Relaxed) => {
                    // S3 already failed for good: the file is lost, not tried.
                    stats.failed_files += 1;
                    stats.untried_files += 1;
                    stats.failed_events += file.rows;
                }
                Some(mut file) => {
                    let uploader = uploader.clone();
                    tasks.spawn(async move {
                        // The body moves into the upload and is freed once it is sent.
                        let body = std::mem::take(&mut file.bytes);
                        let size = body.len() as u64;
                        let result = uploader.upload(&file.key, body).await;
                        (file, size, result, Instant::now())
                    });
                }
            },
        }
    }
    stats
}

fn record(
    stats: &mut UploadStats,
    file: ClosedFile,
    size: u64,
    result: Result<Uploaded, Failed>,
    at: Instant,
    abort: &AtomicBool,
) {
    match result {
        Ok(up) => {
            let visible_us = chrono::Utc::now().timestamp_micros();
            for (ms, n) in &file.times {
                let lag = (visible_us - ms * 1_000).max(1) as u64;
                stats.lag_us.saturating_record_n(lag, *n as u64);
            }
            debug_assert_eq!(
                file.times.iter().map(|(_, n)| *n as u64).sum::<u64>(),
                file.rows
            );
            stats.files += 1;
            stats.bytes += size;
            stats.events += file.rows;
            stats.busy += up.took;
            stats.multipart_files += u64::from(up.parts > 1);
            stats.retried_files += u64::from(up.retried());
            stats.retries += u64::from(up.tries.attempts.saturating_sub(up.calls));
            stats.retrying += up.tries.retrying;
            stats.last_visible = Some(stats.last_visible.map_or(at, |t| t.max(at)));
            stats.manifest.push(Manifest {
                key: file.key,
                size,
                rows: file.rows,
            });
        }
        Err(failed) => {
            abort.store(true, Ordering::Relaxed);
            stats.failed_files += 1;
            stats.failed_events += file.rows;
            stats.last_failure = Some((file.key, failed));
        }
    }
}

fn spawn<T: Send + 'static>(
    name: String,
    f: impl FnOnce() -> Result<T, IngestError> + Send + 'static,
) -> Result<std::thread::JoinHandle<Result<T, IngestError>>, IngestError> {
    std::thread::Builder::new()
        .name(name.clone())
        .spawn(f)
        .map_err(|e| IngestError::Thread {
            thread: name,
            what: e.to_string(),
        })
}

/// Joins a pipeline thread without blocking the async runtime.
async fn join<T: Send + 'static>(
    handle: std::thread::JoinHandle<Result<T, IngestError>>,
) -> Result<T, IngestError> {
    let name = handle.thread().name().unwrap_or("pipeline").to_string();
    tokio::task::spawn_blocking(move || handle.join())
        .await
        .map_err(|e| IngestError::Thread {
            thread: name.clone(),
            what: e.to_string(),
        })?
        .map_err(|_| IngestError::Thread {
            thread: name,
            what: "panicked".into(),
        })?
}

#[cfg(test)]
#[path = "pipeline_tests.rs"]
mod tests;
