//! The phases shaped like the users' own load tests (seed 002's Locust scenarios), on the
//! open loop with the mix of `fixtures/personas/cache.toml` (or `PERFWARDEN_MIX`):
//!
//! - `mix/<mix>/<collection>`: the personas' mix at the plan's rate; per kind and persona
//!   its own latency, counts and errors;
//! - `spike/<collection>`: the mix at half that rate, `factor ×` for a while, back; latency
//!   before, during and after, and the time to recover;
//! - `soak/<collection>` (nightly and full, or `PERFWARDEN_SOAK_SECS`): the mix held long,
//!   the drift of p99 and of Redis's memory across windows.

use std::sync::Arc;
use std::time::Duration;

use super::error::CacheError;
use super::kinds;
use super::options::Options;
use super::phases::Ctx;
use super::record::say;
use crate::load::{self, LoadConfig, Mix, MixPlan, Shape};
use crate::record::Recorder;
use crate::services::redis::RedisPool;

/// Runs the shaped phases and records their metrics; returns their report lines.
pub(crate) async fn run(
    rec: &mut Recorder<'_>,
    ctx: &Ctx,
    pool: &Arc<RedisPool>,
    opts: &Options,
    coll: &str,
) -> Result<Vec<String>, CacheError> {
    let plan = &opts.plan;
    let mix = Mix::read(&opts.mix_path).map_err(CacheError::Config)?;
    let namespace = format!("{}shaped:", opts.namespace);
    let kinds = kinds::kinds(
        ctx,
        &namespace,
        plan.shaped_keys,
        plan.zipf_exponent,
        opts.seed,
    );
    let mix_plan = MixPlan::new(mix, &kinds, opts.seed).map_err(CacheError::Config)?;
    let mut lines = Vec::new();
    let cfg = |label: &str, duration: Duration, window: Duration| {
        LoadConfig::new(label, plan.warmup, duration)
            .window(window)
            .timeout(opts.request_timeout)
            .progress(opts.progress)
            .slowdown(opts.slowdown)
    };

    let bench = format!("mix/{}/{coll}", mix_plan.mix.name);
    let shape = Shape::Constant {
        rate: plan.mix_rate,
    };
    let m = load::open_loop_mix(
        &cfg(&bench, plan.duration, plan.window),
        &shape,
        plan.max_in_flight,
        mix_plan.clone(),
    )
    .await;
    rec.extend(m.to_metrics(rec.suite(), &bench));
    lines.extend(m.lines());
    aborted(&bench, &m.report)?;

    let bench = format!("spike/{coll}");
    let spike = &plan.spike;
    let shape = Shape::Spike {
        base: plan.mix_rate / 2.0,
        factor: spike.factor,
        at: spike.at,
        length: spike.length,
    };
    let window = (spike.duration / 30).max(Duration::from_millis(20));
    let sender = mix_plan.clone();
    let s = load::spike(
        &cfg(&bench, spike.duration, window).abort_after(None),
        &shape,
        plan.max_in_flight,
        move |k| sender.send(k),
    )
    .await;
    rec.extend(s.to_metrics(rec.suite(), &bench));
    lines.push(s.one_line());

    if let Some(soak) = plan.soak {
        let bench = format!("soak/{coll}");
        let windows = soak.windows;
        let sender = mix_plan.clone();
        let address = ctx.cache.address.clone();
        let r = load::soak(
            &cfg(&bench, soak.duration, soak.duration / windows),
            plan.mix_rate / 2.0,
            plan.max_in_flight,
            windows,
            || async { super::runner::used_memory(pool, &address).await.ok() },
            move |k| sender.send(k),
        )
        .await;
        rec.extend(r.to_metrics(rec.suite(), &bench));
        lines.push(r.one_line());
        aborted(&bench, &r.report)?;
    } else {
        say("soak skipped: nightly and full profiles only (or set PERFWARDEN_SOAK_SECS)");
    }
    Ok(lines)
}

fn aborted(bench: &str, report: &load::LoadReport) -> Result<(), CacheError> {
    match &report.aborted {
        Some(why) => Err(CacheError::Aborted {
            benchmark: bench.to_string(),
            what: format!(
                "{why}; first error: {}",
                report.error_samples.first().map_or("none", |s| s)
            ),
        }),
        None => Ok(()),
    }
}
