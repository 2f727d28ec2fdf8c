//! A mix run as its personas' users, Locust's model: each user is a task that sends a
//! request of its persona (kinds drawn by their weights), awaits the answer, then thinks (a
//! uniform time in the persona's `think_ms`, times a scale), and again. The load is what
//! the users make of it: a slower target makes them send less, which is how the users'
//! Locust plans behave, and what the open loop ([`open_loop_mix`](super::open_loop_mix))
//! deliberately does not do.
//!
//! In a steady state each user's cycle lasts its think time plus its request's latency, so
//! the users together send `Σ users / (mean think + mean latency)` per second (Little's law
//! for a closed system). The report states that model beside the achieved rate
//! ([`MixReport::model_rate`]): far apart, the client did not keep its users' pace.
//!
//! Every user starts with a think, so arrivals are spread from the start rather than all
//! users sending at once. Its kinds and think times come from its own seeded stream: the
//! same user makes the same choices on every run. `think_scale` shortens the think times
//! for CI (0.01 turns Locust's 2-10 s into 20-100 ms) without changing the mix's shares.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::LoadConfig;
use super::clock::Clock;
use super::mix::Mix;
use super::mix_run::{KindFuture, MixPlan, MixReport, splitmix, unit};
use super::recorder::{Failure, Recorder, Shared};
use super::report::{LoadMode, LoadReport};

mod model;

/// A think is slept in steps of at most this, so a stopped run ends promptly.
const THINK_STEP: Duration = Duration::from_millis(200);

/// How the personas were peopled: users per persona (in the mix's order) and the factor
/// their think times were scaled by.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Users {
    pub per_persona: Vec<usize>,
    pub think_scale: f64,
}

impl Mix {
    /// `total` users shared among the personas by their weights, at least one each (so
    /// every persona is measured) and the rest by largest remainder: Locust's `--users`
    /// over its user classes' weights. Fewer than one per persona gives one per persona.
    pub fn user_counts(&self, total: usize) -> Vec<usize> {
        let n = self.personas.len();
        let spare = total.max(n) - n;
        let weight: f64 = self.personas.iter().map(|p| p.users).sum();
        let exact: Vec<f64> = self
            .personas
            .iter()
            .map(|p| spare as f64 * p.users / weight)
            .collect();
        let mut counts: Vec<usize> = exact.iter().map(|e| 1 + e.floor() as usize).collect();
        let left = (n + spare).saturating_sub(counts.iter().sum());
        let mut order: Vec<usize> = (0..n).collect();
        let frac = |i: usize| exact[i] - exact[i].floor();
        order.sort_by(|&a, &b| frac(b).total_cmp(&frac(a)).then(a.cmp(&b)));
        for &i in order.iter().take(left) {
            counts[i] += 1;
        }
        counts
    }
}

impl MixPlan {
    /// The class persona `persona` sends for a draw `u` in `[0, 1)`: its kinds by weight.
    fn persona_class(&self, persona: usize, u: f64) -> usize {
        let first = self
            .classes
            .iter()
            .position(|c| c.persona == persona)
            .expect("every persona has at least one kind");
        let kinds = &self.mix.personas[persona].kinds;
        let total: f64 = kinds.iter().map(|(_, w)| w).sum();
        let mut upto = 0.0;
        for (i, (_, w)) in kinds.iter().enumerate() {
            upto += w / total;
            if u < upto {
                return first + i;
            }
        }
        first + kinds.len() - 1
    }

    fn send_class(&self, class: usize, k: u64) -> KindFuture {
        (self.ops[class])(k)
    }
}

/// Runs `plan` as `users` users (shared among the personas by [`Mix::user_counts`]), their
/// think times scaled by `think_scale`, for `cfg.warmup + cfg.duration`; requests sent
/// during the warm-up are not recorded. User `u`'s `j`-th request is slot `j·n + u` of its
/// kind (`n` users in all), so every request has its own slot.
pub async fn closed_loop_mix(
    cfg: &LoadConfig,
    plan: MixPlan,
    users: usize,
    think_scale: f64,
) -> MixReport {
    let per_persona = plan.mix.user_counts(users);
    let total: usize = per_persona.iter().sum();
    let think_scale = if think_scale.is_finite() {
        think_scale.max(0.0)
    } else {
        1.0
    };
    let plan = Arc::new(plan);
    let shared = Shared::new();
    let monitor = tokio::spawn(super::progress::monitor(
        format!("{} (users, n={total})", cfg.label),
        cfg.progress,
        cfg.total(),
        abort_after(cfg, &plan.mix, think_scale),
        cfg.clock.clone(),
        shared.clone(),
    ));
    let clock = cfg.clock.clone();
    let measure_start = clock.now() + cfg.warmup;
    let end = measure_start + cfg.duration;
    let span = Span {
        measure_start,
        end,
        shared: shared.clone(),
    };
    let tasks = spawn_users(&plan, &per_persona, think_scale, cfg, &span);
    let mut all = Recorder::new(measure_start, end, cfg.window, shared.clone());
    for task in tasks {
        match task.await {
            Ok(rec) => all.merge(rec),
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => panic!("a user of {} was cancelled: {e}", cfg.label),
        }
    }
    let finished = clock.now();
    shared.stop.store(true, Ordering::Relaxed);
    let aborted = monitor.await.ok().flatten();
    let report = LoadReport::from_recorder(
        cfg,
        LoadMode::Users { users: total },
        finished.saturating_duration_since(measure_start),
        all,
        0,
        aborted,
    );
    MixReport {
        report,
        plan: Arc::unwrap_or_clone(plan),
        users: Some(Users {
            per_persona,
            think_scale,
        }),
    }
}

/// Users who think for seconds leave the target quiet that long: one error, then silence,
/// is no sign of a dead target until the longest think has passed twice.
fn abort_after(cfg: &LoadConfig, mix: &Mix, think_scale: f64) -> Option<Duration> {
    let longest = mix.personas.iter().map(|p| p.think.1).max();
    cfg.abort_after
        .map(|a| a.max(longest.unwrap_or_default().mul_f64(think_scale) * 2))
}

/// Starts `per_persona[p]` users of each persona `p`, numbered in that order.
fn spawn_users(
    plan: &Arc<MixPlan>,
    per_persona: &[usize],
    think_scale: f64,
    cfg: &LoadConfig,
    span: &Span,
) -> Vec<tokio::task::JoinHandle<Recorder>> {
    let total: usize = per_persona.iter().sum();
    let mut tasks = Vec::with_capacity(total);
    for (persona, &count) in per_persona.iter().enumerate() {
        let (lo, hi) = plan.mix.personas[persona].think;
        for _ in 0..count {
            let id = tasks.len() as u64;
            let user = User {
                id,
                persona,
                users: total as u64,
                think: (lo.mul_f64(think_scale), hi.mul_f64(think_scale)),
                draws: splitmix(plan.seed ^ splitmix(id.wrapping_add(1))),
            };
            tasks.push(tokio::spawn(user.run(
                plan.clone(),
                cfg.clone(),
                span.clone(),
            )));
        }
    }
    tasks
}

/// One user: its persona, its scaled think range and its own stream of draws.
struct User {
    id: u64,
    persona: usize,
    users: u64,
    think: (Duration, Duration),
    /// SplitMix64 state.
    draws: u64,
}

impl User {
    fn draw(&mut self) -> f64 {
        self.draws = self.draws.wrapping_add(0x9E37_79B9_7F4A_7C15);
        unit(splitmix(self.draws))
    }

    fn think_time(&mut self) -> Duration {
        let (lo, hi) = self.think;
        lo + (hi - lo).mul_f64(self.draw())
    }

    /// Think, send, await, until the run ends; returns what it recorded.
    async fn run(mut self, plan: Arc<MixPlan>, cfg: LoadConfig, span: Span) -> Recorder {
        let clock = cfg.clock.clone();
        let mut rec = Recorder::new(
            span.measure_start,
            span.end,
            cfg.window,
            span.shared.clone(),
        );
        let mut j = 0;
        loop {
            let wake = clock.now() + self.think_time();
            if wake >= span.end || !think_until(&clock, wake, &span.shared).await {
                break;
            }
            let class = plan.persona_class(self.persona, self.draw());
            let fut = plan.send_class(class, j * self.users + self.id);
            j += 1;
            let sent = clock.now();
            let failure = Failure::of(clock.timeout(cfg.timeout, fut).await, cfg.timeout);
            cfg.slowdown.apply_on(&clock, sent).await;
            let done = clock.now();
            if sent >= span.measure_start {
                rec.record(sent, sent, done, failure, Some(class));
            } else {
                rec.record_warmup(sent, done, failure);
            }
        }
        rec
    }
}

/// The run's measured period and the counters every user shares.
#[derive(Clone)]
struct Span {
    measure_start: Instant,
    end: Instant,
    shared: Arc<Shared>,
}

/// Sleeps until `wake`; false when the run was stopped meanwhile.
async fn think_until(clock: &Clock, wake: Instant, shared: &Shared) -> bool {
    loop {
        if shared.stopped() {
            return false;
        }
        let now = clock.now();
        if now >= wake {
            return true;
        }
        clock.sleep_until(wake.min(now + THINK_STEP)).await;
    }
}

#[cfg(test)]
mod tests;
