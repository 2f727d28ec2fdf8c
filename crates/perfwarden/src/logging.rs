//! Diagnostics through `tracing` on stderr, filtered by `RUST_LOG`, for the `perfwarden` CLI
//! and (with its own default) the harness's benches and tests. Records of dependencies that
//! use the `log` crate (ureq, rustls) are bridged into the same subscriber, so
//! `RUST_LOG=debug` shows ureq's requests beside ours.
//!
//! Progress lines, reports and the one-line error are not diagnostics: they stay plain
//! `println!`/`eprintln!` whatever `RUST_LOG` says, so scripts and tests that read them keep
//! working.

use tracing::level_filters::LevelFilter;
use tracing_subscriber::EnvFilter;

/// The CLI's filter when `RUST_LOG` is not set: warnings only (a retry after a rate limit, a
/// step summary that cannot be written), so a normal run prints nothing but its own lines.
pub const CLI_DEFAULT_FILTER: &str = "warn";

/// ureq logs whole requests at `trace`, headers included and unredacted (its docs say so):
/// the GitHub token would land in a CI log. Whatever `RUST_LOG` asks, these stop at `debug`,
/// where ureq lists only headers it knows to be harmless.
const WIRE_LOGGERS: [&str; 2] = ["ureq", "ureq_proto"];

/// Installs the stderr subscriber and the `log` bridge once per process (later calls do
/// nothing). `default_filter` applies when `RUST_LOG` is unset or empty; a `RUST_LOG` that
/// does not parse is said in one line and the default used.
pub fn init(default_filter: &str) {
    let from_env = std::env::var_os(EnvFilter::DEFAULT_ENV).is_some_and(|v| !v.is_empty());
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|e| {
        if from_env {
            eprintln!("perfwarden: RUST_LOG: {e}; using {default_filter}");
        }
        EnvFilter::new(default_filter)
    });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(cap_wire_loggers(filter))
        .with_writer(std::io::stderr)
        .without_time()
        // Where an event comes from matters once dependencies speak (RUST_LOG set).
        .with_target(from_env)
        .try_init();
}

/// `filter` with the wire loggers held at `debug` when it would let `trace` through. Only
/// then: a directive `ureq=debug` added to a quieter filter would turn ureq up, not down.
fn cap_wire_loggers(mut filter: EnvFilter) -> EnvFilter {
    if filter.max_level_hint() == Some(LevelFilter::TRACE) {
        for target in WIRE_LOGGERS {
            if let Ok(d) = format!("{target}=debug").parse() {
                filter = filter.add_directive(d);
            }
        }
    }
    filter
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_is_capped_for_the_wire_loggers_only() {
        let capped = cap_wire_loggers(EnvFilter::new("trace")).to_string();
        assert!(capped.contains("ureq=debug"), "{capped}");
        assert!(capped.contains("ureq_proto=debug"), "{capped}");
        let quiet = cap_wire_loggers(EnvFilter::new("warn")).to_string();
        assert_eq!(quiet, "warn");
        let targeted = cap_wire_loggers(EnvFilter::new("warn,ureq=trace")).to_string();
        assert!(targeted.contains("ureq=debug"), "{targeted}");
    }
}
