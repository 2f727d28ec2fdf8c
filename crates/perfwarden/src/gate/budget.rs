//! Absolute budgets: the users' targets (mean search < 10 ms, ≥ 10,000 ops/s, ...) checked
//! against the current value, whatever the baseline says.

use serde::Serialize;

use super::config::Budget;
use crate::results::Unit;

/// One budget checked against one metric.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BudgetCheck {
    /// The config pattern the budget came from.
    #[serde(rename = "match")]
    pub(crate) pattern: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) min: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// The unit of `min`, `max` and `value`.
    pub unit: Unit,
    /// The current value, converted into `unit`.
    pub value: f64,
    pub broken: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Checks `value` (in `unit`) against `budget`. A budget whose unit cannot be converted to
/// the metric's is an error naming both units.
pub(crate) fn check(budget: &Budget, value: f64, unit: Unit) -> Result<BudgetCheck, String> {
    let limit_unit = budget.unit.unwrap_or(unit);
    let value = convert(value, unit, limit_unit).ok_or_else(|| {
        format!(
            "budget {:?} is in {limit_unit}, which does not convert to the metric's unit {unit}",
            budget.pattern.as_str()
        )
    })?;
    let broken = outside(budget.min, budget.max, value);
    Ok(BudgetCheck {
        pattern: budget.pattern.as_str().to_string(),
        min: budget.min,
        max: budget.max,
        unit: limit_unit,
        value,
        broken,
        note: budget.note.clone(),
    })
}

/// Whether `value` (in the budget's unit) breaks a budget of `min` and `max`.
pub(crate) fn outside(min: Option<f64>, max: Option<f64>, value: f64) -> bool {
    max.is_some_and(|max| value > max) || min.is_some_and(|min| value < min)
}

/// Converts between units of one dimension: durations, and fractions (percent and ratio).
/// Other units convert only to themselves: `MB` is left alone on purpose, since producers
/// differ on whether it means 10^6 or 2^20 bytes.
pub(crate) fn convert(value: f64, from: Unit, to: Unit) -> Option<f64> {
    if from == to {
        return Some(value);
    }
    let seconds = |u: Unit| match u {
        Unit::Nanoseconds => Some(1e-9),
        Unit::Microseconds => Some(1e-6),
        Unit::Milliseconds => Some(1e-3),
        Unit::Seconds => Some(1.0),
        _ => None,
    };
    let fraction = |u: Unit| match u {
        Unit::Percent => Some(0.01),
        Unit::Ratio => Some(1.0),
        _ => None,
    };
    if let (Some(a), Some(b)) = (seconds(from), seconds(to)) {
        return Some(value * a / b);
    }
    if let (Some(a), Some(b)) = (fraction(from), fraction(to)) {
        return Some(value * a / b);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::glob::Pattern;

    fn budget(min: Option<f64>, max: Option<f64>, unit: Option<Unit>) -> Budget {
        Budget {
            pattern: Pattern::new("a/**").unwrap(),
            max,
            min,
            unit,
            profiles: vec![],
            note: None,
        }
    }

    #[test]
    fn max_and_min_are_inclusive_limits() {
        let b = budget(None, Some(10.0), Some(Unit::Milliseconds));
        assert!(!check(&b, 10.0, Unit::Milliseconds).unwrap().broken);
        assert!(check(&b, 10.01, Unit::Milliseconds).unwrap().broken);
        let b = budget(Some(10_000.0), None, None);
        assert!(!check(&b, 10_000.0, Unit::OpsPerSecond).unwrap().broken);
        assert!(check(&b, 9_999.0, Unit::OpsPerSecond).unwrap().broken);
    }

    #[test]
    fn units_convert_within_a_dimension() {
        let b = budget(None, Some(10.0), Some(Unit::Milliseconds));
        let c = check(&b, 12_000.0, Unit::Microseconds).unwrap();
        assert!(c.broken);
        assert!((c.value - 12.0).abs() < 1e-12);
        assert_eq!(c.unit, Unit::Milliseconds);
        let b = budget(Some(90.0), None, Some(Unit::Percent));
        assert!(check(&b, 0.85, Unit::Ratio).unwrap().broken);
        assert!(!check(&b, 0.95, Unit::Ratio).unwrap().broken);
    }

    #[test]
    fn incompatible_units_are_an_error_naming_both() {
        let b = budget(None, Some(10.0), Some(Unit::Milliseconds));
        let e = check(&b, 5.0, Unit::OpsPerSecond).unwrap_err();
        assert!(e.contains("ms") && e.contains("ops/s"), "{e}");
        assert_eq!(convert(1.0, Unit::Megabytes, Unit::Bytes), None);
    }
}
