//! The physical limit: plain TCP over the same path, moving the same bytes with tokio and
//! no framing beyond a 10-byte request header. Every gRPC profile is reported as a
//! fraction of it.
//!
//! Protocol, per request on a persistent connection: the client sends `op` (1 byte:
//! 0 upload, 1 download), `verify` (1 byte) and `size` (u64 LE). An upload is followed by
//! `size` bytes from the client and answered with the byte count and checksum (two u64 LE);
//! a download is answered with the first `size` bytes of the server's payload.

use std::net::SocketAddr;

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use super::GrpcWindowsError;
use super::client::Delivered;
use super::payload::Checksum;

const UPLOAD: u8 = 0;
const DOWNLOAD: u8 = 1;
/// Receive buffer: large enough that a read returns everything the socket holds.
const READ_BUF: usize = 1024 * 1024;

/// A running raw TCP server; dropping it stops accepting and closes its connections.
pub struct RawTcpServer {
    pub addr: SocketAddr,
    task: JoinHandle<()>,
}

impl RawTcpServer {
    pub async fn start(payload: Bytes) -> Result<RawTcpServer, GrpcWindowsError> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| GrpcWindowsError::io("binding the raw TCP server", "127.0.0.1:0", e))?;
        let addr = listener
            .local_addr()
            .map_err(|e| GrpcWindowsError::io("reading the raw TCP address", "127.0.0.1:0", e))?;
        let task = tokio::spawn(async move {
            let mut conns = tokio::task::JoinSet::new();
            while let Ok((sock, _)) = listener.accept().await {
                let payload = payload.clone();
                conns.spawn(async move {
                    // A connection error ends that connection; the client sees it and
                    // reports it with the endpoint.
                    let _ = serve_conn(sock, payload).await;
                });
            }
        });
        Ok(RawTcpServer { addr, task })
    }
}

impl Drop for RawTcpServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve_conn(mut sock: TcpStream, payload: Bytes) -> std::io::Result<()> {
    sock.set_nodelay(true)?;
    let mut buf = vec![0u8; READ_BUF];
    loop {
        let mut header = [0u8; 10];
        match sock.read_exact(&mut header).await {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
            Err(e) => return Err(e),
        }
        let verify = header[1] != 0;
        let size = u64::from_le_bytes(header[2..10].try_into().expect("8 bytes"));
        match header[0] {
            UPLOAD => {
                let got = drain(&mut sock, &mut buf, size, verify).await?;
                let mut reply = [0u8; 16];
                reply[..8].copy_from_slice(&got.bytes.to_le_bytes());
                reply[8..].copy_from_slice(&got.checksum.unwrap_or(0).to_le_bytes());
                sock.write_all(&reply).await?;
            }
            DOWNLOAD => {
                let size = usize::try_from(size).unwrap_or(usize::MAX);
                if size > payload.len() {
                    return Err(std::io::Error::other("download larger than the payload"));
                }
                sock.write_all(&payload[..size]).await?;
            }
            op => return Err(std::io::Error::other(format!("unknown op {op}"))),
        }
    }
}

/// Reads exactly `size` bytes, hashing them when `verify`.
async fn drain(
    sock: &mut TcpStream,
    buf: &mut [u8],
    size: u64,
    verify: bool,
) -> std::io::Result<Delivered> {
    let mut left = size;
    let mut hash = verify.then(Checksum::new);
    while left > 0 {
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let n = sock.read(&mut buf[..want]).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if let Some(h) = hash.as_mut() {
            h.update(&buf[..n]);
        }
        left -= n as u64;
    }
    Ok(Delivered {
        bytes: size,
        checksum: hash.map(|h| h.finish()),
    })
}

/// One client connection to a [`RawTcpServer`] (possibly through a delay proxy).
pub struct RawTcpClient {
    sock: TcpStream,
    buf: Vec<u8>,
    addr: SocketAddr,
}

impl RawTcpClient {
    pub async fn connect(addr: SocketAddr) -> Result<RawTcpClient, GrpcWindowsError> {
        let ep = addr.to_string();
        let sock = TcpStream::connect(addr)
            .await
            .map_err(|e| GrpcWindowsError::io("connecting to the raw TCP server", &ep, e))?;
        sock.set_nodelay(true)
            .map_err(|e| GrpcWindowsError::io("setting TCP_NODELAY", &ep, e))?;
        Ok(RawTcpClient {
            sock,
            buf: vec![0u8; READ_BUF],
            addr,
        })
    }

    fn err(&self, what: &'static str) -> impl Fn(std::io::Error) -> GrpcWindowsError + '_ {
        move |e| GrpcWindowsError::io(what, &self.addr.to_string(), e)
    }

    async fn header(&mut self, op: u8, verify: bool, size: u64) -> std::io::Result<()> {
        let mut header = [0u8; 10];
        header[0] = op;
        header[1] = u8::from(verify);
        header[2..].copy_from_slice(&size.to_le_bytes());
        self.sock.write_all(&header).await
    }

    /// Sends `data` to the server; returns what the server counted and hashed.
    pub async fn upload(
        &mut self,
        data: &[u8],
        verify: bool,
    ) -> Result<Delivered, GrpcWindowsError> {
        let res: std::io::Result<Delivered> = async {
            self.header(UPLOAD, verify, data.len() as u64).await?;
            self.sock.write_all(data).await?;
            let mut reply = [0u8; 16];
            self.sock.read_exact(&mut reply).await?;
            let bytes = u64::from_le_bytes(reply[..8].try_into().expect("8 bytes"));
            let sum = u64::from_le_bytes(reply[8..].try_into().expect("8 bytes"));
            Ok(Delivered {
                bytes,
                checksum: verify.then_some(sum),
            })
        }
        .await;
        res.map_err(self.err("raw TCP upload"))
    }

    /// Fetches the first `size` bytes of the server's payload.
    pub async fn download(
        &mut self,
        size: u64,
        verify: bool,
    ) -> Result<Delivered, GrpcWindowsError> {
        let res = async {
            self.header(DOWNLOAD, verify, size).await?;
            drain(&mut self.sock, &mut self.buf, size, verify).await
        }
        .await;
        res.map_err(self.err("raw TCP download"))
    }
}
