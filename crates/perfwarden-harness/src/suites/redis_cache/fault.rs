//! Taking Redis away mid-run, to check that search goes on without its cache.
//!
//! - `pause`: `CLIENT PAUSE <ms> ALL`. The server stops answering every client for that
//!   long, then carries on with its data: a stall (a long fork, a slow disk, a failover)
//!   with a start and an end. Requests time out on Redis and fall back to the backend.
//! - `shutdown`: `SHUTDOWN NOSAVE`. The server is gone for the rest of the run; requests
//!   fail fast on the closed connections and fall back.
//!
//! Both go through Redis's own protocol, so they work on a native server, in a container and
//! on a named endpoint alike; the suite only runs them on servers it started unless the user
//! asks for the drill explicitly (`PERFWARDEN_REDIS_FAULT`), since they hit every client.

use std::time::Duration;

use crate::services::redis::RedisService;

/// What the drill does to Redis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultKind {
    Pause,
    Shutdown,
}

impl FaultKind {
    /// `pause`, `shutdown`, or `off` (None).
    pub(crate) fn parse(text: &str) -> Result<Option<FaultKind>, String> {
        match text.trim() {
            "pause" => Ok(Some(FaultKind::Pause)),
            "shutdown" => Ok(Some(FaultKind::Shutdown)),
            "off" | "none" => Ok(None),
            other => Err(format!(
                "{other:?} is not a fault (expected pause, shutdown or off)"
            )),
        }
    }
}

/// Applies `kind` to `redis` (for `length` when pausing). Returns when the command is
/// acknowledged (pause) or the server has closed the connection (shutdown).
pub(crate) async fn inject(
    redis: &RedisService,
    kind: FaultKind,
    length: Duration,
) -> Result<(), String> {
    // A connection of its own: the measured pool must not wait behind the command.
    let mut conn = redis
        .connection()
        .await
        .map_err(|e| format!("connecting to inject the fault: {e}"))?;
    match kind {
        FaultKind::Pause => {
            let ms = length.as_millis().max(1) as u64;
            ::redis::cmd("CLIENT")
                .arg("PAUSE")
                .arg(ms)
                .arg("ALL")
                .query_async::<()>(&mut conn)
                .await
                .map_err(|e| format!("CLIENT PAUSE {ms} ALL: {e}"))
        }
        FaultKind::Shutdown => {
            // The server closes the connection instead of answering: that is success.
            match ::redis::cmd("SHUTDOWN")
                .arg("NOSAVE")
                .query_async::<()>(&mut conn)
                .await
            {
                Ok(()) => Ok(()),
                Err(e)
                    if e.is_io_error()
                        || e.is_connection_dropped()
                        || e.is_unrecoverable_error() =>
                {
                    Ok(())
                }
                Err(e) => Err(format!("SHUTDOWN NOSAVE: {e}")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse() {
        assert_eq!(FaultKind::parse("pause"), Ok(Some(FaultKind::Pause)));
        assert_eq!(
            FaultKind::parse(" shutdown "),
            Ok(Some(FaultKind::Shutdown))
        );
        assert_eq!(FaultKind::parse("off"), Ok(None));
        assert!(FaultKind::parse("kill").unwrap_err().contains("\"kill\""));
    }
}
