//! The bytes every operation moves, and the checksum both ends compute over them.
//!
//! The payload is generated once per run from a seed (ChaCha8), so a failed integrity check
//! can be reproduced byte for byte. The checksum is a streaming 64-bit hash whose value does
//! not depend on how the bytes were cut into chunks or frames, which is what lets the server
//! hash a client stream and the client hash a server stream and compare with the source.

use bytes::{Bytes, BytesMut};
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The seed the suite uses unless a test chooses another.
pub const DEFAULT_SEED: u64 = 0x04cf_ca1f_a4c4_8cb4;

/// One mebibyte. Payload sizes, chunk sizes and throughput (MB/s) are all in these units.
pub const MIB: usize = 1 << 20;

/// Deterministic pseudo-random bytes of length `len` from `seed`.
pub fn generate(seed: u64, len: usize) -> Bytes {
    let mut buf = BytesMut::zeroed(len);
    ChaCha8Rng::seed_from_u64(seed).fill_bytes(&mut buf);
    buf.freeze()
}

/// A streaming checksum: feed it bytes in any split, the result is the same.
///
/// It mixes one 64-bit little-endian word at a time (multiply-rotate, a few GB/s), keeping
/// up to seven trailing bytes between calls; the length is folded in at the end so that
/// trailing zero bytes still change the value.
#[derive(Clone, Debug)]
pub struct Checksum {
    state: u64,
    len: u64,
    tail: [u8; 8],
    tail_len: usize,
}

const K: u64 = 0x9E37_79B9_7F4A_7C15;

impl Default for Checksum {
    fn default() -> Checksum {
        Checksum {
            state: 0xcbf2_9ce4_8422_2325,
            len: 0,
            tail: [0; 8],
            tail_len: 0,
        }
    }
}

impl Checksum {
    #[cfg(test)]
    /// Bytes fed so far.
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    pub(crate) fn new() -> Checksum {
        Checksum::default()
    }

    fn mix(&mut self, word: u64) {
        self.state = (self.state ^ word).wrapping_mul(K).rotate_left(29);
    }

    pub(crate) fn update(&mut self, mut data: &[u8]) {
        self.len += data.len() as u64;
        if self.tail_len > 0 {
            let take = (8 - self.tail_len).min(data.len());
            self.tail[self.tail_len..self.tail_len + take].copy_from_slice(&data[..take]);
            self.tail_len += take;
            data = &data[take..];
            if self.tail_len < 8 {
                return;
            }
            self.mix(u64::from_le_bytes(self.tail));
            self.tail_len = 0;
        }
        let mut words = data.chunks_exact(8);
        for w in &mut words {
            self.mix(u64::from_le_bytes(w.try_into().expect("8-byte chunk")));
        }
        let rest = words.remainder();
        self.tail[..rest.len()].copy_from_slice(rest);
        self.tail_len = rest.len();
    }

    pub(crate) fn finish(&self) -> u64 {
        let mut c = self.clone();
        if c.tail_len > 0 {
            let mut last = [0u8; 8];
            last[..c.tail_len].copy_from_slice(&c.tail[..c.tail_len]);
            c.mix(u64::from_le_bytes(last));
        }
        c.mix(c.len);
        c.state
    }
}

/// The checksum of one contiguous buffer.
pub fn checksum(data: &[u8]) -> u64 {
    let mut c = Checksum::new();
    c.update(data);
    c.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_is_deterministic_and_seed_dependent() {
        assert_eq!(generate(7, 1000), generate(7, 1000));
        assert_ne!(generate(7, 1000), generate(8, 1000));
        // A shorter payload is a prefix of a longer one, so one buffer serves every size.
        assert_eq!(generate(7, 1000)[..100], generate(7, 100)[..]);
    }

    #[test]
    fn checksum_ignores_chunk_boundaries() {
        let data = generate(1, 10_007);
        let whole = checksum(&data);
        for split in [1usize, 3, 7, 8, 9, 64, 4093] {
            let mut c = Checksum::new();
            for part in data.chunks(split) {
                c.update(part);
            }
            assert_eq!(c.finish(), whole, "split {split}");
            assert_eq!(c.len(), data.len() as u64);
        }
    }

    #[test]
    fn checksum_sees_every_byte_and_the_length() {
        let data = generate(2, 4096).to_vec();
        let base = checksum(&data);
        for i in [0usize, 1, 7, 8, 2047, 4095] {
            let mut flipped = data.clone();
            flipped[i] ^= 0x01;
            assert_ne!(checksum(&flipped), base, "flip at {i}");
        }
        assert_ne!(checksum(&[0u8; 3]), checksum(&[0u8; 4]));
        assert_ne!(checksum(&data[..4095]), base);
    }
}
