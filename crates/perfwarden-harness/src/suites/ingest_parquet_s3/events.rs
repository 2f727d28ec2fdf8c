//! Windows security events: the types the suite generates and the in-memory event.
//!
//! An [`Event`] is a small `Copy` record. Its string fields (user, host, process, ...) are
//! indices into the [`World`](super::world::World) the generator drew them from, the way a
//! receiving server that interns strings holds them. The encoder resolves every index to
//! its text and copies the bytes into the Arrow column, so encoding does the same work as
//! for events that own their strings.

use std::fmt;
use std::str::FromStr;

/// Marks an absent string reference (the field does not apply to this event type).
pub(crate) const NONE: u32 = u32::MAX;

/// The Windows Security log event IDs the generator produces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u16)]
pub enum EventType {
    /// An account was successfully logged on.
    Logon = 4624,
    /// An account failed to log on.
    LogonFailed = 4625,
    /// An account was logged off.
    Logoff = 4634,
    /// Special privileges assigned to new logon.
    SpecialPrivileges = 4672,
    /// A new process has been created.
    ProcessCreated = 4688,
    /// A Kerberos authentication ticket (TGT) was requested.
    KerberosTgt = 4768,
    /// The computer attempted to validate the credentials for an account (NTLM).
    CredentialValidation = 4776,
}

impl EventType {
    #[cfg(test)]
    /// Position in [`EventType::ALL`], for per-type arrays.
    pub(crate) fn index(self) -> usize {
        EventType::ALL
            .iter()
            .position(|t| *t == self)
            .expect("every type is in ALL")
    }

    pub(crate) const ALL: [EventType; 7] = [
        EventType::Logon,
        EventType::LogonFailed,
        EventType::Logoff,
        EventType::SpecialPrivileges,
        EventType::ProcessCreated,
        EventType::KerberosTgt,
        EventType::CredentialValidation,
    ];

    /// The Windows event ID.
    pub(crate) fn id(self) -> u16 {
        self as u16
    }

    pub(crate) fn from_id(id: u16) -> Option<EventType> {
        EventType::ALL.into_iter().find(|t| t.id() == id)
    }

    /// Share of this type in the realistic mix, in parts per thousand. The proportions
    /// follow what a domain's Security log forwarding typically carries: logons and
    /// logoffs dominate, process creation is common where auditing is on, failures rare.
    pub(crate) fn mix_weight(self) -> u32 {
        match self {
            EventType::Logon => 300,
            EventType::Logoff => 250,
            EventType::SpecialPrivileges => 140,
            EventType::ProcessCreated => 180,
            EventType::LogonFailed => 30,
            EventType::KerberosTgt => 60,
            EventType::CredentialValidation => 40,
        }
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.id())
    }
}

impl FromStr for EventType {
    type Err = String;

    fn from_str(s: &str) -> Result<EventType, String> {
        s.trim()
            .parse::<u16>()
            .ok()
            .and_then(EventType::from_id)
            .ok_or_else(|| {
                format!(
                    "unknown event type {s:?} (expected 4624, 4625, 4634, 4672, 4688, 4768 or 4776)"
                )
            })
    }
}

/// Which event types a run generates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventMix {
    /// Every event has this type (the seed's sustained test uses 4624 alone).
    Fixed(EventType),
    /// The weighted mix of [`EventType::mix_weight`].
    Realistic,
}

impl fmt::Display for EventMix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EventMix::Fixed(t) => write!(f, "{t}"),
            EventMix::Realistic => f.write_str("mix"),
        }
    }
}

/// One security event. String-valued fields are indices into the generator's world
/// ([`NONE`] when the field does not apply); numbers are stored as they are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    /// Unique within a run, dense from 0: verification proves no loss and no duplicates
    /// by finding every value exactly once in S3.
    pub seq: u64,
    /// When the event happened, microseconds since the Unix epoch, UTC.
    pub time_us: i64,
    pub kind: EventType,
    /// The host whose log recorded the event (index into the hosts).
    pub computer: u32,
    /// SubjectUser*: the account that requested the action (index into the accounts).
    pub subject_user: u32,
    pub subject_logon_id: Option<u64>,
    /// TargetUser*: the account the action is about (index into the accounts).
    pub target_user: u32,
    pub target_logon_id: Option<u64>,
    /// 0 when absent; 2 interactive, 3 network, 5 service, 10 remote interactive, ...
    pub logon_type: u8,
    /// LogonProcessName and AuthenticationPackageName, as one index into the auth pairs.
    pub auth: u32,
    /// The address the request came from: a host's own IP (index < hosts) or an
    /// external one (IpAddress).
    pub source: u32,
    /// The host named as WorkstationName (index into the hosts).
    pub workstation: u32,
    /// 0 when absent.
    pub source_port: u16,
    /// ProcessId; 0 when absent.
    pub process_id: u32,
    /// Process (image path) and parent process: indices into the processes.
    pub process: u32,
    pub parent_process: u32,
    /// Index into the command lines.
    pub command_line: u32,
    /// Index into the status codes (failure reasons); NONE on success events.
    pub status: u32,
    pub sub_status: u32,
    /// Index into the privilege lists.
    pub privileges: u32,
    /// Index into the Kerberos service names and encryption types.
    pub service: u32,
    pub ticket_encryption: u32,
}

impl Event {
    /// An event of `kind` with every optional field absent.
    pub(crate) fn blank(seq: u64, kind: EventType, computer: u32) -> Event {
        Event {
            seq,
            time_us: 0,
            kind,
            computer,
            subject_user: NONE,
            subject_logon_id: None,
            target_user: NONE,
            target_logon_id: None,
            logon_type: 0,
            auth: NONE,
            source: NONE,
            workstation: NONE,
            source_port: 0,
            process_id: 0,
            process: NONE,
            parent_process: NONE,
            command_line: NONE,
            status: NONE,
            sub_status: NONE,
            privileges: NONE,
            service: NONE,
            ticket_encryption: NONE,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_weights_sum_to_a_thousand() {
        for t in EventType::ALL {
            assert_eq!(EventType::from_id(t.id()), Some(t));
            assert_eq!(t.to_string().parse::<EventType>().unwrap(), t);
            assert_eq!(EventType::ALL[t.index()], t);
        }
        let total: u32 = EventType::ALL.iter().map(|t| t.mix_weight()).sum();
        assert_eq!(total, 1000);
        assert!("4700".parse::<EventType>().unwrap_err().contains("4700"));
    }
}
