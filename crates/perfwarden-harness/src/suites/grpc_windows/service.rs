//! The blob service (server side): a hand-written tonic service over [`super::messages`],
//! dispatching on the request path the way `tonic-build`'s generated code does. Write goes
//! through tonic's codec; Read and Stream answer with hand-framed bodies ([`super::wire`]).
//!
//! The server serves prefixes of one shared payload (Read and Stream) and swallows what it
//! is sent (Write), hashing only when the client asks, so the measurement is of the
//! transport and not of the server's work.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Body as HttpBody;
use tokio::sync::oneshot;
use tonic::body::Body;
use tonic::codegen::{BoxFuture, Service, http};
use tonic::server::{ClientStreamingService, Grpc, NamedService};
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;
use tonic::{Request, Response, Status, Streaming};
use tonic_prost::ProstCodec;

use super::GrpcWindowsError;
use super::messages::*;
use super::payload::Checksum;
use super::profiles::WindowProfile;
use super::wire;

/// Stream chunk size when the request does not name one: 4 MiB, as the seed's tooling.
pub const DEFAULT_CHUNK_BYTES: usize = 4 * 1024 * 1024;

/// The service state shared by all connections.
#[derive(Clone)]
pub(crate) struct BlobService {
    payload: Bytes,
}

impl BlobService {
    pub(crate) fn new(payload: Bytes) -> BlobService {
        BlobService { payload }
    }

    fn prefix(&self, size: u64) -> Result<Bytes, Status> {
        let size = usize::try_from(size).unwrap_or(usize::MAX);
        if size > self.payload.len() {
            return Err(Status::invalid_argument(format!(
                "asked for {size} bytes, the server holds {}",
                self.payload.len()
            )));
        }
        Ok(self.payload.slice(..size))
    }
}

impl NamedService for BlobService {
    const NAME: &'static str = SERVICE_NAME;
}

struct WriteSvc;

impl ClientStreamingService<Chunk> for WriteSvc {
    type Response = WriteSummary;
    type Future = BoxFuture<Response<WriteSummary>, Status>;

    fn call(&mut self, request: Request<Streaming<Chunk>>) -> Self::Future {
        Box::pin(async move {
            let mut stream = request.into_inner();
            let mut bytes = 0u64;
            let mut hash: Option<Checksum> = None;
            while let Some(chunk) = stream.message().await? {
                if chunk.verify && hash.is_none() && bytes == 0 {
                    hash = Some(Checksum::new());
                }
                bytes += chunk.data.len() as u64;
                if let Some(h) = hash.as_mut() {
                    h.update(&chunk.data);
                }
            }
            Ok(Response::new(WriteSummary {
                bytes,
                checksum: hash.map_or(0, |h| h.finish()),
            }))
        })
    }
}

impl BlobService {
    /// Read and Stream: the request decoded by prost, the response framed by hand
    /// ([`super::wire`]), so the payload is never copied. Read is one message of the whole
    /// prefix; Stream cuts it into the asked chunk size.
    async fn send_blob<B>(&self, req: http::Request<B>, stream: bool) -> http::Response<Body>
    where
        B: HttpBody + Send + 'static,
        B::Data: Send,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let res = async {
            let body = req
                .into_body()
                .collect()
                .await
                .map_err(|e| Status::internal(format!("reading the request: {}", e.into())))?
                .to_bytes();
            let req: ReadRequest = wire::one_message(&body)?;
            let data = self.prefix(req.size)?;
            let chunk = match (stream, req.chunk_bytes) {
                (false, _) => data.len(),
                (true, 0) => DEFAULT_CHUNK_BYTES,
                (true, n) => n as usize,
            };
            Ok::<_, Status>(wire::blob_response(data, chunk))
        };
        res.await.unwrap_or_else(Status::into_http)
    }
}

/// A server-side gRPC handler with the message limits raised for 256 MiB payloads.
fn grpc<E, D>() -> Grpc<ProstCodec<E, D>>
where
    E: prost::Message + Send + 'static,
    D: prost::Message + Default + Send + 'static,
{
    Grpc::new(ProstCodec::default())
        .max_decoding_message_size(MAX_MESSAGE_BYTES)
        .max_encoding_message_size(MAX_MESSAGE_BYTES)
}

impl<B> Service<http::Request<B>> for BlobService
where
    B: HttpBody + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>> + Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<Self::Response, Infallible>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let this = self.clone();
        Box::pin(async move {
            let res = match req.uri().path() {
                WRITE_PATH => {
                    grpc::<WriteSummary, Chunk>()
                        .client_streaming(WriteSvc, req)
                        .await
                }
                READ_PATH => this.send_blob(req, false).await,
                STREAM_PATH => this.send_blob(req, true).await,
                _ => Status::unimplemented(format!("no method {}", req.uri().path())).into_http(),
            };
            Ok(res)
        })
    }
}

/// A running server; dropping it shuts the server down.
pub struct BlobServer {
    pub addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
}

impl BlobServer {
    /// Starts the service on a free loopback port with `profile`'s HTTP/2 settings.
    pub async fn start(
        profile: &WindowProfile,
        payload: Bytes,
    ) -> Result<BlobServer, GrpcWindowsError> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|source| {
                GrpcWindowsError::io("binding the gRPC server", "127.0.0.1:0", source)
            })?;
        let addr = listener.local_addr().map_err(|source| {
            GrpcWindowsError::io("reading the server address", "127.0.0.1:0", source)
        })?;
        let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
        let (tx, rx) = oneshot::channel::<()>();
        let router = profile
            .apply_to_server(Server::builder())
            .add_service(BlobService::new(payload));
        tokio::spawn(async move {
            // A serve error ends the task; clients then fail with an error naming the
            // endpoint, which is where the user will look.
            let _ = router
                .serve_with_incoming_shutdown(incoming, async {
                    let _ = rx.await;
                })
                .await;
        });
        Ok(BlobServer {
            addr,
            shutdown: Some(tx),
        })
    }
}

impl Drop for BlobServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic::codegen::http::uri::PathAndQuery;
    use tonic::transport::Endpoint;
    use tonic_prost::ProstCodec;

    /// tonic's own client and prost decode the hand-framed Read and Stream responses.
    #[tokio::test]
    async fn a_stock_tonic_client_reads_the_hand_framed_responses() {
        let payload = super::super::payload::generate(3, 3 << 20);
        let server = BlobServer::start(&WindowProfile::DEFAULT, payload.clone())
            .await
            .unwrap();
        let channel = Endpoint::from_shared(format!("http://{}", server.addr))
            .unwrap()
            .connect()
            .await
            .unwrap();
        let mut grpc = tonic::client::Grpc::new(channel).max_decoding_message_size(8 << 20);
        let ask = |size, chunk_bytes| Request::new(ReadRequest { size, chunk_bytes });
        grpc.ready().await.unwrap();
        let codec = ProstCodec::<ReadRequest, Blob>::default();
        let path = PathAndQuery::from_static(READ_PATH);
        let blob = grpc.unary(ask(3 << 20, 0), path, codec).await.unwrap();
        assert_eq!(blob.into_inner().data, payload);
        grpc.ready().await.unwrap();
        let codec = ProstCodec::<ReadRequest, Blob>::default();
        let path = PathAndQuery::from_static(STREAM_PATH);
        let mut stream = grpc
            .server_streaming(ask(2_500_000, 1 << 20), path, codec)
            .await
            .unwrap()
            .into_inner();
        let mut sizes = Vec::new();
        let mut got = Vec::new();
        while let Some(blob) = stream.message().await.unwrap() {
            sizes.push(blob.data.len());
            got.extend_from_slice(&blob.data);
        }
        assert_eq!(sizes, [1 << 20, 1 << 20, 2_500_000 - (2 << 20)]);
        assert_eq!(got, payload[..2_500_000]);
        grpc.ready().await.unwrap();
        let codec = ProstCodec::<ReadRequest, Blob>::default();
        let path = PathAndQuery::from_static(READ_PATH);
        let err = grpc.unary(ask(4 << 20, 0), path, codec).await.unwrap_err();
        assert_eq!(err.code(), tonic::Code::InvalidArgument, "{err}");
    }
}
