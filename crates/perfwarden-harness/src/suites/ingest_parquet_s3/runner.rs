//! Runs the whole suite against one S3 target: bucket check, encode alone, then every
//! scenario of the profile's plan, each verified and (unless kept) cleaned up.
//!
//! Each scenario writes under its own prefix, `<configured prefix><run id>/<scenario>/`, so
//! runs sharing a bucket never see each other's files and verification counts only the
//! scenario's own. The prefix is kept short: the embedded s3s-fs server stores multipart
//! metadata in one file named after the base64 of the key, so in the default bucket it
//! takes keys of at most 125 bytes (`embedded_s3::max_key_bytes`); ours are at most 121,
//! and a configured prefix that makes them longer is refused before the run starts.

use std::sync::Arc;

use super::config::PipelineConfig;
use super::encode_alone::{self, EncodeAlone};
use super::error::IngestError;
use super::keys;
use super::pipeline::{PipelineOutcome, run_pipeline};
use super::scenarios::{Kind, PASS_RATIO, Plan, Scenario};
use super::upload::{Bucket, S3Target, ensure_bucket};
use super::verify::{Expectation, VerifyReport, delete_prefix, verify};
use super::world::World;
use perfwarden::profile::Profile;

/// How to run the suite.
#[derive(Clone, Debug)]
pub struct SuiteOptions {
    pub profile: Profile,
    /// The pipeline settings every scenario starts from (its prefix is replaced).
    pub config: PipelineConfig,
    /// Create the bucket when it is missing (otherwise refuse).
    pub create_bucket: bool,
    /// Leave the objects in S3 after verification.
    pub keep_objects: bool,
    /// Keys per listing page when verifying.
    pub page_size: i32,
}

impl SuiteOptions {
    pub fn new(profile: Profile) -> SuiteOptions {
        SuiteOptions {
            profile,
            config: PipelineConfig::default(),
            create_bucket: true,
            keep_objects: false,
            page_size: 1_000,
        }
    }
}

/// One scenario's run.
#[derive(Debug)]
pub(crate) struct ScenarioRun {
    pub scenario: Scenario,
    pub config: PipelineConfig,
    pub result: Result<(PipelineOutcome, VerifyReport), IngestError>,
}

impl ScenarioRun {
    /// Achieved over target send rate, for scenarios with a target.
    pub(crate) fn ratio(&self) -> Option<f64> {
        let (outcome, _) = self.result.as_ref().ok()?;
        Some(outcome.send.achieved_rate() / self.scenario.load.target_rate?)
    }

    /// Why the scenario failed, if it did: an error, or a sustained rate under 95%.
    pub(crate) fn failure(&self) -> Option<String> {
        match &self.result {
            Err(e) => Some(e.to_string()),
            Ok(_) if self.scenario.kind == Kind::Sustained => {
                let ratio = self.ratio().unwrap_or(0.0);
                (ratio < PASS_RATIO).then(|| {
                    format!(
                        "{}: reached {:.1}% of the target rate, below {:.0}%",
                        self.scenario.name,
                        ratio * 100.0,
                        PASS_RATIO * 100.0
                    )
                })
            }
            Ok(_) => None,
        }
    }
}

/// The whole suite's run.
#[derive(Debug)]
pub struct SuiteRun {
    pub run_id: String,
    pub bucket: Bucket,
    /// None when the plan left encode-alone out.
    pub(crate) encode: Option<Result<EncodeAlone, IngestError>>,
    pub(crate) scenarios: Vec<ScenarioRun>,
}

impl SuiteRun {
    /// Every failure, one line each.
    pub fn failures(&self) -> Vec<String> {
        let mut f: Vec<String> = self
            .encode
            .as_ref()
            .and_then(|r| r.as_ref().err())
            .map(|e| e.to_string())
            .into_iter()
            .collect();
        f.extend(self.scenarios.iter().filter_map(ScenarioRun::failure));
        f
    }

    pub(crate) fn scenario(&self, name: &str) -> Option<&ScenarioRun> {
        self.scenarios.iter().find(|s| s.scenario.name == name)
    }
}

/// A run id: UTC time and process id, sortable and unique per machine.
pub(crate) fn run_id() -> String {
    format!(
        "{}-{}",
        chrono::Utc::now().format("%Y%m%dT%H%M%SZ"),
        std::process::id()
    )
}

/// Refuses up front a prefix whose keys the server cannot store (the embedded server's
/// file-name limit), rather than losing the first large file mid-run to an HTTP 500.
pub(crate) fn check_key_room(target: &S3Target, prefix: &str) -> Result<(), IngestError> {
    let Some(max) = target.max_key_bytes else {
        return Ok(());
    };
    let longest = keys::longest_key_len(prefix);
    if longest <= max {
        return Ok(());
    }
    Err(IngestError::Config {
        setting: "prefix",
        what: format!(
            "{prefix:?} makes keys of up to {longest} bytes, and the embedded S3 server stores \
             at most {max} in bucket {:?} (it names a file after the key): shorten the prefix \
             or the bucket's name, or name an S3 server in {}",
            target.bucket,
            crate::services::endpoint::S3_ENDPOINT
        ),
    })
}

/// Runs `plan` against `target`. Fails only when the bucket cannot be had; everything
/// after that is recorded per scenario. `log` receives one line per step.
pub async fn run_suite(
    target: &S3Target,
    plan: &Plan,
    opts: &SuiteOptions,
    log: &mut (dyn FnMut(String) + Send),
) -> Result<SuiteRun, IngestError> {
    opts.config.validate()?;
    let bucket = ensure_bucket(target, opts.create_bucket, &opts.config.retry).await?;
    let run_id = run_id();
    for scenario in &plan.scenarios {
        let prefix = keys::scenario_prefix(&opts.config.prefix, &run_id, &scenario.name);
        check_key_room(target, &prefix)?;
    }
    let world = Arc::new(World::new(plan.seed));
    log(format!(
        "ingest_parquet_s3: profile {}, {} lanes, {}, bucket {:?} at {} ({bucket:?}), run {run_id}",
        opts.profile, opts.config.lanes, opts.config.codec, target.bucket, target.endpoint
    ));

    let encode = if plan.encode_events == 0 {
        None
    } else {
        let (world, config, plan) = (world.clone(), opts.config.clone(), plan.clone());
        let encode = tokio::task::spawn_blocking(move || {
            encode_alone::measure(
                world,
                &config,
                plan.encode_mix,
                plan.seed,
                plan.encode_events,
            )
        })
        .await
        .unwrap_or_else(|e| {
            Err(IngestError::Thread {
                thread: "encode-alone".into(),
                what: e.to_string(),
            })
        });
        match &encode {
            Ok(e) => log(format!(
                "  encode alone: {} events in {:.2?}: {:.0} events/s, {:.1} MB/s, {:.1} B/event",
                e.events,
                e.elapsed,
                e.events_per_s(),
                e.mb_per_s(),
                e.bytes_per_event()
            )),
            Err(e) => log(format!("  encode alone failed: {e}")),
        }
        Some(encode)
    };

    let mut scenarios = Vec::new();
    for scenario in &plan.scenarios {
        let config = PipelineConfig {
            lanes: scenario.lanes.unwrap_or(opts.config.lanes),
            prefix: keys::scenario_prefix(&opts.config.prefix, &run_id, &scenario.name),
            ..opts.config.clone()
        };
        let result = run_scenario(target, world.clone(), &config, scenario, opts).await;
        let run = ScenarioRun {
            scenario: scenario.clone(),
            config,
            result,
        };
        log(describe(&run));
        scenarios.push(run);
    }
    Ok(SuiteRun {
        run_id,
        bucket,
        encode,
        scenarios,
    })
}

async fn run_scenario(
    target: &S3Target,
    world: Arc<World>,
    config: &PipelineConfig,
    scenario: &Scenario,
    opts: &SuiteOptions,
) -> Result<(PipelineOutcome, VerifyReport), IngestError> {
    let outcome = run_pipeline(target, world, config, &scenario.load).await?;
    let report = verify(
        target,
        &Expectation {
            prefix: &config.prefix,
            events: outcome.send.events,
            max_file_size: config.max_file_size,
            manifest: Some(&outcome.upload.manifest),
            page_size: opts.page_size,
        },
    )
    .await?;
    if !opts.keep_objects {
        delete_prefix(target, &config.prefix).await?;
    }
    Ok((outcome, report))
}

/// Where the run's CPU went, as shares of the process's, and how many cores that kept busy.
fn cpu_split(o: &PipelineOutcome) -> String {
    let c = &o.cpu;
    let total = c.total().as_secs_f64().max(1e-9);
    let pct = |d: std::time::Duration| 100.0 * d.as_secs_f64() / total;
    format!(
        "CPU {:.2} s on {:.2} cores: generate {:.0}%, encode {:.0}%, S3 server {:.0}%, rest {:.0}%",
        total,
        o.cores_busy(),
        pct(c.generate),
        pct(c.encode),
        pct(c.s3_server),
        pct(c.rest)
    )
}

/// One line about a scenario's run.
pub(crate) fn describe(run: &ScenarioRun) -> String {
    let name = &run.scenario.name;
    match &run.result {
        Err(e) => format!("  {name}: FAILED: {e}"),
        Ok((o, v)) => {
            let target = run
                .scenario
                .load
                .target_rate
                .map(|t| format!(" of {t:.0} ({:.1}%)", 100.0 * o.send.achieved_rate() / t))
                .unwrap_or_default();
            let up = &o.upload;
            let retried = match up.retried_files {
                0 => String::new(),
                n => format!(
                    "; {n} files retried ({} retries, {:.1?} retrying)",
                    up.retries, up.retrying
                ),
            };
            format!(
                "  {name}: {} events, sent at {:.0} events/s{target}, all visible after {:.2?} \
                 ({:.0} events/s end to end); {} files, {:.1} MB, largest {:.1} MB; lag p50 {:.2} s \
                 p99 {:.2} s; upload {:.1} MB/s per stream{retried}; {}; verified{}",
                o.send.events,
                o.send.achieved_rate(),
                o.finished,
                o.end_to_end_rate(),
                v.files,
                v.bytes as f64 / 1e6,
                v.largest_file as f64 / 1e6,
                o.upload.lag_us.value_at_quantile(0.5) as f64 / 1e6,
                o.upload.lag_us.value_at_quantile(0.99) as f64 / 1e6,
                o.upload.mb_per_s(),
                cpu_split(o),
                run.failure()
                    .map(|f| format!("; FAILED: {f}"))
                    .unwrap_or_default()
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_prefix_too_long_for_the_embedded_server_is_refused_in_one_line() {
        let mut target = S3Target::for_endpoint("http://127.0.0.1:9", "perfwarden", "k", "s");
        let long = format!("{}/", "x".repeat(60));
        assert!(check_key_room(&target, &long).is_ok(), "no limit, no check");
        target.max_key_bytes = Some(125);
        assert!(check_key_room(&target, "t/20261204T221900Z-4194304/unthrottled/").is_ok());
        let err = check_key_room(&target, &long).unwrap_err().to_string();
        assert!(err.contains("bad setting prefix"), "{err}");
        assert!(
            err.contains("143 bytes") && err.contains("at most 125"),
            "{err}"
        );
        assert!(!err.contains('\n'), "{err}");
    }
}
