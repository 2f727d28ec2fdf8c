//! The single integration-test binary. Each module is one area; `#[ignore]`d tests need a
//! real service and skip with one line when it cannot be had.

// The load engine against in-process targets (no service).
mod load;

// Suite qdrant_search: bad input offline; end to end against a real Qdrant (ignored).
mod qdrant_search;
