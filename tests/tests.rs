//! The single integration-test binary. Each module is one area; `#[ignore]`d tests need a
//! real service and skip with one line when it cannot be had.

// The grpc_windows suite: integrity, applied windows and a tiny run (needs no service).
mod grpc_windows;
