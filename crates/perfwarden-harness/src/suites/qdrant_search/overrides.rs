//! The plan's sizes overridden from the environment: points and queries per collection, the
//! closed-loop concurrency levels, the open-loop rates and their length, and the mix
//! phase's rate, length, users and think-time scale. Pure over a lookup function, so tests
//! need not touch the process environment.

use std::time::Duration;

use super::plan::Plan;

pub(crate) const POINTS_VAR: &str = "PERFWARDEN_QDRANT_POINTS";
pub(crate) const QUERIES_VAR: &str = "PERFWARDEN_QDRANT_QUERIES";
pub(crate) const CONCURRENCY_VAR: &str = "PERFWARDEN_QDRANT_CONCURRENCY";
pub(crate) const RATES_VAR: &str = "PERFWARDEN_QDRANT_RATES";
pub(crate) const OPEN_SECS_VAR: &str = "PERFWARDEN_QDRANT_OPEN_SECS";
pub(crate) const MIX_RATE_VAR: &str = "PERFWARDEN_QDRANT_MIX_RATE";
pub(crate) const MIX_SECS_VAR: &str = "PERFWARDEN_QDRANT_MIX_SECS";
pub(crate) const MIX_USERS_VAR: &str = "PERFWARDEN_QDRANT_MIX_USERS";
/// Not qdrant_search's alone: any suite that runs a mix as users reads it.
pub(crate) const THINK_SCALE_VAR: &str = "PERFWARDEN_MIX_THINK_SCALE";

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
        plan.open_duration = seconds(OPEN_SECS_VAR, &v)?;
    }
    if let Some(v) = value(MIX_RATE_VAR) {
        plan.mix_rate = number(MIX_RATE_VAR, &v, |r| r > 0.0)?;
    }
    if let Some(v) = value(MIX_SECS_VAR) {
        plan.mix_duration = seconds(MIX_SECS_VAR, &v)?;
    }
    if let Some(v) = value(MIX_USERS_VAR) {
        plan.mix_users = positive(MIX_USERS_VAR, &v)? as usize;
    }
    if let Some(v) = value(THINK_SCALE_VAR) {
        plan.mix_think_scale = number(THINK_SCALE_VAR, &v, |s| s > 0.0 && s <= 100.0)?;
    }
    Ok(())
}

fn seconds(name: &str, v: &str) -> Result<Duration, String> {
    let secs = v
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s > 0.0 && *s <= 86_400.0);
    secs.map(Duration::from_secs_f64)
        .ok_or_else(|| format!("{name}: {v:?} is not a number of seconds above 0"))
}

/// A finite number that `ok` accepts.
fn number(name: &str, v: &str, ok: impl Fn(f64) -> bool) -> Result<f64, String> {
    v.trim()
        .parse::<f64>()
        .ok()
        .filter(|x| x.is_finite() && ok(*x))
        .ok_or_else(|| format!("{name}: {v:?} is not a number in range"))
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
                (MIX_RATE_VAR, "30"),
                (MIX_SECS_VAR, "1.5"),
                (MIX_USERS_VAR, "9"),
                (THINK_SCALE_VAR, "0.1"),
            ]),
        )
        .unwrap();
        assert_eq!(plan.points, 20_000);
        assert_eq!(plan.queries, 50);
        assert_eq!(plan.sweep, [1, 8, 32]);
        assert_eq!(plan.open_rates, [100.0, 2500.5]);
        assert_eq!(plan.open_duration, Duration::from_millis(2500));
        assert_eq!(plan.mix_rate, 30.0);
        assert_eq!(plan.mix_duration, Duration::from_millis(1500));
        assert_eq!(plan.mix_users, 9);
        assert_eq!(plan.mix_think_scale, 0.1);
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
        let e = apply(&mut plan, env(&[(THINK_SCALE_VAR, "0")])).unwrap_err();
        assert_eq!(
            e,
            r#"PERFWARDEN_MIX_THINK_SCALE: "0" is not a number in range"#
        );
    }
}
