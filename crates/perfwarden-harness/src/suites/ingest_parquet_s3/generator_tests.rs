//! Tests of `generator.rs`.

use super::*;
use std::collections::HashSet;

fn events(mix: EventMix, seed: u64, n: usize) -> Vec<Event> {
    let mut g = Generator::new(Arc::new(World::new(seed)), mix, seed);
    let mut out = Vec::new();
    g.fill(&mut out, n);
    assert_eq!(g.generated(), n as u64);
    out
}

#[test]
fn same_seed_same_events_and_dense_sequence_numbers() {
    let a = events(EventMix::Realistic, 42, 5_000);
    assert_eq!(a, events(EventMix::Realistic, 42, 5_000));
    assert_ne!(a, events(EventMix::Realistic, 43, 5_000));
    assert!(a.iter().enumerate().all(|(i, e)| e.seq == i as u64));
}

#[test]
fn the_mix_follows_the_weights_and_a_fixed_type_is_alone() {
    let n = 100_000;
    let a = events(EventMix::Realistic, 1, n);
    for t in EventType::ALL {
        let share = a.iter().filter(|e| e.kind == t).count() as f64 / n as f64;
        let want = t.mix_weight() as f64 / 1000.0;
        assert!((share - want).abs() < 0.01, "{t}: {share} vs {want}");
    }
    assert!(
        events(EventMix::Fixed(EventType::Logon), 1, 1_000)
            .iter()
            .all(|e| e.kind == EventType::Logon)
    );
}

#[test]
fn cardinalities_are_realistic_and_logoffs_close_earlier_logons() {
    let a = events(EventMix::Realistic, 3, 200_000);
    let users: HashSet<u32> = a.iter().map(|e| e.target_user).collect();
    let hosts: HashSet<u32> = a.iter().map(|e| e.computer).collect();
    assert!(users.len() > 2_000, "{} distinct target users", users.len());
    assert!(
        (300..=396).contains(&hosts.len()),
        "{} distinct computers",
        hosts.len()
    );
    let logons: HashSet<u64> = a
        .iter()
        .filter(|e| e.kind == EventType::Logon)
        .filter_map(|e| e.target_logon_id)
        .collect();
    let logoffs: Vec<_> = a.iter().filter(|e| e.kind == EventType::Logoff).collect();
    let matched = logoffs
        .iter()
        .filter(|e| logons.contains(&e.target_logon_id.unwrap()))
        .count();
    assert!(
        matched as f64 > 0.99 * logoffs.len() as f64,
        "{matched} of {}",
        logoffs.len()
    );
}
