//! HTTP/2 flow-control profiles, applied identically to the client `Endpoint` and the
//! `Server`.
//!
//! A window is a promise made by the receiver: the peer may have that many unacknowledged
//! bytes in flight. So Write (client to server) is limited by the server's windows and
//! Read/Stream by the client's; applying a profile to both sides makes both directions
//! follow it. Under a round-trip time `rtt`, one stream cannot exceed `window / rtt`.
//!
//! `SETTINGS_MAX_CONCURRENT_STREAMS` limits the streams the *peer* may open; only the
//! server accepts streams here, so the stream limit is applied to the server (tonic's
//! `Endpoint` has no such setting, and the client obeys the server's value).

use tonic::transport::{Endpoint, Server};

const KIB: u32 = 1024;
const MIB: u32 = 1024 * 1024;

/// One flow-control configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WindowProfile {
    /// Short lowercase name, used in benchmark ids (`default/write/64MB`).
    pub name: &'static str,
    /// Initial stream window (bytes); `None` keeps the library's default.
    pub stream_window: Option<u32>,
    /// Initial connection window (bytes); `None` keeps the library's default.
    pub connection_window: Option<u32>,
    /// Server's `SETTINGS_MAX_CONCURRENT_STREAMS`; `None` keeps the default (unlimited).
    pub max_streams: Option<u32>,
    /// BDP-probing windows (hyper's adaptive window), which override the fixed sizes.
    pub adaptive: bool,
    /// `SETTINGS_MAX_FRAME_SIZE` each side accepts; `None` keeps HTTP/2's 16 KiB. Only
    /// [`WindowProfile::BULK`] changes it: the seeds' profiles are about windows.
    pub max_frame_size: Option<u32>,
}

impl WindowProfile {
    #[cfg(test)]
    /// The window that bounds one stream in the direction the client receives
    /// (Read/Stream), if the profile fixes it: the smaller of stream and connection window.
    pub(crate) fn client_receive_window(&self) -> Option<u32> {
        self.effective_window(2 * MIB, 5 * MIB)
    }

    /// The control: whatever tonic 0.14 / hyper 1 use when nothing is set. Client 2 MiB
    /// stream and 5 MiB connection window, server 1 MiB and 1 MiB, streams unlimited.
    pub(crate) const LIBRARY: WindowProfile = WindowProfile {
        name: "library",
        stream_window: None,
        connection_window: None,
        max_streams: None,
        adaptive: false,
        max_frame_size: None,
    };

    /// The users' recommended settings (seed 004): 4 MB stream window, 32 MB connection
    /// window, 1024 concurrent streams.
    pub const DEFAULT: WindowProfile = WindowProfile {
        name: "default",
        stream_window: Some(4 * MIB),
        connection_window: Some(32 * MIB),
        max_streams: Some(1024),
        adaptive: false,
        max_frame_size: None,
    };

    /// 64 KiB windows (the HTTP/2 protocol default), 100 streams.
    pub const CONSERVATIVE: WindowProfile = WindowProfile {
        name: "conservative",
        stream_window: Some(64 * KIB),
        connection_window: Some(64 * KIB),
        max_streams: Some(100),
        adaptive: false,
        max_frame_size: None,
    };

    /// 16 MiB stream window, 64 MiB connection window (room for four streams at full
    /// window), 2048 streams.
    pub const AGGRESSIVE: WindowProfile = WindowProfile {
        name: "aggressive",
        stream_window: Some(16 * MIB),
        connection_window: Some(64 * MIB),
        max_streams: Some(2048),
        adaptive: false,
        max_frame_size: None,
    };

    /// hyper's adaptive window: it pings to estimate the bandwidth-delay product and grows
    /// both windows to match (up to 16 MiB per stream in hyper 1).
    pub(crate) const ADAPTIVE: WindowProfile = WindowProfile {
        name: "adaptive",
        stream_window: None,
        connection_window: None,
        max_streams: None,
        adaptive: true,
        max_frame_size: None,
    };

    /// For moving large payloads: Aggressive's windows with 1 MiB frames. At 16 KiB a
    /// frame, h2 parses, accounts and hands over 16,384 frames per 256 MB, each a wake-up of
    /// the task reading the body; at 1 MiB, 256. Not one of the seeds' profiles.
    pub const BULK: WindowProfile = WindowProfile {
        name: "bulk",
        max_frame_size: Some(MIB),
        ..WindowProfile::AGGRESSIVE
    };

    /// Every profile, control first.
    pub const ALL: [WindowProfile; 6] = [
        WindowProfile::LIBRARY,
        WindowProfile::DEFAULT,
        WindowProfile::CONSERVATIVE,
        WindowProfile::AGGRESSIVE,
        WindowProfile::ADAPTIVE,
        WindowProfile::BULK,
    ];

    /// The profile called `name`, if any.
    pub(crate) fn by_name(name: &str) -> Option<WindowProfile> {
        WindowProfile::ALL.into_iter().find(|p| p.name == name)
    }

    /// The same for the direction the server receives (Write).
    pub fn server_receive_window(&self) -> Option<u32> {
        self.effective_window(MIB, MIB)
    }

    fn effective_window(&self, lib_stream: u32, lib_conn: u32) -> Option<u32> {
        if self.adaptive {
            return None;
        }
        let s = self.stream_window.unwrap_or(lib_stream);
        let c = self.connection_window.unwrap_or(lib_conn);
        Some(s.min(c))
    }

    /// Applies the profile to a client endpoint.
    pub(crate) fn apply_to_endpoint(&self, endpoint: Endpoint) -> Endpoint {
        let mut e = endpoint;
        if let Some(w) = self.stream_window {
            e = e.initial_stream_window_size(w);
        }
        if let Some(w) = self.connection_window {
            e = e.initial_connection_window_size(w);
        }
        if self.adaptive {
            e = e.http2_adaptive_window(true);
        }
        if let Some(n) = self.max_frame_size {
            e = e.max_frame_size(n);
        }
        e
    }

    /// Applies the profile to a server builder.
    pub(crate) fn apply_to_server(&self, server: Server) -> Server {
        let mut s = server;
        if let Some(w) = self.stream_window {
            s = s.initial_stream_window_size(w);
        }
        if let Some(w) = self.connection_window {
            s = s.initial_connection_window_size(w);
        }
        if let Some(n) = self.max_streams {
            s = s.max_concurrent_streams(n);
        }
        if self.adaptive {
            s = s.http2_adaptive_window(Some(true));
        }
        if let Some(n) = self.max_frame_size {
            s = s.max_frame_size(n);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_found() {
        for p in WindowProfile::ALL {
            assert_eq!(WindowProfile::by_name(p.name), Some(p));
        }
        assert_eq!(WindowProfile::by_name("huge"), None);
    }

    #[test]
    fn effective_windows_follow_the_smaller_of_stream_and_connection() {
        assert_eq!(
            WindowProfile::CONSERVATIVE.server_receive_window(),
            Some(64 * KIB)
        );
        assert_eq!(
            WindowProfile::DEFAULT.client_receive_window(),
            Some(4 * MIB)
        );
        assert_eq!(WindowProfile::LIBRARY.server_receive_window(), Some(MIB));
        assert_eq!(
            WindowProfile::LIBRARY.client_receive_window(),
            Some(2 * MIB)
        );
        assert_eq!(WindowProfile::ADAPTIVE.client_receive_window(), None);
    }
}
