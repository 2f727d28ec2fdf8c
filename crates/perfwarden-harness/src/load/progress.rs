//! The progress display and the abort monitor, one background task per load run.
//!
//! On a terminal (and outside CI) it draws an indicatif bar; otherwise it prints a plain
//! line every few seconds, which is what a CI log wants. The same task watches the shared
//! counters and stops the run when the target has answered nothing but errors for a while,
//! so a server that dies mid-run ends the run within a bound instead of spinning on errors.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::clock::Clock;

use indicatif::{ProgressBar, ProgressStyle};

use super::recorder::Shared;

/// How the progress of a load run is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProgressMode {
    /// A bar on a terminal outside CI, plain lines otherwise.
    Auto,
    Bar,
    Lines,
    Quiet,
}

impl ProgressMode {
    fn resolve(self) -> ProgressMode {
        match self {
            ProgressMode::Auto => {
                let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty());
                if !ci && std::io::stderr().is_terminal() {
                    ProgressMode::Bar
                } else {
                    ProgressMode::Lines
                }
            }
            other => other,
        }
    }
}

/// Plain lines are printed at most this often.
const LINE_EVERY: Duration = Duration::from_secs(5);
/// The monitor wakes this often.
const TICK: Duration = Duration::from_millis(100);

/// Why the monitor stopped a run, if it did.
pub(crate) type AbortReason = Option<String>;

/// Runs until `shared.stop` is set by the caller (or by itself), showing progress of a run
/// whose whole length (warm-up included) is `total`, and returns why it aborted the run.
pub(crate) async fn monitor(
    label: String,
    mode: ProgressMode,
    total: Duration,
    abort_after: Option<Duration>,
    clock: Clock,
    shared: Arc<Shared>,
) -> AbortReason {
    let mode = mode.resolve();
    let start = clock.now();
    let bar = (mode == ProgressMode::Bar).then(|| {
        let bar = ProgressBar::new(total.as_millis() as u64);
        bar.set_style(
            ProgressStyle::with_template("{prefix} [{bar:30}] {elapsed}/{duration} {msg}")
                .expect("constant template is valid")
                .progress_chars("=> "),
        );
        bar.set_prefix(label.clone());
        bar
    });
    let mut last_line = start;
    let (mut last_ok, mut last_errors) = (0, 0);
    // The moment from which only errors have been seen, if that is the case now.
    let mut failing_since: Option<Instant> = None;
    let mut aborted = None;
    while !shared.stopped() {
        clock.sleep(TICK).await;
        let ok = shared.ok.load(Ordering::Relaxed);
        let errors = shared.errors.load(Ordering::Relaxed);
        let now = clock.now();
        let elapsed = now - start;
        let rate = ok as f64 / elapsed.as_secs_f64().max(1e-9);
        if let Some(bar) = &bar {
            bar.set_position(elapsed.as_millis().min(total.as_millis()) as u64);
            bar.set_message(format!("{ok} ok, {errors} errors, {rate:.0} ops/s"));
        } else if mode == ProgressMode::Lines && now - last_line >= LINE_EVERY {
            last_line = now;
            eprintln!(
                "{label}: {:.0}/{:.0} s, {ok} ok, {errors} errors, {rate:.0} ops/s",
                elapsed.as_secs_f64(),
                total.as_secs_f64()
            );
        }
        // A tick with answers clears the failing state; a tick with only new errors starts
        // it; a quiet tick (a stall, no answer and no error yet) leaves it as it was, so a
        // hung target is caught once its requests time out.
        if ok > last_ok {
            failing_since = None;
        } else if errors > last_errors && failing_since.is_none() {
            failing_since = Some(now);
        }
        (last_ok, last_errors) = (ok, errors);
        if let (Some(limit), Some(since)) = (abort_after, failing_since)
            && now - since >= limit
        {
            aborted = Some(format!(
                "stopped early: only errors for {:.1} s",
                limit.as_secs_f64()
            ));
            shared.stop.store(true, Ordering::Relaxed);
        }
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    aborted
}
