//! The blob service (server side): a hand-written tonic service over [`super::messages`],
//! dispatching on the request path the way `tonic-build`'s generated code does.
//!
//! The server serves prefixes of one shared payload (Read and Stream) and swallows what it
//! is sent (Write), hashing only when the client asks, so the measurement is of the
//! transport and not of the server's work.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::task::{Context, Poll};

use bytes::Bytes;
use hyper::body::Body as HttpBody;
use tokio::sync::oneshot;
use tonic::body::Body;
use tonic::codegen::{BoxFuture, BoxStream, Service, http};
use tonic::server::{
    ClientStreamingService, Grpc, NamedService, ServerStreamingService, UnaryService,
};
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;
use tonic::{Request, Response, Status, Streaming};
use tonic_prost::ProstCodec;

use super::GrpcWindowsError;
use super::messages::*;
use super::payload::Checksum;
use super::profiles::WindowProfile;

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

struct ReadSvc(BlobService);

impl UnaryService<ReadRequest> for ReadSvc {
    type Response = Blob;
    type Future = BoxFuture<Response<Blob>, Status>;

    fn call(&mut self, request: Request<ReadRequest>) -> Self::Future {
        let data = self.0.prefix(request.get_ref().size);
        Box::pin(async move { Ok(Response::new(Blob { data: data? })) })
    }
}

struct StreamSvc(BlobService);

impl ServerStreamingService<ReadRequest> for StreamSvc {
    type Response = Blob;
    type ResponseStream = BoxStream<Blob>;
    type Future = BoxFuture<Response<BoxStream<Blob>>, Status>;

    fn call(&mut self, request: Request<ReadRequest>) -> Self::Future {
        let req = request.into_inner();
        let data = self.0.prefix(req.size);
        let chunk = match req.chunk_bytes {
            0 => DEFAULT_CHUNK_BYTES,
            n => n as usize,
        };
        Box::pin(async move {
            let data = data?;
            let chunks = (0..data.len().div_ceil(chunk)).map(move |i| {
                let end = ((i + 1) * chunk).min(data.len());
                Ok(Blob {
                    data: data.slice(i * chunk..end),
                })
            });
            let stream: BoxStream<Blob> = Box::pin(futures::stream::iter(chunks));
            Ok(Response::new(stream))
        })
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
                READ_PATH => {
                    grpc::<Blob, ReadRequest>()
                        .unary(ReadSvc(this.clone()), req)
                        .await
                }
                STREAM_PATH => {
                    grpc::<Blob, ReadRequest>()
                        .server_streaming(StreamSvc(this.clone()), req)
                        .await
                }
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
