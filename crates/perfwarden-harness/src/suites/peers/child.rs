//! One load tool run as a child process, with the CPU it used.
//!
//! Every client, ours included, runs in a process of its own, so one measure fits all: the
//! user and system time the kernel accounted to that process and its threads, read from
//! `wait4`'s `rusage` when it exits (a child's own, not the sum over every child as
//! `getrusage(RUSAGE_CHILDREN)` would give). That time includes the tool's start-up, which
//! the run's length amortizes (a second of Python imports is part of what Locust costs).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use std::io::Read;

/// What a finished child left: its output and the CPU it used.
#[derive(Debug)]
pub(crate) struct Finished {
    pub stdout: String,
    pub stderr: String,
    /// User plus system time of the process and its threads.
    pub cpu: Duration,
    pub wall: Duration,
    pub success: bool,
}

/// Runs `program args`, killing it past `bound`; its standard input is empty.
pub(crate) fn run(program: &Path, args: &[String], bound: Duration) -> std::io::Result<Finished> {
    let started = Instant::now();
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let pid = child.id() as libc::pid_t;
    // Read both pipes on threads so a chatty tool never blocks on a full pipe.
    let mut out = child.stdout.take().expect("piped");
    let mut err = child.stderr.take().expect("piped");
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let killer = {
        std::thread::spawn(move || {
            let deadline = Instant::now() + bound;
            loop {
                // Signal 0 only asks whether the process is still there.
                // SAFETY: kill with signal 0 sends nothing.
                if unsafe { libc::kill(pid, 0) } != 0 {
                    return false;
                }
                if Instant::now() >= deadline {
                    // SAFETY: SIGKILL to the child we started, which has not been reaped
                    // (reaping happens only in `wait4` below, after which kill(0) fails).
                    unsafe { libc::kill(pid, libc::SIGKILL) };
                    return true;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        })
    };
    let (status, cpu) = wait4(pid)?;
    // The child is reaped; `Child`'s own drop does not wait, and `kill(pid, 0)` now fails.
    let _ = killer.join();
    Ok(Finished {
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
        cpu,
        wall: started.elapsed(),
        success: libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
    })
}

/// Waits for `pid`; its exit status and CPU time.
fn wait4(pid: libc::pid_t) -> std::io::Result<(i32, Duration)> {
    let mut status = 0;
    // SAFETY: rusage is plain data, written by the kernel.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: valid pointers to locals; pid is our own child.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if r == pid {
            break;
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    Ok((status, tv(usage.ru_utime) + tv(usage.ru_stime)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_busy_child_is_charged_its_cpu_and_an_idle_one_almost_none() {
        let sh = Path::new("/bin/sh");
        let busy = run(
            sh,
            &[
                "-c".into(),
                "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; echo done".into(),
            ],
            Duration::from_secs(30),
        )
        .unwrap();
        assert!(busy.success && busy.stdout.trim() == "done", "{busy:?}");
        assert!(busy.cpu > Duration::from_millis(50), "{busy:?}");
        let idle = run(
            sh,
            &["-c".into(), "sleep 0.3".into()],
            Duration::from_secs(30),
        )
        .unwrap();
        assert!(idle.cpu < Duration::from_millis(100), "{idle:?}");
    }

    #[test]
    fn a_child_past_its_bound_is_killed() {
        let t = Instant::now();
        let f = run(
            Path::new("/bin/sleep"),
            &["30".into()],
            Duration::from_millis(200),
        )
        .unwrap();
        assert!(!f.success && t.elapsed() < Duration::from_secs(5), "{f:?}");
    }
}
