//! CPU and memory of the servers perfwarden owns, sampled while a suite runs and recorded as
//! metrics beside its results (the users want servers under 80% CPU and bounded memory).
//!
//! A child process, or a container whose main process this host's /proc shows, is read from
//! `/proc/<pid>/stat` and `/proc/<pid>/status` every 250 ms. A container on a remote engine
//! is read from the Docker stats stream (one sample a second, Docker's own pace). The
//! embedded S3 server runs on named threads of this process: its CPU is theirs alone, its
//! memory is the whole process's. A named endpoint on this host's loopback is read through
//! the process listening on its port ([`super::listener`]); any other endpoint perfwarden
//! does not own is not sampled.
//!
//! CPU is in percent of one core, as `docker stats` and `top` count it (200 = two cores).

use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use futures::StreamExt;
use testcontainers::bollard::query_parameters::StatsOptions;

use super::proc::{clock_ticks_per_second, read_proc_stat, read_rss, threads_cpu_ticks};
use super::{ProviderKind, Service};
use perfwarden::results::{Direction, Metric, Unit};

/// How often /proc is read.
pub(crate) const SAMPLE_EVERY: Duration = Duration::from_millis(250);

/// What to sample.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResourceTarget {
    /// A named endpoint whose process cannot be found here: not sampled.
    Unowned { service: Service },
    Process {
        service: Service,
        provider: ProviderKind,
        pid: u32,
    },
    Container {
        service: Service,
        id: String,
        /// The main process in this host's /proc, where it is visible.
        host_pid: Option<u32>,
    },
    /// Threads of this process whose name starts with `prefix` (the embedded S3 server).
    Threads { service: Service, prefix: String },
}

impl ResourceTarget {
    fn service(&self) -> Service {
        match self {
            ResourceTarget::Unowned { service }
            | ResourceTarget::Process { service, .. }
            | ResourceTarget::Container { service, .. }
            | ResourceTarget::Threads { service, .. } => *service,
        }
    }

    fn provider(&self) -> ProviderKind {
        match self {
            ResourceTarget::Unowned { .. } => ProviderKind::Endpoint,
            ResourceTarget::Process { provider, .. } => *provider,
            ResourceTarget::Container { .. } => ProviderKind::Container,
            ResourceTarget::Threads { .. } => ProviderKind::Embedded,
        }
    }

    /// What the memory figure covers.
    fn scope(&self) -> &'static str {
        match self {
            ResourceTarget::Unowned { .. } => "none",
            ResourceTarget::Process {
                provider: ProviderKind::Endpoint,
                ..
            } => "process listening on the endpoint's port",
            ResourceTarget::Process { .. } => "process",
            ResourceTarget::Container {
                host_pid: Some(_), ..
            } => "container main process",
            ResourceTarget::Container { host_pid: None, .. } => "container (docker stats)",
            ResourceTarget::Threads { .. } => "server threads (cpu), whole process (memory)",
        }
    }
}

/// One reading: cumulative CPU seconds and resident memory at an instant.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Sample {
    pub at: Duration,
    pub cpu_seconds: f64,
    pub memory_bytes: u64,
}

/// What a run used.
#[derive(Clone, Debug, PartialEq)]
pub enum ResourceUsage {
    Measured(Usage),
    NotMeasured { service: Service, reason: String },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Usage {
    pub service: Service,
    pub provider: ProviderKind,
    pub scope: &'static str,
    /// CPU over the whole run, percent of one core.
    pub cpu_mean: f64,
    /// The busiest interval between two samples, percent of one core.
    pub cpu_max: f64,
    pub memory_max_bytes: u64,
    pub samples: usize,
    pub duration: Duration,
}

impl ResourceUsage {
    /// `cpu_mean`, `cpu_max` (percent) and `memory_max` (bytes) for `suite/benchmark`, all
    /// lower-is-better; nothing for a service perfwarden does not own.
    pub fn metrics(&self, suite: &str, benchmark: &str) -> Vec<Metric> {
        let ResourceUsage::Measured(u) = self else {
            return Vec::new();
        };
        let metric = |name: &str, unit, value| {
            let mut m = Metric::new(
                suite,
                benchmark,
                name,
                unit,
                Direction::LowerIsBetter,
                value,
            )
            .label("service", u.service.key())
            .label("provider", u.provider.as_str())
            .label("scope", u.scope);
            m.sample_count = Some(u.samples as u64);
            m
        };
        vec![
            metric("cpu_mean", Unit::Percent, u.cpu_mean),
            metric("cpu_max", Unit::Percent, u.cpu_max),
            metric("memory_max", Unit::Bytes, u.memory_max_bytes as f64),
        ]
    }
}

/// Summarizes samples in time order; `None` with fewer than two.
pub(crate) fn summarize(samples: &[Sample]) -> Option<(f64, f64, u64)> {
    let (first, last) = (samples.first()?, samples.last()?);
    let span = last.at.checked_sub(first.at)?.as_secs_f64();
    if samples.len() < 2 || span <= 0.0 {
        return None;
    }
    // Threads that exit between samples take their CPU time with them; a negative delta
    // is clamped rather than counted against the others.
    let busy = |a: &Sample, b: &Sample| {
        let dt = b.at.saturating_sub(a.at).as_secs_f64();
        if dt <= 0.0 {
            return 0.0;
        }
        ((b.cpu_seconds - a.cpu_seconds) / dt * 100.0).max(0.0)
    };
    let cpu_max = samples
        .windows(2)
        .map(|w| busy(&w[0], &w[1]))
        .fold(0.0, f64::max);
    let cpu_mean = ((last.cpu_seconds - first.cpu_seconds) / span * 100.0).max(0.0);
    let memory_max = samples.iter().map(|s| s.memory_bytes).max().unwrap_or(0);
    Some((cpu_mean, cpu_max, memory_max))
}

/// Samples a target on its own thread until [`ResourceSampler::finish`].
#[derive(Debug)]
pub struct ResourceSampler {
    target: ResourceTarget,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<Vec<Sample>>>,
}

impl ResourceSampler {
    /// Starts sampling. For an endpoint perfwarden does not own it says so and samples nothing.
    pub fn start(target: ResourceTarget) -> ResourceSampler {
        if let ResourceTarget::Unowned { service } = &target {
            tracing::info!("{service}: resources not measured: endpoint not owned by perfwarden");
            return ResourceSampler {
                target,
                stop: None,
                thread: None,
            };
        }
        let (stop, stopped) = tokio::sync::oneshot::channel();
        let t = target.clone();
        // Its own thread and runtime, so a busy benchmark runtime does not delay the samples
        // and the sampler works from sync and async callers alike.
        let thread = std::thread::Builder::new()
            .name("perfwarden-sampler".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build();
                match rt {
                    Ok(rt) => rt.block_on(sample_until(t, stopped)),
                    Err(_) => Vec::new(),
                }
            })
            .ok();
        ResourceSampler {
            target,
            stop: Some(stop),
            thread,
        }
    }

    /// Stops sampling and summarizes what was seen.
    pub fn finish(mut self) -> ResourceUsage {
        let service = self.target.service();
        let Some(thread) = self.thread.take() else {
            return ResourceUsage::NotMeasured {
                service,
                reason: "endpoint not owned by perfwarden".into(),
            };
        };
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let samples = thread.join().unwrap_or_default();
        match summarize(&samples) {
            Some((cpu_mean, cpu_max, memory_max_bytes)) => ResourceUsage::Measured(Usage {
                service,
                provider: self.target.provider(),
                scope: self.target.scope(),
                cpu_mean,
                cpu_max,
                memory_max_bytes,
                samples: samples.len(),
                duration: samples.last().map(|s| s.at).unwrap_or_default(),
            }),
            None => ResourceUsage::NotMeasured {
                service,
                reason: format!(
                    "fewer than two samples of the {} were readable",
                    self.target.scope()
                ),
            },
        }
    }
}

async fn sample_until(
    target: ResourceTarget,
    mut stopped: tokio::sync::oneshot::Receiver<()>,
) -> Vec<Sample> {
    let start = Instant::now();
    let mut samples = Vec::new();
    if let ResourceTarget::Container {
        id, host_pid: None, ..
    } = &target
    {
        return docker_stats_until(id, start, stopped).await;
    }
    loop {
        if let Some((cpu_seconds, memory_bytes)) = read_target(&target) {
            samples.push(Sample {
                at: start.elapsed(),
                cpu_seconds,
                memory_bytes,
            });
        }
        tokio::select! {
            _ = &mut stopped => break,
            _ = tokio::time::sleep(SAMPLE_EVERY) => {}
        }
    }
    // One last reading, so a run shorter than the period still has two samples.
    if let Some((cpu_seconds, memory_bytes)) = read_target(&target) {
        samples.push(Sample {
            at: start.elapsed(),
            cpu_seconds,
            memory_bytes,
        });
    }
    samples
}

fn read_target(target: &ResourceTarget) -> Option<(f64, u64)> {
    let tick = clock_ticks_per_second();
    match target {
        ResourceTarget::Process { pid, .. }
        | ResourceTarget::Container {
            host_pid: Some(pid),
            ..
        } => {
            let stat = read_proc_stat(*pid).ok()?;
            let rss = read_rss(format!("/proc/{pid}/status"))?;
            Some((stat.cpu_ticks as f64 / tick, rss))
        }
        ResourceTarget::Threads { prefix, .. } => {
            let ticks = threads_cpu_ticks(prefix)?;
            Some((ticks as f64 / tick, read_rss("/proc/self/status")?))
        }
        ResourceTarget::Unowned { .. } | ResourceTarget::Container { .. } => None,
    }
}

async fn docker_stats_until(
    id: &str,
    start: Instant,
    mut stopped: tokio::sync::oneshot::Receiver<()>,
) -> Vec<Sample> {
    let mut samples = Vec::new();
    let Ok(docker) = super::docker::docker().await else {
        return samples;
    };
    let options = StatsOptions {
        stream: true,
        one_shot: false,
    };
    let mut stream = docker.stats(id, Some(options));
    loop {
        tokio::select! {
            _ = &mut stopped => break,
            next = stream.next() => match next {
                Some(Ok(stats)) => {
                    let cpu = stats.cpu_stats.as_ref()
                        .and_then(|c| c.cpu_usage.as_ref())
                        .and_then(|u| u.total_usage);
                    let memory = stats.memory_stats.as_ref().and_then(|m| {
                        let cache = m.stats.as_ref().and_then(|s| {
                            s.get("total_inactive_file").or_else(|| s.get("inactive_file")).copied()
                        });
                        Some(m.usage?.saturating_sub(cache.unwrap_or(0)))
                    });
                    if let (Some(cpu_ns), Some(memory_bytes)) = (cpu, memory) {
                        samples.push(Sample {
                            at: start.elapsed(),
                            cpu_seconds: cpu_ns as f64 / 1e9,
                            memory_bytes,
                        });
                    }
                }
                _ => break,
            },
        }
    }
    samples
}

#[cfg(test)]
#[path = "resources_tests.rs"]
mod tests;
