//! Deterministic, seeded vectors with cluster structure.
//!
//! Uniform random vectors in thousands of dimensions are all nearly orthogonal: every point
//! is about as far from a query as every other, which makes HNSW's job either trivial or
//! hopeless and says nothing about real embeddings. Real embeddings cluster by topic and,
//! within a topic, vary along few directions (their intrinsic dimension is low). So points
//! here are drawn around a few dozen centres of unequal size and spread, each cluster
//! varying mostly within its own random 16-dimensional subspace plus a little isotropic
//! noise, and the queries come from the same distribution. Each point also carries a sparse vector drawn
//! mostly from its cluster's "topic" terms (for hybrid search) and an integer `bucket`
//! payload (for filtered search, 10% selectivity).
//!
//! Every point is a pure function of (seed, collection, dimension, index), so points can
//! be generated in any order, in parallel, and again later for the ground truth, without
//! keeping millions of vectors in memory.

use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

/// Environment variable: the data seed (default [`DEFAULT_SEED`]), shared by every suite
/// that searches these collections so they hold the same points.
pub(crate) const SEED_VAR: &str = "PERFWARDEN_QDRANT_SEED";
pub const DEFAULT_SEED: u64 = 20_250_717;

/// Number of clusters per collection.
pub(crate) const CLUSTERS: usize = 32;
/// Dimensions along which a cluster's points vary (its intrinsic dimension).
const SUBSPACE: usize = 64;
/// Norm of the isotropic noise, relative to the in-subspace spread.
const ISO_NOISE: f32 = 0.5;
/// Size of the sparse vocabulary.
pub(crate) const SPARSE_VOCAB: u32 = 20_000;
/// Terms in each cluster's topic.
const TOPIC_TERMS: usize = 64;
/// Sparse terms drawn from the point's topic, and from the whole vocabulary.
const TOPIC_NNZ: usize = 16;
const NOISE_NNZ: usize = 8;
/// Distinct values of the `bucket` payload; a filter on one keeps 1/BUCKETS of the points.
pub(crate) const BUCKETS: u32 = 10;
/// The payload field filtered on.
pub(crate) const BUCKET_FIELD: &str = "bucket";

/// Independent random streams derived from one seed.
const STREAM_CENTERS: u64 = 1;
const STREAM_POINTS: u64 = 2;
const STREAM_QUERIES: u64 = 3;

/// One generated point or query.
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    /// Unit length.
    pub dense: Vec<f32>,
    /// Sorted, distinct term ids.
    pub sparse_indices: Vec<u32>,
    pub sparse_values: Vec<f32>,
    pub bucket: u32,
}

/// The generator of one collection's points and queries.
#[derive(Clone, Debug)]
pub struct Generator {
    base: u64,
    dim: usize,
    /// `CLUSTERS × dim`, each row of unit length.
    centers: Vec<f32>,
    /// `CLUSTERS × SUBSPACE × dim`: each cluster's directions of variation, unit length.
    bases: Vec<f32>,
    /// Noise norm relative to the centre, per cluster.
    spreads: Vec<f32>,
    sizes: WeightedIndex<f64>,
    topics: Vec<Vec<u32>>,
}

impl Generator {
    pub fn new(seed: u64, collection: &str, dim: usize) -> Generator {
        assert!(dim > 0, "dimension must be positive");
        let base = splitmix(seed ^ fnv1a(collection.as_bytes()) ^ (dim as u64).rotate_left(32));
        let mut rng = ChaCha8Rng::seed_from_u64(mix(base, STREAM_CENTERS, 0));
        let mut centers = vec![0f32; CLUSTERS * dim];
        for row in centers.chunks_mut(dim) {
            for x in row.iter_mut() {
                *x = rng.sample(StandardNormal);
            }
            normalize(row);
        }
        let mut bases = vec![0f32; CLUSTERS * SUBSPACE * dim];
        for row in bases.chunks_mut(dim) {
            for x in row.iter_mut() {
                *x = rng.sample(StandardNormal);
            }
            normalize(row);
        }
        let spreads = (0..CLUSTERS).map(|_| rng.random_range(0.6..1.2)).collect();
        // Cluster sizes fall off like 1/sqrt(rank): a few big topics and a long tail.
        let sizes = WeightedIndex::new((0..CLUSTERS).map(|c| 1.0 / ((c + 1) as f64).sqrt()))
            .expect("positive weights");
        let topics = (0..CLUSTERS)
            .map(|_| {
                (0..TOPIC_TERMS)
                    .map(|_| rng.random_range(0..SPARSE_VOCAB))
                    .collect()
            })
            .collect();
        Generator {
            base,
            dim,
            centers,
            bases,
            spreads,
            sizes,
            topics,
        }
    }

    /// Point `i` of the collection.
    pub(crate) fn point(&self, i: u64) -> Item {
        self.item(mix(self.base, STREAM_POINTS, i))
    }

    /// Query `q`: from the same distribution as the points, but not one of them.
    pub fn query(&self, q: u64) -> Item {
        self.item(mix(self.base, STREAM_QUERIES, q))
    }

    /// Points `from..to`, generated on up to `threads` threads.
    pub(crate) fn points(&self, from: u64, to: u64, threads: usize) -> Vec<Item> {
        let n = to.saturating_sub(from) as usize;
        let threads = threads.clamp(1, n.max(1));
        if threads == 1 || n < 64 {
            return (from..to).map(|i| self.point(i)).collect();
        }
        let per = n.div_ceil(threads) as u64;
        std::thread::scope(|s| {
            let parts: Vec<_> = (0..threads as u64)
                .map(|t| {
                    let lo = from + t * per;
                    let hi = (lo + per).min(to);
                    s.spawn(move || (lo..hi).map(|i| self.point(i)).collect::<Vec<_>>())
                })
                .collect();
            parts
                .into_iter()
                .flat_map(|p| p.join().expect("generator thread"))
                .collect()
        })
    }

    fn item(&self, seed: u64) -> Item {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let c = self.sizes.sample(&mut rng);
        let center = &self.centers[c * self.dim..(c + 1) * self.dim];
        let spread = self.spreads[c];
        let iso = ISO_NOISE * spread / (self.dim as f32).sqrt();
        let mut dense: Vec<f32> = center
            .iter()
            .map(|&x| x + iso * rng.sample::<f32, _>(StandardNormal))
            .collect();
        let basis = &self.bases[c * SUBSPACE * self.dim..(c + 1) * SUBSPACE * self.dim];
        let per_direction = spread / (SUBSPACE as f32).sqrt();
        for direction in basis.chunks(self.dim) {
            let a = per_direction * rng.sample::<f32, _>(StandardNormal);
            dense
                .iter_mut()
                .zip(direction)
                .for_each(|(x, d)| *x += a * d);
        }
        normalize(&mut dense);
        let mut terms: Vec<(u32, f32)> = Vec::with_capacity(TOPIC_NNZ + NOISE_NNZ);
        for k in 0..TOPIC_NNZ + NOISE_NNZ {
            let term = if k < TOPIC_NNZ {
                // Earlier topic terms are likelier, like frequent words of a topic.
                let r: f64 = rng.random();
                self.topics[c][((r * r) * TOPIC_TERMS as f64) as usize]
            } else {
                rng.random_range(0..SPARSE_VOCAB)
            };
            let weight = rng.random_range(0.1f32..1.0);
            terms.push((term, weight));
        }
        terms.sort_by_key(|t| t.0);
        terms.dedup_by(|b, a| {
            // A repeated term keeps the larger weight.
            if a.0 == b.0 {
                a.1 = a.1.max(b.1);
                true
            } else {
                false
            }
        });
        Item {
            dense,
            sparse_indices: terms.iter().map(|t| t.0).collect(),
            sparse_values: terms.iter().map(|t| t.1).collect(),
            bucket: rng.random_range(0..BUCKETS),
        }
    }
}

fn normalize(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn mix(base: u64, stream: u64, i: u64) -> u64 {
    splitmix(base ^ splitmix(stream.wrapping_mul(0x9e37_79b9) ^ splitmix(i)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dot(a: &[f32], b: &[f32]) -> f32 {
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }

    #[test]
    fn deterministic_and_order_independent() {
        let g = Generator::new(7, "mixtral", 64);
        let again = Generator::new(7, "mixtral", 64);
        assert_eq!(g.point(42), again.point(42));
        assert_eq!(g.points(40, 44, 2)[2], g.point(42));
        assert_eq!(
            g.points(0, 500, 2),
            (0..500).map(|i| g.point(i)).collect::<Vec<_>>()
        );
        assert_ne!(g.point(42), Generator::new(8, "mixtral", 64).point(42));
        assert_ne!(g.point(42), Generator::new(7, "hermes", 64).point(42));
        assert_ne!(g.point(1), g.query(1));
    }

    #[test]
    fn items_are_well_formed() {
        let g = Generator::new(1, "c", 768);
        for i in 0..200 {
            let p = g.point(i);
            assert_eq!(p.dense.len(), 768);
            assert!((dot(&p.dense, &p.dense) - 1.0).abs() < 1e-4);
            assert!(p.sparse_indices.windows(2).all(|w| w[0] < w[1]));
            assert_eq!(p.sparse_indices.len(), p.sparse_values.len());
            assert!(p.sparse_values.iter().all(|&v| v > 0.0));
            assert!(p.bucket < BUCKETS);
        }
    }

    #[test]
    fn points_cluster() {
        // A query's nearest point is much closer than a typical point: structure, unlike
        // uniform random vectors where all similarities are ~0 in high dimension.
        let g = Generator::new(3, "c", 1024);
        let points = g.points(0, 2000, 2);
        let q = g.query(0);
        let mut sims: Vec<f32> = points.iter().map(|p| dot(&q.dense, &p.dense)).collect();
        sims.sort_by(|a, b| b.total_cmp(a));
        let median = sims[sims.len() / 2];
        assert!(sims[0] > 0.4, "best {}", sims[0]);
        assert!(sims[0] - median > 0.3, "best {} median {median}", sims[0]);
    }
}
