//! qdrant_search's workload mix end to end (`#[ignore]`d: needs a Redis and Qdrant's engine
//! in-process): the users' own plan, `fixtures/personas/seed-002.toml`, against two tiny
//! collections in the engine and a native `redis-server` behind `cache_lookup`. Every kind
//! and every persona is answered without error, in the open run and as users. The pure
//! parts (user counts, the closed mix's rate against its model, the skip without a Redis)
//! are unit-tested in the library.

use std::time::Duration;

use perfwarden::profile::Profile;
use perfwarden::results::{Environment, Metric, Run, validate};
use perfwarden_harness::load::ProgressMode;
use perfwarden_harness::services::{self, ProviderKind};
use perfwarden_harness::suites::qdrant_search::{self as suite, MixCache, Options, Target};

const KINDS: [&str; 5] = ["dense", "filtered", "hybrid", "fanout", "cache_lookup"];
const PERSONAS: [&str; 3] = ["researcher", "pipeline", "casual"];

/// Two collections of 200 points, the other phases cut to a minimum, and the mix run
/// 2 s open at 60/s and 2 s as 6 users thinking a hundredth of seed 002's seconds.
fn tiny() -> Options {
    let mut o = Options::new(Profile::Smoke);
    o.prefix = "perfwarden_test_mix_".into();
    o.progress = ProgressMode::Quiet;
    let p = &mut o.plan;
    p.collections = Some(vec!["deepcoder", "general"]);
    p.points = 200;
    p.queries = 10;
    p.serial_warmup = 1;
    p.sweep = vec![1];
    p.warmup = Duration::from_millis(100);
    p.duration = Duration::from_millis(100);
    p.open_rates = vec![];
    p.stress_steps = 0;
    p.fanout_rounds = 2;
    p.fanout_concurrency = 1;
    p.mix_rate = 60.0;
    p.mix_duration = Duration::from_secs(2);
    p.mix_users = 6;
    p.mix_think_scale = 0.01;
    o
}

fn metric<'a>(run: &'a Run, benchmark: &str, name: &str) -> &'a Metric {
    run.metrics
        .iter()
        .find(|m| m.benchmark == benchmark && m.metric == name)
        .unwrap_or_else(|| panic!("no metric {benchmark}/{name}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs redis and the embedded qdrant engine"]
async fn seed_002_runs_on_the_engine_behind_a_redis_cache() -> anyhow::Result<()> {
    let provided = services::redis::provide_via(ProviderKind::Native).await?;
    let Some(redis) = services::require_or_skip(provided, "redis:native")? else {
        return Ok(());
    };
    let provided = services::qdrant::provide_via(ProviderKind::Embedded).await?;
    let Some(qdrant) = services::require_or_skip(provided, "qdrant:embedded")? else {
        return Ok(());
    };
    let target = Target::from_service(&qdrant);
    let opts = tiny();
    let mut run = Run::new(Environment::detect(Profile::Smoke));
    let colls = suite::run_with(target.clone(), &MixCache::Redis(&redis), &opts, &mut run).await?;
    suite::cleanup(&target, &colls, &opts).await;
    validate(&run).map_err(anyhow::Error::msg)?;

    let open = "mix/seed-002/embedded/open_60";
    let users = "mix/seed-002/embedded/users_6";
    for bench in [open, users] {
        let whole = metric(&run, bench, "error_rate");
        assert_eq!(whole.value, 0.0, "{bench}");
        assert_eq!(whole.labels["protocol"], "embedded");
        assert!(whole.labels["engine"].starts_with("qdrant-edge"));
        assert!(
            whole.labels["cache"].starts_with("redis "),
            "{:?}",
            whole.labels
        );
        let parts = KINDS
            .iter()
            .map(|k| format!("{bench}/kind/{k}"))
            .chain(PERSONAS.iter().map(|p| format!("{bench}/persona/{p}")));
        for part in parts {
            assert!(metric(&run, &part, "requests").value > 0.0, "{part}");
            assert_eq!(metric(&run, &part, "errors").value, 0.0, "{part}");
        }
    }
    // Users who think send what their cycle allows: the rate they achieved against
    // users / (think + latency), loosely (a debug build on a busy machine).
    let rate = metric(&run, users, "achieved_rate");
    let model: f64 = rate.labels["model_rate"].parse()?;
    assert!(
        rate.value > 0.6 * model && rate.value < 1.4 * model,
        "achieved {:.1}/s, model {model:.1}/s",
        rate.value
    );
    assert_eq!(rate.labels["think_scale"], "0.01");
    // The cache's keys went with the run.
    let mut conn = redis.connection().await?;
    let left: Vec<String> = ::redis::cmd("KEYS")
        .arg(format!("{}*", opts.cache_namespace))
        .query_async(&mut conn)
        .await?;
    assert!(left.is_empty(), "{} keys left", left.len());
    Ok(())
}
