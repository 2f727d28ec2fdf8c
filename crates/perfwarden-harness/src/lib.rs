//! perfwarden-harness: the suites that measure a vector-search stack on real services.
//!
//! [`services`] provides Qdrant, Redis and S3; [`load`] drives them open- and closed-loop;
//! [`suites`] holds the library code of each bench target. Every suite writes its numbers as
//! `perfwarden` results, which the gate package judges. See ARCHITECTURE.md.

#![warn(unnameable_types)]

pub mod bench;
pub mod load;
pub mod logging;
pub mod qdrant;
pub(crate) mod record;
pub mod services;
pub mod suite;
pub mod suites;
