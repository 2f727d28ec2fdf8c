//! The gate: compares a current run with a baseline under a config and gives each metric a
//! verdict. Pure: it never touches the disk or the network.
//!
//! - [`config`]: thresholds, budgets and policies from `perfwarden.toml`;
//! - [`compare()`]: the comparison and its decision rule;
//! - [`noise`] and [`stats`]: whether a change beyond the threshold is real;
//! - [`verdict`]: what the comparison produces;
//! - [`confirmation`]: re-measured flags (confirmed or drift) folded into the verdict;
//! - [`drift`]: which metrics to re-measure, including slowdowns hidden by machine drift;
//! - [`unchanged`]: flags on code that is the baseline's, which need no re-measuring.

pub(crate) mod budget;
mod compare;
pub(crate) mod config;
pub mod confirmation;
pub(crate) mod drift;
pub(crate) mod glob;
pub(crate) mod noise;
mod outcome;
mod paired;
mod rank;
pub(crate) mod stats;
pub(crate) mod unchanged;
pub(crate) mod verdict;

pub(crate) use budget::convert;
pub(crate) use compare::relative_change;
pub use compare::{CompareError, compare};
pub use config::Config;
pub(crate) use confirmation::{Confirmation, MetricConfirmation};
pub use verdict::{Comparison, MetricComparison, Verdict};
pub(crate) use verdict::{Observed, Reference, Totals};
