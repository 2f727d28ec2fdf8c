//! The suite contract: what every suite registers (its name in results and the charts the
//! HTML report draws for it) and the one way it says how it ended. The report reads the
//! charts from the results, so it never needs to know a suite by name.

use std::fmt;

use crate::record::Recorder;
use perfwarden::results::{Chart, Run, SuiteOutcome, SuiteStatus};

/// A suite as it appears in results.
#[derive(Debug)]
pub struct Suite {
    /// The name every metric of the suite carries, and its results file's name.
    pub name: &'static str,
    /// The charts of the suite's metrics the HTML report draws.
    charts: fn() -> Vec<Chart>,
}

impl Suite {
    pub(crate) const fn new(name: &'static str, charts: fn() -> Vec<Chart>) -> Suite {
        Suite { name, charts }
    }

    /// How the suite ended, carrying its charts.
    pub(crate) fn status(&self, outcome: SuiteOutcome, reason: Option<String>) -> SuiteStatus {
        SuiteStatus {
            charts: (self.charts)(),
            ..SuiteStatus::new(self.name, outcome, reason)
        }
    }

    /// The recorder of this suite's metrics into `run`.
    pub(crate) fn recorder<'a>(&self, run: &'a mut Run) -> Recorder<'a> {
        Recorder::new(self.name, run)
    }

    /// One progress line on stderr, prefixed with the suite's name.
    pub(crate) fn say(&self, line: &str) {
        eprintln!("{}: {line}", self.name);
    }
}

impl fmt::Display for Suite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

/// A suite with no chart of its own (the report still draws its baseline comparison).
pub(crate) fn no_charts() -> Vec<Chart> {
    Vec::new()
}

/// Owned strings from string literals, for chart specs.
pub(crate) fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}
