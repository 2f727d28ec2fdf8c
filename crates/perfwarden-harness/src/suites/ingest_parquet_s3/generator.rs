//! The deterministic event generator: the same seed gives the same events, in order.
//!
//! Each event type is filled the way Windows fills it: a 4624 network logon names the
//! user, the workstation and address it came from and a new logon ID; a 4634 logs off a
//! session an earlier 4624 opened; a 4688 names the process, its parent and command line.
//! Times are left at zero: the sender stamps them when it sends (see `pacing`).

use std::sync::Arc;

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::events::{Event, EventMix, EventType, NONE};
use super::names::*;
use super::sampler::Sampler;
use super::world::World;

/// A logon the generator remembers so that later logoffs and privilege events refer to it.
#[derive(Clone, Copy, Debug)]
struct Session {
    user: u32,
    computer: u32,
    logon_id: u64,
    logon_type: u8,
}

const RECENT_SESSIONS: usize = 8_192;

pub struct Generator {
    world: Arc<World>,
    rng: ChaCha8Rng,
    next_seq: u64,
    mix: EventMix,
    types: Sampler,
    people: Sampler,
    servers: Sampler,
    workstations: Sampler,
    command_lines: Sampler,
    external: Sampler,
    sessions: Vec<Session>,
    session_pos: usize,
}

impl Generator {
    #[cfg(test)]
    /// How many events were generated so far (the next sequence number).
    pub(crate) fn generated(&self) -> u64 {
        self.next_seq
    }

    /// A generator of `mix` events over `world`, seeded with `seed`. Sequence numbers
    /// start at 0.
    pub fn new(world: Arc<World>, mix: EventMix, seed: u64) -> Generator {
        let weights: Vec<f64> = EventType::ALL
            .iter()
            .map(|t| t.mix_weight() as f64)
            .collect();
        Generator {
            people: Sampler::zipf(world.people.len as usize, 1.0),
            // Servers and domain controllers are contiguous in the host list.
            servers: Sampler::zipf((world.servers.len + world.controllers.len) as usize, 0.8),
            workstations: Sampler::zipf(world.workstations.len as usize, 0.3),
            command_lines: Sampler::zipf(world.command_lines.len(), 1.1),
            external: Sampler::zipf(world.external_ips.len(), 1.2),
            types: Sampler::weighted(&weights),
            world,
            rng: ChaCha8Rng::seed_from_u64(seed),
            next_seq: 0,
            mix,
            sessions: Vec::with_capacity(RECENT_SESSIONS),
            session_pos: 0,
        }
    }

    /// Appends `n` events to `out`.
    pub fn fill(&mut self, out: &mut Vec<Event>, n: usize) {
        out.reserve(n);
        for _ in 0..n {
            let e = self.next_event();
            out.push(e);
        }
    }

    pub(crate) fn next_event(&mut self) -> Event {
        let r = self.rng.next_u64();
        let kind = match self.mix {
            EventMix::Fixed(t) => t,
            EventMix::Realistic => EventType::ALL[self.types.pick(r as u16) as usize],
        };
        let seq = self.next_seq;
        self.next_seq += 1;
        let r = r >> 16;
        match kind {
            EventType::Logon => self.logon(seq, r),
            EventType::LogonFailed => self.logon_failed(seq, r),
            EventType::Logoff => self.logoff(seq, r),
            EventType::SpecialPrivileges => self.special_privileges(seq, r),
            EventType::ProcessCreated => self.process_created(seq, r),
            EventType::KerberosTgt => self.kerberos_tgt(seq, r),
            EventType::CredentialValidation => self.credential_validation(seq, r),
        }
    }

    fn person(&self, r: u64) -> u32 {
        self.world.people.at(self.people.pick(r as u16))
    }

    fn server(&self, r: u64) -> u32 {
        self.world.servers.start + self.servers.pick(r as u16)
    }

    fn controller(&self, r: u64) -> u32 {
        self.world
            .controllers
            .at((r % self.world.controllers.len as u64) as u32)
    }

    /// The workstation a person usually works at: a fixed function of the person, so a
    /// user's logons come from one address.
    fn home(&self, person: u32) -> u32 {
        let h = (person as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
        self.world
            .workstations
            .at((h % self.world.workstations.len as u64) as u32)
    }

    fn machine_account(&self, host: u32) -> u32 {
        self.world.machines.at(host)
    }

    fn remember(&mut self, s: Session) {
        if self.sessions.len() < RECENT_SESSIONS {
            self.sessions.push(s);
        } else {
            self.sessions[self.session_pos] = s;
            self.session_pos = (self.session_pos + 1) % RECENT_SESSIONS;
        }
    }

    fn logon(&mut self, seq: u64, r: u64) -> Event {
        let w = &*self.world;
        let category = r & 0xff;
        let r = r >> 8;
        let mut e = Event::blank(seq, EventType::Logon, NONE);
        if category < 170 {
            // A user's network logon to a file, SQL or application server.
            let user = self.person(r);
            let home = self.home(user);
            e.computer = self.server(r >> 16);
            e.target_user = user;
            e.logon_type = 3;
            e.auth = if (r >> 32) & 3 == 0 {
                AUTH_NTLM
            } else {
                AUTH_KERBEROS
            };
            e.source = home;
            e.workstation = home;
            e.source_port = port(&mut self.rng);
        } else if category < 195 {
            // Interactive (2), unlock (7), cached (11) at the desk, or RDP (10) to a server.
            let user = self.person(r);
            let home = self.home(user);
            e.target_user = user;
            e.logon_type = [2, 7, 7, 11, 10][(r >> 16) as usize % 5];
            e.computer = if e.logon_type == 10 {
                self.server(r >> 24)
            } else {
                home
            };
            e.subject_user = self.machine_account(e.computer);
            e.subject_logon_id = Some(0x3e7);
            e.auth = AUTH_INTERACTIVE;
            e.workstation = home;
            e.process = PROC_WINLOGON;
            e.process_id = pid(&mut self.rng);
            if e.logon_type == 10 {
                e.source = home;
                e.source_port = port(&mut self.rng);
            }
        } else if category < 225 {
            // A computer authenticating to a domain controller.
            let ws = w.workstations.at(self.workstations.pick(r as u16));
            e.computer = self.controller(r >> 16);
            e.target_user = self.machine_account(ws);
            e.logon_type = 3;
            e.auth = AUTH_KERBEROS;
            e.source = ws;
            e.source_port = port(&mut self.rng);
        } else {
            // A service (5) or scheduled task (4) starting on a server.
            e.computer = self.server(r);
            e.subject_user = self.machine_account(e.computer);
            e.subject_logon_id = Some(0x3e7);
            e.auth = AUTH_SERVICE;
            e.process_id = pid(&mut self.rng);
            if category < 245 {
                e.logon_type = 5;
                e.target_user = w.well_known.at(((r >> 16) % 3) as u32);
                e.process = PROC_SERVICES;
            } else {
                e.logon_type = 4;
                e.target_user = w.services.at(((r >> 16) % w.services.len as u64) as u32);
                e.process = PROC_SVCHOST;
            }
        }
        let id = match e.target_user.checked_sub(w.well_known.start) {
            Some(0) => 0x3e7,
            Some(1) => 0x3e5,
            Some(2) => 0x3e4,
            _ => logon_id(&mut self.rng),
        };
        e.target_logon_id = Some(id);
        self.remember(Session {
            user: e.target_user,
            computer: e.computer,
            logon_id: id,
            logon_type: e.logon_type,
        });
        e
    }

    fn logon_failed(&mut self, seq: u64, r: u64) -> Event {
        let w = &*self.world;
        let mut e = Event::blank(seq, EventType::LogonFailed, NONE);
        e.status = STATUS_LOGON_FAILURE;
        e.source_port = port(&mut self.rng);
        if r % 10 < 4 {
            // Password guessing from outside against exposed servers.
            e.computer = self.server(r >> 8);
            e.target_user = w.bogus.at(((r >> 24) % w.bogus.len as u64) as u32);
            e.sub_status = STATUS_NO_SUCH_USER;
            e.logon_type = if (r >> 32) & 1 == 0 { 3 } else { 10 };
            e.auth = AUTH_NTLM;
            e.source = w.hosts.len() as u32 + self.external.pick((r >> 40) as u16);
        } else {
            // A mistyped password at the desk or against a server.
            let user = self.person(r >> 8);
            let home = self.home(user);
            e.target_user = user;
            e.sub_status = if (r >> 24) % 100 < 85 {
                STATUS_BAD_PASSWORD
            } else {
                STATUS_RARE_FAILURES[((r >> 32) % STATUS_RARE_FAILURES.len() as u64) as usize]
            };
            e.workstation = home;
            e.source = home;
            if (r >> 40) & 1 == 0 {
                e.computer = home;
                e.logon_type = 2;
                e.auth = AUTH_INTERACTIVE;
                e.subject_user = self.machine_account(home);
                e.subject_logon_id = Some(0x3e7);
                e.process = PROC_WINLOGON;
                e.process_id = pid(&mut self.rng);
            } else {
                e.computer = self.server(r >> 44);
                e.logon_type = 3;
                e.auth = AUTH_NTLM;
            }
        }
        e
    }

    fn logoff(&mut self, seq: u64, r: u64) -> Event {
        let mut e = Event::blank(seq, EventType::Logoff, NONE);
        let session = if self.sessions.is_empty() {
            let user = self.person(r);
            Session {
                user,
                computer: self.server(r >> 16),
                logon_id: logon_id(&mut self.rng),
                logon_type: 3,
            }
        } else {
            self.sessions[(r >> 8) as usize % self.sessions.len()]
        };
        e.computer = session.computer;
        e.target_user = session.user;
        e.target_logon_id = Some(session.logon_id);
        e.logon_type = session.logon_type;
        e
    }

    fn special_privileges(&mut self, seq: u64, r: u64) -> Event {
        let w = &*self.world;
        let mut e = Event::blank(seq, EventType::SpecialPrivileges, NONE);
        let pick = r % 100;
        if pick < 60 {
            e.computer = (r >> 8) as u32 % w.hosts.len() as u32;
            e.subject_user = w.well_known.at(SYSTEM);
            e.subject_logon_id = Some(0x3e7);
            e.privileges = 0;
        } else if pick < 85 {
            e.computer = self.server(r >> 8);
            e.subject_user = w.admins.at(((r >> 24) % w.admins.len as u64) as u32);
            e.subject_logon_id = Some(logon_id(&mut self.rng));
            e.privileges = 1;
        } else {
            e.computer = self.server(r >> 8);
            e.subject_user = w.services.at(((r >> 24) % w.services.len as u64) as u32);
            e.subject_logon_id = Some(logon_id(&mut self.rng));
            e.privileges = 2 + ((r >> 40) & 1) as u32;
        }
        e
    }

    fn process_created(&mut self, seq: u64, r: u64) -> Event {
        let w = &*self.world;
        let mut e = Event::blank(seq, EventType::ProcessCreated, NONE);
        let line = self.command_lines.pick(r as u16);
        let process = w.command_process[line as usize];
        let on_desk = (r >> 16) % 10 < 7;
        if on_desk {
            let user = self.person(r >> 20);
            e.computer = self.home(user);
            e.subject_user = user;
            e.subject_logon_id = Some(logon_id(&mut self.rng));
        } else {
            e.computer = self.server(r >> 20);
            e.subject_user = if (r >> 36) & 1 == 0 {
                w.well_known.at(SYSTEM)
            } else {
                w.services.at(((r >> 37) % w.services.len as u64) as u32)
            };
            e.subject_logon_id = Some(0x3e7);
        }
        e.command_line = line;
        e.process = process;
        e.parent_process = match process {
            PROC_SVCHOST | PROC_LSASS => PROC_SERVICES,
            PROC_SERVICES => PROC_WINLOGON,
            PROC_CMD | PROC_POWERSHELL if !on_desk => PROC_SVCHOST,
            PROC_EXPLORER => PROC_WINLOGON,
            _ if on_desk => PROC_EXPLORER,
            _ => PROC_SVCHOST,
        };
        e.process_id = pid(&mut self.rng);
        e
    }

    fn kerberos_tgt(&mut self, seq: u64, r: u64) -> Event {
        let mut e = Event::blank(seq, EventType::KerberosTgt, NONE);
        e.computer = self.controller(r);
        let (user, from) = if (r >> 8) % 100 < 85 {
            let user = self.person(r >> 16);
            (user, self.home(user))
        } else {
            let ws = self
                .world
                .workstations
                .at(self.workstations.pick((r >> 16) as u16));
            (self.machine_account(ws), ws)
        };
        e.target_user = user;
        e.service = u32::from((r >> 32).is_multiple_of(100));
        e.ticket_encryption = match (r >> 40) % 100 {
            0..80 => 0,
            80..95 => 1,
            95..99 => 2,
            _ => 3,
        };
        e.status = if (r >> 48) % 100 < 95 {
            STATUS_OK
        } else {
            KERBEROS_FAILURES[((r >> 56) % KERBEROS_FAILURES.len() as u64) as usize]
        };
        e.source = from;
        e.source_port = port(&mut self.rng);
        e
    }

    fn credential_validation(&mut self, seq: u64, r: u64) -> Event {
        let w = &*self.world;
        let mut e = Event::blank(seq, EventType::CredentialValidation, NONE);
        e.computer = self.controller(r);
        e.auth = AUTH_MSV1_0;
        let pick = (r >> 8) % 100;
        if pick < 92 {
            let user = self.person(r >> 16);
            e.target_user = user;
            e.workstation = self.home(user);
            e.status = if pick < 88 {
                STATUS_OK
            } else {
                STATUS_BAD_PASSWORD
            };
        } else {
            e.target_user = w.bogus.at(((r >> 16) % w.bogus.len as u64) as u32);
            e.workstation = w.workstations.at(self.workstations.pick((r >> 32) as u16));
            e.status = STATUS_NO_SUCH_USER;
        }
        e
    }
}

/// An ephemeral client port.
fn port(rng: &mut ChaCha8Rng) -> u16 {
    49_152 + (rng.next_u32() % 16_384) as u16
}

/// A logon ID (LUID) as Windows hands them out: above the well-known ones.
fn logon_id(rng: &mut ChaCha8Rng) -> u64 {
    0x1_0000 + (rng.next_u32() as u64 % 0xFFFF_0000)
}

/// Process IDs are multiples of 4.
fn pid(rng: &mut ChaCha8Rng) -> u32 {
    4 + (rng.next_u32() % 16_384) * 4
}

#[cfg(test)]
#[path = "generator_tests.rs"]
mod tests;
