//! The time the load engine reads and waits on: the real clock in benches, a virtual one in
//! tests, so the engine's pacing and coordinated-omission correction can be checked against
//! exact schedules rather than wall-clock bounds a busy machine breaks.
//!
//! [`VirtualClock`] time moves only when every task on its runtime waits: the runtime's
//! park hook then jumps it to the earliest pending wake-up ([`VirtualClock::run`]). So a
//! request that "takes 10 ms" takes exactly 10 ms, whatever the machine is doing.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

/// Where the engine's time comes from.
#[derive(Clone, Debug, Default)]
pub enum Clock {
    /// The machine's clock: `Instant::now`, tokio's timer, and an OS thread for the pacer.
    #[default]
    Real,
    Virtual(VirtualClock),
}

impl Clock {
    pub(crate) fn now(&self) -> Instant {
        match self {
            Clock::Real => Instant::now(),
            Clock::Virtual(v) => v.now(),
        }
    }

    pub(crate) async fn sleep_until(&self, deadline: Instant) {
        match self {
            Clock::Real => tokio::time::sleep_until(deadline.into()).await,
            Clock::Virtual(v) => v.sleep_until(deadline).await,
        }
    }

    pub(crate) async fn sleep(&self, duration: Duration) {
        self.sleep_until(self.now() + duration).await
    }

    /// `fut`'s output, or `None` when it takes longer than `limit`.
    pub(crate) async fn timeout<F: Future>(&self, limit: Duration, fut: F) -> Option<F::Output> {
        match self {
            Clock::Real => tokio::time::timeout(limit, fut).await.ok(),
            Clock::Virtual(v) => {
                let deadline = v.now() + limit;
                tokio::select! {
                    biased;
                    out = fut => Some(out),
                    () = v.sleep_until(deadline) => None,
                }
            }
        }
    }
}

/// Virtual time, shared by its clones.
#[derive(Clone, Debug)]
pub struct VirtualClock {
    state: Arc<Mutex<State>>,
}

#[derive(Debug)]
struct State {
    now: Instant,
    /// Pending wake-ups by (deadline, registration number): earliest first, ties in order.
    sleepers: BTreeMap<(Instant, u64), Waker>,
    next_id: u64,
}

impl Default for VirtualClock {
    fn default() -> Self {
        VirtualClock::new()
    }
}

impl VirtualClock {
    /// A clock starting now, that moves only as [`run`](Self::run) or [`spend`](Self::spend)
    /// move it.
    pub(crate) fn new() -> VirtualClock {
        VirtualClock {
            state: Arc::new(Mutex::new(State {
                now: Instant::now(),
                sleepers: BTreeMap::new(),
                next_id: 0,
            })),
        }
    }

    /// Runs `f(clock)` to completion on a single-threaded runtime whose idle moments advance
    /// a new clock to its next wake-up. Everything timed inside must wait on this clock (a
    /// wait on tokio's own timer would be skipped over). The runtime is deterministic: the
    /// same program gives the same schedule.
    pub fn run<F, Fut>(f: F) -> Fut::Output
    where
        F: FnOnce(VirtualClock) -> Fut,
        Fut: Future,
    {
        let clock = VirtualClock::new();
        let idle = clock.clone();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .on_thread_park(move || idle.advance())
            .build()
            .expect("building a current-thread runtime");
        runtime.block_on(f(clock))
    }

    pub fn now(&self) -> Instant {
        self.lock().now
    }

    /// Moves time forward by `d` at once, as synchronous work on the runtime's only thread
    /// would (a client building a request): everything due meanwhile wakes after it.
    pub fn spend(&self, d: Duration) {
        let mut state = self.lock();
        state.now += d;
        state.wake_due();
    }

    pub async fn sleep(&self, d: Duration) {
        self.sleep_until(self.now() + d).await
    }

    pub fn sleep_until(&self, deadline: Instant) -> Sleep {
        Sleep {
            clock: self.clone(),
            deadline,
            id: None,
        }
    }

    /// Jumps to the earliest wake-up and wakes everything due then; nothing when none waits.
    fn advance(&self) {
        let mut state = self.lock();
        if let Some(&(deadline, _)) = state.sleepers.keys().next() {
            state.now = state.now.max(deadline);
            state.wake_due();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic elsewhere cannot leave the state half-updated: every update is one step.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl State {
    fn wake_due(&mut self) {
        while let Some(entry) = self.sleepers.first_entry() {
            if entry.key().0 > self.now {
                break;
            }
            entry.remove().wake();
        }
    }
}

/// A wait on a [`VirtualClock`] until `deadline`.
#[derive(Debug)]
pub struct Sleep {
    clock: VirtualClock,
    deadline: Instant,
    /// The registration number once it waits.
    id: Option<u64>,
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let clock = self.clock.clone();
        let mut state = clock.lock();
        if state.now >= self.deadline {
            if let Some(id) = self.id.take() {
                state.sleepers.remove(&(self.deadline, id));
            }
            return Poll::Ready(());
        }
        let id = match self.id {
            Some(id) => id,
            None => {
                state.next_id += 1;
                state.next_id
            }
        };
        self.id = Some(id);
        state
            .sleepers
            .insert((self.deadline, id), cx.waker().clone());
        Poll::Pending
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let Some(id) = self.id {
            self.clock.lock().sleepers.remove(&(self.deadline, id));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_moves_only_to_the_next_wake_up() {
        VirtualClock::run(|clock| async move {
            let start = clock.now();
            let c = clock.clone();
            let late = tokio::spawn(async move {
                c.sleep(Duration::from_millis(30)).await;
                c.now()
            });
            clock.sleep(Duration::from_millis(10)).await;
            assert_eq!(clock.now() - start, Duration::from_millis(10));
            clock.spend(Duration::from_millis(25));
            assert_eq!(late.await.unwrap() - start, Duration::from_millis(35));
        });
    }

    #[test]
    fn a_timeout_fires_at_its_deadline_and_a_dropped_sleep_is_forgotten() {
        VirtualClock::run(|clock| async move {
            let start = clock.now();
            let virt = Clock::Virtual(clock.clone());
            let out = virt
                .timeout(Duration::from_millis(50), std::future::pending::<()>())
                .await;
            assert_eq!(out, None);
            assert_eq!(clock.now() - start, Duration::from_millis(50));
            let out = virt
                .timeout(
                    Duration::from_secs(60),
                    clock.sleep(Duration::from_millis(1)),
                )
                .await;
            assert_eq!(out, Some(()));
            // The 60 s timer went with its future: nothing is left to jump to.
            assert!(clock.lock().sleepers.is_empty());
        });
    }
}
