//! Atomic writes: ordinary permissions, and no temporary file ever in the destination
//! folder, even when the writer is killed half-way.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use perfwarden::results::{write_atomic, write_atomic_all};

/// Set for the child process that writes in a loop until it is killed.
const CHILD_DIR: &str = "PERFWARDEN_TEST_ATOMIC_CHILD_DIR";
const TARGETS: [&str; 2] = ["a.json", "b.json"];

fn names(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

/// The process umask, from /proc (reading it through umask(2) would change it meanwhile).
fn umask() -> u32 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("Umask:")).unwrap();
    u32::from_str_radix(line["Umask:".len()..].trim(), 8).unwrap()
}

#[test]
fn written_files_get_ordinary_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("baselines/machine/suite.json");
    write_atomic(&path, b"{}\n").unwrap();
    // Replacing a file gives it the same ordinary mode.
    write_atomic(&path, b"{ }\n").unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o666 & !umask(), "mode {mode:o}");
    assert_eq!(std::fs::read(&path).unwrap(), b"{ }\n");
    assert_eq!(
        names(path.parent().unwrap()),
        BTreeSet::from(["suite.json".into()])
    );
}

/// Not a test of its own: the body of the child process that
/// `a_killed_write_leaves_nothing_in_the_destination` starts and kills.
#[test]
fn atomic_write_child() {
    let Some(dir) = std::env::var_os(CHILD_DIR) else {
        return;
    };
    let dir = Path::new(&dir);
    // Large enough that writing and syncing take a while, so the kill lands mid-write.
    let body = vec![b'x'; 8 << 20];
    loop {
        let files = TARGETS.map(|t| (dir.join(t), body.clone()));
        write_atomic_all(&files).unwrap();
    }
}

#[test]
fn a_killed_write_leaves_nothing_in_the_destination() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Killed(
        Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "results::atomic::atomic_write_child",
                "--nocapture",
            ])
            .env(CHILD_DIR, dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let allowed: BTreeSet<String> = TARGETS.iter().map(|t| t.to_string()).collect();
    // Watch the folder while the child writes: only the targets may ever appear in it.
    let started = Instant::now();
    let mut seen = BTreeSet::new();
    while started.elapsed() < Duration::from_millis(1500) || seen.len() < TARGETS.len() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the child wrote nothing"
        );
        seen.extend(names(dir.path()));
        assert!(seen.is_subset(&allowed), "stray files: {seen:?}");
        std::thread::sleep(Duration::from_millis(1));
    }
    child.kill(); // SIGKILL: no destructor runs, no cleanup.
    assert_eq!(names(dir.path()), allowed);
}

/// The child, killed (SIGKILL) and reaped when the test ends, failed or not.
struct Killed(std::process::Child);

impl Killed {
    fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Killed {
    fn drop(&mut self) {
        self.kill();
    }
}
