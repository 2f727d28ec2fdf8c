//! Nothing outlives its service: no child process and no container after a drop, after a
//! panic in the test body, or after the test process itself is killed.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{Context, Result, bail, ensure};
use perfwarden_harness::services::container::sweep_orphans;
use perfwarden_harness::services::docker::docker;
use perfwarden_harness::services::owner::{is_alive, sweep_dirs};
use perfwarden_harness::services::proc::read_proc_stat;
use perfwarden_harness::services::{Provided, ProviderKind, redis, require_or_skip};

use super::eventually;

/// The env var that turns `orphan_helper` from a no-op into the process that gets killed.
const HELPER_VAR: &str = "PERFWARDEN_ORPHAN_HELPER";
const HELPER_MARK: &str = "PERFWARDEN-HELPER";

/// Gone, or a zombie waiting for a reaper that is not us: either way no longer running.
fn not_running(pid: u32) -> bool {
    read_proc_stat(pid).map_or(true, |s| s.state == 'Z')
}

async fn container_exists(id: &str) -> Result<bool> {
    let docker = docker().await.map_err(anyhow::Error::msg)?;
    Ok(docker.inspect_container(id, None).await.is_ok())
}

/// What a service held, as the thread that held it reports it.
enum Held {
    Pid(u32),
    Container(String),
    Skipped(String),
}

/// Provides Redis through `kind` on a thread of its own, reports what it holds, and panics
/// while holding it. Returns what it held, after checking the thread did panic.
fn hold_and_panic(kind: ProviderKind) -> Result<Held> {
    let (tx, rx) = mpsc::channel();
    let worker = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let svc = match redis::provide_via(kind).await {
                Ok(Provided::Ready(svc)) => svc,
                Ok(Provided::Skipped(reason)) => {
                    let _ = tx.send(Ok(Held::Skipped(reason)));
                    return;
                }
                Err(e) => {
                    let _ = tx.send(Err(e.to_string()));
                    return;
                }
            };
            let held = match (svc.pid(), svc.container_id()) {
                (Some(pid), _) => Held::Pid(pid),
                (None, Some(id)) => Held::Container(id.to_string()),
                (None, None) => unreachable!("an owned server has a pid or a container"),
            };
            tx.send(Ok(held)).expect("report");
            panic!("the test body panics while it holds the server (expected)");
        });
    });
    let held = rx
        .recv_timeout(Duration::from_secs(120))
        .context("the worker thread did not report")?
        .map_err(anyhow::Error::msg)?;
    let joined = worker.join();
    if !matches!(held, Held::Skipped(_)) {
        ensure!(joined.is_err(), "the worker thread was meant to panic");
    }
    Ok(held)
}

#[tokio::test]
#[ignore = "needs redis-server on PATH"]
async fn a_native_server_is_stopped_on_drop_and_on_panic() -> Result<()> {
    let Some(svc) = require_or_skip(
        redis::provide_via(ProviderKind::Native).await?,
        "redis:native",
    )?
    else {
        return Ok(());
    };
    let pid = svc.pid().context("a native service has a pid")?;
    ensure!(
        !not_running(pid),
        "the server is not running before the drop"
    );
    drop(svc);
    ensure!(
        read_proc_stat(pid).is_err(),
        "pid {pid} is still there after the drop"
    );

    let pid = match hold_and_panic(ProviderKind::Native)? {
        Held::Pid(pid) => pid,
        Held::Skipped(reason) => return skipped(reason, "redis:native"),
        Held::Container(_) => bail!("the native provider held a container"),
    };
    ensure!(
        read_proc_stat(pid).is_err(),
        "pid {pid} is still there after the panic"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Docker with a Redis image (PERFWARDEN_REDIS_IMAGE/_TAG)"]
async fn a_container_is_removed_on_drop_and_on_panic() -> Result<()> {
    let Some(svc) = require_or_skip(
        redis::provide_via(ProviderKind::Container).await?,
        "redis:container",
    )?
    else {
        return Ok(());
    };
    let id = svc
        .container_id()
        .context("a container service has an id")?
        .to_string();
    ensure!(container_exists(&id).await?, "container {id} is not there");
    drop(svc);
    ensure!(
        !container_exists(&id).await?,
        "container {id} survived the drop"
    );

    let held = tokio::task::spawn_blocking(|| hold_and_panic(ProviderKind::Container)).await??;
    let id = match held {
        Held::Container(id) => id,
        Held::Skipped(reason) => return skipped(reason, "redis:container"),
        Held::Pid(_) => bail!("the container provider held a process"),
    };
    ensure!(
        !container_exists(&id).await?,
        "container {id} survived the panic"
    );
    Ok(())
}

/// A skip found late (the service went away between two provides): fails when required.
fn skipped(reason: String, key: &str) -> Result<()> {
    require_or_skip(Provided::<()>::Skipped(reason), key)?;
    Ok(())
}

/// Starts this test binary as a helper that provides Redis through `kind` and waits to be
/// killed; returns the helper and what it reported holding.
fn start_helper(kind: &str) -> Result<(std::process::Child, String)> {
    let mut helper = Command::new(std::env::current_exe()?)
        .args(["--ignored", "--exact", "services::cleanup::orphan_helper"])
        .args(["--nocapture", "--test-threads=1"])
        .env(HELPER_VAR, kind)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let stdout = helper.stdout.take().context("helper stdout")?;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            // libtest prints "test <name> ... " before the test's own output, on one line.
            if let Some(at) = line.find(HELPER_MARK) {
                let _ = tx.send(line[at + HELPER_MARK.len()..].trim().to_string());
                return;
            }
        }
        let _ = tx.send("exited without a report".to_string());
    });
    let report = rx
        .recv_timeout(Duration::from_secs(120))
        .context("the helper did not report")?;
    Ok((helper, report))
}

/// What a killed helper held: its report and its pid.
struct Killed {
    report: String,
    pid: u32,
}

/// Kills the helper the hard way (no Drop, no unwinding) and returns what it held.
fn kill_helper(kind: &str, key: &str) -> Result<Option<Killed>> {
    let (mut helper, report) = start_helper(kind)?;
    if let Some(reason) = report.strip_prefix("skip ") {
        let _ = helper.wait();
        skipped(reason.to_string(), key)?;
        return Ok(None);
    }
    helper.kill()?;
    helper.wait()?;
    Ok(Some(Killed {
        report,
        pid: helper.id(),
    }))
}

/// The data dirs in the temp dir that process `pid` created.
fn data_dirs_of(pid: u32) -> Vec<std::path::PathBuf> {
    let prefix = format!("perfwarden-redis-{pid}.");
    std::fs::read_dir(std::env::temp_dir())
        .map(|entries| {
            entries
                .flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
                .map(|e| e.path())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
#[ignore = "needs redis-server on PATH"]
async fn a_killed_test_process_leaves_no_server_behind() -> Result<()> {
    let Some(killed) = kill_helper("native", "redis:native")? else {
        return Ok(());
    };
    let pid: u32 = killed
        .report
        .strip_prefix("pid ")
        .and_then(|p| p.parse().ok())
        .with_context(|| format!("helper report: {}", killed.report))?;
    // The kernel kills the server when its parent dies (PR_SET_PDEATHSIG).
    ensure!(
        eventually(Duration::from_secs(5), || not_running(pid)).await,
        "redis-server {pid} outlived the killed test process"
    );
    // Its data dir stays until a later run sweeps the dirs of dead owners.
    ensure!(
        !data_dirs_of(killed.pid).is_empty(),
        "no data dir of the helper found"
    );
    sweep_dirs(&std::env::temp_dir(), is_alive);
    let left = data_dirs_of(killed.pid);
    ensure!(left.is_empty(), "the sweep left {left:?}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Docker with a Redis image (PERFWARDEN_REDIS_IMAGE/_TAG)"]
async fn a_killed_test_process_leaves_no_container_behind() -> Result<()> {
    let Some(killed) = kill_helper("container", "redis:container")? else {
        return Ok(());
    };
    let id = killed
        .report
        .strip_prefix("container ")
        .with_context(|| format!("helper report: {}", killed.report))?;
    // Nothing ran in the killed process to remove it; the next run's sweep does (or already
    // did: the first container another test starts in this process sweeps too).
    sweep_orphans().await;
    ensure!(
        !container_exists(id).await?,
        "the sweep left the orphaned container {id}"
    );
    Ok(())
}

#[tokio::test]
#[ignore = "helper process of the killed-process tests; does nothing unless PERFWARDEN_ORPHAN_HELPER is set"]
async fn orphan_helper() -> Result<()> {
    let Ok(kind) = std::env::var(HELPER_VAR) else {
        return Ok(());
    };
    let provider = match kind.as_str() {
        "native" => ProviderKind::Native,
        "container" => ProviderKind::Container,
        other => bail!("{HELPER_VAR}={other}"),
    };
    let svc = match redis::provide_via(provider).await? {
        Provided::Ready(svc) => svc,
        Provided::Skipped(reason) => {
            println!("{HELPER_MARK} skip {reason}");
            return Ok(());
        }
    };
    match (svc.pid(), svc.container_id()) {
        (Some(pid), _) => println!("{HELPER_MARK} pid {pid}"),
        (None, Some(id)) => println!("{HELPER_MARK} container {id}"),
        (None, None) => bail!("an owned server has a pid or a container"),
    }
    // Waits to be killed; the bound only matters if the parent test died first.
    tokio::time::sleep(Duration::from_secs(120)).await;
    Ok(())
}

#[test]
#[ignore = "needs Docker with a Redis image (PERFWARDEN_REDIS_IMAGE/_TAG)"]
fn a_container_outliving_its_runtime_is_still_removed() -> Result<()> {
    // A suite may keep its service past the runtime that started it; the drop then has no
    // runtime to run Docker's remove on and must bring its own.
    let svc = {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        rt.block_on(redis::provide_via(ProviderKind::Container))?
    };
    let Some(svc) = require_or_skip(svc, "redis:container")? else {
        return Ok(());
    };
    let id = svc.container_id().context("container id")?.to_string();
    drop(svc);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    ensure!(
        !rt.block_on(container_exists(&id))?,
        "container {id} survived a drop outside any runtime"
    );
    Ok(())
}
