//! Object keys and partitions.
//!
//! A file's key is
//! `{prefix}event_type=4624/year=2026/month=02/day=08/events_4624_20260208_104441_0001.parquet`:
//! the partition is the UTC day of the file's events (a file never spans two days: the
//! buffers are per type and day), the timestamp is the time of the file's earliest event,
//! and the four-digit (or longer) suffix is a counter over the whole run, so keys stay
//! unique when several files of one type are flushed within the same second, or by
//! several encoding lanes at once.

use chrono::{DateTime, Datelike, NaiveDate, Timelike};

use super::events::EventType;

const MICROS_PER_DAY: i64 = 86_400_000_000;

/// The UTC day (days since 1970-01-01) an event time falls in.
pub fn day_of(time_us: i64) -> i64 {
    time_us.div_euclid(MICROS_PER_DAY)
}

fn date_of_day(day: i64) -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch") + chrono::Days::new(day as u64)
}

/// The partition directory of `kind` on `day`, with the trailing slash.
pub(crate) fn partition(kind: EventType, day: i64) -> String {
    let d = date_of_day(day);
    format!(
        "event_type={}/year={:04}/month={:02}/day={:02}/",
        kind.id(),
        d.year(),
        d.month(),
        d.day()
    )
}

/// The full key of a file of `kind` whose earliest event is at `first_us`.
pub(crate) fn file_key(prefix: &str, kind: EventType, first_us: i64, counter: u64) -> String {
    let t = DateTime::from_timestamp_micros(first_us).expect("event times are in range");
    format!(
        "{prefix}{}events_{}_{:04}{:02}{:02}_{:02}{:02}{:02}_{counter:04}.parquet",
        partition(kind, day_of(first_us)),
        kind.id(),
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Where a scenario's files go: under the configured prefix, one folder per run and
/// scenario. Kept short: the embedded S3 server limits keys to about 125 bytes.
pub(crate) fn scenario_prefix(base: &str, run_id: &str, scenario: &str) -> String {
    format!("{base}{run_id}/{scenario}/")
}

/// The longest key [`file_key`] makes under `prefix` in a run of fewer than 10,000 files
/// (the counter is four digits until then).
pub fn longest_key_len(prefix: &str) -> usize {
    EventType::ALL
        .iter()
        .map(|&kind| file_key(prefix, kind, 0, 9_999).len())
        .max()
        .unwrap_or(0)
}

/// What a key says about its file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyParts {
    pub event_type: u16,
    pub year: i32,
    pub month: u32,
    pub day: u32,
    /// The day the partition names, as days since the epoch.
    pub epoch_day: i64,
    pub counter: u64,
}

/// Parses a key written by [`file_key`] (after `prefix`); None for anything else.
pub fn parse_key(prefix: &str, key: &str) -> Option<KeyParts> {
    let rest = key.strip_prefix(prefix)?;
    let mut parts = rest.split('/');
    let event_type: u16 = parts.next()?.strip_prefix("event_type=")?.parse().ok()?;
    let year: i32 = field(parts.next()?, "year=", 4)?.parse().ok()?;
    let month: u32 = field(parts.next()?, "month=", 2)?.parse().ok()?;
    let day: u32 = field(parts.next()?, "day=", 2)?.parse().ok()?;
    let name = parts.next()?;
    if parts.next().is_some() {
        return None;
    }
    let stem = name.strip_suffix(".parquet")?;
    let mut f = stem.split('_');
    if f.next()? != "events" || f.next()?.parse::<u16>().ok()? != event_type {
        return None;
    }
    let (date, time, counter) = (f.next()?, f.next()?, f.next()?);
    if f.next().is_some() || time.len() != 6 || counter.len() < 4 {
        return None;
    }
    if date != format!("{year:04}{month:02}{day:02}") {
        return None;
    }
    let d = NaiveDate::from_ymd_opt(year, month, day)?;
    let epoch_day = (d - NaiveDate::from_ymd_opt(1970, 1, 1)?).num_days();
    Some(KeyParts {
        event_type,
        year,
        month,
        day,
        epoch_day,
        counter: counter.parse().ok()?,
    })
}

/// The value of `name=value` when it has exactly `width` digits (zero-padded).
fn field<'a>(s: &'a str, name: &str, width: usize) -> Option<&'a str> {
    s.strip_prefix(name)
        .filter(|v| v.len() == width && v.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn us(rfc3339: &str) -> i64 {
        DateTime::parse_from_rfc3339(rfc3339)
            .unwrap()
            .timestamp_micros()
    }

    #[test]
    fn keys_look_like_the_seeds_and_parse_back() {
        let t = us("2026-02-08T10:44:41.250Z");
        let key = file_key("", EventType::Logon, t, 1);
        assert_eq!(
            key,
            "event_type=4624/year=2026/month=02/day=08/events_4624_20260208_104441_0001.parquet"
        );
        let parts = parse_key("", &key).unwrap();
        assert_eq!(parts.event_type, 4624);
        assert_eq!(
            (parts.year, parts.month, parts.day, parts.counter),
            (2026, 2, 8, 1)
        );
        assert_eq!(parts.epoch_day, day_of(t));
        let long = file_key("runs/x/", EventType::Logoff, t, 123_456);
        assert!(long.ends_with("_123456.parquet"), "{long}");
        assert_eq!(parse_key("runs/x/", &long).unwrap().counter, 123_456);
    }

    #[test]
    fn foreign_and_malformed_keys_are_rejected() {
        for k in [
            "event_type=4624/year=2026/month=2/day=08/events_4624_20260208_104441_0001.parquet",
            "event_type=4624/year=2026/month=02/day=08/events_4625_20260208_104441_0001.parquet",
            "event_type=4624/year=2026/month=02/day=09/events_4624_20260208_104441_0001.parquet",
            "event_type=4624/year=2026/month=02/day=08/events_4624_20260208_104441.parquet",
            "event_type=4624/year=2026/month=02/day=08/x/events_4624_20260208_104441_0001.parquet",
            "README.txt",
        ] {
            assert_eq!(parse_key("", k), None, "{k}");
        }
    }

    #[test]
    fn every_profiles_keys_fit_the_embedded_s3_server() {
        use crate::suites::ingest_parquet_s3::scenarios::plan;
        use perfwarden::profile::Profile;
        let max = crate::services::embedded_s3::max_key_bytes(crate::services::s3::DEFAULT_BUCKET);
        // The longest run id: a process id at Linux's largest pid_max (2^22).
        let run_id = format!("20261204T221900Z-{}", 1 << 22);
        for profile in Profile::ALL {
            for s in plan(profile, 1).scenarios {
                let len = longest_key_len(&scenario_prefix("", &run_id, &s.name));
                assert!(len <= max, "{profile:?}/{}: {len} > {max}", s.name);
            }
        }
        // 0001 and 9999 as the counter make keys of one length.
        let t = us("2026-12-31T23:59:59Z");
        assert_eq!(
            file_key("p/", EventType::Logon, t, 1).len(),
            longest_key_len("p/")
        );
    }

    #[test]
    fn days_split_at_utc_midnight() {
        let before = us("2026-02-08T23:59:59.999999Z");
        let after = us("2026-02-09T00:00:00Z");
        assert_eq!(day_of(after), day_of(before) + 1);
        assert_eq!(day_of(-1), -1, "times before the epoch round down");
        assert!(partition(EventType::Logon, day_of(after)).ends_with("month=02/day=09/"));
    }
}
