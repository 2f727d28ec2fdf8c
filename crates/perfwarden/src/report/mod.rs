//! Reports of a [`Comparison`](crate::gate::Comparison): Markdown for PR comments and the
//! step summary, JSON for machines, and GitHub annotations. All pure: they return text, and
//! the CLI decides where it goes.

pub mod findings;
pub(crate) mod format;
pub mod github;
pub mod html;
pub mod json;
pub mod markdown;
pub mod openmetrics;
mod openmetrics_names;
pub mod text;
