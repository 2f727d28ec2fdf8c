//! Emulated round-trip time: an in-process TCP proxy that delays each direction by RTT/2.
//!
//! On loopback a round trip takes tens of microseconds, so no window ever limits anything.
//! A window only costs throughput when it is smaller than bandwidth × delay, which is what
//! this proxy creates. It must not serialize: a proxy that read, slept, then wrote would
//! carry one buffer per delay and measure itself. Instead each direction runs a pipeline:
//!
//! - a reader takes bytes as they arrive and queues them stamped with `now + RTT/2`;
//! - a writer delivers each piece when its time comes, so any amount can be in flight;
//! - an emulated TCP receive window (default 6 MiB, Linux's default `tcp_rmem` maximum)
//!   bounds the bytes in flight, and credit for delivered bytes returns another RTT/2 later,
//!   like an ACK. Raw TCP through the proxy is thus capped at `window / RTT`, as a real
//!   kernel with those buffers would be, instead of at loopback speed.
//!
//! tokio's timers tick in milliseconds, so each direction adds up to about 1 ms more than
//! asked for: a 10 ms RTT measures about 10-12 ms.
//!
//! `netem` in a network namespace would do the same in the kernel. [`probe_netem`] says
//! whether this machine could; the suite uses the proxy either way, so that results from a
//! CI runner without root and from a laptop with it measure the same thing.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep_until};

use super::GrpcWindowsError;

/// The emulated TCP receive window of the proxy's path (bytes in flight per direction).
pub const DEFAULT_PATH_WINDOW: usize = 6 * 1024 * 1024;

/// The most the reader takes in one piece.
const SEGMENT: usize = 64 * 1024;

/// A running proxy: connections to [`DelayProxy::addr`] are relayed to the upstream with
/// the round-trip time added. Dropping it closes the listener and every relayed connection.
pub struct DelayProxy {
    pub addr: SocketAddr,
    pub rtt: Duration,
    task: JoinHandle<()>,
}

impl DelayProxy {
    /// Starts a proxy in front of `upstream` adding `rtt` per round trip, with `window`
    /// bytes of emulated TCP window per direction.
    pub async fn start(
        upstream: SocketAddr,
        rtt: Duration,
        window: usize,
    ) -> Result<DelayProxy, GrpcWindowsError> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| GrpcWindowsError::io("binding the delay proxy", "127.0.0.1:0", e))?;
        let addr = listener
            .local_addr()
            .map_err(|e| GrpcWindowsError::io("reading the proxy address", "127.0.0.1:0", e))?;
        let one_way = rtt / 2;
        let window = window.max(SEGMENT);
        let task = tokio::spawn(async move {
            let mut conns = tokio::task::JoinSet::new();
            while let Ok((inbound, _)) = listener.accept().await {
                conns.spawn(async move {
                    let Ok(outbound) = TcpStream::connect(upstream).await else {
                        // Dropping the inbound socket tells the client the upstream is gone.
                        return;
                    };
                    let _ = inbound.set_nodelay(true);
                    let _ = outbound.set_nodelay(true);
                    let (in_r, in_w) = inbound.into_split();
                    let (out_r, out_w) = outbound.into_split();
                    tokio::join!(
                        relay(in_r, out_w, one_way, window),
                        relay(out_r, in_w, one_way, window),
                    );
                });
            }
        });
        Ok(DelayProxy { addr, rtt, task })
    }
}

impl Drop for DelayProxy {
    fn drop(&mut self) {
        // Aborting the accept loop drops its JoinSet, which aborts every relay.
        self.task.abort();
    }
}

/// One direction of a relayed connection, as described in the module docs.
async fn relay(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, one_way: Duration, window: usize) {
    let credit = Arc::new(Semaphore::new(window));
    let (tx, mut rx) = mpsc::unbounded_channel::<(Instant, Bytes)>();
    let (ack_tx, mut ack_rx) = mpsc::unbounded_channel::<(Instant, usize)>();

    let reader = {
        let credit = credit.clone();
        async move {
            let mut buf = vec![0u8; SEGMENT];
            loop {
                let Ok(permit) = credit.acquire_many(SEGMENT as u32).await else {
                    return;
                };
                permit.forget();
                let n = match from.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                credit.add_permits(SEGMENT - n);
                let due = Instant::now() + one_way;
                if tx.send((due, Bytes::copy_from_slice(&buf[..n]))).is_err() {
                    return;
                }
            }
            // `tx` drops here, which lets the writer finish and half-close.
        }
    };
    let writer = async move {
        while let Some((due, data)) = rx.recv().await {
            sleep_until(due).await;
            if to.write_all(&data).await.is_err() {
                // The receiver is gone: stop the reader too by closing the credit.
                break;
            }
            let _ = ack_tx.send((Instant::now() + one_way, data.len()));
        }
        let _ = to.shutdown().await;
    };
    let acker = {
        let credit = credit.clone();
        async move {
            while let Some((due, n)) = ack_rx.recv().await {
                sleep_until(due).await;
                credit.add_permits(n);
            }
            credit.close();
        }
    };
    tokio::join!(reader, writer, acker);
}

/// Whether netem can delay traffic here: creates a throwaway network namespace and adds a
/// netem qdisc to its loopback. `Err` holds the one-line reason it cannot.
pub fn probe_netem() -> Result<(), String> {
    let ns = format!("perfwarden-netem-probe-{}", std::process::id());
    run("ip", &["netns", "add", &ns])?;
    let result = run(
        "ip",
        &[
            "netns", "exec", &ns, "tc", "qdisc", "add", "dev", "lo", "root", "netem", "delay",
            "1ms",
        ],
    );
    let _ = run("ip", &["netns", "del", &ns]);
    result
}

fn run(program: &str, args: &[&str]) -> Result<(), String> {
    let out = std::process::Command::new(program)
        .args(args)
        .output()
        .map_err(|e| format!("`{program}` cannot run: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = stderr.lines().next().unwrap_or("").trim();
    Err(format!("`{program} {}` failed: {line}", args.join(" ")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suites::grpc_windows::payload;
    use crate::suites::grpc_windows::tcp::{RawTcpClient, RawTcpServer};

    #[tokio::test]
    async fn adds_the_round_trip_time_and_keeps_the_bandwidth() {
        let data = payload::generate(3, 8 * payload::MIB);
        let server = RawTcpServer::start(data.clone()).await.unwrap();
        let rtt = Duration::from_millis(40);
        let proxy = DelayProxy::start(server.addr, rtt, DEFAULT_PATH_WINDOW)
            .await
            .unwrap();
        let mut client = RawTcpClient::connect(proxy.addr).await.unwrap();

        // A tiny request-response is one round trip.
        let t = std::time::Instant::now();
        client.download(16, false).await.unwrap();
        let small = t.elapsed();
        assert!(
            small >= rtt,
            "round trip {small:?} below the {rtt:?} asked for"
        );
        assert!(
            // Slack for a loaded 2-core CI machine; two round trips would still fail.
            small < rtt * 2,
            "round trip {small:?}"
        );

        // 8 MiB must take a few round trips, not one per 64 KiB segment (which would be
        // 128 round trips, over 5 s): the pipeline keeps the window full. The 6 MiB window
        // allows 8 MiB in two round trips plus the request's; the bound leaves room for a
        // debug build hashing 8 MiB on a busy CI machine.
        let t = std::time::Instant::now();
        let got = client.download(data.len() as u64, true).await.unwrap();
        let big = t.elapsed();
        assert_eq!(got.checksum, Some(payload::checksum(&data)));
        assert!(big < rtt * 15, "8 MiB took {big:?} through a {rtt:?} proxy");
        assert!(
            big >= rtt * 2,
            "8 MiB took {big:?}: the window was not applied"
        );
    }
}
