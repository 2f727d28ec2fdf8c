//! Which source tree built a binary, written into the binary itself.
//!
//! Cargo's fingerprints of workspace packages do not depend on where the workspace lies, so
//! two checkouts of one workspace that share a target directory share one fingerprint: cargo
//! calls a checkout whose files are older than the other's last build "fresh" and hands back
//! the other checkout's binary (and `env!("CARGO_MANIFEST_DIR")` in it still names the other
//! checkout). A binary built with [`manifest_dir!`] carries its crate's name and folder behind
//! a marker, so `check` can read which tree built a bench before it trusts the bench's numbers.
//!
//! The folder sits in an array of fixed size: a path's length would otherwise change the size
//! of `.rodata` and move every function after it (by 64 bytes between a clone and a worktree
//! in the drill, whose two builds of one commit then measured 14% apart, the geometric mean of
//! nine paired rounds of the gate's own bench).

use std::path::Path;

/// Room for a crate's folder; a longer one fails the build (see [`padded`]).
pub const CAPACITY: usize = 1024;

/// What precedes the folder in a binary.
pub const MARKER: &[u8] = b"perfwarden-built-from:";

/// `text` in a zeroed array of [`CAPACITY`] bytes, at compile time.
#[doc(hidden)]
pub const fn padded(text: &str) -> [u8; CAPACITY] {
    let bytes = text.as_bytes();
    assert!(
        bytes.len() < CAPACITY,
        "the crate's folder is too long for perfwarden::built_from::CAPACITY"
    );
    let mut out = [0u8; CAPACITY];
    let mut i = 0;
    while i < bytes.len() {
        out[i] = bytes[i];
        i += 1;
    }
    out
}

/// The folder in an array made by [`padded`] from [`MARKER`], a package's name, `=` and a path.
#[doc(hidden)]
pub fn folder_of(array: &'static [u8; CAPACITY]) -> &'static Path {
    // Opaque to the optimizer: folded, the path could be copied into the code as immediates,
    // and both the marker and the fixed size would be lost.
    let array: &'static [u8; CAPACITY] = std::hint::black_box(array);
    let end = array.iter().position(|&b| b == 0).unwrap_or(CAPACITY);
    let text = std::str::from_utf8(&array[MARKER.len()..end]).unwrap_or("");
    // Package names have no `=`: the first one ends the name.
    Path::new(text.split_once('=').map_or("", |(_, folder)| folder))
}

/// A crate that a binary says built it: its package's name and its folder at the time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltFrom {
    pub package: String,
    pub folder: String,
}

/// The calling crate's folder (`CARGO_MANIFEST_DIR` when it was compiled), written into the
/// binary behind [`MARKER`] and the package's name in a fixed-size array. Use it instead of
/// `env!("CARGO_MANIFEST_DIR")` in code that bench binaries run.
#[macro_export]
macro_rules! manifest_dir {
    () => {{
        static BUILT_FROM: [u8; $crate::built_from::CAPACITY] =
            $crate::built_from::padded(concat!(
                "perfwarden-built-from:",
                env!("CARGO_PKG_NAME"),
                "=",
                env!("CARGO_MANIFEST_DIR")
            ));
        $crate::built_from::folder_of(&BUILT_FROM)
    }};
}

/// The crates named behind [`MARKER`] in `binary`: every crate linked into it that was built
/// with [`manifest_dir!`] in code the binary kept, each once.
pub fn built_from(binary: &[u8]) -> Vec<BuiltFrom> {
    let mut found: Vec<BuiltFrom> = Vec::new();
    let mut rest = binary;
    while let Some(at) = find(rest, MARKER) {
        let after = &rest[at + MARKER.len()..];
        let len = after.iter().position(|&b| b == 0).unwrap_or(after.len());
        if let Some(crate_) = parse(&after[..len])
            && !found.contains(&crate_)
        {
            found.push(crate_);
        }
        rest = &after[len..];
    }
    found
}

/// `name=/absolute/folder`, or None for other bytes that happen to follow the marker.
fn parse(text: &[u8]) -> Option<BuiltFrom> {
    let (package, folder) = std::str::from_utf8(text).ok()?.split_once('=')?;
    let valid_name = !package.is_empty()
        && package
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    (valid_name && folder.starts_with('/')).then(|| BuiltFrom {
        package: package.to_string(),
        folder: folder.to_string(),
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_macro_names_this_crate_and_the_binary_carries_it() {
        let dir = crate::manifest_dir!();
        assert_eq!(dir, Path::new(env!("CARGO_MANIFEST_DIR")));
        let exe = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        let crates = built_from(&exe);
        let this = BuiltFrom {
            package: "perfwarden".into(),
            folder: env!("CARGO_MANIFEST_DIR").into(),
        };
        assert!(crates.contains(&this), "{crates:?}");
    }

    #[test]
    fn crates_are_read_up_to_their_end_and_once_each() {
        let mut bin = b"junk".to_vec();
        for p in ["x=/a/crates/x", "y-2=/b/crates/y", "x=/a/crates/x"] {
            bin.extend_from_slice(MARKER);
            bin.extend_from_slice(p.as_bytes());
            bin.extend_from_slice(&[0, 0, 7, 9]);
        }
        for junk in ["not a path", "x=relative", "=/no/name", "a b=/c"] {
            bin.extend_from_slice(MARKER);
            bin.extend_from_slice(junk.as_bytes());
            bin.push(0);
        }
        let crates = built_from(&bin);
        let read: Vec<(&str, &str)> = crates
            .iter()
            .map(|c| (c.package.as_str(), c.folder.as_str()))
            .collect();
        assert_eq!(read, [("x", "/a/crates/x"), ("y-2", "/b/crates/y")]);
    }
}
