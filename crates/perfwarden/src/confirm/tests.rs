//! Tests of how rounds become the confirmations a report carries.

use super::*;
use crate::results::{Direction, Environment, Metric, Unit};

fn run(values: &[(&str, f64)]) -> Run {
    let mut r = Run::new(Environment::detect(Profile::Smoke));
    for (name, v) in values {
        let unit = Unit::Milliseconds;
        let m = Metric::new("s", *name, "p50", unit, Direction::LowerIsBetter, *v);
        r.metrics.push(m);
    }
    r
}

#[test]
fn a_metric_a_round_missed_is_unconfirmed_and_says_why() {
    // `a` slowed by 50% in every round; `b` too, but the second round did not measure it: its
    // paired ratios would be biased, so it is not decided, and the report says so (the
    // measured-now path once dropped it, leaving the first verdict with no reason shown).
    let c = crate::gate::compare(
        &run(&[("a", 1.0), ("b", 1.0)]),
        &run(&[("a", 1.5), ("b", 1.5)]),
        &Default::default(),
    )
    .unwrap();
    let by_bench = BTreeMap::from([("s".to_string(), flagged(&c))]);
    let pairs = vec![
        (
            run(&[("a", 1.0), ("b", 1.0)]),
            run(&[("a", 1.5), ("b", 1.5)]),
        ),
        (run(&[("a", 1.0)]), run(&[("a", 1.52)])),
        (
            run(&[("a", 1.0), ("b", 1.0)]),
            run(&[("a", 1.49), ("b", 1.5)]),
        ),
    ];
    let found = settled(decide_benches(&by_bench, &pairs, 3));
    assert_eq!(found["s/a/p50"].status, Status::Confirmed);
    let b = &found["s/b/p50"];
    assert_eq!((b.bench.as_deref(), b.paired.is_none()), (Some("s"), true));
    let Status::Unconfirmed { reason } = &b.status else {
        panic!("{:?}", b.status)
    };
    assert_eq!(reason, "not measured in every round of bench s");
}
