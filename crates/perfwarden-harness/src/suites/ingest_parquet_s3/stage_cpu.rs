//! Where a pipeline run's CPU went, stage by stage, so a rate below encode-alone can be
//! explained rather than guessed at: on 2 cores every stage competes with the encoder.
//!
//! The sender (which also generates the events) and the lanes (which encode) are threads
//! of their own that end with the run, so each reads its own CPU clock as it ends. The
//! embedded S3 server runs on long-lived threads named [`embedded_s3::THREAD_NAME`], read
//! from `/proc/self/task` before and after; a server in another process is not counted.
//! `rest` is the process's CPU less those: the S3 client and its runtime, the channels'
//! hand-overs and whatever else this process did meanwhile.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::services::embedded_s3::THREAD_NAME as S3_THREADS;
use crate::services::proc::{clock_ticks_per_second, threads_cpu_ticks};

/// CPU time per stage over one run.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct StageCpu {
    pub generate: Duration,
    pub encode: Duration,
    /// The embedded S3 server's threads; zero where S3 is another process.
    pub s3_server: Duration,
    pub rest: Duration,
}

impl StageCpu {
    pub fn total(&self) -> Duration {
        self.generate + self.encode + self.s3_server + self.rest
    }
}

/// Which thread-owned stage a thread's CPU is added to.
#[derive(Clone, Copy)]
pub(crate) enum Stage {
    Generate,
    Encode,
}

/// Accumulates the CPU of the run's own threads and reads the rest at [`Self::finish`].
pub(crate) struct StageMeter {
    generate_ns: AtomicU64,
    encode_ns: AtomicU64,
    process_start: Duration,
    s3_start: Duration,
}

impl StageMeter {
    pub(crate) fn start() -> Arc<StageMeter> {
        Arc::new(StageMeter {
            generate_ns: AtomicU64::new(0),
            encode_ns: AtomicU64::new(0),
            process_start: clock(libc::CLOCK_PROCESS_CPUTIME_ID),
            s3_start: threads_cpu(S3_THREADS),
        })
    }

    /// Called by a stage's thread as it ends: adds the CPU that thread used.
    pub(crate) fn thread_done(&self, stage: Stage) {
        let used = clock(libc::CLOCK_THREAD_CPUTIME_ID).as_nanos() as u64;
        match stage {
            Stage::Generate => self.generate_ns.fetch_add(used, Ordering::Relaxed),
            Stage::Encode => self.encode_ns.fetch_add(used, Ordering::Relaxed),
        };
    }

    pub(crate) fn finish(&self) -> StageCpu {
        let process = clock(libc::CLOCK_PROCESS_CPUTIME_ID).saturating_sub(self.process_start);
        let generate = Duration::from_nanos(self.generate_ns.load(Ordering::Relaxed));
        let encode = Duration::from_nanos(self.encode_ns.load(Ordering::Relaxed));
        let s3_server = threads_cpu(S3_THREADS).saturating_sub(self.s3_start);
        StageCpu {
            generate,
            encode,
            s3_server,
            rest: process.saturating_sub(generate + encode + s3_server),
        }
    }
}

fn clock(id: libc::clockid_t) -> Duration {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes only the timespec it is given.
    if unsafe { libc::clock_gettime(id, &mut t) } != 0 {
        return Duration::ZERO;
    }
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

/// CPU of this process's threads whose name starts with `prefix`, at clock-tick resolution.
fn threads_cpu(prefix: &str) -> Duration {
    let ticks = threads_cpu_ticks(prefix).unwrap_or(0);
    Duration::from_secs_f64(ticks as f64 / clock_ticks_per_second())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thread_charges_its_own_cpu_to_its_stage_and_the_rest_is_the_remainder() {
        let meter = StageMeter::start();
        let m = meter.clone();
        std::thread::spawn(move || {
            let mut x = 0u64;
            for i in 0..20_000_000u64 {
                x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(i));
            }
            m.thread_done(Stage::Encode);
        })
        .join()
        .unwrap();
        let cpu = meter.finish();
        assert!(cpu.encode > Duration::ZERO);
        assert_eq!(cpu.generate, Duration::ZERO);
        // The process clock covers the thread's: nothing is counted twice.
        assert!(cpu.total() >= cpu.encode);
    }
}
