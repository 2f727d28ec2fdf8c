//! The simulated Windows domain that events are drawn from: accounts, hosts, processes,
//! command lines and the small code tables, all derived from one seed.
//!
//! Cardinalities follow a mid-sized company: about 3,000 people, a few hundred admin,
//! service and unknown (brute-force) account names, about 400 hosts (workstations,
//! servers, domain controllers) with one machine account each, a couple of hundred outside
//! addresses and about 1,500 distinct command lines. Activity is skewed (Zipf): a few
//! people and servers produce most events, as in real logs.

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::names::{
    ADMIN_PREFIX, BOGUS_USERS, ENCRYPTION_TYPES, FIRST_NAMES, LAST_NAMES, PRIVILEGE_LISTS,
    PROCESSES, SERVER_ROLES, SERVICE_ACCOUNTS, STATUS_CODES, WELL_KNOWN,
};

/// Counts of each kind of entity.
pub(crate) const PEOPLE: usize = 3_000;
pub(crate) const ADMINS: usize = 60;
pub(crate) const WORKSTATIONS: usize = 300;
pub(crate) const SERVERS: usize = 90;
pub(crate) const DOMAIN_CONTROLLERS: usize = 6;
pub(crate) const EXTERNAL_ADDRESSES: usize = 200;
pub(crate) const COMMAND_LINES: usize = 1_500;

const DOMAINS: [&str; 3] = ["CORP", "EMEA", "APAC"];
const DNS_SUFFIX: &str = "corp.example.com";

/// An account as the Security log names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Account {
    pub name: String,
    pub domain: String,
    pub sid: String,
}

/// A host: its NetBIOS name (WorkstationName), its FQDN (Computer) and its IPv4 address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Host {
    pub name: String,
    pub fqdn: String,
    pub ip: String,
}

/// Ranges of account indices by kind; each range is `start..start + len`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Span {
    pub start: u32,
    pub len: u32,
}

impl Span {
    pub(crate) fn at(self, i: u32) -> u32 {
        debug_assert!(i < self.len);
        self.start + i
    }
}

/// Everything events refer to. Built once per seed and shared read-only.
#[derive(Debug)]
pub struct World {
    pub(crate) accounts: Vec<Account>,
    pub(crate) people: Span,
    pub(crate) admins: Span,
    pub(crate) services: Span,
    pub(crate) well_known: Span,
    pub(crate) bogus: Span,
    /// One machine account (`NAME$`) per host, in host order.
    pub(crate) machines: Span,
    /// Workstations, then servers, then domain controllers.
    pub(crate) hosts: Vec<Host>,
    pub(crate) workstations: Span,
    pub(crate) servers: Span,
    pub(crate) controllers: Span,
    /// Source addresses: `0..hosts.len()` are the hosts' own, the rest external.
    pub external_ips: Vec<String>,
    pub processes: Vec<&'static str>,
    pub command_lines: Vec<String>,
    /// The process (index into `processes`) each command line runs.
    pub command_process: Vec<u32>,
}

impl World {
    #[cfg(test)]
    /// The accounts' total count: a few thousand.
    pub(crate) fn account_count(&self) -> usize {
        self.accounts.len()
    }

    /// The world for `seed`: the same seed always gives the same world.
    pub fn new(seed: u64) -> World {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5749_4e44_4f57_5321);
        let domain_sids: Vec<String> = DOMAINS
            .iter()
            .map(|_| {
                format!(
                    "S-1-5-21-{}-{}-{}",
                    rng.random_range(1_000_000_000u32..4_000_000_000),
                    rng.random_range(1_000_000_000u32..4_000_000_000),
                    rng.random_range(100_000_000u32..4_000_000_000)
                )
            })
            .collect();
        let mut accounts = Vec::new();
        let mut rid = 1_100u32;
        let mut push = |accounts: &mut Vec<Account>, name: String, domain: usize| {
            rid += 1;
            accounts.push(Account {
                name,
                domain: DOMAINS[domain].to_string(),
                sid: format!("{}-{rid}", domain_sids[domain]),
            });
        };

        // People: distinct first.last combinations, mostly in the main domain.
        let mut combos: Vec<(usize, usize)> = (0..FIRST_NAMES.len())
            .flat_map(|f| (0..LAST_NAMES.len()).map(move |l| (f, l)))
            .collect();
        combos.shuffle(&mut rng);
        assert!(
            combos.len() >= PEOPLE,
            "name lists too short for {PEOPLE} people"
        );
        let people = span(&accounts, PEOPLE);
        for &(f, l) in &combos[..PEOPLE] {
            let domain = weighted_domain(rng.random_range(0..100));
            push(
                &mut accounts,
                format!("{}.{}", FIRST_NAMES[f], LAST_NAMES[l]),
                domain,
            );
        }
        let admins = span(&accounts, ADMINS);
        for i in 0..ADMINS {
            let (f, l) = combos[i * 7 % PEOPLE];
            push(
                &mut accounts,
                format!("{ADMIN_PREFIX}{}.{}", FIRST_NAMES[f], LAST_NAMES[l]),
                0,
            );
        }
        let services = span(&accounts, SERVICE_ACCOUNTS.len());
        for name in SERVICE_ACCOUNTS {
            push(&mut accounts, name.to_string(), 0);
        }
        let well_known = span(&accounts, WELL_KNOWN.len());
        for (name, domain, sid) in WELL_KNOWN {
            accounts.push(Account {
                name: name.to_string(),
                domain: domain.to_string(),
                sid: sid.to_string(),
            });
        }
        let bogus = span(&accounts, BOGUS_USERS.len());
        for name in BOGUS_USERS {
            // Failed logons for names that do not exist carry the NULL SID.
            accounts.push(Account {
                name: name.to_string(),
                domain: String::new(),
                sid: "S-1-0-0".to_string(),
            });
        }

        let hosts = make_hosts(&mut rng);
        let machines = span(&accounts, hosts.len());
        for h in &hosts {
            push(&mut accounts, format!("{}$", h.name), 0);
        }
        let external_ips = (0..EXTERNAL_ADDRESSES)
            .map(|_| {
                let a = [45u8, 79, 91, 103, 141, 185, 193, 212][rng.random_range(0..8)];
                format!(
                    "{a}.{}.{}.{}",
                    rng.random_range(0..=255u8),
                    rng.random_range(0..=255u8),
                    rng.random_range(1..=254u8)
                )
            })
            .collect();
        let processes: Vec<&'static str> = PROCESSES.iter().map(|(p, _)| *p).collect();
        let (command_lines, command_process) = make_command_lines(&mut rng, &accounts, people);
        World {
            accounts,
            people,
            admins,
            services,
            well_known,
            bogus,
            machines,
            hosts,
            workstations: Span {
                start: 0,
                len: WORKSTATIONS as u32,
            },
            servers: Span {
                start: WORKSTATIONS as u32,
                len: SERVERS as u32,
            },
            controllers: Span {
                start: (WORKSTATIONS + SERVERS) as u32,
                len: DOMAIN_CONTROLLERS as u32,
            },
            external_ips,
            processes,
            command_lines,
            command_process,
        }
    }

    /// The source address text for a source index (a host's IP or an external one).
    pub(crate) fn source_ip(&self, source: u32) -> &str {
        let s = source as usize;
        match self.hosts.get(s) {
            Some(h) => &h.ip,
            None => &self.external_ips[s - self.hosts.len()],
        }
    }

    /// The workstation name for a source index; external sources have none.
    pub(crate) fn source_name(&self, source: u32) -> Option<&str> {
        self.hosts.get(source as usize).map(|h| h.name.as_str())
    }

    pub(crate) fn status(&self, i: u32) -> &'static str {
        STATUS_CODES[i as usize]
    }

    pub(crate) fn privileges(&self, i: u32) -> &'static str {
        PRIVILEGE_LISTS[i as usize]
    }

    pub(crate) fn encryption(&self, i: u32) -> &'static str {
        ENCRYPTION_TYPES[i as usize]
    }
}

fn span(accounts: &[Account], len: usize) -> Span {
    Span {
        start: accounts.len() as u32,
        len: len as u32,
    }
}

/// 80% of people in CORP, 12% in EMEA, 8% in APAC.
fn weighted_domain(percent: u32) -> usize {
    match percent {
        0..80 => 0,
        80..92 => 1,
        _ => 2,
    }
}

fn make_hosts(rng: &mut ChaCha8Rng) -> Vec<Host> {
    let mut hosts = Vec::with_capacity(WORKSTATIONS + SERVERS + DOMAIN_CONTROLLERS);
    let mut numbers: Vec<u32> = (1..10_000).collect();
    numbers.shuffle(rng);
    for (i, n) in numbers[..WORKSTATIONS].iter().enumerate() {
        let name = format!("WS-{n:04}");
        let ip = format!("10.20.{}.{}", i / 200, 10 + i % 200);
        hosts.push(host(name, ip));
    }
    for i in 0..SERVERS {
        let role = SERVER_ROLES[i % SERVER_ROLES.len()];
        let name = format!("SRV-{role}{:02}", i / SERVER_ROLES.len() + 1);
        hosts.push(host(name, format!("10.1.{}.{}", i / 200, 10 + i % 200)));
    }
    for i in 0..DOMAIN_CONTROLLERS {
        hosts.push(host(
            format!("DC{:02}", i + 1),
            format!("10.0.0.{}", 11 + i),
        ));
    }
    hosts
}

fn host(name: String, ip: String) -> Host {
    Host {
        fqdn: format!("{}.{DNS_SUFFIX}", name.to_lowercase()),
        name,
        ip,
    }
}

/// Command lines: each process with arguments from its own templates, filled with user
/// names and numbers so that the column has the high cardinality real ones have.
fn make_command_lines(
    rng: &mut ChaCha8Rng,
    accounts: &[Account],
    people: Span,
) -> (Vec<String>, Vec<u32>) {
    let mut lines = Vec::with_capacity(COMMAND_LINES);
    let mut owners = Vec::with_capacity(COMMAND_LINES);
    let mut seen = std::collections::HashSet::new();
    while lines.len() < COMMAND_LINES {
        let p = rng.random_range(0..PROCESSES.len());
        let (path, templates) = PROCESSES[p];
        let template = templates[rng.random_range(0..templates.len())];
        let user = &accounts[people.at(rng.random_range(0..people.len)) as usize].name;
        let args = template
            .replace("{user}", user)
            .replace("{n}", &rng.random_range(1..5_000u32).to_string())
            .replace("{hex}", &format!("{:08x}", rng.random::<u32>()));
        let line = if args.is_empty() {
            format!("\"{path}\"")
        } else {
            format!("\"{path}\" {args}")
        };
        // Lines without a random part come out the same every time; keep one of each.
        if seen.insert(line.clone()) {
            lines.push(line);
            owners.push(p as u32);
        }
    }
    (lines, owners)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn worlds_are_deterministic_with_realistic_cardinalities() {
        let a = World::new(7);
        let b = World::new(7);
        assert_eq!(a.accounts, b.accounts);
        assert_eq!(a.hosts, b.hosts);
        assert_eq!(a.command_lines, b.command_lines);
        assert_ne!(World::new(8).accounts, a.accounts);

        let names: HashSet<_> = a.accounts.iter().map(|x| (&x.domain, &x.name)).collect();
        assert_eq!(
            names.len(),
            a.accounts.len(),
            "account names are unique per domain"
        );
        assert!((3_000..6_000).contains(&a.account_count()));
        let hosts: HashSet<_> = a.hosts.iter().map(|h| &h.name).collect();
        assert_eq!(hosts.len(), 396);
        let ips: HashSet<_> = a.hosts.iter().map(|h| &h.ip).collect();
        assert_eq!(ips.len(), 396, "every host has its own address");
        let lines: HashSet<_> = a.command_lines.iter().collect();
        assert_eq!(lines.len(), COMMAND_LINES, "command lines are distinct");
        assert_eq!(a.source_ip(a.hosts.len() as u32), a.external_ips[0]);
    }
}
