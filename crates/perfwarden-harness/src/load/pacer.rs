//! The open loop's pacer: one permit per slot on a semaphore, released a little before the
//! slot is due, so that waking the worker that takes it is over by then; the worker waits
//! out the rest on its own thread ([`on_time`]) and sends when the slot is due, never before.
//!
//! Measured on this 2-core machine (the peers bench, 500 requests/s, README): a pacer that
//! released each permit when its slot was due, sleeping with the kernel's default timer
//! slack, sent a median request tens of microseconds late: 50 µs of slack on every sleep,
//! then the wake of a worker parked in its runtime. Both land inside the lead now.
//!
//! On the real clock the pacer is an OS thread, because tokio's timer rounds every sleep up
//! to a whole millisecond. On a virtual clock it is a task on the clock with no lead, so
//! every slot is released exactly when it is due.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use super::Share;
use super::clock::{Clock, VirtualClock};
use super::recorder::Shared;

/// The pacer never sleeps longer than this, so it notices an aborted run promptly.
const PACER_MAX_SLEEP: Duration = Duration::from_millis(10);
/// How early a permit is released at most: more than the pacer's oversleep and a worker's
/// wake-up together on a busy 2-core machine.
const LEAD_MAX: Duration = Duration::from_micros(100);
/// The lead is at most this fraction of the gap since the slot before, so a worker waits out
/// at most a tenth of the time between slots (the CPU the early release costs); a rate
/// above 1,000/s gets a shorter lead.
const LEAD_PER_GAP: u32 = 10;

/// When this machine's slots are due: the plan's slot `k` at `t0 + plan.due(k)`, of which
/// this share sends `slots`, its `j`-th being the plan's `share.slot(j)`.
#[derive(Clone, Debug)]
pub(super) struct Schedule {
    pub(super) t0: Instant,
    pub(super) plan: Arc<super::shape::Schedule>,
    pub(super) share: Share,
    pub(super) slots: u64,
}

impl Schedule {
    /// When this share's `j`-th slot is due.
    pub(super) fn due_at(&self, j: u64) -> Instant {
        self.t0 + self.plan.due(self.share.slot(j))
    }

    /// When the permit of slot `j` is released on the real clock: [`LEAD_MAX`] before it is
    /// due, or a tenth of the gap since slot `j - 1` where that is less.
    fn release_at(&self, j: u64) -> Instant {
        let due = self.due_at(j);
        let gap = match j {
            0 => LEAD_MAX * LEAD_PER_GAP,
            _ => due.saturating_duration_since(self.due_at(j - 1)),
        };
        due - (gap / LEAD_PER_GAP).min(LEAD_MAX)
    }
}

/// Waits until `intended` on the worker's own thread: a permit released early is sent when
/// its slot is due, never before, so the latency measured from `intended` is the target's and
/// the wait is not. Yielding, so other workers' answers are read meanwhile.
pub(super) async fn on_time(clock: &Clock, intended: Instant) {
    // A virtual clock's pacer has no lead, and its time would not move while a task spins.
    if let Clock::Real = clock {
        while Instant::now() < intended {
            tokio::task::yield_now().await;
        }
    }
}

/// Releases one permit per slot as it falls due, then closes the semaphore at `close_at`
/// (or at once when the run is stopped).
pub(super) struct Pacer {
    schedule: Schedule,
    close_at: Instant,
    released: u64,
    permits: Arc<Semaphore>,
    shared: Arc<Shared>,
}

/// The pacer while it runs: an OS thread on the real clock, a task on a virtual one.
pub(super) enum Running {
    Thread(std::thread::JoinHandle<u64>),
    Task(tokio::task::JoinHandle<u64>),
}

impl Running {
    /// How many slots the pacer released, once it is done.
    pub(super) async fn join(self) -> u64 {
        match self {
            Running::Thread(thread) => tokio::task::spawn_blocking(move || thread.join())
                .await
                .expect("joining the pacer")
                .expect("the pacer thread does not panic"),
            Running::Task(task) => task.await.expect("the pacer task does not panic"),
        }
    }
}

impl Pacer {
    pub(super) fn start(
        clock: &Clock,
        schedule: Schedule,
        close_at: Instant,
        permits: Arc<Semaphore>,
        shared: Arc<Shared>,
    ) -> Running {
        let pacer = Pacer {
            schedule,
            close_at,
            released: 0,
            permits,
            shared,
        };
        match clock {
            Clock::Real => Running::Thread(
                std::thread::Builder::new()
                    .name("perfwarden-pacer".into())
                    .spawn(move || pacer.on_thread())
                    .expect("spawning the pacer thread"),
            ),
            Clock::Virtual(v) => Running::Task(tokio::spawn(pacer.on_virtual(v.clone()))),
        }
    }

    /// Releases every slot whose release time (`at`) is by `now`; returns when to look
    /// again, or `None` once every slot is out and `close_at` has passed.
    fn release(&mut self, now: Instant, at: impl Fn(&Schedule, u64) -> Instant) -> Option<Instant> {
        let before = self.released;
        while self.released < self.schedule.slots && at(&self.schedule, self.released) <= now {
            self.released += 1;
        }
        if self.released > before {
            self.permits.add_permits((self.released - before) as usize);
        }
        if self.released < self.schedule.slots {
            Some(at(&self.schedule, self.released))
        } else if now >= self.close_at {
            None
        } else {
            Some(self.close_at)
        }
    }

    fn on_thread(mut self) -> u64 {
        precise_sleeps();
        while !self.shared.stopped() {
            let Some(next) = self.release(Instant::now(), Schedule::release_at) else {
                break;
            };
            let wait = next.saturating_duration_since(Instant::now());
            if !wait.is_zero() {
                std::thread::sleep(wait.min(PACER_MAX_SLEEP));
            }
        }
        self.permits.close();
        self.released
    }

    async fn on_virtual(mut self, clock: VirtualClock) -> u64 {
        while !self.shared.stopped() {
            let now = clock.now();
            let Some(next) = self.release(now, Schedule::due_at) else {
                break;
            };
            clock.sleep_until(next.min(now + PACER_MAX_SLEEP)).await;
        }
        self.permits.close();
        self.released
    }
}

/// Asks the kernel to wake this thread's sleeps on time: Linux lets a sleep end up to the
/// thread's timer slack late (50 µs by default) to batch wake-ups. The setting is this
/// thread's alone; where it fails, sleeps keep the default slack, which the lead absorbs.
fn precise_sleeps() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_TIMERSLACK takes an integer and touches only the calling thread.
    unsafe {
        libc::prctl(libc::PR_SET_TIMERSLACK, 1 as libc::c_ulong, 0, 0, 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::shape::Shape;

    fn schedule(rate: f64) -> Schedule {
        let plan = Shape::Constant { rate }.schedule(Duration::ZERO, Duration::from_secs(1));
        Schedule {
            t0: Instant::now(),
            plan: Arc::new(plan),
            share: Share::WHOLE,
            slots: 100,
        }
    }

    #[test]
    fn a_permit_is_released_early_by_at_most_a_tenth_of_the_gap() {
        // 500/s: 2 ms between slots, the full 100 µs lead.
        let s = schedule(500.0);
        assert_eq!(s.due_at(5) - s.release_at(5), LEAD_MAX);
        // 20,000/s: 50 µs between slots, 5 µs of lead, and releases stay in slot order.
        let s = schedule(20_000.0);
        let lead = s.due_at(5) - s.release_at(5);
        assert!(lead <= Duration::from_micros(5), "{lead:?}");
        assert!((1..100).all(|j| s.release_at(j) >= s.release_at(j - 1)));
    }
}
