//! The process behind a named endpoint on this host: perfwarden did not start it and has no
//! pid for it, but where the endpoint's address is loopback, the process listening on its
//! port is in this host's `/proc` and can be sampled like one perfwarden started. Qdrant's
//! own `/metrics` has its memory but no CPU counter (1.18.3), so without this a local
//! server's CPU went unmeasured. Anything else (another host, another network namespace, a
//! process this user may not read) stays an endpoint perfwarden does not sample.

use std::net::IpAddr;

use super::resources::ResourceTarget;
use super::{ProviderKind, Service};

/// TCP state `0A` in `/proc/net/tcp`: listening.
const LISTEN: &str = "0A";

/// What to sample for `service` at endpoint `url`: the process listening on the URL's port
/// when the host is loopback and that process can be found, else nothing.
pub(crate) fn endpoint_target(service: Service, url: &str, default_port: u16) -> ResourceTarget {
    match loopback_port(url, default_port).and_then(listening_pid) {
        Some(pid) => ResourceTarget::Process {
            service,
            provider: ProviderKind::Endpoint,
            pid,
        },
        None => ResourceTarget::Unowned { service },
    }
}

/// The port of `url` when its host is a loopback address or `localhost`.
fn loopback_port(url: &str, default_port: u16) -> Option<u16> {
    let url = reqwest::Url::parse(url).ok()?;
    let host = url.host_str()?;
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = host.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    loopback.then(|| url.port().unwrap_or(default_port))
}

/// The socket inodes listening on `port` in a `/proc/net/tcp` or `tcp6` text.
fn listening_inodes(table: &str, port: u16) -> Vec<u64> {
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let local_port = f.get(1)?.rsplit(':').next()?;
            let listening = *f.get(3)? == LISTEN;
            (listening && u16::from_str_radix(local_port, 16).ok()? == port)
                .then(|| f.get(9)?.parse().ok())?
        })
        .collect()
}

/// The lowest pid other than this process's holding a socket that listens on `port` (the
/// parent, where a server forks workers that share it).
fn listening_pid(port: u16) -> Option<u32> {
    let mut inodes = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        if let Ok(text) = std::fs::read_to_string(table) {
            inodes.extend(listening_inodes(&text, port));
        }
    }
    if inodes.is_empty() {
        return None;
    }
    let wanted: Vec<String> = inodes.iter().map(|i| format!("socket:[{i}]")).collect();
    let me = std::process::id();
    let mut pids: Vec<u32> = std::fs::read_dir("/proc")
        .ok()?
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| pid != me)
        .collect();
    pids.sort_unstable();
    pids.into_iter().find(|pid| holds_any(*pid, &wanted))
}

/// Whether process `pid` has an open file descriptor on one of `sockets`; false where its
/// descriptors cannot be read (another user's process).
fn holds_any(pid: u32, sockets: &[String]) -> bool {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return false;
    };
    fds.filter_map(Result::ok).any(|fd| {
        std::fs::read_link(fd.path())
            .is_ok_and(|target| sockets.iter().any(|s| target.as_os_str() == s.as_str()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n\
   0: 0100007F:18BD 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000 100 0 0 10 0\n\
   1: 0100007F:18BE 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 4343 1 0000 20 4 30 10 -1\n\
   2: 00000000:18BE 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4444 1 0000 100 0 0 10 0\n";

    #[test]
    fn only_listening_sockets_on_the_port_count() {
        assert_eq!(listening_inodes(TABLE, 6333), vec![4242]);
        // 6334: one established connection (not listening) and one listener on any address.
        assert_eq!(listening_inodes(TABLE, 6334), vec![4444]);
        assert!(listening_inodes(TABLE, 80).is_empty());
        assert!(listening_inodes("header only\n", 6333).is_empty());
    }

    #[test]
    fn only_loopback_endpoints_are_looked_up() {
        assert_eq!(loopback_port("http://127.0.0.1:6333", 1), Some(6333));
        assert_eq!(loopback_port("http://localhost", 6333), Some(6333));
        assert_eq!(
            loopback_port("redis://:secret@[::1]:6380/0", 6379),
            Some(6380)
        );
        assert_eq!(loopback_port("redis://127.0.0.1/0", 6379), Some(6379));
        assert_eq!(loopback_port("http://10.0.0.5:6333", 1), None);
        assert_eq!(loopback_port("https://qdrant.example.com", 1), None);
        assert_eq!(loopback_port("not a url", 1), None);
    }

    #[test]
    fn the_process_listening_on_a_loopback_port_is_found_and_this_one_never_is() {
        use std::os::fd::AsRawFd;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let url = format!("http://127.0.0.1:{port}");
        // Held by this process only: never sampled as a server.
        assert_eq!(listening_pid(port), None);
        // A child that inherits the socket is a server of this host perfwarden did not start.
        // std opens it close-on-exec; the flag is cleared in the child only (after fork), so
        // no process another test spawns meanwhile inherits it.
        let fd = listener.as_raw_fd();
        let mut command = std::process::Command::new("sleep");
        command.arg("30");
        // SAFETY: fcntl is async-signal-safe and touches only the child's copy of `fd`.
        unsafe {
            std::os::unix::process::CommandExt::pre_exec(&mut command, move || {
                match libc::fcntl(fd, libc::F_SETFD, 0) {
                    -1 => Err(std::io::Error::last_os_error()),
                    _ => Ok(()),
                }
            });
        }
        let mut child = command.spawn().unwrap();
        drop(listener);
        let target = endpoint_target(Service::Qdrant, &url, 1);
        child.kill().unwrap();
        child.wait().unwrap();
        assert_eq!(
            target,
            ResourceTarget::Process {
                service: Service::Qdrant,
                provider: ProviderKind::Endpoint,
                pid: child.id(),
            }
        );
        assert_eq!(
            endpoint_target(Service::Qdrant, &url, 1),
            ResourceTarget::Unowned {
                service: Service::Qdrant
            }
        );
    }
}
