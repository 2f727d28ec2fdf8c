//! One folder per suite: the library code its bench target calls.

pub mod grpc_windows;
