//! Tests of the paired and ranked decisions (`confirmation.rs`).

use super::*;
use crate::gate::Verdict;
use crate::gate::paired::needed;

#[test]
fn a_real_slowdown_is_confirmed_through_drift() {
    // The machine drifts by ±30% between rounds; the code is 20% slower in every pair.
    let pairs = [
        (100.0, 120.0),
        (130.0, 156.0),
        (70.0, 84.0),
        (100.0, 121.0),
        (90.0, 108.0),
    ];
    let (status, p) = decide(&pairs, Direction::LowerIsBetter, 0.10).unwrap();
    assert_eq!(status, Status::Confirmed);
    assert_eq!((p.beyond, p.needed), (5, 4));
    assert!((p.paired_change - 0.202).abs() < 0.01);
}

#[test]
fn drift_between_runs_is_not_a_regression() {
    // Throughput: the baseline's run was on a quiet machine; paired, nothing changed.
    let pairs = [(100.0, 98.0), (80.0, 81.0), (95.0, 90.0)];
    let (status, p) = decide(&pairs, Direction::HigherIsBetter, 0.10).unwrap();
    assert_eq!(status, Status::Drift);
    assert_eq!(p.beyond, 0);
    // One noisy pair out of three is not enough either.
    let pairs = [(100.0, 70.0), (80.0, 81.0), (95.0, 90.0)];
    assert_eq!(
        decide(&pairs, Direction::HigherIsBetter, 0.10).unwrap().0,
        Status::Drift
    );
}

#[test]
fn ratios_wider_than_the_threshold_are_not_confirmed_by_the_majority_alone() {
    // The users' mix on unchanged code (a fresh-clone walk): every round beyond +10%,
    // but so spread that the change could be under it.
    let pairs = [(1.0, 1.30), (1.0, 1.49), (1.0, 1.16)];
    let (status, p) = decide(&pairs, Direction::LowerIsBetter, 0.10).unwrap();
    assert_eq!((p.beyond, p.needed), (3, 3));
    assert_eq!(status, Status::Drift);
    let bound = p.lower_bound.unwrap();
    assert!(bound > 0.05 && bound < 0.10, "{bound}");
    // A 25% slowdown whose rounds agree within ±5% is bounded well beyond 10%.
    let pairs = [(1.0, 1.20), (1.0, 1.31), (1.0, 1.25)];
    let (status, p) = decide(&pairs, Direction::LowerIsBetter, 0.10).unwrap();
    assert_eq!(status, Status::Confirmed);
    assert!(p.lower_bound.unwrap() > 0.10);
    // Identical ratios (instruction counts) have no spread: the bound is the change.
    let (status, p) = decide(&[(1.0, 1.03); 3], Direction::LowerIsBetter, 0.02).unwrap();
    assert_eq!(status, Status::Confirmed);
    assert!((p.lower_bound.unwrap() - 0.03).abs() < 1e-9);
    // One round has no spread to judge: the majority decides, and no bound is claimed.
    let (status, p) = decide(&[(1.0, 1.3)], Direction::LowerIsBetter, 0.10).unwrap();
    assert_eq!((status, p.lower_bound), (Status::Confirmed, None));
}

#[test]
fn majority_rule_and_bad_values() {
    assert_eq!([1, 3, 4, 5, 10].map(needed), [1, 3, 4, 4, 8]);
    assert_eq!(decide(&[], Direction::LowerIsBetter, 0.1), None);
    // An overload counter the first pass raised from 0 (a busy machine) and the paired
    // rounds measured at 0 on both sides: drift, where it used to stay unconfirmed and
    // keep failing (a fresh clone's check on 2026-12-03, `open_400/dropped` 0 -> 123).
    let (status, p) = decide(&[(0.0, 0.0); 3], Direction::LowerIsBetter, 0.1).unwrap();
    assert_eq!((status, p.worse_ratios), (Status::Drift, vec![1.0; 3]));
    assert_eq!(decide(&[(1.0, -1.0)], Direction::LowerIsBetter, 0.1), None);
    assert_eq!(
        decide(&[(f64::NAN, 1.0)], Direction::LowerIsBetter, 0.1),
        None
    );
}

#[test]
fn counters_with_a_zero_on_one_side_are_decided_by_rank() {
    let lower = Direction::LowerIsBetter;
    // The walk's unchanged rounds (2026-12-03): no order between the sides, so drift.
    let late = [(0.012, 0.0), (0.012, 0.012), (0.0, 0.007)];
    let (status, p) = decide(&late, lower, 0.1).unwrap();
    assert_eq!(status, Status::Drift);
    assert!(p.worse_ratios.is_empty() && p.sides.len() == 3 && p.lower_bound.is_none());
    let spike = [(202.0, 0.0), (768.0, 510.0), (231.0, 371.0)];
    let (status, p) = decide(&spike, lower, 0.1).unwrap();
    assert_eq!((status, p.beyond), (Status::Drift, 1));
    assert!((p.paired_change - (881.0 / 1201.0 - 1.0)).abs() < 1e-9);
    // A real one: nothing dropped in any baseline run, something in every current run.
    let real = [(0.0, 12.0), (0.0, 30.0), (0.0, 7.0)];
    let (status, p) = decide(&real, lower, 0.1).unwrap();
    assert_eq!((status, p.beyond, p.needed), (Status::Confirmed, 3, 3));
    assert_eq!((p.paired_change, p.p_value), (FROM_ZERO, Some(0.05)));
    // Higher is better (a rate that fell to 0 in every current run).
    let fell = [(5.0, 0.0), (6.0, 0.0), (4.0, 0.0)];
    let higher = Direction::HigherIsBetter;
    assert_eq!(decide(&fell, higher, 0.1).unwrap().0, Status::Confirmed);
    assert_eq!(decide(&real, higher, 0.1).unwrap().0, Status::Drift);
    // Worse in every round, but so little that the pooled change is under the threshold.
    let small = [(0.0, 1.0), (100.0, 105.0), (100.0, 105.0)];
    assert_eq!(decide(&small, lower, 0.1).unwrap().0, Status::Drift);
    // One round: the rank test cannot reach 95% (one split in two).
    assert_eq!(decide(&[(0.0, 1.0)], lower, 0.1).unwrap().0, Status::Drift);
}

#[test]
fn three_rounds_that_agree_by_chance_do_not_outweigh_the_calibrated_noise() {
    // A busy machine's unchanged check (2026-12-03) confirmed these on three rounds in a row;
    // the baseline's calibrated noise says one run varies by 56%, 33%, 58% from the next.
    let noisy = |threshold, noise| Rule {
        threshold,
        run_noise: Some(noise),
    };
    let cases = [
        ([1.25, 1.39, 1.30], 0.5643), // deepseek closed_c1 p99.9
        ([1.49, 1.86, 1.34], 0.3346), // mixtral closed_c4 p95
        ([2.11, 1.52, 1.36], 0.5835), // mixtral closed_c4 p99
    ];
    for (ratios, noise) in cases {
        let pairs: Vec<(f64, f64)> = ratios.iter().map(|r| (1.0, *r)).collect();
        let lower = Direction::LowerIsBetter;
        assert_eq!(decide(&pairs, lower, 0.1).unwrap().0, Status::Confirmed);
        let (status, p) = decide(&pairs, lower, noisy(0.1, noise)).unwrap();
        assert_eq!(status, Status::Drift, "{ratios:?}");
        assert_eq!(p.run_noise, Some(noise));
        let (bound, need) = (p.lower_bound.unwrap(), p.rounds_to_resolve.unwrap());
        eprintln!("{ratios:?} noise {noise}: bound {bound:+.3}, rounds to resolve {need}");
        assert!(bound < 0.1 && need > 3, "{bound} {need}");
    }
    // A slowdown the rounds agree on, of a metric whose runs vary by 5%: confirmed.
    let pairs = [(1.0, 1.20), (1.0, 1.31), (1.0, 1.25)];
    let lower = Direction::LowerIsBetter;
    let (status, p) = decide(&pairs, lower, noisy(0.1, 0.05)).unwrap();
    assert_eq!((status, p.rounds_to_resolve), (Status::Confirmed, None));
    // An instruction count (noise 0) keeps its own bound; one round with noise gets one.
    let (status, p) = decide(&[(1.0, 1.03); 3], lower, noisy(0.02, 0.0)).unwrap();
    assert_eq!((status, p.run_noise), (Status::Confirmed, None));
    let (status, p) = decide(&[(1.0, 1.3)], lower, noisy(0.1, 0.02)).unwrap();
    assert_eq!(status, Status::Confirmed);
    assert!(p.lower_bound.unwrap() > 0.1);
    // Within the threshold: no hint, there is nothing to resolve.
    let p = decide(&[(1.0, 1.05); 3], lower, noisy(0.1, 0.5)).unwrap().1;
    assert_eq!(p.rounds_to_resolve, None);
}

#[test]
fn a_forged_noise_in_the_entry_does_not_change_the_trusted_decision() {
    // The trusted comparison reads the noise from its own baseline, never from the entry.
    let pairs = [(1.0, 1.25), (1.0, 1.39), (1.0, 1.30)];
    let (_, mut p) = decide(&pairs, Direction::LowerIsBetter, 0.1).unwrap();
    p.run_noise = Some(9.0);
    let m = MetricConfirmation {
        bench: None,
        status: Status::Drift,
        paired: Some(p),
    };
    for (noise, want) in [(None, Status::Confirmed), (Some(0.5643), Status::Drift)] {
        let (base, current) = (one_metric(100.0, noise), one_metric(130.0, noise));
        let c = crate::gate::compare(&base, &current, &Default::default()).unwrap();
        let (status, again) = checked_status(&c.metrics[0], &m, 3, false).unwrap();
        assert_eq!((status, again.unwrap().run_noise), (want, noise));
    }
}

#[test]
fn a_change_the_first_rounds_leave_open_gets_a_second_look() {
    let lower = Direction::LowerIsBetter;
    let pairs = |ratios: &[f64]| -> Vec<(f64, f64)> { ratios.iter().map(|r| (1.0, *r)).collect() };
    // The walk's gRPC Read with a copy added (2026-12-03): every round beyond the 15%
    // threshold, the bound +13.4%: drift on the first look, but open.
    let walk = [1.40, 1.31, 1.77];
    let (status, p) = decide_looks(&pairs(&walk), lower, 0.15, 3).unwrap();
    assert_eq!(status, Status::Drift);
    assert!(undecided(&status, &p, 0.15) && p.first_look.is_none());
    // Three more rounds like them: confirmed on all six, at the second look's confidence.
    let six = [1.40, 1.31, 1.77, 1.38, 1.52, 1.45];
    let (status, p) = decide_looks(&pairs(&six), lower, 0.15, 3).unwrap();
    assert_eq!(
        (status, p.first_look, p.needed),
        (Status::Confirmed, Some(3), 5)
    );
    assert!(p.lower_bound.unwrap() > 0.15 && p.confidence() == SECOND_LOOK);
    // Three more back at the baseline: drift.
    let back = [1.40, 1.31, 1.77, 1.02, 0.97, 1.05];
    assert_eq!(
        decide_looks(&pairs(&back), lower, 0.15, 3).unwrap().0,
        Status::Drift
    );
    // No second look after a first that decided, either way, nor any other count of rounds.
    for first in [[1.0, 1.02, 0.98], [1.5, 1.52, 1.49]] {
        let more = [&first[..], &[1.5, 1.5, 1.5]].concat();
        let err = decide_looks(&pairs(&more), lower, 0.15, 3).unwrap_err();
        assert!(err.contains("where the first 3 decided"), "{err}");
    }
    let err = decide_looks(&pairs(&[1.5; 4]), lower, 0.15, 3).unwrap_err();
    assert!(err.contains("4 rounds, where 3 (or 6"), "{err}");
    // A change within the threshold, or a majority not beyond it, is decided, not open.
    let (s, p) = decide(&pairs(&[1.12, 1.12, 1.16]), lower, 0.15).unwrap();
    assert!(!undecided(&s, &p, 0.15));
    let (s, p) = decide(&pairs(&[1.9, 1.0, 1.8]), lower, 0.15).unwrap();
    assert!(!undecided(&s, &p, 0.15));
}

#[test]
fn the_second_look_holds_unchanged_code_to_its_error_rate() {
    // Paired log ratios scattering by 0.12 (the spread of the walks' gRPC throughput), a 10%
    // threshold, 20,000 simulated checks each: how often one look confirms, and how often
    // the second adds a confirmation, for unchanged code, for a change of exactly the
    // threshold (the hardest case that is not a regression: at most 5% and 2.5%), and for a
    // real 25% slowdown (what the second look is for).
    use rand::SeedableRng;
    use rand_distr::{Distribution, Normal};
    let rates = |change: f64| {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let noise = Normal::new(change.ln_1p(), 0.12).unwrap();
        let (trials, mut first, mut second) = (20_000, 0, 0);
        for _ in 0..trials {
            let ratios: Vec<(f64, f64)> = (0..6)
                .map(|_| (1.0, f64::exp(noise.sample(&mut rng))))
                .collect();
            let (s, p) = decide(&ratios[..3], Direction::LowerIsBetter, 0.1).unwrap();
            if s == Status::Confirmed {
                first += 1;
            } else if undecided(&s, &p, 0.1)
                && decide_looks(&ratios, Direction::LowerIsBetter, 0.1, 3)
                    .unwrap()
                    .0
                    == Status::Confirmed
            {
                second += 1;
            }
        }
        let share = |n: usize| n as f64 / trials as f64;
        eprintln!(
            "change {change:+.2}: confirmed by the first look {:.4}, added by the second {:.4}",
            share(first),
            share(second)
        );
        (share(first), share(second))
    };
    let (first, second) = rates(0.0);
    assert!(first + second < 0.01, "{first} {second}");
    let (first, second) = rates(0.10);
    assert!(first < 0.055 && second < 0.03, "{first} {second}");
    let (first, second) = rates(0.25);
    assert!(first < 0.5 && second > 0.1, "{first} {second}");
}

#[test]
fn a_flag_is_held_to_the_same_test_as_a_smaller_change_the_noise_hid() {
    // Walk of 2026-12-04: the users' mix's cached p50 (0.227 ms, calibrated noise 20.5%, so
    // a floor of 67.7%) after a cache hit was made 2.2× slower, paired 1.84, 1.82, 1.55.
    let judge = |base: f64, current: f64, noise: f64, ratios: &[f64]| {
        let (base, current) = (
            one_metric(base, Some(noise)),
            one_metric(current, Some(noise)),
        );
        let c = crate::gate::compare(&base, &current, &Default::default()).unwrap();
        let pairs: Vec<(f64, f64)> = ratios.iter().map(|r| (1.0, *r)).collect();
        let (_, p) = decide(&pairs, Direction::LowerIsBetter, 0.1).unwrap();
        let entry = MetricConfirmation {
            bench: None,
            status: Status::Drift,
            paired: Some(p),
        };
        let (status, p) = checked_status(&c.metrics[0], &entry, ratios.len(), false).unwrap();
        (
            c.metrics[0].relative,
            status,
            p.unwrap().lower_bound.unwrap(),
        )
    };
    let mix = [1.84, 1.82, 1.55];
    let flagged = judge(0.227, 0.415, 0.2051, &mix);
    let hidden = judge(0.227, 0.363, 0.2051, &mix);
    assert_eq!(
        (flagged.0, hidden.0),
        (Verdict::Regression, Verdict::Inconclusive)
    );
    assert_eq!(
        (flagged.1, hidden.1),
        (Status::Confirmed, Status::Confirmed)
    );
    assert!(flagged.2 > 0.31 && flagged.2 < 0.325, "{}", flagged.2);
    // Code layout between two builds (gate_10k_metrics/render_markdown/time_median, noise
    // 8.8%): three rounds near +20% with no change to the code stay drift.
    let layout = judge(3.32, 3.96, 0.0877, &[1.23, 1.19, 1.16]);
    assert_eq!(layout.1, Status::Drift);
    assert!(layout.2 < 0.1 && layout.2 > 0.05, "{}", layout.2);
}

/// A run of one lower-is-better metric in milliseconds, `s/a/p50`, with calibrated `noise`.
fn one_metric(value: f64, noise: Option<f64>) -> crate::results::Run {
    let env = crate::results::Environment::detect(crate::profile::Profile::Smoke);
    let mut r = crate::results::Run::new(env);
    let unit = crate::results::Unit::Milliseconds;
    let mut metric =
        crate::results::Metric::new("s", "a", "p50", unit, Direction::LowerIsBetter, value);
    metric.noise = noise;
    r.metrics.push(metric);
    r
}
