//! A server started from its own binary on PATH, as a child process on loopback ports with
//! its data and log in a temp dir.
//!
//! No orphan survives perfwarden: the child is killed (its whole process group) and reaped when
//! the [`ChildProcess`] drops, also while a panic unwinds; and should the test process itself
//! be killed, the kernel sends the child SIGKILL (`PR_SET_PDEATHSIG`). That signal fires when
//! the *thread* that forked the child exits, so every child is forked by one spawner thread
//! that lives as long as the process.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use super::owner::{self, Owner};
use super::{ProviderKind, Service, ServiceError};

/// How many bytes of a log the error of a failed start shows.
const LOG_TAIL_BYTES: u64 = 4096;

/// How long a child gets to exit on SIGTERM before SIGKILL.
const STOP_GRACE: Duration = Duration::from_secs(3);

/// The first executable named `name` on PATH.
pub(crate) fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// A free TCP port on 127.0.0.1. Another process may take it before the server binds it;
/// the service modules retry a start whose log says the address was in use.
pub(crate) fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind(("127.0.0.1", 0))?.local_addr()?.port())
}

/// [`free_port`], with the error perfwarden reports.
pub(crate) fn pick_port() -> Result<u16, ServiceError> {
    free_port().map_err(|source| ServiceError::Io {
        path: "127.0.0.1".into(),
        what: "no free port".into(),
        source,
    })
}

/// A fresh temp dir for a server's data and log (`what` names it), removed when dropped.
/// Its name carries this process's identity, so the dirs of a killed run, which no Drop
/// removed, are swept by the next run's first call.
pub(crate) fn data_dir(what: &str) -> Result<tempfile::TempDir, ServiceError> {
    static SWEPT: std::sync::Once = std::sync::Once::new();
    let temp = std::env::temp_dir();
    SWEPT.call_once(|| {
        owner::sweep_dirs(&temp, owner::is_alive);
    });
    let tag = Owner::current().dir_tag();
    tempfile::Builder::new()
        .prefix(&format!("{}{what}-{tag}-", owner::DIR_PREFIX))
        .tempdir_in(&temp)
        .map_err(|source| ServiceError::Io {
            path: std::env::temp_dir(),
            what: "cannot create a data dir".into(),
            source,
        })
}

/// The binary the chain found on PATH, or the error for one that went away since.
pub(crate) fn binary_for(service: Service) -> Result<PathBuf, ServiceError> {
    find_on_path(service.binary()).ok_or_else(|| ServiceError::Start {
        service,
        provider: ProviderKind::Native,
        what: format!("{} is no longer on PATH", service.binary()),
        log: String::new(),
    })
}

/// A running child process whose stdout and stderr go to `log`.
#[derive(Debug)]
pub(crate) struct ChildProcess {
    child: Child,
    service: Service,
    log: PathBuf,
}

impl ChildProcess {
    /// Starts `command` with its output appended to `log`, in its own process group, killed
    /// by the kernel should this process die first.
    pub(crate) fn spawn(
        service: Service,
        mut command: Command,
        log: &Path,
    ) -> Result<ChildProcess, ServiceError> {
        let io_err = |what: &str, source| ServiceError::Io {
            path: log.to_path_buf(),
            what: what.to_string(),
            source,
        };
        let out = File::options()
            .create(true)
            .append(true)
            .open(log)
            .map_err(|e| io_err("cannot open the server log", e))?;
        let err = out
            .try_clone()
            .map_err(|e| io_err("cannot open the server log", e))?;
        command
            .stdin(Stdio::null())
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err));
        {
            use std::os::unix::process::CommandExt;
            // Its own group, so Drop can stop helpers the server forks too; a terminal's
            // Ctrl-C then reaches perfwarden alone, and perfwarden's death takes the server down.
            command.process_group(0);
            #[cfg(target_os = "linux")]
            die_with_parent(&mut command);
        }
        let program = command.get_program().to_string_lossy().into_owned();
        let child = spawn_from_spawner(command).map_err(|source| ServiceError::Io {
            path: PathBuf::from(&program),
            what: "cannot start".into(),
            source,
        })?;
        Ok(ChildProcess {
            child,
            service,
            log: log.to_path_buf(),
        })
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `Some(status)` once the child has exited.
    pub(crate) fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// The end of the child's log, for error messages.
    pub(crate) fn log_tail(&self) -> String {
        tail_of_file(&self.log, LOG_TAIL_BYTES)
    }

    /// Polls `ready` every 100 ms until it answers true, the child exits, or `timeout`
    /// passes. Both failures carry the child's log.
    pub(crate) async fn wait_ready<F, Fut>(
        &mut self,
        timeout: Duration,
        mut ready: F,
    ) -> Result<(), ServiceError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let start = Instant::now();
        loop {
            if let Some(status) = self.exited() {
                return Err(self.start_error(format!("exited before it was ready ({status})")));
            }
            if ready().await {
                return Ok(());
            }
            if start.elapsed() > timeout {
                return Err(self.start_error(format!(
                    "was not ready after {:.0} s (set {} to wait longer)",
                    timeout.as_secs_f64(),
                    super::READY_TIMEOUT_VAR
                )));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub(crate) fn start_error(&self, what: String) -> ServiceError {
        ServiceError::Start {
            service: self.service,
            provider: ProviderKind::Native,
            what: format!("{} (pid {}) {what}", self.service.binary(), self.pid()),
            log: self.log_tail(),
        }
    }

    /// SIGTERM to the process group, SIGKILL after the grace period, then reap.
    fn stop(&mut self) {
        if self.exited().is_some() {
            return;
        }
        let group = -(self.child.id() as libc::pid_t);
        // SAFETY: kill(2) with a negative pid signals the child's own process group.
        unsafe { libc::kill(group, libc::SIGTERM) };
        let deadline = Instant::now() + STOP_GRACE;
        while Instant::now() < deadline {
            if self.exited().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        // Also takes down anything the server forked that outlived it.
        // SAFETY: as above.
        unsafe { libc::kill(group, libc::SIGKILL) };
        let _ = self.child.wait();
    }
}

impl Drop for ChildProcess {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Has the kernel kill the child when this process dies (Linux only; elsewhere Drop is
/// the only guard).
#[cfg(target_os = "linux")]
fn die_with_parent(command: &mut Command) {
    use std::os::unix::process::CommandExt;
    let parent = std::process::id() as libc::pid_t;
    // SAFETY: the closure runs between fork and exec and only makes async-signal-safe
    // system calls (prctl, getppid, _exit).
    unsafe {
        command.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // The parent may have died before prctl took effect.
            if libc::getppid() != parent {
                libc::_exit(1);
            }
            Ok(())
        });
    }
}

/// The last `max` bytes of a file, from the first full line on.
pub(crate) fn tail_of_file(path: &Path, max: u64) -> String {
    let Ok(mut file) = File::open(path) else {
        return String::new();
    };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let start = len.saturating_sub(max);
    if file.seek(SeekFrom::Start(start)).is_err() {
        return String::new();
    }
    let mut bytes = Vec::new();
    let _ = file.read_to_end(&mut bytes);
    let text = String::from_utf8_lossy(&bytes).into_owned();
    match (start > 0, text.find('\n')) {
        (true, Some(i)) => text[i + 1..].to_string(),
        _ => text,
    }
}

type SpawnRequest = (Command, mpsc::Sender<std::io::Result<Child>>);

/// Forks `command` on the process-lifetime spawner thread (see the module doc).
fn spawn_from_spawner(command: Command) -> std::io::Result<Child> {
    static SPAWNER: OnceLock<Mutex<mpsc::Sender<SpawnRequest>>> = OnceLock::new();
    let sender = SPAWNER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<SpawnRequest>();
        std::thread::Builder::new()
            .name("perfwarden-spawner".into())
            .spawn(move || {
                for (mut command, reply) in rx {
                    let _ = reply.send(command.spawn());
                }
            })
            .expect("cannot start the perfwarden-spawner thread");
        Mutex::new(tx)
    });
    let (reply, answer) = mpsc::channel();
    sender
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .send((command, reply))
        .map_err(|_| std::io::Error::other("the spawner thread is gone"))?;
    answer
        .recv()
        .map_err(|_| std::io::Error::other("the spawner thread is gone"))?
}

/// The version a binary prints for `args`, e.g. `redis-server --version`, or `None`.
pub(crate) fn version_output(binary: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new(binary).args(args).output().ok()?;
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_starts_at_a_full_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        std::fs::write(&path, "first line\nsecond line\nthird\n").unwrap();
        assert_eq!(tail_of_file(&path, 100), "first line\nsecond line\nthird\n");
        assert_eq!(tail_of_file(&path, 10), "third\n");
        assert_eq!(tail_of_file(&dir.path().join("none"), 10), "");
    }

    #[test]
    fn free_ports_are_bindable() {
        let port = free_port().unwrap();
        assert!(port > 0);
        TcpListener::bind(("127.0.0.1", port)).unwrap();
    }
}
