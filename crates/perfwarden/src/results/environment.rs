//! Fingerprinting the machine a run is measured on.

use std::process::Command;

use super::schema::Environment;
use crate::profile::Profile;

/// Environment variable naming the machine class (baselines are kept per class).
pub(crate) const MACHINE_CLASS_VAR: &str = "PERFWARDEN_MACHINE_CLASS";

impl Environment {
    /// Adds the services another part of the same run recorded (another suite's file, another
    /// load machine's run): the run used them all; a key already here keeps its value.
    pub(crate) fn add_services(&mut self, other: &Environment) {
        for (key, served) in &other.services {
            self.services
                .entry(key.clone())
                .or_insert_with(|| served.clone());
        }
    }

    /// Describes this machine. The machine class comes from `PERFWARDEN_MACHINE_CLASS`, or is
    /// derived from the OS, architecture and core count (`linux-x86_64-2core`), which is the
    /// coarsest label under which numbers are still comparable.
    pub fn detect(profile: Profile) -> Environment {
        // Every bench binary describes its machine, so this keeps perfwarden's folder in all
        // of them: `check` reads it to know which tree built the bench (see `built_from`).
        let _ = crate::manifest_dir!();
        let cores = std::thread::available_parallelism()
            .map(|n| n.get() as u32)
            .unwrap_or(1);
        let machine_class = std::env::var(MACHINE_CLASS_VAR)
            .ok()
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| {
                format!(
                    "{}-{}-{}core",
                    std::env::consts::OS,
                    std::env::consts::ARCH,
                    cores
                )
            });
        Environment {
            machine_class,
            cpu_model: cpu_model(),
            cores,
            os: os_description(),
            rustc: command_line("rustc", &["--version"]).unwrap_or_else(|| "unknown".into()),
            git_commit: std::env::var("GITHUB_SHA")
                .ok()
                .or_else(|| command_line("git", &["rev-parse", "HEAD"])),
            timestamp: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            profile: profile.name().to_string(),
            services: Default::default(),
        }
    }
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string())
}

fn os_description() -> String {
    let pretty = std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("PRETTY_NAME="))
                .map(|v| v.trim_matches('"').to_string())
        });
    let kernel = command_line("uname", &["-r"]);
    match (pretty, kernel) {
        (Some(p), Some(k)) => format!("{p} (kernel {k})"),
        (Some(p), None) => p,
        (None, Some(k)) => format!("{} {k}", std::env::consts::OS),
        (None, None) => std::env::consts::OS.to_string(),
    }
}

/// The first line a command prints, if it runs and succeeds.
fn command_line(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let s = String::from_utf8_lossy(&out.stdout);
    s.lines()
        .next()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
}
