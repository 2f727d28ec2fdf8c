//! Exact ground truth by brute force, and recall against it.
//!
//! For every query: the exact top-10 by the collection's distance (dense search), the exact
//! top-10 among points in the query's bucket (filtered search), and for hybrid search the
//! reciprocal-rank fusion of the exact dense and sparse top lists, fused exactly as Qdrant
//! fuses prefetches (`1 / (rank + k)`, k = 2, ranks from 0).

use crate::qdrant::data::{Item, SPARSE_VOCAB};
use crate::qdrant::fixture::Distance;

pub(crate) use crate::qdrant::client::{K, PREFETCH};
/// Qdrant's default RRF constant.
pub(crate) const RRF_K: usize = 2;

/// The best `cap` (score, id) pairs seen so far, best first; ties go to the lower id.
#[derive(Clone, Debug)]
struct TopK {
    cap: usize,
    items: Vec<(f32, u64)>,
}

impl TopK {
    fn new(cap: usize) -> TopK {
        TopK {
            cap,
            items: Vec::with_capacity(cap + 1),
        }
    }

    fn offer(&mut self, score: f32, id: u64) {
        let better = |a: &(f32, u64), b: &(f32, u64)| a.0 > b.0 || (a.0 == b.0 && a.1 < b.1);
        if self.items.len() == self.cap && !better(&(score, id), self.items.last().expect("full")) {
            return;
        }
        let pos = self.items.partition_point(|x| better(x, &(score, id)));
        self.items.insert(pos, (score, id));
        self.items.truncate(self.cap);
    }

    fn ids(&self, n: usize) -> Vec<u64> {
        self.items.iter().take(n).map(|x| x.1).collect()
    }
}

/// The exact answer for hybrid search of one query.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct HybridTruth {
    /// Fused scores of every point in either exact top list, best first.
    pub fused: Vec<(u64, f32)>,
}

impl HybridTruth {
    /// The fused score of the K-th best point: any point scoring at least this is a
    /// correct answer (fusion produces ties, which any order may break).
    pub(crate) fn threshold(&self) -> f32 {
        self.fused
            .get(K - 1)
            .or(self.fused.last())
            .map_or(0.0, |x| x.1)
    }

    pub(crate) fn score(&self, id: u64) -> f32 {
        self.fused.iter().find(|x| x.0 == id).map_or(0.0, |x| x.1)
    }
}

/// Ground truth of one collection's query set.
#[derive(Clone, Debug, PartialEq)]
pub struct Truth {
    pub dense: Vec<Vec<u64>>,
    pub filtered: Vec<Vec<u64>>,
    pub(crate) hybrid: Vec<HybridTruth>,
}

/// Accumulates the ground truth over points fed in batches.
pub(crate) struct TruthBuilder {
    distance: Distance,
    queries: Vec<Item>,
    /// Each query's sparse vector spread over the vocabulary, for fast sparse dots.
    sparse_queries: Vec<Vec<f32>>,
    dense: Vec<TopK>,
    filtered: Vec<TopK>,
    sparse: Vec<TopK>,
}

impl TruthBuilder {
    pub(crate) fn new(distance: Distance, queries: Vec<Item>) -> TruthBuilder {
        let n = queries.len();
        let sparse_queries = queries
            .iter()
            .map(|q| {
                let mut v = vec![0f32; SPARSE_VOCAB as usize];
                for (&i, &x) in q.sparse_indices.iter().zip(&q.sparse_values) {
                    v[i as usize] = x;
                }
                v
            })
            .collect();
        TruthBuilder {
            distance,
            queries,
            sparse_queries,
            dense: vec![TopK::new(PREFETCH); n],
            filtered: vec![TopK::new(K); n],
            sparse: vec![TopK::new(PREFETCH); n],
        }
    }

    /// Feeds points with ids `first_id..first_id + points.len()`, using up to `threads`.
    pub(crate) fn add(&mut self, first_id: u64, points: &[Item], threads: usize) {
        let n = self.queries.len();
        if n == 0 {
            return;
        }
        let per = n.div_ceil(threads.clamp(1, n));
        let distance = self.distance;
        std::thread::scope(|s| {
            for ((((queries, sparse_q), dense), filtered), sparse) in self
                .queries
                .chunks(per)
                .zip(self.sparse_queries.chunks(per))
                .zip(self.dense.chunks_mut(per))
                .zip(self.filtered.chunks_mut(per))
                .zip(self.sparse.chunks_mut(per))
            {
                s.spawn(move || {
                    for (j, q) in queries.iter().enumerate() {
                        for (offset, p) in points.iter().enumerate() {
                            let id = first_id + offset as u64;
                            let score = similarity(distance, &q.dense, &p.dense);
                            dense[j].offer(score, id);
                            if p.bucket == q.bucket {
                                filtered[j].offer(score, id);
                            }
                            let sq = &sparse_q[j];
                            let s: f32 = p
                                .sparse_indices
                                .iter()
                                .zip(&p.sparse_values)
                                .map(|(&i, &x)| sq[i as usize] * x)
                                .sum();
                            // Sparse search only returns points sharing a term with the query.
                            if s > 0.0 {
                                sparse[j].offer(s, id);
                            }
                        }
                    }
                });
            }
        });
    }

    pub(crate) fn finish(self) -> Truth {
        let hybrid = self
            .dense
            .iter()
            .zip(&self.sparse)
            .map(|(d, s)| HybridTruth {
                fused: rrf(&[d.ids(PREFETCH), s.ids(PREFETCH)]),
            })
            .collect();
        Truth {
            dense: self.dense.iter().map(|t| t.ids(K)).collect(),
            filtered: self.filtered.iter().map(|t| t.ids(K)).collect(),
            hybrid,
        }
    }
}

/// Reciprocal-rank fusion as Qdrant computes it: each list adds `1 / (rank + RRF_K)`.
pub(crate) fn rrf(lists: &[Vec<u64>]) -> Vec<(u64, f32)> {
    let mut fused: Vec<(u64, f32)> = Vec::new();
    for list in lists {
        for (rank, &id) in list.iter().enumerate() {
            let add = 1.0 / (rank + RRF_K) as f32;
            match fused.iter_mut().find(|x| x.0 == id) {
                Some(x) => x.1 += add,
                None => fused.push((id, add)),
            }
        }
    }
    fused.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    fused
}

/// Higher is more similar, for every distance.
pub(crate) fn similarity(distance: Distance, a: &[f32], b: &[f32]) -> f32 {
    match distance {
        // Vectors are unit length: cosine is the dot product, and L2 ranks the same way.
        Distance::Cosine | Distance::Dot => dot(a, b),
        Distance::Euclid => -a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f32>(),
        Distance::Manhattan => -a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum::<f32>(),
    }
}

/// A dot product written so the compiler vectorizes it (eight independent sums).
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for k in 0..8 {
            acc[k] += x[k] * y[k];
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// recall@K of `found` against the exact ids.
pub fn recall(found: &[u64], exact: &[u64]) -> f64 {
    if exact.is_empty() {
        return 1.0;
    }
    let hits = found.iter().take(K).filter(|id| exact.contains(id)).count();
    hits as f64 / exact.len().min(K) as f64
}

/// recall@K of a hybrid answer: a point counts when its exact fused score reaches the K-th
/// best fused score (so ties at the boundary do not count against Qdrant).
pub(crate) fn recall_hybrid(found: &[u64], exact: &HybridTruth) -> f64 {
    let want = exact.fused.len().min(K);
    if want == 0 {
        return 1.0;
    }
    let threshold = exact.threshold() * (1.0 - 1e-6);
    let hits = found
        .iter()
        .take(K)
        .filter(|&&id| exact.score(id) >= threshold && exact.score(id) > 0.0)
        .count();
    hits.min(want) as f64 / want as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::qdrant::data::Generator;

    #[test]
    fn rrf_matches_qdrant() {
        // The example of Qdrant's own rrf_scoring test (k = 2).
        let fused = rrf(&[vec![2, 1], vec![1, 2, 3], vec![5, 3, 1]]);
        let ids: Vec<u64> = fused.iter().map(|x| x.0).collect();
        assert_eq!(ids, [1, 2, 3, 5]);
        assert!((fused[0].1 - 1.0833334).abs() < 1e-6);
        assert!((fused[2].1 - 0.5833334).abs() < 1e-6);
    }

    #[test]
    fn truth_agrees_with_a_naive_search() {
        let g = Generator::new(11, "t", 48);
        let points = g.points(0, 700, 1);
        let queries: Vec<Item> = (0..7).map(|q| g.query(q)).collect();
        let mut b = TruthBuilder::new(Distance::Cosine, queries.clone());
        b.add(0, &points[..300], 2);
        b.add(300, &points[300..], 3);
        let truth = b.finish();
        for (qi, q) in queries.iter().enumerate() {
            let mut all: Vec<(f32, u64)> = points
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    (
                        q.dense.iter().zip(&p.dense).map(|(a, b)| a * b).sum(),
                        i as u64,
                    )
                })
                .collect();
            all.sort_by(|a, b| b.0.total_cmp(&a.0));
            let naive: Vec<u64> = all.iter().take(K).map(|x| x.1).collect();
            assert_eq!(truth.dense[qi], naive);
            let naive_f: Vec<u64> = all
                .iter()
                .filter(|x| points[x.1 as usize].bucket == q.bucket)
                .take(K)
                .map(|x| x.1)
                .collect();
            assert_eq!(truth.filtered[qi], naive_f);
            assert!(truth.hybrid[qi].fused.len() >= K);
            assert_eq!(recall(&truth.dense[qi], &truth.dense[qi]), 1.0);
            let best: Vec<u64> = truth.hybrid[qi].fused.iter().map(|x| x.0).collect();
            assert_eq!(recall_hybrid(&best, &truth.hybrid[qi]), 1.0);
        }
    }

    #[test]
    fn recall_counts_hits() {
        assert_eq!(recall(&[1, 2, 3, 4], &[1, 2, 5, 6]), 0.5);
        assert_eq!(recall(&[], &[]), 1.0);
        let h = HybridTruth {
            fused: rrf(&[vec![1, 2, 3], vec![4, 5, 6]]),
        };
        // 1 and 4 tie at the top; with K = 10 all six are wanted.
        assert_eq!(recall_hybrid(&[4, 1, 2, 5, 3, 6], &h), 1.0);
        assert_eq!(recall_hybrid(&[4, 1, 2, 5, 3, 99], &h), 5.0 / 6.0);
    }

    #[test]
    fn dot_handles_tails() {
        let a: Vec<f32> = (0..13).map(|x| x as f32).collect();
        assert_eq!(dot(&a, &a), (0..13).map(|x| (x * x) as f32).sum::<f32>());
    }
}
