//! The Parquet schema of the archive and the conversion of events into Arrow columns.
//!
//! One schema for every event type, with the fields of the Windows event XML in snake case;
//! fields a type does not carry are null (Parquet stores an all-null column chunk in a few
//! bytes). `seq` is the suite's own column: a run-unique event number for verification.

use std::sync::{Arc, OnceLock};

use arrow_array::builder::StringBuilder;
use arrow_array::{
    ArrayRef, Int32Array, RecordBatch, TimestampMicrosecondArray, UInt32Array, UInt64Array,
};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};

use super::events::{Event, NONE};
use super::names::{AUTH_PAIRS, SERVICE_NAMES};
use super::world::World;

/// Column positions the verifier reads.
pub(crate) const SEQ: usize = 0;
pub(crate) const TIME: usize = 1;
pub(crate) const EVENT_ID: usize = 2;

/// The archive's Arrow schema (UTC microsecond timestamps).
pub(crate) fn schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            let utf8 = |name: &str| Field::new(name, DataType::Utf8, true);
            Arc::new(Schema::new(vec![
                Field::new("seq", DataType::UInt64, false),
                Field::new(
                    "time",
                    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
                    false,
                ),
                Field::new("event_id", DataType::Int32, false),
                Field::new("computer", DataType::Utf8, false),
                utf8("subject_user_sid"),
                utf8("subject_user_name"),
                utf8("subject_domain_name"),
                Field::new("subject_logon_id", DataType::UInt64, true),
                utf8("target_user_sid"),
                utf8("target_user_name"),
                utf8("target_domain_name"),
                Field::new("target_logon_id", DataType::UInt64, true),
                Field::new("logon_type", DataType::Int32, true),
                utf8("logon_process_name"),
                utf8("authentication_package_name"),
                utf8("workstation_name"),
                utf8("ip_address"),
                Field::new("ip_port", DataType::Int32, true),
                Field::new("process_id", DataType::UInt32, true),
                utf8("process_name"),
                utf8("parent_process_name"),
                utf8("command_line"),
                utf8("status"),
                utf8("sub_status"),
                utf8("privilege_list"),
                utf8("service_name"),
                utf8("ticket_encryption_type"),
            ]))
        })
        .clone()
}

/// `events` as one record batch of [`schema`], every string copied out of `world`.
pub fn to_record_batch(world: &World, events: &[Event]) -> RecordBatch {
    let w = world;
    let acct = |i: u32| (i != NONE).then(|| &w.accounts[i as usize]);
    let opt = |i: u32| (i != NONE).then_some(i);
    let columns: Vec<ArrayRef> = vec![
        Arc::new(UInt64Array::from_iter_values(events.iter().map(|e| e.seq))),
        Arc::new(
            TimestampMicrosecondArray::from_iter_values(events.iter().map(|e| e.time_us))
                .with_timezone("UTC"),
        ),
        Arc::new(Int32Array::from_iter_values(
            events.iter().map(|e| e.kind.id() as i32),
        )),
        strings(events, |e| Some(w.hosts[e.computer as usize].fqdn.as_str())),
        strings(events, |e| acct(e.subject_user).map(|a| a.sid.as_str())),
        strings(events, |e| acct(e.subject_user).map(|a| a.name.as_str())),
        strings(events, |e| acct(e.subject_user).map(|a| a.domain.as_str())),
        Arc::new(UInt64Array::from_iter(
            events.iter().map(|e| e.subject_logon_id),
        )),
        strings(events, |e| acct(e.target_user).map(|a| a.sid.as_str())),
        strings(events, |e| acct(e.target_user).map(|a| a.name.as_str())),
        strings(events, |e| acct(e.target_user).map(|a| a.domain.as_str())),
        Arc::new(UInt64Array::from_iter(
            events.iter().map(|e| e.target_logon_id),
        )),
        Arc::new(Int32Array::from_iter(
            events
                .iter()
                .map(|e| (e.logon_type != 0).then_some(e.logon_type as i32)),
        )),
        strings(events, |e| {
            opt(e.auth).and_then(|a| AUTH_PAIRS[a as usize].0)
        }),
        strings(events, |e| opt(e.auth).map(|a| AUTH_PAIRS[a as usize].1)),
        strings(events, |e| {
            opt(e.workstation).and_then(|s| w.source_name(s))
        }),
        strings(events, |e| opt(e.source).map(|s| w.source_ip(s))),
        Arc::new(Int32Array::from_iter(
            events
                .iter()
                .map(|e| (e.source_port != 0).then_some(e.source_port as i32)),
        )),
        Arc::new(UInt32Array::from_iter(
            events
                .iter()
                .map(|e| (e.process_id != 0).then_some(e.process_id)),
        )),
        strings(events, |e| opt(e.process).map(|p| w.processes[p as usize])),
        strings(events, |e| {
            opt(e.parent_process).map(|p| w.processes[p as usize])
        }),
        strings(events, |e| {
            opt(e.command_line).map(|c| w.command_lines[c as usize].as_str())
        }),
        strings(events, |e| opt(e.status).map(|s| w.status(s))),
        strings(events, |e| opt(e.sub_status).map(|s| w.status(s))),
        strings(events, |e| opt(e.privileges).map(|p| w.privileges(p))),
        strings(events, |e| {
            opt(e.service).map(|s| SERVICE_NAMES[s as usize])
        }),
        strings(events, |e| {
            opt(e.ticket_encryption).map(|t| w.encryption(t))
        }),
    ];
    RecordBatch::try_new(schema(), columns).expect("columns match the schema")
}

fn strings<'a>(events: &[Event], f: impl Fn(&Event) -> Option<&'a str>) -> ArrayRef {
    let mut b = StringBuilder::with_capacity(events.len(), events.len() * 24);
    for e in events {
        b.append_option(f(e));
    }
    Arc::new(b.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suites::ingest_parquet_s3::events::{EventMix, EventType};
    use crate::suites::ingest_parquet_s3::generator::Generator;
    use arrow_array::{Array, cast::AsArray};

    #[test]
    fn every_event_type_fills_its_fields() {
        let world = Arc::new(World::new(1));
        let mut g = Generator::new(world.clone(), EventMix::Realistic, 2);
        let mut events = Vec::new();
        g.fill(&mut events, 20_000);
        let batch = to_record_batch(&world, &events);
        assert_eq!(batch.num_rows(), 20_000);
        let column = |name: &str| batch.column(batch.schema().index_of(name).unwrap()).clone();
        let ids = column("event_id");
        let ids = ids.as_primitive::<arrow_array::types::Int32Type>();
        let non_null_where = |name: &str, t: EventType| {
            let c = column(name);
            (0..c.len())
                .filter(|&i| ids.value(i) == t.id() as i32)
                .all(|i| c.is_valid(i))
        };
        assert!(non_null_where("target_user_name", EventType::Logon));
        assert!(non_null_where("target_logon_id", EventType::Logon));
        assert!(non_null_where("logon_type", EventType::Logoff));
        assert!(non_null_where("sub_status", EventType::LogonFailed));
        assert!(non_null_where(
            "privilege_list",
            EventType::SpecialPrivileges
        ));
        assert!(non_null_where("command_line", EventType::ProcessCreated));
        assert!(non_null_where(
            "parent_process_name",
            EventType::ProcessCreated
        ));
        assert!(non_null_where(
            "ticket_encryption_type",
            EventType::KerberosTgt
        ));
        assert!(non_null_where(
            "workstation_name",
            EventType::CredentialValidation
        ));
        assert_eq!(column("computer").null_count(), 0);
        assert_eq!(column("seq").null_count(), 0);
    }
}
