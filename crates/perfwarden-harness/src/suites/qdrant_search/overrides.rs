//! The plan's sizes overridden from the environment: points and queries per collection, the
//! closed-loop concurrency levels, the open-loop rates and their length. Pure over a lookup
//! function, so tests need not touch the process environment.

use std::time::Duration;

use super::plan::Plan;

pub(crate) const POINTS_VAR: &str = "PERFWARDEN_QDRANT_POINTS";
pub(crate) const QUERIES_VAR: &str = "PERFWARDEN_QDRANT_QUERIES";
pub(crate) const CONCURRENCY_VAR: &str = "PERFWARDEN_QDRANT_CONCURRENCY";
pub(crate) const RATES_VAR: &str = "PERFWARDEN_QDRANT_RATES";
pub(crate) const OPEN_SECS_VAR: &str = "PERFWARDEN_QDRANT_OPEN_SECS";

/// Applies the variables `get` returns (unset or blank: the plan's own value). A bad value is
/// one line naming the variable and what it wants.
pub(crate) fn apply(plan: &mut Plan, get: impl Fn(&str) -> Option<String>) -> Result<(), String> {
    let value = |name: &str| get(name).filter(|v| !v.trim().is_empty());
    if let Some(v) = value(POINTS_VAR) {
        plan.points = positive(POINTS_VAR, &v)?;
    }
    if let Some(v) = value(QUERIES_VAR) {
        plan.queries = positive(QUERIES_VAR, &v)?;
    }
    if let Some(v) = value(CONCURRENCY_VAR) {
        plan.sweep = list(CONCURRENCY_VAR, &v, |s| {
            s.parse::<usize>()
                .ok()
                .filter(|&n| (1..=100_000).contains(&n))
        })?;
    }
    if let Some(v) = value(RATES_VAR) {
        plan.open_rates = list(RATES_VAR, &v, |s| {
            s.parse::<f64>().ok().filter(|r| r.is_finite() && *r > 0.0)
        })?;
    }
    if let Some(v) = value(OPEN_SECS_VAR) {
        let secs = v
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|s| s.is_finite() && *s > 0.0 && *s <= 86_400.0);
        plan.open_duration = secs
            .map(Duration::from_secs_f64)
            .ok_or_else(|| format!("{OPEN_SECS_VAR}: {v:?} is not a number of seconds above 0"))?;
    }
    Ok(())
}

fn positive(name: &str, v: &str) -> Result<u64, String> {
    v.trim()
        .replace('_', "")
        .parse::<u64>()
        .ok()
        .filter(|&n| n > 0)
        .ok_or_else(|| format!("{name}: {v:?} is not a whole number above 0"))
}

fn list<T>(name: &str, v: &str, parse: impl Fn(&str) -> Option<T>) -> Result<Vec<T>, String> {
    v.split(',')
        .map(|item| {
            parse(item.trim()).ok_or_else(|| {
                format!("{name}: {item:?} in {v:?} is not a positive number (a list is 1,4,16)")
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use perfwarden::profile::Profile;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
    }

    #[test]
    fn overrides_replace_the_plans_sizes() {
        let mut plan = Plan::for_profile(Profile::Smoke);
        apply(
            &mut plan,
            env(&[
                (POINTS_VAR, "20_000"),
                (QUERIES_VAR, "50"),
                (CONCURRENCY_VAR, "1, 8,32"),
                (RATES_VAR, "100,2500.5"),
                (OPEN_SECS_VAR, "2.5"),
            ]),
        )
        .unwrap();
        assert_eq!(plan.points, 20_000);
        assert_eq!(plan.queries, 50);
        assert_eq!(plan.sweep, [1, 8, 32]);
        assert_eq!(plan.open_rates, [100.0, 2500.5]);
        assert_eq!(plan.open_duration, Duration::from_millis(2500));
        let untouched = Plan::for_profile(Profile::Smoke);
        let mut same = untouched.clone();
        apply(&mut same, env(&[(POINTS_VAR, " ")])).unwrap();
        assert_eq!(same, untouched);
    }

    #[test]
    fn a_bad_override_is_one_line_naming_the_variable() {
        let mut plan = Plan::for_profile(Profile::Smoke);
        let e = apply(&mut plan, env(&[(CONCURRENCY_VAR, "1,x")])).unwrap_err();
        assert_eq!(
            e,
            r#"PERFWARDEN_QDRANT_CONCURRENCY: "x" in "1,x" is not a positive number (a list is 1,4,16)"#
        );
        let e = apply(&mut plan, env(&[(POINTS_VAR, "0")])).unwrap_err();
        assert_eq!(
            e,
            r#"PERFWARDEN_QDRANT_POINTS: "0" is not a whole number above 0"#
        );
        assert!(apply(&mut plan, env(&[(OPEN_SECS_VAR, "-1")])).is_err());
        assert!(apply(&mut plan, env(&[(RATES_VAR, "NaN")])).is_err());
    }
}
