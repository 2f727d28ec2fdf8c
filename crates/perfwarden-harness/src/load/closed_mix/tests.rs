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
