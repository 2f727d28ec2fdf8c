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

use perfwarden::results::Metric;

use super::LoadConfig;
use super::clock::Clock;
use super::mix::Mix;
use super::mix_run::{KindFuture, MixPlan, MixReport, splitmix, unit};
use super::recorder::{Failure, Recorder, Shared};
use super::report::{LoadMode, LoadReport};

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

impl MixReport {
    /// Users only: `Σ users / (mean think + mean latency)` over the personas, with each
    /// persona's scaled mean think time and measured mean latency: the rate the users would
    /// send at were the client never late. None for an open-loop mix.
    pub fn model_rate(&self) -> Option<f64> {
        let users = self.users.as_ref()?;
        let personas = self.by_persona();
        let rate = users
            .per_persona
            .iter()
            .zip(&self.plan.mix.personas)
            .zip(&personas)
            .map(|((&n, p), (_, stats))| {
                let think = p.mean_think().as_secs_f64() * users.think_scale;
                let latency = stats.latency.mean_us() / 1e6;
                n as f64 / (think + latency).max(1e-9)
            })
            .sum();
        Some(rate)
    }

    /// Users only: the think scale on every metric, each persona's user count on its own,
    /// and the model rate beside the achieved one.
    pub(super) fn label_users(&self, metrics: &mut [Metric]) {
        let Some(users) = &self.users else {
            return;
        };
        let model = self.model_rate().unwrap_or(0.0);
        for m in metrics.iter_mut() {
            m.labels
                .insert("think_scale".into(), format!("{}", users.think_scale));
            if m.metric == "achieved_rate" {
                m.labels.insert("model_rate".into(), format!("{model:.2}"));
            }
            let persona = self
                .plan
                .mix
                .personas
                .iter()
                .position(|p| m.benchmark.ends_with(&format!("/persona/{}", p.name)));
            if let Some(i) = persona {
                m.labels
                    .insert("users".into(), users.per_persona[i].to_string());
            }
        }
    }

    /// Users only: how many of each persona, and the achieved rate against the model's.
    pub(super) fn users_line(&self) -> Option<String> {
        let users = self.users.as_ref()?;
        let who: Vec<String> = self
            .plan
            .mix
            .personas
            .iter()
            .zip(&users.per_persona)
            .map(|(p, n)| format!("{} {n}", p.name))
            .collect();
        Some(format!(
            "  users {} ({}), think x{}: achieved {:.1}/s, users / (think + latency) {:.1}/s",
            users.per_persona.iter().sum::<usize>(),
            who.join(", "),
            users.think_scale,
            self.report.achieved_rate(),
            self.model_rate().unwrap_or(0.0)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{Kinds, ProgressMode, VirtualClock};
    use std::path::Path;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn mix(text: &str) -> Mix {
        Mix::parse(Path::new("m.toml"), text).unwrap()
    }

    const TWO: &str = r#"
[[persona]]
name = "researcher"
users = 3
think_ms = [40, 160]
kinds = { fast = 2, slow = 1 }
[[persona]]
name = "pipeline"
users = 1
think_ms = [10, 30]
kinds = { slow = 1 }
"#;

    #[test]
    fn users_are_shared_by_weight_at_least_one_each() {
        // Seed 002's weights: 3, 1, 2.
        let casual = "\n[[persona]]\nname = \"casual\"\nusers = 2\nthink_ms = [5000, 15000]\nkinds = { fast = 1 }";
        let seed_002 = mix(&format!("{TWO}{casual}"));
        assert_eq!(seed_002.user_counts(6), [3, 1, 2]);
        assert_eq!(seed_002.user_counts(12), [6, 2, 4]);
        assert_eq!(seed_002.user_counts(100), [50, 17, 33]);
        assert_eq!(seed_002.user_counts(4), [2, 1, 1]);
        assert_eq!(seed_002.user_counts(0), [1, 1, 1]);
        assert_eq!(mix(TWO).user_counts(8), [6, 2]);
    }

    /// 6 researchers and 2 pipelines against kinds of fixed latency (5 ms and 25 ms) on the
    /// virtual clock: the rate they achieve is users / (mean think + mean latency) per
    /// persona, summed; the model the report states from its own numbers agrees; a think
    /// scale of one half shortens the cycle as the model says; a seed repeats its run.
    #[test]
    fn the_achieved_rate_is_users_over_think_plus_latency() {
        VirtualClock::run(|clock| async move {
            let kind = |latency: Duration| {
                let c = clock.clone();
                move |_| {
                    let c = c.clone();
                    async move {
                        c.sleep(latency).await;
                        Ok(())
                    }
                }
            };
            let kinds = Kinds::new()
                .with("fast", kind(ms(5)))
                .with("slow", kind(ms(25)));
            let plan = MixPlan::new(mix(TWO), &kinds, 7).unwrap();
            let cfg = LoadConfig::new("users", ms(1000), Duration::from_secs(120))
                .progress(ProgressMode::Quiet)
                .clock(Clock::Virtual(clock.clone()));
            // A researcher's request takes 2/3 · 5 + 1/3 · 25 ms on average.
            let researcher_latency = (2.0 * 0.005 + 0.025) / 3.0;
            for (scale, think_r, think_p) in [(1.0, 0.100, 0.020), (0.5, 0.050, 0.010)] {
                let want = 6.0 / (think_r + researcher_latency) + 2.0 / (think_p + 0.025);
                let m = closed_loop_mix(&cfg, plan.clone(), 8, scale).await;
                let got = m.report.achieved_rate();
                eprintln!("x{scale}: achieved {got:.2}/s, users / (think + latency) {want:.2}/s");
                assert!(
                    (got / want - 1.0).abs() < 0.03,
                    "x{scale}: {got:.1}/s, want {want:.1}/s"
                );
                let model = m.model_rate().unwrap();
                assert!(
                    (model / want - 1.0).abs() < 0.03,
                    "x{scale}: model {model:.1}/s"
                );
                assert_eq!(m.report.errors, 0);
                let personas = m.by_persona();
                let share = personas[1].1.requests() as f64 / m.report.ok as f64;
                let want_share = 2.0 / (think_p + 0.025) / want;
                assert!(
                    (share - want_share).abs() < 0.02,
                    "pipeline share {share:.3}"
                );
                let kinds = m.by_kind();
                let fast = kinds[0].1.latency.summary();
                assert!((fast.max_ms - 5.0).abs() < 0.01, "{fast:?}");
                let line = m.lines().pop().unwrap();
                assert!(
                    line.starts_with("  users 8 (researcher 6, pipeline 2)"),
                    "{line}"
                );
            }
            let count = |m: &MixReport| {
                m.by_kind()
                    .iter()
                    .map(|(_, s)| s.requests())
                    .collect::<Vec<_>>()
            };
            let a = closed_loop_mix(&cfg, plan.clone(), 8, 1.0).await;
            let b = closed_loop_mix(&cfg, plan.clone(), 8, 1.0).await;
            assert_eq!(count(&a), count(&b));
            let (metrics, _) = a.to_metrics("s", "mix/m/users");
            let rate = metrics
                .iter()
                .find(|m| m.benchmark == "mix/m/users" && m.metric == "achieved_rate")
                .unwrap();
            assert_eq!(rate.labels["mode"], "users");
            assert!(rate.labels.contains_key("model_rate"));
            let pipeline = metrics
                .iter()
                .find(|m| m.benchmark == "mix/m/users/persona/pipeline")
                .unwrap();
            assert_eq!(pipeline.labels["users"], "2");
        });
    }
}
