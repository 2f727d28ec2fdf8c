//! The gate: compares a current run with a baseline under a config and gives each metric a
//! verdict. Pure: it never touches the disk or the network.
//!
//! - [`config`]: thresholds, budgets and policies from `perfwarden.toml`;
//! - [`compare()`]: the comparison and its decision rule;
//! - [`noise`] and [`stats`]: whether a change beyond the threshold is real;
//! - [`verdict`]: what the comparison produces;
//! - [`confirmation`]: re-measured flags (confirmed or drift) folded into the verdict.

mod budget;
mod compare;
pub mod config;
pub mod confirmation;
pub mod glob;
pub mod noise;
pub mod stats;
pub mod verdict;

pub use budget::{BudgetCheck, convert};
pub use compare::{CompareError, compare, relative_change};
pub use config::{Budget, Config, MetricRule, MismatchPolicy, MissingPolicy, Resolved, Rule};
pub use confirmation::{Confirmation, MetricConfirmation};
pub use verdict::{Comparison, MetricComparison, Observed, Reference, Totals, Verdict};
