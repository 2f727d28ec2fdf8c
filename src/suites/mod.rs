//! The suites: the library code each bench target calls. One folder per suite.

pub mod qdrant_search;
