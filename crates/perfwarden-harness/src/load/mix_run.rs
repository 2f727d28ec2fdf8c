//! Running a [`Mix`]: the suite provides each request kind as a closure ([`Kinds`]), the
//! mix says which persona sends which kind how often, and the open loop sends them at a
//! rate that follows a [`Shape`], each slot's persona and kind drawn from the slot number
//! and a seed. So the same slot is the same request on every run and on every load machine
//! (shares of a plan stay exact), and the latency of every kind counts from its intended
//! send time: the coordinated-omission correction holds for a mix as for one kind.
//!
//! In an open loop a persona's share of the requests is `users / mean think time` (each
//! user sends one request per think time), normalised over the mix; within a persona, its
//! kinds' weights. The report keeps one histogram per persona and kind, from which the
//! per-kind and per-persona views are exact sums. The same plan also runs as users who
//! think between requests ([`closed_loop_mix`](super::closed_loop_mix)), into the same
//! report.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use perfwarden::results::{Histogram, Metric};

use super::mix::Mix;
use super::tags::TagStats;
use super::{LoadConfig, LoadReport, Shape, open_loop_shaped};

/// One request of a kind, as the suite sends it.
pub type KindFuture = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;
pub(super) type KindOp = Arc<dyn Fn(u64) -> KindFuture + Send + Sync>;

/// The request kinds a suite provides, by name (`cache_lookup`, `dense`, …).
#[derive(Clone, Default)]
pub struct Kinds {
    ops: BTreeMap<String, KindOp>,
}

impl Kinds {
    pub fn new() -> Kinds {
        Kinds::default()
    }

    /// Adds kind `name`: `op(slot)` sends one request of it.
    pub fn with<F, Fut>(mut self, name: &str, op: F) -> Kinds
    where
        F: Fn(u64) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), String>> + Send + 'static,
    {
        let op: KindOp = Arc::new(move |k| Box::pin(op(k)) as KindFuture);
        self.ops.insert(name.to_string(), op);
        self
    }

    pub fn names(&self) -> Vec<&str> {
        self.ops.keys().map(String::as_str).collect()
    }
}

/// One (persona, kind) pair of a mix: its index into the mix and the end of its range of
/// draws in `[0, 1)`.
#[derive(Clone, Debug)]
pub(super) struct Class {
    pub(super) persona: usize,
    kind: String,
    upto: f64,
}

/// A mix bound to the kinds that send it.
#[derive(Clone)]
pub struct MixPlan {
    pub mix: Mix,
    pub(super) classes: Vec<Class>,
    pub(super) ops: Vec<KindOp>,
    pub(super) seed: u64,
}

impl MixPlan {
    /// Binds `mix` to `kinds`; every kind the mix names must be provided (one line saying
    /// which are not, and which are).
    pub fn new(mix: Mix, kinds: &Kinds, seed: u64) -> Result<MixPlan, String> {
        let missing: Vec<String> = mix
            .kinds()
            .into_iter()
            .filter(|k| !kinds.ops.contains_key(k))
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "{}: kinds {} are not provided here (this suite provides {})",
                mix.path.display(),
                missing.join(", "),
                kinds.names().join(", ")
            ));
        }
        let total: f64 = mix.personas.iter().map(|p| p.request_weight()).sum();
        let (mut classes, mut ops, mut upto) = (Vec::new(), Vec::new(), 0.0);
        for (i, p) in mix.personas.iter().enumerate() {
            let kinds_total: f64 = p.kinds.iter().map(|(_, w)| w).sum();
            for (kind, w) in &p.kinds {
                upto += p.request_weight() / total * w / kinds_total;
                classes.push(Class {
                    persona: i,
                    kind: kind.clone(),
                    upto,
                });
                ops.push(kinds.ops[kind].clone());
            }
        }
        if let Some(last) = classes.last_mut() {
            last.upto = 1.0;
        }
        Ok(MixPlan {
            mix,
            classes,
            ops,
            seed,
        })
    }

    /// The class (persona and kind) slot `k` sends: the same for a seed, on any machine.
    pub fn class_of(&self, k: u64) -> usize {
        let u = unit(splitmix(self.seed ^ splitmix(k)));
        self.classes
            .iter()
            .position(|c| u < c.upto)
            .unwrap_or(self.classes.len() - 1)
    }

    /// Sends slot `k`'s request: its class's kind, called with `k`.
    pub fn send(&self, k: u64) -> KindFuture {
        (self.ops[self.class_of(k)])(k)
    }

    /// `(persona, kind)` of class `c`.
    pub fn class(&self, c: usize) -> (&str, &str) {
        let class = &self.classes[c];
        (&self.mix.personas[class.persona].name, &class.kind)
    }

    /// The expected fraction of requests of class `c`.
    pub fn share(&self, c: usize) -> f64 {
        self.classes[c].upto - c.checked_sub(1).map_or(0.0, |p| self.classes[p].upto)
    }

    pub fn classes(&self) -> usize {
        self.classes.len()
    }
}

/// SplitMix64: a well-mixed 64-bit hash of the slot, cheap and the same everywhere.
pub(super) fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The top 53 bits as a number in `[0, 1)`.
pub(super) fn unit(x: u64) -> f64 {
    (x >> 11) as f64 / (1u64 << 53) as f64
}

/// What a mixed run measured: the whole, and each persona and kind.
pub struct MixReport {
    pub report: LoadReport,
    pub(super) plan: MixPlan,
    /// How the personas were peopled, when they ran as users
    /// ([`closed_loop_mix`](super::closed_loop_mix)).
    pub(super) users: Option<super::closed_mix::Users>,
}

/// Runs `plan` in an open loop at `shape`, at most `max_in_flight` requests outstanding.
pub async fn open_loop_mix(
    cfg: &LoadConfig,
    shape: &Shape,
    max_in_flight: usize,
    plan: MixPlan,
) -> MixReport {
    let (tagger, sender) = (Arc::new(plan.clone()), Arc::new(plan.clone()));
    let report = open_loop_shaped(
        cfg,
        shape,
        max_in_flight,
        move |k| Some(tagger.class_of(k)),
        move |k| sender.send(k),
    )
    .await;
    MixReport {
        report,
        plan,
        users: None,
    }
}

impl MixReport {
    fn class_stats(&self, c: usize) -> TagStats {
        self.report.tags.get(c).cloned().unwrap_or_default()
    }

    /// Each kind's numbers, summed over the personas that send it; sorted by kind.
    pub fn by_kind(&self) -> Vec<(String, TagStats)> {
        let mut out: BTreeMap<String, TagStats> = BTreeMap::new();
        for c in 0..self.plan.classes() {
            let kind = self.plan.class(c).1.to_string();
            out.entry(kind).or_default().merge(&self.class_stats(c));
        }
        out.into_iter().collect()
    }

    /// Each persona's numbers, summed over its kinds; in the mix's order.
    pub fn by_persona(&self) -> Vec<(String, TagStats)> {
        let mut out: Vec<(String, TagStats)> = self
            .plan
            .mix
            .personas
            .iter()
            .map(|p| (p.name.clone(), TagStats::default()))
            .collect();
        for c in 0..self.plan.classes() {
            out[self.plan.classes[c].persona]
                .1
                .merge(&self.class_stats(c));
        }
        out
    }

    /// The whole run's metrics as `benchmark`, and each kind's and persona's as
    /// `benchmark/kind/<kind>` and `benchmark/persona/<persona>`.
    pub fn to_metrics(&self, suite: &str, benchmark: &str) -> (Vec<Metric>, Vec<Histogram>) {
        let (mut metrics, mut hists) = self.report.to_metrics(suite, benchmark);
        let groups = [("kind", self.by_kind()), ("persona", self.by_persona())];
        for (group, parts) in groups {
            for (name, stats) in parts {
                let (m, h) = stats.to_metrics(suite, &format!("{benchmark}/{group}/{name}"));
                metrics.extend(
                    m.into_iter()
                        .map(|m| m.label("mix", self.plan.mix.name.clone())),
                );
                hists.push(h);
            }
        }
        self.label_users(&mut metrics);
        (metrics, hists)
    }

    /// The whole run, then one line per persona and per kind.
    pub fn lines(&self) -> Vec<String> {
        let mut out = vec![self.report.one_line()];
        for (name, s) in self.by_persona() {
            out.push(format!("  persona {name}: {}", s.one_line()));
        }
        for (name, s) in self.by_kind() {
            out.push(format!("  kind {name}: {}", s.one_line()));
        }
        out.extend(self.users_line());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn plan(seed: u64) -> MixPlan {
        let mix = Mix::parse(
            Path::new("m.toml"),
            r#"
[[persona]]
name = "a"
users = 3
think_ms = [1000, 1000]
kinds = { x = 1, y = 1 }
[[persona]]
name = "b"
users = 1
think_ms = [1000, 1000]
kinds = { y = 1 }
"#,
        )
        .unwrap();
        let ok = |_| async { Ok(()) };
        MixPlan::new(mix, &Kinds::new().with("x", ok).with("y", ok), seed).unwrap()
    }

    #[test]
    fn draws_follow_the_weights_and_repeat_for_a_seed() {
        let p = plan(7);
        assert_eq!(
            (0..3).map(|c| p.share(c)).collect::<Vec<_>>(),
            [0.375, 0.375, 0.25]
        );
        let mut counts = [0u32; 3];
        for k in 0..100_000 {
            counts[p.class_of(k)] += 1;
        }
        for (c, n) in counts.iter().enumerate() {
            let share = *n as f64 / 100_000.0;
            assert!((share - p.share(c)).abs() < 0.01, "class {c}: {share}");
        }
        assert_eq!(plan(7).class_of(12345), p.class_of(12345));
        assert_eq!(p.class(2), ("b", "y"));
    }

    #[test]
    fn a_kind_the_suite_lacks_is_named() {
        let mix = plan(1).mix;
        let only_x = Kinds::new().with("x", |_| async { Ok(()) });
        let e = MixPlan::new(mix, &only_x, 1).err().unwrap();
        assert_eq!(
            e,
            "m.toml: kinds y are not provided here (this suite provides x)"
        );
    }
}
