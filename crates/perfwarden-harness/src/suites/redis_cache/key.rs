//! Cache keys: which search a cached answer belongs to.
//!
//! A key names the collection, the result limit, a hash of the query vector's bytes and a
//! hash of the filter, under a namespace prefix:
//! `{namespace}{collection}:k{limit}:{vector hash, 32 hex}:{filter hash, 16 hex, or -}`.
//! Two searches share a key exactly when they would return the same answer: same
//! collection, same vector bit for bit, same limit, same filter.
//!
//! The hashes are FNV-1a (128 bits over the vector, 64 over the filter), computed over the
//! little-endian bytes of each `f32` and over the filter's canonical bytes (the caller's
//! protobuf encoding of the Qdrant filter). FNV is specified, has no seed and no platform
//! dependence, so a key is the same in every process, on every machine and in every
//! release; std's `DefaultHasher` promises none of that. It is not a cryptographic hash:
//! keys are not meant to resist a caller crafting collisions, and with 128 bits two
//! distinct vectors of a realistic pool collide with negligible probability.

use std::fmt::Write as _;

/// FNV-1a, 128-bit: offset basis and prime (the prime is 2^88 + 2^8 + 0x3b).
const FNV128_OFFSET: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
const FNV128_PRIME: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013b;
/// FNV-1a, 64-bit.
const FNV64_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV64_PRIME: u64 = 0x0000_0100_0000_01b3;

/// What a key needs from a query, computed once per query: the vector's and the filter's
/// hashes. Keys for several namespaces can then be built without rehashing the vector.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct QueryDigest {
    pub vector: u128,
    pub filter: Option<u64>,
}

impl QueryDigest {
    /// Hashes `vector`'s bytes and, if there is one, the filter's canonical bytes.
    pub(crate) fn of(vector: &[f32], filter: Option<&[u8]>) -> QueryDigest {
        QueryDigest {
            vector: vector_hash(vector),
            filter: filter.map(fnv1a_64),
        }
    }
}

/// FNV-1a 128 over the little-endian bytes of every component.
pub(crate) fn vector_hash(vector: &[f32]) -> u128 {
    fnv1a_128(vector.iter().flat_map(|x| x.to_le_bytes()))
}

/// FNV-1a 128 over `bytes`.
pub(crate) fn fnv1a_128(bytes: impl IntoIterator<Item = u8>) -> u128 {
    bytes.into_iter().fold(FNV128_OFFSET, |h, b| {
        (h ^ u128::from(b)).wrapping_mul(FNV128_PRIME)
    })
}

/// FNV-1a 64 over `bytes`.
pub(crate) fn fnv1a_64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(FNV64_OFFSET, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(FNV64_PRIME)
    })
}

/// The key of a query already digested.
pub(crate) fn cache_key(
    namespace: &str,
    collection: &str,
    limit: u64,
    digest: &QueryDigest,
) -> String {
    let mut key = String::with_capacity(namespace.len() + collection.len() + 64);
    key.push_str(namespace);
    key.push_str(collection);
    let _ = write!(key, ":k{limit}:{:032x}:", digest.vector);
    match digest.filter {
        Some(f) => {
            let _ = write!(key, "{f:016x}");
        }
        None => key.push('-'),
    }
    key
}

/// The key of a search: `namespace`, `collection`, the query `vector`, the result `limit`
/// and the filter's canonical bytes (None: unfiltered).
pub fn derive_key(
    namespace: &str,
    collection: &str,
    vector: &[f32],
    limit: u64,
    filter: Option<&[u8]>,
) -> String {
    cache_key(
        namespace,
        collection,
        limit,
        &QueryDigest::of(vector, filter),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const NS: &str = "perfwarden:rc:test:";

    fn v(seed: u32) -> Vec<f32> {
        (0..64)
            .map(|i| ((i * 7 + seed) % 13) as f32 * 0.125)
            .collect()
    }

    #[test]
    fn fnv_matches_the_published_test_vectors() {
        // From the FNV reference (draft-eastlake-fnv): the empty string and "a".
        assert_eq!(fnv1a_64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a_64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a_128(*b"a"), 0xd228_cb69_6f1a_8caf_7891_2b70_4e4a_8964);
        assert_eq!(vector_hash(&[]), FNV128_OFFSET);
    }

    #[test]
    fn keys_are_stable_across_calls_and_releases() {
        let a = derive_key(NS, "mixtral", &v(1), 10, None);
        assert_eq!(a, derive_key(NS, "mixtral", &v(1), 10, None));
        // Pinned: a key that changes between releases would turn every cached answer of a
        // long-lived cache into a miss, so any change here must be deliberate.
        assert_eq!(
            derive_key(NS, "mixtral", &[1.0, -0.5, 0.25], 10, Some(b"bucket=3")),
            "perfwarden:rc:test:mixtral:k10:001992072167331bd31fda1853f04153:53255d81f78702b7"
        );
        assert!(a.starts_with("perfwarden:rc:test:mixtral:k10:"));
        assert!(a.ends_with(":-"));
    }

    #[test]
    fn keys_differ_in_every_part() {
        let base = derive_key(NS, "mixtral", &v(1), 10, None);
        let others = [
            derive_key(NS, "hermes", &v(1), 10, None),
            derive_key(NS, "mixtral", &v(2), 10, None),
            derive_key(NS, "mixtral", &v(1), 5, None),
            derive_key(NS, "mixtral", &v(1), 10, Some(b"bucket=1")),
            derive_key("perfwarden:rc:other:", "mixtral", &v(1), 10, None),
        ];
        for other in &others {
            assert_ne!(&base, other);
        }
        assert_ne!(
            derive_key(NS, "mixtral", &v(1), 10, Some(b"bucket=1")),
            derive_key(NS, "mixtral", &v(1), 10, Some(b"bucket=2"))
        );
        // An unfiltered search and one whose filter is empty are different searches.
        assert_ne!(base, derive_key(NS, "mixtral", &v(1), 10, Some(b"")));
    }

    #[test]
    fn the_hash_sees_every_bit_of_the_vector() {
        let mut w = v(1);
        let before = vector_hash(&w);
        w[63] = f32::from_bits(w[63].to_bits() ^ 1);
        assert_ne!(before, vector_hash(&w));
        // 0.0 and -0.0 compare equal as floats but are different bytes, and Qdrant is given
        // the bytes: they are different keys.
        assert_ne!(vector_hash(&[0.0]), vector_hash(&[-0.0]));
    }
}
