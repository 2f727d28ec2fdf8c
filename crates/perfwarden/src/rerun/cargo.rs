//! The `cargo` that builds benches for `check`, `calibrate` and `confirm`.
//!
//! Under `cargo run`, perfwarden's own process carries the variables cargo sets for the
//! crate it runs (`CARGO_MANIFEST_DIR`, `CARGO_PKG_NAME`, `OUT_DIR`, ...). A nested cargo
//! that inherits them sees them as changed for every build script that declared
//! `rerun-if-env-changed` on them (ring declares `CARGO_MANIFEST_DIR` and `CARGO_PKG_*`), so it
//! reruns those scripts and rebuilds everything above them: on a fresh clone, `cargo run
//! --release -p perfwarden -- check` recompiled ring, rustls, tonic and Qdrant's engine after
//! they were built. The nested cargo gets the environment a shell would have given it.

use std::process::Command;

/// Variables cargo sets for the crate it compiles or runs, never for a user's shell.
fn set_by_cargo_for_a_crate(name: &str) -> bool {
    const EXACT: &[&str] = &[
        "CARGO_MANIFEST_DIR",
        "CARGO_MANIFEST_PATH",
        "CARGO_MANIFEST_LINKS",
        "CARGO_CRATE_NAME",
        "CARGO_BIN_NAME",
        "CARGO_PRIMARY_PACKAGE",
        "CARGO_TARGET_TMPDIR",
        "CARGO_RUSTC_CURRENT_DIR",
        "OUT_DIR",
    ];
    EXACT.contains(&name) || name.starts_with("CARGO_PKG_") || name.starts_with("CARGO_BIN_EXE_")
}

/// `cargo` (the one `CARGO` names when perfwarden runs under cargo), without the variables
/// cargo set for perfwarden itself.
pub(crate) fn command() -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    for (name, _) in std::env::vars_os() {
        if name.to_str().is_some_and(set_by_cargo_for_a_crate) {
            cmd.env_remove(name);
        }
    }
    cmd
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_crates_own_variables_are_dropped() {
        for dropped in [
            "CARGO_MANIFEST_DIR",
            "CARGO_PKG_NAME",
            "CARGO_PKG_VERSION_MAJOR",
            "OUT_DIR",
        ] {
            assert!(set_by_cargo_for_a_crate(dropped), "{dropped}");
        }
        for kept in [
            "CARGO",
            "CARGO_HOME",
            "CARGO_TARGET_DIR",
            "CARGO_BUILD_JOBS",
            "PATH",
            "CC",
        ] {
            assert!(!set_by_cargo_for_a_crate(kept), "{kept}");
        }
    }

    #[test]
    fn the_nested_cargo_does_not_inherit_them() {
        // Under `cargo test` this process has CARGO_MANIFEST_DIR and CARGO_PKG_NAME.
        let cmd = command();
        let removed: Vec<_> = cmd
            .get_envs()
            .filter(|(_, v)| v.is_none())
            .map(|(k, _)| k.to_string_lossy().into_owned())
            .collect();
        if std::env::var_os("CARGO_MANIFEST_DIR").is_some() {
            assert!(
                removed.iter().any(|k| k == "CARGO_MANIFEST_DIR"),
                "{removed:?}"
            );
        }
        assert!(!removed.iter().any(|k| k == "PATH"));
    }
}
