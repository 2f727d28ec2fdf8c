//! The blob service's client: Write written by hand over `tonic::client::Grpc` the way
//! `tonic-build` would generate it, with the message limits raised for 256 MiB payloads;
//! Read and Stream over the same channel with hand-framed bodies ([`super::wire`]).

use std::future::Future;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use tonic::body::Body;
use tonic::codegen::http::header::{CONTENT_TYPE, HeaderValue};
use tonic::codegen::http::uri::PathAndQuery;
use tonic::codegen::{Service, http};
use tonic::transport::{Channel, Endpoint};
use tonic::{Request, Status};
use tonic_prost::ProstCodec;

use super::GrpcWindowsError;
use super::messages::*;
use super::payload::Checksum;
use super::profiles::WindowProfile;
use super::wire::{self, BlobReader};

/// What one operation delivered: the byte count and, when verification was asked for, the
/// checksum of the bytes as the receiving side saw them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Delivered {
    pub bytes: u64,
    pub checksum: Option<u64>,
}

/// A client on one HTTP/2 connection. Clones share the connection, so concurrent
/// operations are concurrent streams, which is what the stream limits govern.
#[derive(Clone)]
pub struct BlobClient {
    inner: tonic::client::Grpc<Channel>,
    /// The same connection, for the hand-framed Read and Stream.
    channel: Channel,
    slowdown: f64,
}

impl BlobClient {
    /// Connects to `addr` with `profile`'s HTTP/2 settings.
    pub async fn connect(
        addr: SocketAddr,
        profile: &WindowProfile,
    ) -> Result<BlobClient, GrpcWindowsError> {
        let uri = format!("http://{addr}");
        let endpoint = Endpoint::from_shared(uri.clone())
            .map_err(|source| GrpcWindowsError::Connect {
                endpoint: uri.clone(),
                source,
            })?
            .tcp_nodelay(true);
        let channel = profile
            .apply_to_endpoint(endpoint)
            .connect()
            .await
            .map_err(|source| GrpcWindowsError::Connect {
                endpoint: uri,
                source,
            })?;
        let inner = tonic::client::Grpc::new(channel.clone())
            .max_decoding_message_size(MAX_MESSAGE_BYTES)
            .max_encoding_message_size(MAX_MESSAGE_BYTES);
        Ok(BlobClient {
            inner,
            channel,
            slowdown: 0.0,
        })
    }

    /// Makes every operation take `1 + factor` times as long (`PERFWARDEN_INJECT_SLOWDOWN`):
    /// once a call completes, the client waits `factor` times its duration before
    /// returning. The wait is here, where the end of an operation is known, rather than in
    /// the server: a server hands a whole unary response to HTTP/2 in a few milliseconds
    /// while the client takes several times longer to receive and decode it, so a delay
    /// of the server's trailers (tried first) slowed Read by 0-10% instead of the factor.
    pub fn with_slowdown(mut self, factor: f64) -> BlobClient {
        self.slowdown = factor.max(0.0);
        self
    }

    async fn timed<T>(&self, call: impl Future<Output = Result<T, Status>>) -> Result<T, Status> {
        let started = Instant::now();
        let out = call.await;
        if self.slowdown > 0.0 {
            pad(started.elapsed().mul_f64(self.slowdown)).await;
        }
        out
    }

    async fn ready(&mut self) -> Result<(), Status> {
        self.inner
            .ready()
            .await
            .map_err(|e| Status::unavailable(format!("connection not ready: {e}")))
    }

    async fn write_inner(
        &mut self,
        data: Bytes,
        chunk_bytes: usize,
        verify: bool,
    ) -> Result<Delivered, Status> {
        self.ready().await?;
        let chunk_bytes = chunk_bytes.max(1);
        let n = data.len().div_ceil(chunk_bytes).max(1);
        let chunks = (0..n).map(move |i| Chunk {
            data: data.slice(i * chunk_bytes..((i + 1) * chunk_bytes).min(data.len())),
            verify,
        });
        let summary = self
            .inner
            .client_streaming(
                Request::new(futures::stream::iter(chunks)),
                PathAndQuery::from_static(WRITE_PATH),
                ProstCodec::<Chunk, WriteSummary>::default(),
            )
            .await?
            .into_inner();
        Ok(Delivered {
            bytes: summary.bytes,
            checksum: verify.then_some(summary.checksum),
        })
    }

    /// Read and Stream: the request through the channel as tonic sends it, the response's
    /// frames read by [`BlobReader`], so payload bytes are handed on as slices of h2's own
    /// receive buffers (see [`super::wire`]). `sink` gets every payload slice in order.
    async fn receive(
        &mut self,
        path: &'static str,
        request: ReadRequest,
        sink: &mut impl FnMut(Bytes),
    ) -> Result<u64, Status> {
        std::future::poll_fn(|cx| self.channel.poll_ready(cx))
            .await
            .map_err(|e| Status::unavailable(format!("connection not ready: {e}")))?;
        let mut req = http::Request::new(Body::new(Full::new(wire::message(&request))));
        *req.method_mut() = http::Method::POST;
        *req.uri_mut() = http::Uri::from_static(path);
        let headers = req.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/grpc"));
        headers.insert("te", HeaderValue::from_static("trailers"));
        let res = self
            .channel
            .call(req)
            .await
            .map_err(|e| Status::unavailable(format!("{path}: {e}")))?;
        if let Some(status) = Status::from_header_map(res.headers()) {
            // A trailers-only response: the call failed before any message.
            return Err(if status.code() == tonic::Code::Ok {
                Status::internal("a response with no messages")
            } else {
                status
            });
        }
        if res.status() != http::StatusCode::OK {
            return Err(Status::internal(format!("HTTP status {}", res.status())));
        }
        let mut body = res.into_body();
        let mut reader = BlobReader::default();
        while let Some(frame) = body.frame().await {
            match frame?.into_data() {
                Ok(data) => reader.feed(data, sink)?,
                Err(frame) => {
                    let trailers = frame.into_trailers().unwrap_or_default();
                    match Status::from_header_map(&trailers) {
                        Some(s) if s.code() == tonic::Code::Ok => {
                            reader.finish()?;
                            return Ok(reader.messages());
                        }
                        Some(s) => return Err(s),
                        None => return Err(Status::internal("trailers without grpc-status")),
                    }
                }
            }
        }
        Err(Status::internal("the response ended without trailers"))
    }

    async fn read_inner(&mut self, size: u64, verify: bool) -> Result<Delivered, Status> {
        // The unary message is kept whole, as a caller would get it: the slices it arrived
        // in, not one copy.
        let mut parts = Vec::new();
        let request = ReadRequest {
            size,
            chunk_bytes: 0,
        };
        let messages = self
            .receive(READ_PATH, request, &mut |b| parts.push(b))
            .await?;
        if messages != 1 {
            return Err(Status::internal(format!(
                "Read answered {messages} messages"
            )));
        }
        let checksum = verify.then(|| {
            let mut hash = Checksum::new();
            parts.iter().for_each(|p| hash.update(p));
            hash.finish()
        });
        Ok(Delivered {
            bytes: parts.iter().map(|p| p.len() as u64).sum(),
            checksum,
        })
    }

    async fn stream_inner(
        &mut self,
        size: u64,
        chunk_bytes: usize,
        verify: bool,
    ) -> Result<Delivered, Status> {
        let chunk_bytes = u32::try_from(chunk_bytes)
            .map_err(|_| Status::invalid_argument("chunk size above 4 GiB"))?;
        let mut bytes = 0u64;
        let mut hash = verify.then(Checksum::new);
        let request = ReadRequest { size, chunk_bytes };
        self.receive(STREAM_PATH, request, &mut |b| {
            bytes += b.len() as u64;
            if let Some(h) = hash.as_mut() {
                h.update(&b);
            }
        })
        .await?;
        Ok(Delivered {
            bytes,
            checksum: hash.map(|h| h.finish()),
        })
    }

    /// Write: streams `data` to the server in `chunk_bytes` pieces and returns what the
    /// server counted (and hashed, when `verify`).
    pub async fn write(
        &mut self,
        data: Bytes,
        chunk_bytes: usize,
        verify: bool,
    ) -> Result<Delivered, Status> {
        let mut c = self.clone();
        self.timed(c.write_inner(data, chunk_bytes, verify)).await
    }

    /// Read: one unary response carrying the first `size` bytes of the server's payload.
    pub async fn read(&mut self, size: u64, verify: bool) -> Result<Delivered, Status> {
        let mut c = self.clone();
        self.timed(c.read_inner(size, verify)).await
    }

    /// Stream: the first `size` bytes of the server's payload as a server stream of
    /// `chunk_bytes` messages.
    pub async fn stream(
        &mut self,
        size: u64,
        chunk_bytes: usize,
        verify: bool,
    ) -> Result<Delivered, Status> {
        let mut c = self.clone();
        self.timed(c.stream_inner(size, chunk_bytes, verify)).await
    }
}

/// Waits `d` precisely: tokio's timer sleeps in whole milliseconds, which would turn 15% of
/// a 0.7 ms operation into 140%, so the last two milliseconds are spent yielding.
async fn pad(d: Duration) {
    let deadline = Instant::now() + d;
    if let Some(coarse) = d.checked_sub(Duration::from_millis(2)) {
        tokio::time::sleep(coarse).await;
    }
    while Instant::now() < deadline {
        tokio::task::yield_now().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn pad_waits_at_least_as_asked_and_not_a_timer_tick_more() {
        // The best of a few tries, so a loaded machine descheduling the test once does not
        // fail it: what is checked is that 300 µs does not become a whole timer tick.
        for d in [Duration::from_micros(300), Duration::from_millis(7)] {
            let mut best = Duration::MAX;
            for _ in 0..5 {
                let t = Instant::now();
                pad(d).await;
                let took = t.elapsed();
                assert!(took >= d, "{took:?} < {d:?}");
                best = best.min(took);
            }
            assert!(best < d + Duration::from_millis(2), "{best:?} for {d:?}");
        }
    }
}
