use std::path::{Path, PathBuf};

use super::*;

/// A workspace of one package whose bench writes its folder behind the marker, as
/// perfwarden's crates do, with a `.git` so that it is a checkout of its own.
fn toy(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir.join("benches")).unwrap();
    std::fs::create_dir_all(dir.join(".git")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"toy\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
         [[bench]]\nname = \"b\"\nharness = false\n\n[workspace]\n",
    )
    .unwrap();
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(dir.join("src/lib.rs"), "").unwrap();
    std::fs::write(
        dir.join("benches/b.rs"),
        "fn main() {\n    let m = concat!(\"perfwarden-built-from:toy=\", env!(\"CARGO_MANIFEST_DIR\"), \"\\0\");\n    println!(\"{}\", std::hint::black_box(m).len());\n}\n",
    )
    .unwrap();
    dir.canonicalize().unwrap()
}

/// Dates every file of `dir` back to 2020: a checkout older than the other's last build.
fn age(dir: &Path) {
    let old = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_577_836_800);
    for f in ["Cargo.toml", "src/lib.rs", "benches/b.rs"] {
        let file = std::fs::File::options()
            .append(true)
            .open(dir.join(f))
            .unwrap();
        file.set_modified(old).unwrap();
    }
}

fn folders(cmd: &BenchCommand) -> Vec<String> {
    let crates = built_from::built_from(&std::fs::read(&cmd.binary).unwrap());
    crates.into_iter().map(|c| c.folder).collect()
}

#[test]
fn a_checkout_never_gets_the_binary_cargo_built_from_another() {
    let tmp = tempfile::tempdir().unwrap();
    let target = tmp.path().join("target");
    let (a, b) = (toy(&tmp.path().join("a")), toy(&tmp.path().join("b")));
    age(&b);
    let names = ["b".to_string()];
    let built_a = build_benches(&a, &names, Some(&target)).unwrap();
    assert_eq!(folders(&built_a[0]), [a.display().to_string()]);

    // The premise: cargo alone calls the older checkout fresh and hands back a's binary.
    let reused = build_once(&b, &names, Some(&target)).unwrap();
    assert_eq!(folders(&reused[0]), [a.display().to_string()]);

    let built_b = build_benches(&b, &names, Some(&target)).unwrap();
    assert_eq!(folders(&built_b[0]), [b.display().to_string()]);
}

fn crate_(package: &str, folder: &Path) -> BuiltFrom {
    BuiltFrom {
        package: package.into(),
        folder: folder.display().to_string(),
    }
}

#[test]
fn only_a_package_of_the_workspace_in_another_folder_is_foreign() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    let nested = repo.join("target/perfwarden/base-0123/crates/x");
    std::fs::create_dir_all(repo.join("crates/x")).unwrap();
    std::fs::create_dir_all(&nested).unwrap();
    let members = BTreeMap::from([("x".to_string(), canonical(&repo.join("crates/x")))]);
    let ours = crate_("x", &repo.join("crates/x"));
    let registry = crate_(
        "perfwarden",
        Path::new("/root/.cargo/registry/src/perfwarden-0.1"),
    );
    assert_eq!(foreign(&[ours.clone(), registry.clone()], &members), None);
    // The baseline's worktree, nested in the checkout, is another tree.
    let worktree = crate_("x", &nested);
    assert_eq!(
        foreign(&[ours.clone(), worktree.clone()], &members),
        Some(&worktree)
    );
    // A removed clone cannot be resolved and is still another folder.
    let gone = crate_("x", Path::new("/gone/clone/crates/x"));
    assert_eq!(foreign(std::slice::from_ref(&gone), &members), Some(&gone));
    // The same folder through a symbolic link is the same folder.
    let link = tmp.path().join("link");
    std::os::unix::fs::symlink(&repo, &link).unwrap();
    assert_eq!(
        foreign(&[crate_("x", &link.join("crates/x"))], &members),
        None
    );
}

#[test]
fn the_target_directory_is_the_one_cargo_builds_the_workspace_into() {
    let tmp = tempfile::tempdir().unwrap();
    let a = toy(&tmp.path().join("a"));
    // As a user's shell would run it: CARGO_TARGET_DIR when set (as under CI's cache), else
    // the workspace's own target/, never a folder of the baseline's worktree.
    let expected = match std::env::var_os("CARGO_TARGET_DIR").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => a.join("target"),
    };
    assert_eq!(target_directory(&a), Some(expected));
    std::fs::create_dir_all(a.join(".cargo")).unwrap();
    let elsewhere = tmp.path().join("elsewhere");
    std::fs::write(
        a.join(".cargo/config.toml"),
        format!(
            "[build]\ntarget-dir = {:?}\n",
            elsewhere.display().to_string()
        ),
    )
    .unwrap();
    if std::env::var_os("CARGO_TARGET_DIR").is_none() {
        assert_eq!(target_directory(&a), Some(elsewhere));
    }
}
