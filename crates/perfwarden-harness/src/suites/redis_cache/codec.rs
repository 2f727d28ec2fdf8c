//! Cached values: a search answer (ids and scores) in a compact binary form.
//!
//! Layout, little-endian: one format byte (1), one flags byte, the number of hits (u16),
//! then per hit its point id (u64) and score (f32). Ten hits take 124 bytes, against about
//! 400 for the same answer as JSON, and decoding is a bounds check and a copy. Scores are
//! stored bit for bit, so a cached answer equals the answer Qdrant gave.
//!
//! The flags byte marks a *placeholder*: a value the suite writes when it runs without a
//! search backend (Redis-only mode), so that the key stream still fills the cache and the
//! hit rate can be measured. A placeholder holds no search result and says so when decoded.

use std::fmt;

/// The format byte this build writes and reads.
pub(crate) const FORMAT: u8 = 1;
/// Flag: the value is a placeholder written without a backend, not a search result.
const FLAG_PLACEHOLDER: u8 = 1;
const HEADER: usize = 4;
const PER_HIT: usize = 12;

/// One point of an answer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hit {
    pub id: u64,
    pub score: f32,
}

/// What a search returned, in order.
#[derive(Clone, Debug, PartialEq)]
pub struct Answer {
    pub hits: Vec<Hit>,
    /// Written without a backend: the hits are zeros, not a result.
    pub placeholder: bool,
}

impl Answer {
    pub fn new(hits: Vec<Hit>) -> Answer {
        Answer {
            hits,
            placeholder: false,
        }
    }

    /// A placeholder the size of a `limit`-hit answer, so memory and transfer sizes match
    /// those of real answers.
    pub(crate) fn placeholder(limit: usize) -> Answer {
        Answer {
            hits: vec![Hit { id: 0, score: 0.0 }; limit.min(u16::MAX as usize)],
            placeholder: true,
        }
    }

    /// The encoded size of an answer of `hits` hits.
    pub(crate) fn encoded_len(hits: usize) -> usize {
        HEADER + PER_HIT * hits
    }

    /// Exact equality, scores compared bit for bit (NaN included).
    pub fn same_as(&self, other: &Answer) -> bool {
        self.placeholder == other.placeholder
            && self.hits.len() == other.hits.len()
            && self
                .hits
                .iter()
                .zip(&other.hits)
                .all(|(a, b)| a.id == b.id && a.score.to_bits() == b.score.to_bits())
    }
}

/// Encodes `answer`; more than 65,535 hits are cut (no search asks for that many).
pub fn encode(answer: &Answer) -> Vec<u8> {
    let n = answer.hits.len().min(u16::MAX as usize);
    let mut out = Vec::with_capacity(Answer::encoded_len(n));
    out.push(FORMAT);
    out.push(if answer.placeholder {
        FLAG_PLACEHOLDER
    } else {
        0
    });
    out.extend_from_slice(&(n as u16).to_le_bytes());
    for hit in &answer.hits[..n] {
        out.extend_from_slice(&hit.id.to_le_bytes());
        out.extend_from_slice(&hit.score.to_le_bytes());
    }
    out
}

/// Why a cached value could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// Shorter than its header says, or than a header.
    Truncated { len: usize, needed: usize },
    /// Written by another format (another release, or not by perfwarden at all).
    UnknownFormat(u8),
    /// Flags this build does not know.
    UnknownFlags(u8),
    /// Longer than its header says.
    TrailingBytes { len: usize, expected: usize },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Truncated { len, needed } => {
                write!(f, "cached value truncated: {len} bytes, needs {needed}")
            }
            DecodeError::UnknownFormat(b) => {
                write!(f, "cached value of unknown format {b} (expected {FORMAT})")
            }
            DecodeError::UnknownFlags(b) => write!(f, "cached value with unknown flags {b:#04x}"),
            DecodeError::TrailingBytes { len, expected } => {
                write!(f, "cached value of {len} bytes, its header says {expected}")
            }
        }
    }
}

impl std::error::Error for DecodeError {}

/// Decodes a value written by [`encode`].
pub fn decode(bytes: &[u8]) -> Result<Answer, DecodeError> {
    if bytes.len() < HEADER {
        return Err(DecodeError::Truncated {
            len: bytes.len(),
            needed: HEADER,
        });
    }
    if bytes[0] != FORMAT {
        return Err(DecodeError::UnknownFormat(bytes[0]));
    }
    let flags = bytes[1];
    if flags & !FLAG_PLACEHOLDER != 0 {
        return Err(DecodeError::UnknownFlags(flags));
    }
    let n = u16::from_le_bytes([bytes[2], bytes[3]]) as usize;
    let expected = Answer::encoded_len(n);
    if bytes.len() < expected {
        return Err(DecodeError::Truncated {
            len: bytes.len(),
            needed: expected,
        });
    }
    if bytes.len() > expected {
        return Err(DecodeError::TrailingBytes {
            len: bytes.len(),
            expected,
        });
    }
    let hits = bytes[HEADER..]
        .chunks_exact(PER_HIT)
        .map(|c| Hit {
            id: u64::from_le_bytes(c[..8].try_into().expect("8 bytes")),
            score: f32::from_le_bytes(c[8..].try_into().expect("4 bytes")),
        })
        .collect();
    Ok(Answer {
        hits,
        placeholder: flags & FLAG_PLACEHOLDER != 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn answer(n: u64) -> Answer {
        Answer::new(
            (0..n)
                .map(|i| Hit {
                    id: i * 1_000_003,
                    score: 1.0 - i as f32 / 7.0,
                })
                .collect(),
        )
    }

    #[test]
    fn ten_hits_take_124_bytes_and_round_trip() {
        let a = answer(10);
        let bytes = encode(&a);
        assert_eq!(bytes.len(), 124);
        assert_eq!(&bytes[..4], &[1, 0, 10, 0]);
        assert!(decode(&bytes).unwrap().same_as(&a));
        let empty = Answer::new(vec![]);
        assert!(decode(&encode(&empty)).unwrap().same_as(&empty));
    }

    #[test]
    fn placeholders_say_so() {
        let p = Answer::placeholder(10);
        let bytes = encode(&p);
        assert_eq!(bytes.len(), encode(&answer(10)).len());
        let back = decode(&bytes).unwrap();
        assert!(back.placeholder);
        assert!(!back.same_as(&Answer::new(back.hits.clone())));
    }

    #[test]
    fn damaged_values_are_errors_not_answers() {
        let bytes = encode(&answer(3));
        assert_eq!(
            decode(&bytes[..bytes.len() - 1]),
            Err(DecodeError::Truncated {
                len: 39,
                needed: 40
            })
        );
        assert_eq!(
            decode(&[1, 0]),
            Err(DecodeError::Truncated { len: 2, needed: 4 })
        );
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(matches!(
            decode(&longer),
            Err(DecodeError::TrailingBytes { .. })
        ));
        let mut other = bytes.clone();
        other[0] = 2;
        assert_eq!(decode(&other), Err(DecodeError::UnknownFormat(2)));
        other[0] = 1;
        other[1] = 0x80;
        assert_eq!(decode(&other), Err(DecodeError::UnknownFlags(0x80)));
        assert_eq!(
            decode(b"[1,2,3]").unwrap_err().to_string(),
            "cached value of unknown format 91 (expected 1)"
        );
    }

    proptest! {
        #[test]
        fn any_answer_round_trips_bit_for_bit(
            hits in proptest::collection::vec((any::<u64>(), any::<u32>()), 0..64),
            placeholder in any::<bool>(),
        ) {
            let a = Answer {
                hits: hits.iter().map(|&(id, bits)| Hit { id, score: f32::from_bits(bits) }).collect(),
                placeholder,
            };
            let back = decode(&encode(&a)).unwrap();
            prop_assert!(back.same_as(&a));
        }
    }
}
