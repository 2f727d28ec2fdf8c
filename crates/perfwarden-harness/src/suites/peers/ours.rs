//! What the bench binary does when it is started as one of the peers bench's child
//! processes (`--peers-role ...`): the no-op HTTP server, or our load engine as a client.
//!
//! Our client runs as a process of its own for the same reason every tool does: so the
//! CPU it is charged is its own (see [`super::child`]). It runs on one thread, as the tools
//! are run (`wrk -t1`, oha and redis-benchmark on one runtime thread, Locust one process),
//! and prints one JSON line, [`Outcome`], which the parent reads.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;

use super::raw_http::RawHttp;
use super::{Mode, Outcome};
use crate::load::{LoadConfig, LoadMode, LoadReport, ProgressMode, closed_loop, open_loop};

/// A role and its arguments, from the command line after `--peers-role`.
#[derive(Clone, Debug, PartialEq)]
pub enum Role {
    /// Serves `200 OK` with an empty body to every request, on a free loopback port it
    /// prints as `port N`.
    ServeHttp,
    /// Our engine against an HTTP URL, or a Redis URL (GET of one key).
    Client {
        client: Client,
        url: String,
        mode: Mode,
        connections: usize,
        secs: f64,
    },
}

impl Role {
    /// The role named after `--peers-role` in `args`, if any.
    pub fn from_args(args: &[String]) -> Option<Result<Role, String>> {
        let at = args.iter().position(|a| a == "--peers-role")?;
        let rest = &args[at + 1..];
        Some(Role::parse(rest))
    }

    fn parse(rest: &[String]) -> Result<Role, String> {
        match rest {
            [r] if r == "serve-http" => Ok(Role::ServeHttp),
            [r, url, mode, conns, secs] if Client::parse(r).is_some() => Ok(Role::Client {
                client: Client::parse(r).expect("matched"),
                url: url.clone(),
                mode: Mode::parse(mode).ok_or_else(|| format!("bad mode {mode:?}"))?,
                connections: conns
                    .parse()
                    .map_err(|_| format!("bad connections {conns:?}"))?,
                secs: secs.parse().map_err(|_| format!("bad seconds {secs:?}"))?,
            }),
            _ => Err(format!("--peers-role: cannot read {rest:?}")),
        }
    }

    /// The arguments that start this role in a child.
    pub(crate) fn args(&self) -> Vec<String> {
        let mut a = vec!["--peers-role".to_string()];
        match self {
            Role::ServeHttp => a.push("serve-http".into()),
            Role::Client {
                client,
                url,
                mode,
                connections,
                secs,
            } => a.extend([
                client.arg().to_string(),
                url.clone(),
                mode.arg(),
                connections.to_string(),
                secs.to_string(),
            ]),
        }
        a
    }

    /// Runs the role to its end (a server until it is killed).
    pub fn run(self) -> anyhow::Result<()> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        match self {
            Role::ServeHttp => rt.block_on(serve_http()),
            Role::Client {
                client,
                url,
                mode,
                connections,
                secs,
            } => {
                let cfg = LoadConfig::new(
                    "peers",
                    Duration::from_millis(300),
                    Duration::from_secs_f64(secs),
                )
                .progress(ProgressMode::Quiet)
                .abort_after(None);
                let report = rt.block_on(async {
                    match client {
                        Client::Redis => redis_client(&url, &cfg, mode, connections).await,
                        Client::Http => http_client(&url, &cfg, mode, connections).await,
                        Client::Hyper => hyper_client(&url, &cfg, mode, connections).await,
                    }
                })?;
                println!("{}", serde_json::to_string(&outcome(&report))?);
                Ok(())
            }
        }
    }
}

/// The protocol client our engine drives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Client {
    /// The minimal HTTP/1.1 client of [`super::raw_http`], as wrk's own.
    Http,
    /// hyper's HTTP/1.1 client, as oha uses it.
    Hyper,
    /// The `redis` crate's multiplexed connection.
    Redis,
}

impl Client {
    const ALL: [Client; 3] = [Client::Http, Client::Hyper, Client::Redis];

    fn arg(self) -> &'static str {
        match self {
            Client::Http => "http-client",
            Client::Hyper => "hyper-client",
            Client::Redis => "redis-client",
        }
    }

    fn parse(s: &str) -> Option<Client> {
        Client::ALL.into_iter().find(|c| c.arg() == s)
    }
}

fn outcome(r: &LoadReport) -> Outcome {
    let s = r.latency.summary();
    Outcome {
        requests: r.ok,
        errors: r.errors,
        secs: r.measured.as_secs_f64(),
        p50_us: Some(s.p50_ms * 1000.0),
        p99_us: Some(s.p99_ms * 1000.0),
        send_lag_p50_us: match r.mode {
            LoadMode::Open { .. } => Some(r.send_lag.quantile_us(0.5) as f64),
            _ => None,
        },
    }
}

async fn serve_http() -> anyhow::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    println!("port {}", listener.local_addr()?.port());
    loop {
        let (sock, _) = listener.accept().await?;
        sock.set_nodelay(true)?;
        tokio::spawn(async move {
            let service = hyper::service::service_fn(|_req: hyper::Request<Incoming>| async {
                Ok::<_, std::convert::Infallible>(hyper::Response::new(Empty::<Bytes>::new()))
            });
            // A client that goes away ends its connection; nothing to report.
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(sock), service)
                .await;
        });
    }
}

/// Runs `op` the way `mode` says: back to back on `connections`, or at a fixed rate.
async fn drive<F, Fut, E>(cfg: &LoadConfig, mode: Mode, connections: usize, op: F) -> LoadReport
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<(), E>> + Send + 'static,
    E: std::fmt::Display + Send + 'static,
{
    match mode {
        Mode::Saturate => closed_loop(cfg, connections, op).await,
        Mode::Rate(rate) => open_loop(cfg, rate, connections, op).await,
    }
}

/// `url` parsed, with its host:port.
fn parse_url(url: &str) -> anyhow::Result<(hyper::Uri, hyper::http::uri::Authority)> {
    let uri: hyper::Uri = url.parse()?;
    let authority = uri
        .authority()
        .ok_or_else(|| anyhow::anyhow!("{url}: no host"))?
        .clone();
    Ok((uri, authority))
}

/// `n` (at least one) connections made one after another by `connect`, each behind its own
/// lock: worker `w` of the closed loop sends `i = w, w + n, ...`, so `i % n` is its own.
async fn connect_all<C, F, Fut>(n: usize, connect: F) -> anyhow::Result<Arc<Vec<Mutex<C>>>>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<C>>,
{
    let mut conns = Vec::with_capacity(n.max(1));
    for _ in 0..n.max(1) {
        conns.push(Mutex::new(connect().await?));
    }
    Ok(Arc::new(conns))
}

async fn hyper_client(
    url: &str,
    cfg: &LoadConfig,
    mode: Mode,
    n: usize,
) -> anyhow::Result<LoadReport> {
    let (uri, authority) = parse_url(url)?;
    let conns: Arc<Vec<Mutex<SendRequest<Empty<Bytes>>>>> = connect_all(n, || async {
        let sock = TcpStream::connect(authority.as_str()).await?;
        sock.set_nodelay(true)?;
        let (send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(sock)).await?;
        tokio::spawn(conn);
        Ok(send)
    })
    .await?;
    // Origin form, as wrk and oha send it; both parts are cheap to clone (shared bytes).
    let path: hyper::Uri = uri.path().parse()?;
    let host = hyper::header::HeaderValue::from_str(authority.as_str())?;
    Ok(drive(cfg, mode, n, move |i| {
        let (conns, path, host) = (conns.clone(), path.clone(), host.clone());
        async move {
            // In the closed loop worker w sends i = w, w + n, ...: its own connection.
            let mut send = conns[i as usize % conns.len()].lock().await;
            let req = hyper::Request::get(path)
                .header(hyper::header::HOST, host)
                .body(Empty::<Bytes>::new())
                .map_err(|e| e.to_string())?;
            let res = send.send_request(req).await.map_err(|e| e.to_string())?;
            let status = res.status();
            res.into_body().collect().await.map_err(|e| e.to_string())?;
            if status.is_success() {
                Ok(())
            } else {
                Err(format!("HTTP {status}"))
            }
        }
    })
    .await)
}

/// Our engine behind the minimal client: each worker its own connection (worker `w` sends
/// `i = w, w + n, ...`, so `i % n` is its own; the lock is never contended).
async fn http_client(
    url: &str,
    cfg: &LoadConfig,
    mode: Mode,
    n: usize,
) -> anyhow::Result<LoadReport> {
    let (uri, authority) = parse_url(url)?;
    let conns = connect_all(n, || async {
        Ok(RawHttp::connect(authority.as_str(), uri.path()).await?)
    })
    .await?;
    Ok(drive(cfg, mode, n, move |i| {
        let conns = conns.clone();
        async move { conns[i as usize % conns.len()].lock().await.get().await }
    })
    .await)
}

async fn redis_client(
    url: &str,
    cfg: &LoadConfig,
    mode: Mode,
    n: usize,
) -> anyhow::Result<LoadReport> {
    let client = redis::Client::open(url)?;
    let mut conns = Vec::with_capacity(n);
    for _ in 0..n.max(1) {
        conns.push(client.get_multiplexed_async_connection().await?);
    }
    let conns = Arc::new(conns);
    Ok(drive(cfg, mode, n, move |i| {
        let mut conn = conns[i as usize % conns.len()].clone();
        async move {
            let _: Option<Vec<u8>> = redis::cmd("GET")
                .arg(super::REDIS_KEY)
                .query_async(&mut conn)
                .await?;
            Ok::<(), redis::RedisError>(())
        }
    })
    .await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_survive_their_command_line() {
        for role in [
            Role::ServeHttp,
            Role::Client {
                client: Client::Redis,
                url: "redis://127.0.0.1:1/".into(),
                mode: Mode::Rate(500.0),
                connections: 4,
                secs: 2.5,
            },
            Role::Client {
                client: Client::Http,
                url: "http://127.0.0.1:2/".into(),
                mode: Mode::Saturate,
                connections: 16,
                secs: 3.0,
            },
            Role::Client {
                client: Client::Hyper,
                url: "http://127.0.0.1:3/".into(),
                mode: Mode::Rate(1.5),
                connections: 1,
                secs: 1.0,
            },
        ] {
            let mut args = vec!["bench".to_string()];
            args.extend(role.args());
            assert_eq!(Role::from_args(&args), Some(Ok(role)));
        }
        assert_eq!(Role::from_args(&["--bench".into()]), None);
        assert!(
            Role::from_args(&["--peers-role".into(), "dance".into()])
                .unwrap()
                .is_err()
        );
    }
}
