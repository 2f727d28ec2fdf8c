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
        "fn main() {\n    let m = concat!(\"perfwarden-built-from:\", env!(\"CARGO_MANIFEST_DIR\"), \"\\0\");\n    println!(\"{}\", std::hint::black_box(m).len());\n}\n",
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
    built_from::folders_in(&std::fs::read(&cmd.binary).unwrap())
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

#[test]
fn a_worktree_nested_in_the_checkout_is_another_checkout() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    let nested = repo.join("target/perfwarden/base-0123/crates/x");
    std::fs::create_dir_all(repo.join(".git")).unwrap();
    std::fs::create_dir_all(repo.join("crates/x")).unwrap();
    std::fs::create_dir_all(&nested).unwrap();
    std::fs::write(repo.join("target/perfwarden/base-0123/.git"), "gitdir: x").unwrap();
    assert!(in_checkout(&repo.join("crates/x"), &repo));
    assert!(!in_checkout(&nested, &repo));
    assert!(in_checkout(
        &nested,
        &repo.join("target/perfwarden/base-0123")
    ));
    assert!(!in_checkout(Path::new("/elsewhere/crates/x"), &repo));
}

#[test]
fn without_git_a_folder_under_the_tree_is_the_trees() {
    let tmp = tempfile::tempdir().unwrap();
    let tree = tmp.path().join("tree");
    std::fs::create_dir_all(tree.join("crates/x")).unwrap();
    assert!(in_checkout(&tree.join("crates/x"), &tree));
    assert!(!in_checkout(&tmp.path().join("other/crates/x"), &tree));
}
