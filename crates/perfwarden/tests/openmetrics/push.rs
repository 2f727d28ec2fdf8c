//! `perfwarden export --push` against a real Pushgateway (Debian's `prometheus-pushgateway`),
//! started on a free loopback port: the run's series arrive grouped by job, machine class and
//! profile, and a second push of the same group replaces the first.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};

use super::*;
use crate::cli::{code, stderr};

const BINARY: &str = "prometheus-pushgateway";

/// The Pushgateway, stopped on drop.
struct Gateway {
    child: Child,
    port: u16,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start() -> Result<Option<Gateway>> {
    if Command::new(BINARY).arg("--version").output().is_err() {
        eprintln!("skipped: no {BINARY} on PATH (apt-get install prometheus-pushgateway)");
        return Ok(None);
    }
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let child = Command::new(BINARY)
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let gw = Gateway { child, port };
    let deadline = Instant::now() + Duration::from_secs(20);
    while get(port, "/-/ready").is_err() {
        if Instant::now() > deadline {
            bail!("{BINARY} on port {port} not ready within 20 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(Some(gw))
}

/// A plain HTTP/1.0 GET: the body when the answer is 200.
fn get(port: u16, path: &str) -> Result<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")?;
    let mut answer = String::new();
    s.read_to_string(&mut answer)?;
    let (head, body) = answer
        .split_once("\r\n\r\n")
        .context("no HTTP header end")?;
    ensure!(
        head.starts_with("HTTP/1.") && head.contains(" 200 "),
        "{head}"
    );
    Ok(body.to_string())
}

fn push(dir: &std::path::Path, run: &Run, port: u16) -> Result<()> {
    let url = format!("http://127.0.0.1:{port}");
    let out = export(dir, run, &["--format", "openmetrics", "--push", &url]);
    ensure!(code(&out) == 0, "{}", stderr(&out));
    Ok(())
}

#[test]
#[ignore = "needs prometheus-pushgateway (Debian's package)"]
fn a_pushed_run_is_served_by_the_pushgateway_and_replaced_by_the_next() -> Result<()> {
    let Some(gw) = start()? else {
        return Ok(());
    };
    let dir = tempfile::tempdir()?;
    push(dir.path(), &sample_run("a1b2c3d4", 1.0), gw.port)?;
    let served = get(gw.port, "/metrics")?;
    let p99 = served
        .lines()
        .find(|l| l.starts_with("perfwarden_latency_p99_seconds{"))
        .context("no p99 served")?;
    for label in [
        r#"job="perfwarden""#,
        r#"machine_class="gha-ubuntu-2core""#,
        r#"profile="nightly""#,
        r#"commit="a1b2c3d4""#,
    ] {
        ensure!(p99.contains(label), "{p99} lacks {label}");
    }
    let value: f64 = p99.rsplit(' ').next().unwrap().parse()?;
    ensure!(
        value == recorded().value_at_quantile(0.99) as f64 / 1e6,
        "{p99}"
    );
    ensure!(
        served.contains("perfwarden_latency_seconds_bucket{"),
        "no histogram served"
    );

    // The next run of the same group replaces every series of the first (PUT).
    let mut next = sample_run("e5f6a7b8", 1.0);
    next.metrics.retain(|m| m.metric == "qps");
    next.histograms.clear();
    push(dir.path(), &next, gw.port)?;
    let served = get(gw.port, "/metrics")?;
    ensure!(served.contains(r#"commit="e5f6a7b8""#));
    ensure!(
        !served.contains(r#"commit="a1b2c3d4""#),
        "the first run's series stayed"
    );
    ensure!(!served.contains("perfwarden_latency_p99_seconds{"));
    Ok(())
}
