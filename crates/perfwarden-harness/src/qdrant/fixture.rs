//! The collections fixture: which collections the suite creates, their shape and index
//! settings (`fixtures/collections.json`).

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::error::QdrantError;

/// The fixture shipped with perfwarden: the seed's nine collections.
pub(crate) const DEFAULT_FIXTURE: &str = "fixtures/collections.json";

/// The fixture's path: `PERFWARDEN_QDRANT_FIXTURE`, or the shipped one under the crate root.
pub fn default_path() -> PathBuf {
    match std::env::var("PERFWARDEN_QDRANT_FIXTURE") {
        Ok(p) if !p.trim().is_empty() => PathBuf::from(p),
        _ => perfwarden::manifest_dir!()
            .join("../..")
            .join(DEFAULT_FIXTURE),
    }
}

/// Qdrant's distance functions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Distance {
    Cosine,
    Dot,
    Euclid,
    Manhattan,
}

impl Distance {
    pub(crate) fn parse(name: &str) -> Option<Distance> {
        match name {
            "Cosine" => Some(Distance::Cosine),
            "Dot" => Some(Distance::Dot),
            "Euclid" => Some(Distance::Euclid),
            "Manhattan" => Some(Distance::Manhattan),
            _ => None,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Distance::Cosine => "Cosine",
            Distance::Dot => "Dot",
            Distance::Euclid => "Euclid",
            Distance::Manhattan => "Manhattan",
        }
    }
}

/// HNSW index parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Hnsw {
    pub m: u64,
    pub ef_construct: u64,
    /// Below this many kilobytes of vectors a segment is searched by full scan.
    pub full_scan_threshold: u64,
}

/// One collection to benchmark.
#[derive(Clone, Debug, PartialEq)]
pub struct CollectionSpec {
    /// The fixture's name, used in benchmark names (`mixtral/grpc/dense`).
    pub name: String,
    pub dim: usize,
    pub(crate) distance: Distance,
    pub(crate) hnsw: Hnsw,
    pub indexing_threshold_kb: u64,
}

/// The HNSW full-scan and indexing thresholds a collection is created with, in kilobytes of
/// dense vectors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Thresholds {
    pub full_scan_kb: u64,
    pub indexing_kb: u64,
}

impl CollectionSpec {
    /// The fixture's thresholds, lowered for a collection of `points` so that its dense
    /// index is built and used at that size: the seeds' 20,000 KB would leave a 5,000-point
    /// 768-d collection (15,000 KB) a plain segment searched by full scan, and its latency
    /// and recall would say nothing of the index a user runs. A segment is indexed above an
    /// eighth of the data (a server splits it into a few segments); the full scan is chosen
    /// only below a fortieth, so a filtered search over one bucket in ten uses the graph too.
    pub fn thresholds(&self, points: u64) -> Thresholds {
        let data_kb = points.saturating_mul(self.dim as u64 * 4) / 1024;
        Thresholds {
            full_scan_kb: (data_kb / 40).clamp(1, self.hnsw.full_scan_threshold.max(1)),
            indexing_kb: (data_kb / 8).clamp(1, self.indexing_threshold_kb.max(1)),
        }
    }
}

/// The whole fixture.
#[derive(Clone, Debug, PartialEq)]
pub struct Fixture {
    pub path: PathBuf,
    pub collections: Vec<CollectionSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFixture {
    #[serde(default)]
    #[allow(dead_code)]
    description: Option<String>,
    distance: String,
    hnsw: Hnsw,
    indexing_threshold_kb: u64,
    collections: Vec<RawCollection>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCollection {
    name: String,
    dim: usize,
    #[serde(default)]
    distance: Option<String>,
}

impl Fixture {
    /// Reads and checks a fixture file.
    pub fn load(path: &Path) -> Result<Fixture, QdrantError> {
        let text = std::fs::read_to_string(path).map_err(|e| QdrantError::Fixture {
            path: path.to_path_buf(),
            what: format!("cannot read: {e}"),
        })?;
        Fixture::parse(path, &text)
    }

    /// Parses fixture text; `path` only names the file in errors.
    pub(crate) fn parse(path: &Path, text: &str) -> Result<Fixture, QdrantError> {
        let bad = |what: String| QdrantError::Fixture {
            path: path.to_path_buf(),
            what,
        };
        let raw: RawFixture = serde_json::from_str(text)
            .map_err(|e| bad(format!("not a collections fixture: {e}")))?;
        let default_distance = parse_distance(&raw.distance).map_err(&bad)?;
        if raw.hnsw.m == 0 || raw.hnsw.ef_construct == 0 {
            return Err(bad("hnsw m and ef_construct must be at least 1".into()));
        }
        if raw.collections.is_empty() {
            return Err(bad("lists no collections".into()));
        }
        let mut collections = Vec::with_capacity(raw.collections.len());
        for c in raw.collections {
            let what = |e: String| bad(format!("collection {:?}: {e}", c.name));
            if c.name.is_empty()
                || !c
                    .name
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-')
            {
                return Err(what(
                    "a name must be non-empty letters, digits, '_' or '-'".into(),
                ));
            }
            if c.dim == 0 {
                return Err(what(
                    "dimension 0: a vector needs at least one dimension".into(),
                ));
            }
            if c.dim > 65_536 {
                return Err(what(format!(
                    "dimension {} is above Qdrant's limit of 65536",
                    c.dim
                )));
            }
            let distance = match &c.distance {
                Some(d) => parse_distance(d).map_err(what)?,
                None => default_distance,
            };
            if collections
                .iter()
                .any(|x: &CollectionSpec| x.name == c.name)
            {
                return Err(what("listed twice".into()));
            }
            collections.push(CollectionSpec {
                name: c.name,
                dim: c.dim,
                distance,
                hnsw: raw.hnsw,
                indexing_threshold_kb: raw.indexing_threshold_kb,
            });
        }
        Ok(Fixture {
            path: path.to_path_buf(),
            collections,
        })
    }

    /// The collections named in `names`, in that order; all of them when `names` is None.
    pub fn select(&self, names: Option<&[&str]>) -> Result<Vec<CollectionSpec>, QdrantError> {
        let Some(names) = names else {
            return Ok(self.collections.clone());
        };
        names
            .iter()
            .map(|n| {
                self.collections
                    .iter()
                    .find(|c| c.name == *n)
                    .cloned()
                    .ok_or_else(|| QdrantError::Fixture {
                        path: self.path.clone(),
                        what: format!("has no collection {n:?}, which the profile needs"),
                    })
            })
            .collect()
    }
}

fn parse_distance(name: &str) -> Result<Distance, String> {
    Distance::parse(name).ok_or_else(|| {
        format!("unknown distance {name:?} (expected Cosine, Dot, Euclid or Manhattan)")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Fixture, String> {
        Fixture::parse(Path::new("f.json"), text).map_err(|e| e.to_string())
    }

    const HEAD: &str = r#""distance": "Cosine", "hnsw": {"m": 16, "ef_construct": 100, "full_scan_threshold": 20000}, "indexing_threshold_kb": 20000"#;

    #[test]
    fn the_shipped_fixture_has_the_seed_collections() {
        let f = Fixture::load(
            &Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join(DEFAULT_FIXTURE),
        )
        .unwrap();
        let dims: Vec<(&str, usize)> = f
            .collections
            .iter()
            .map(|c| (c.name.as_str(), c.dim))
            .collect();
        assert_eq!(
            dims,
            [
                ("mixtral", 4096),
                ("hermes", 4096),
                ("openchat", 4096),
                ("phi3", 3072),
                ("yi34b", 4096),
                ("deepcoder", 768),
                ("imp", 2048),
                ("deepseek", 4096),
                ("general", 1536)
            ]
        );
        assert!(f.collections.iter().all(|c| c.distance == Distance::Cosine
            && c.hnsw
                == Hnsw {
                    m: 16,
                    ef_construct: 100,
                    full_scan_threshold: 20000
                }));
    }

    #[test]
    fn thresholds_index_every_profile_size_and_keep_the_seeds_at_scale() {
        let f = parse(&format!(
            r#"{{{HEAD}, "collections": [{{"name": "a", "dim": 768}}, {{"name": "b", "dim": 4096}}]}}"#
        ))
        .unwrap();
        let (small, big) = (&f.collections[0], &f.collections[1]);
        // 400 points of 768-d: 1,200 KB of vectors.
        assert_eq!(
            small.thresholds(400),
            Thresholds {
                full_scan_kb: 30,
                indexing_kb: 150
            }
        );
        assert_eq!(big.thresholds(1_000_000).indexing_kb, 20_000);
        assert_eq!(big.thresholds(1_000_000).full_scan_kb, 20_000);
        assert_eq!(small.thresholds(0).indexing_kb, 1);
    }

    #[test]
    fn bad_input_gets_one_clear_line() {
        let e = parse(&format!(
            r#"{{{HEAD}, "collections": [{{"name": "a", "dim": 8, "distance": "Cosin"}}]}}"#
        ))
        .unwrap_err();
        assert_eq!(
            e,
            r#"f.json: collection "a": unknown distance "Cosin" (expected Cosine, Dot, Euclid or Manhattan)"#
        );
        let e = parse(&format!(
            r#"{{{HEAD}, "collections": [{{"name": "a", "dim": 0}}]}}"#
        ))
        .unwrap_err();
        assert_eq!(
            e,
            r#"f.json: collection "a": dimension 0: a vector needs at least one dimension"#
        );
        let e = parse(&format!(r#"{{{HEAD}, "collections": []}}"#)).unwrap_err();
        assert_eq!(e, "f.json: lists no collections");
        let e = parse("{").unwrap_err();
        assert!(e.starts_with("f.json: not a collections fixture"), "{e}");
        assert!(!e.contains('\n'));
    }

    #[test]
    fn select_names_a_missing_collection() {
        let f = parse(&format!(
            r#"{{{HEAD}, "collections": [{{"name": "a", "dim": 8}}]}}"#
        ))
        .unwrap();
        assert_eq!(f.select(Some(&["a"])).unwrap().len(), 1);
        assert!(
            f.select(Some(&["b"]))
                .unwrap_err()
                .to_string()
                .contains("\"b\"")
        );
    }
}
