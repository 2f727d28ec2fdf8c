//! Servers in containers, through testcontainers.
//!
//! The probe asks Docker whether it answers (bounded) and whether the image is there or can
//! be pulled; an engine without a registry answers but cannot pull, and the chain then falls
//! through with one line. Every container perfwarden starts carries an owner label naming this
//! process (host, pid and start time); a container whose owner is gone (a test process that
//! was killed before it could remove it) is removed by the next perfwarden run on that host.

use std::any::Any;
use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use testcontainers::bollard::query_parameters::{ListContainersOptions, RemoveContainerOptions};
use testcontainers::core::logs::LogFrame;
use testcontainers::runners::AsyncRunner;
use testcontainers::{ContainerRequest, Image, ImageExt};

use super::chain::Probe;
use super::docker::docker;
use super::owner::{self, Owner};
use super::resources::ResourceTarget;
use super::{Env, ProviderKind, Service, ServiceError};

/// The label every perfwarden container carries: `host:pid:starttime` of its owner.
pub(crate) const OWNER_LABEL: &str = "perfwarden.owner";
/// The label naming the service, for `docker ps --filter label=perfwarden.service=redis`.
pub(crate) const SERVICE_LABEL: &str = "perfwarden.service";

/// Pulls give up after this long unless `PERFWARDEN_PULL_TIMEOUT_SECS` says otherwise.
const DEFAULT_PULL_TIMEOUT: Duration = Duration::from_secs(300);
/// Lines of container output kept for error messages.
const LOG_LINES: usize = 40;

/// An image name and tag, from defaults and the override env vars.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ImageRef {
    pub name: String,
    pub tag: String,
}

impl ImageRef {
    /// `<prefix>_IMAGE` (which may carry its own `:tag`) and `<prefix>_TAG` override the
    /// defaults, e.g. `PERFWARDEN_REDIS_IMAGE=mirror.local/redis PERFWARDEN_REDIS_TAG=7.4.2`.
    pub(crate) fn from_env(env: &Env, prefix: &str, name: &str, tag: &str) -> ImageRef {
        let mut image = ImageRef {
            name: name.to_string(),
            tag: tag.to_string(),
        };
        if let Some(given) = env.get(&format!("{prefix}_IMAGE")) {
            // A colon after the last slash is a tag; one before it is a registry port.
            let last_slash = given.rfind('/').map_or(0, |i| i + 1);
            match given[last_slash..].rfind(':') {
                Some(i) => {
                    image.name = given[..last_slash + i].to_string();
                    image.tag = given[last_slash + i + 1..].to_string();
                }
                None => image.name = given.to_string(),
            }
        }
        if let Some(tag) = env.get(&format!("{prefix}_TAG")) {
            image.tag = tag.to_string();
        }
        image
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.name, self.tag)
    }
}

/// Whether the container provider can run `image`: Docker answers, and the image is there
/// or `pull` (testcontainers' own pull, which knows the registry credentials) fetches it.
pub(crate) async fn probe<F>(env: &Env, image: &ImageRef, pull: F) -> Probe
where
    F: AsyncFnOnce() -> Result<(), String>,
{
    let docker = match docker().await {
        Ok(d) => d,
        Err(why) => return Probe::Missing { why },
    };
    if docker.inspect_image(&image.to_string()).await.is_ok() {
        return Probe::Available;
    }
    let limit = match env
        .get("PERFWARDEN_PULL_TIMEOUT_SECS")
        .map(str::parse::<u64>)
    {
        Some(Ok(secs)) => Duration::from_secs(secs),
        _ => DEFAULT_PULL_TIMEOUT,
    };
    match tokio::time::timeout(limit, pull()).await {
        Ok(Ok(())) => Probe::Available,
        Ok(Err(e)) => Probe::Unusable {
            why: format!(
                "image {image} is not local and cannot be pulled ({})",
                pull_failure(&e)
            ),
        },
        Err(_) => Probe::Unusable {
            why: format!(
                "image {image} is not local and did not pull within {} s",
                limit.as_secs()
            ),
        },
    }
}

/// The gist of a pull error: testcontainers and Docker wrap the registry's answer in two
/// layers that repeat the image name and a status code.
pub(crate) fn pull_failure(error: &str) -> &str {
    let inner = error.rsplit_once(", error: ").map_or(error, |(_, e)| e);
    match inner.strip_prefix("Docker responded with status code ") {
        Some(rest) => rest.split_once(": ").map_or(inner, |(_, msg)| msg),
        None => inner,
    }
}

/// A started container: its guard, and where its ports are mapped.
pub(crate) struct Started {
    pub guard: ContainerGuard,
    /// The host to connect to, e.g. `127.0.0.1`.
    pub host: String,
    /// The host ports, in the order the container ports were asked for.
    pub ports: Vec<u16>,
}

/// Starts `request` with perfwarden's labels and a bounded startup, and maps `ports`. A
/// container that does not come up is removed, and the error carries its last log lines.
pub(crate) async fn start<I>(
    service: Service,
    image: &ImageRef,
    request: ContainerRequest<I>,
    ports: &[u16],
    timeout: Duration,
) -> Result<Started, ServiceError>
where
    I: Image + Send + Sync + 'static,
{
    sweep_orphans_once().await;
    let logs = LogTail::default();
    let sink = logs.clone();
    let request = request
        .with_label(OWNER_LABEL, Owner::current().label())
        .with_label(SERVICE_LABEL, service.key())
        .with_startup_timeout(timeout)
        .with_log_consumer(move |frame: &LogFrame| sink.push(frame.bytes()));
    let container = request.start().await.map_err(|e| ServiceError::Start {
        service,
        provider: ProviderKind::Container,
        what: format!("{image} did not start: {e}"),
        log: logs.text(),
    })?;
    let map_err = |what: String| ServiceError::Container {
        service,
        image: image.to_string(),
        what,
    };
    let host = match container.get_host().await {
        Ok(h) if h.to_string() == "localhost" => "127.0.0.1".to_string(),
        Ok(h) => h.to_string(),
        Err(e) => return Err(map_err(format!("no host: {e}"))),
    };
    let mut mapped = Vec::new();
    for &port in ports {
        let p = container
            .get_host_port_ipv4(port)
            .await
            .map_err(|e| map_err(format!("port {port} is not mapped: {e}")))?;
        mapped.push(p);
    }
    let id = container.id().to_string();
    let host_pid = host_pid(&id).await;
    Ok(Started {
        guard: ContainerGuard {
            id,
            image: image.to_string(),
            inner: Some(Box::new(container)),
            logs,
            host_pid,
        },
        host,
        ports: mapped,
    })
}

/// Owns a running container; dropping it removes the container.
pub(crate) struct ContainerGuard {
    id: String,
    image: String,
    /// The testcontainers handle, type-erased; its own Drop removes the container.
    inner: Option<Box<dyn Any + Send + Sync>>,
    logs: LogTail,
    /// The container's main process as this host's /proc sees it, where it does.
    host_pid: Option<u32>,
}

impl fmt::Debug for ContainerGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ContainerGuard")
            .field("id", &self.id)
            .field("image", &self.image)
            .field("host_pid", &self.host_pid)
            .finish_non_exhaustive()
    }
}

impl ContainerGuard {
    pub(crate) fn id(&self) -> &str {
        &self.id
    }

    pub(crate) fn image(&self) -> &str {
        &self.image
    }

    /// The last lines the container printed.
    pub(crate) fn log_tail(&self) -> String {
        self.logs.text()
    }

    /// The error for a container that started but whose service never became ready.
    pub(crate) fn start_error(&self, service: Service, what: String) -> ServiceError {
        ServiceError::Start {
            service,
            provider: ProviderKind::Container,
            what: format!("{} ({}) {what}", self.image, short(&self.id)),
            log: self.log_tail(),
        }
    }

    /// Polls `ready` every 100 ms until it answers true, the container stops, or `timeout`
    /// passes; both failures carry the container's log.
    pub(crate) async fn wait_ready<F, Fut>(
        &self,
        service: Service,
        timeout: Duration,
        mut ready: F,
    ) -> Result<(), ServiceError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let start = std::time::Instant::now();
        let docker = docker().await.ok();
        loop {
            if ready().await {
                return Ok(());
            }
            if let Some(docker) = &docker
                && let Ok(info) = docker.inspect_container(&self.id, None).await
                && let Some(state) = info.state
                && state.running == Some(false)
            {
                let code = state.exit_code.map_or("?".into(), |c| c.to_string());
                let what = format!("exited before it was ready (exit code {code})");
                return Err(self.start_error(service, what));
            }
            if start.elapsed() > timeout {
                let what = format!(
                    "was not ready after {:.0} s (set {} to wait longer)",
                    timeout.as_secs_f64(),
                    super::READY_TIMEOUT_VAR
                );
                return Err(self.start_error(service, what));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub(crate) fn resource_target(&self, service: Service) -> ResourceTarget {
        ResourceTarget::Container {
            service,
            id: self.id.clone(),
            host_pid: self.host_pid,
        }
    }
}

impl Drop for ContainerGuard {
    fn drop(&mut self) {
        let Some(inner) = self.inner.take() else {
            return;
        };
        // testcontainers removes the container in its Drop through the current tokio
        // runtime; outside one (a service dropped after its runtime), lend it a runtime.
        if tokio::runtime::Handle::try_current().is_ok() {
            drop(inner);
        } else {
            let remover = std::thread::spawn(move || {
                if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    rt.block_on(async move { drop(inner) });
                }
            });
            let _ = remover.join();
        }
    }
}

fn short(id: &str) -> &str {
    &id[..id.len().min(12)]
}

/// The last lines of a container's output, shared with its log consumer.
#[derive(Clone, Default)]
struct LogTail(Arc<Mutex<VecDeque<String>>>);

impl LogTail {
    fn push(&self, bytes: &[u8]) {
        let mut lines = self.0.lock().unwrap_or_else(|e| e.into_inner());
        for line in String::from_utf8_lossy(bytes).lines() {
            if lines.len() == LOG_LINES {
                lines.pop_front();
            }
            lines.push_back(line.to_string());
        }
    }

    fn text(&self) -> String {
        let lines = self.0.lock().unwrap_or_else(|e| e.into_inner());
        lines.iter().map(|l| format!("{l}\n")).collect()
    }
}

/// The container's main process id in this host's /proc, if it is visible here (a local
/// engine); resource sampling then reads /proc instead of the slower Docker stats.
async fn host_pid(id: &str) -> Option<u32> {
    let docker = docker().await.ok()?;
    let info = docker.inspect_container(id, None).await.ok()?;
    let pid = u32::try_from(info.state?.pid?).ok().filter(|&p| p > 0)?;
    // A remote engine's pid may name an unrelated local process: only a process in the
    // container's own cgroup is the container's.
    let cgroup = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).ok()?;
    cgroup.contains(id).then_some(pid)
}

/// Removes the containers of perfwarden processes of this host that died without removing
/// them. Runs once per process, before its first container; returns how many it removed.
pub async fn sweep_orphans() -> usize {
    let Ok(docker) = docker().await else { return 0 };
    let filters = HashMap::from([("label".to_string(), vec![OWNER_LABEL.to_string()])]);
    let options = ListContainersOptions {
        all: true,
        filters: Some(filters),
        ..Default::default()
    };
    let Ok(list) = docker.list_containers(Some(options)).await else {
        return 0;
    };
    let this_host = owner::hostname();
    let mut removed = 0;
    for summary in list {
        let (Some(id), Some(labels)) = (summary.id, summary.labels) else {
            continue;
        };
        let Some(owner) = labels.get(OWNER_LABEL) else {
            continue;
        };
        let gone = Owner::parse_label(owner)
            .is_some_and(|o| o.host == this_host && !owner::is_alive(o.pid, o.start_ticks));
        if gone {
            let force = RemoveContainerOptions {
                force: true,
                v: true,
                ..Default::default()
            };
            if docker.remove_container(&id, Some(force)).await.is_ok() {
                tracing::info!("removed container {} left behind by {owner}", short(&id));
                removed += 1;
            }
        }
    }
    removed
}

async fn sweep_orphans_once() {
    static SWEPT: tokio::sync::OnceCell<usize> = tokio::sync::OnceCell::const_new();
    SWEPT.get_or_init(sweep_orphans).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_overrides() {
        let none = Env::default();
        let d = ImageRef::from_env(&none, "PERFWARDEN_REDIS", "redis", "7.4.2");
        assert_eq!(d.to_string(), "redis:7.4.2");

        let env = Env::from_pairs([("PERFWARDEN_REDIS_IMAGE", "mirror.local:5000/lib/redis")]);
        let i = ImageRef::from_env(&env, "PERFWARDEN_REDIS", "redis", "7.4.2");
        assert_eq!(i.to_string(), "mirror.local:5000/lib/redis:7.4.2");

        let env = Env::from_pairs([("PERFWARDEN_REDIS_IMAGE", "mirror.local:5000/redis:8.0")]);
        let i = ImageRef::from_env(&env, "PERFWARDEN_REDIS", "redis", "7.4.2");
        assert_eq!(
            (i.name.as_str(), i.tag.as_str()),
            ("mirror.local:5000/redis", "8.0")
        );

        let env = Env::from_pairs([
            ("PERFWARDEN_REDIS_IMAGE", "perfwarden-local/redis:x"),
            ("PERFWARDEN_REDIS_TAG", "7.0.15"),
        ]);
        let i = ImageRef::from_env(&env, "PERFWARDEN_REDIS", "redis", "7.4.2");
        assert_eq!(i.to_string(), "perfwarden-local/redis:7.0.15");
    }

    #[test]
    fn pull_errors_are_cut_to_the_registry_answer() {
        let e = "failed to pull the image 'minio/minio:R', error: Docker responded with status \
                 code 500: Get \"https://registry-1.docker.io/v2/\": dial tcp: lookup \
                 registry-1.docker.io: no such host";
        assert_eq!(
            pull_failure(e),
            "Get \"https://registry-1.docker.io/v2/\": dial tcp: lookup registry-1.docker.io: \
             no such host"
        );
        assert_eq!(pull_failure("timeout"), "timeout");
    }

    #[test]
    fn log_tail_keeps_the_last_lines() {
        let tail = LogTail::default();
        for i in 0..(LOG_LINES + 5) {
            tail.push(format!("line {i}\n").as_bytes());
        }
        let text = tail.text();
        assert!(text.starts_with("line 5\n"));
        assert!(text.ends_with(&format!("line {}\n", LOG_LINES + 4)));
    }
}
