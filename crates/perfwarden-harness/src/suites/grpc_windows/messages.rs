//! The blob service's protobuf messages, written by hand with `prost` derives so that the
//! build needs no `protoc`. The equivalent `.proto`:
//!
//! ```proto
//! syntax = "proto3";
//! package perfwarden.blob.v1;
//! message Chunk        { bytes data = 1; bool verify = 2; }
//! message WriteSummary { uint64 bytes = 1; fixed64 checksum = 2; }
//! message ReadRequest  { uint64 size = 1; uint32 chunk_bytes = 2; }
//! message Blob         { bytes data = 1; }
//! service Blob {
//!   rpc Write(stream Chunk) returns (WriteSummary);
//!   rpc Read(ReadRequest) returns (Blob);
//!   rpc Stream(ReadRequest) returns (stream Blob);
//! }
//! ```
//!
//! `bytes` fields decode into [`bytes::Bytes`], so a received chunk is a view into tonic's
//! decode buffer rather than a fresh copy.

use bytes::Bytes;

/// The fully qualified service name, as it appears in request paths.
pub(crate) const SERVICE_NAME: &str = "perfwarden.blob.v1.Blob";
pub(crate) const WRITE_PATH: &str = "/perfwarden.blob.v1.Blob/Write";
pub(crate) const READ_PATH: &str = "/perfwarden.blob.v1.Blob/Read";
pub(crate) const STREAM_PATH: &str = "/perfwarden.blob.v1.Blob/Stream";

/// Messages may carry a whole 256 MiB payload (Read is one unary message); the limit
/// leaves room for the protobuf and gRPC framing around it.
pub(crate) const MAX_MESSAGE_BYTES: usize = 256 * 1024 * 1024 + 1024 * 1024;

/// One piece of a Write. `verify` on any chunk asks the server to hash what it receives.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct Chunk {
    #[prost(bytes = "bytes", tag = "1")]
    pub data: Bytes,
    #[prost(bool, tag = "2")]
    pub verify: bool,
}

/// The server's account of a Write: how many bytes arrived and, when asked, their checksum
/// (zero otherwise).
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct WriteSummary {
    #[prost(uint64, tag = "1")]
    pub bytes: u64,
    #[prost(fixed64, tag = "2")]
    pub checksum: u64,
}

/// Asks for the first `size` bytes of the server's payload; Stream cuts them into
/// `chunk_bytes` pieces (0 means the default).
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct ReadRequest {
    #[prost(uint64, tag = "1")]
    pub size: u64,
    #[prost(uint32, tag = "2")]
    pub chunk_bytes: u32,
}

/// A Read response (the whole payload) or one Stream message (a chunk of it). Framed by
/// hand on the hot path (`wire`); this definition is what the tests hold that framing to.
#[cfg_attr(not(test), allow(dead_code))]
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct Blob {
    #[prost(bytes = "bytes", tag = "1")]
    pub data: Bytes,
}
