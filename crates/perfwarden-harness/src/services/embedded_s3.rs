//! An S3 server inside this process: `s3s-fs` (the S3 protocol over a directory) served by
//! hyper on a free loopback port. It speaks the real protocol, signatures included, to the
//! real `aws-sdk-s3` client; only the storage behind it is a local directory.
//!
//! It runs on its own runtime and named threads (`perfwarden-s3`), so it neither depends on
//! the caller's runtime nor shares its workers, and its CPU can be told apart from the
//! client's when resources are sampled.

use std::net::SocketAddr;
use std::path::Path;
use std::thread::JoinHandle;
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use s3s::auth::SimpleAuth;
use s3s::service::S3ServiceBuilder;
use tokio::net::TcpListener;

use super::resources::ResourceTarget;
use super::{ProviderKind, Service, ServiceError};

/// The name (and, truncated to 15 bytes, the /proc comm) of the server's threads.
pub(crate) const THREAD_NAME: &str = "perfwarden-s3";

/// The s3s-fs release this build serves (kept in step with Cargo.lock).
pub(crate) const VERSION: &str = "0.14";

/// The longest object key this server can take up in parts in `bucket`.
///
/// s3s-fs keeps an upload's metadata in one file named
/// `.bucket-{bucket}.object-{key}.upload-{uuid}.metadata.json`, bucket and key in URL-safe
/// base64 without padding (s3s-fs 0.14, `fs.rs::get_metadata_path`); where that name passes
/// the file system's 255 bytes, `CreateMultipartUpload` fails with HTTP 500. Any other S3
/// server takes keys of up to 1,024 bytes.
pub fn max_key_bytes(bucket: &str) -> usize {
    const NAME_MAX: usize = 255;
    // ".bucket-", ".object-", ".upload-", a hyphenated UUID and ".metadata.json".
    const FIXED: usize = 8 + 8 + 8 + 36 + 14;
    let b64_len = |bytes: usize| (4 * bytes).div_ceil(3);
    let room = NAME_MAX.saturating_sub(FIXED + b64_len(bucket.len()));
    // The most bytes whose base64 fits in `room` characters.
    room * 3 / 4
}

/// A running embedded S3 server; dropping it stops the server and its threads.
#[derive(Debug)]
pub struct EmbeddedS3 {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl EmbeddedS3 {
    /// Serves the directory `root` on 127.0.0.1 with one access key.
    pub fn start(
        root: &Path,
        access_key: &str,
        secret_key: &str,
    ) -> Result<EmbeddedS3, ServiceError> {
        let start_err = |what: String| ServiceError::Start {
            service: Service::S3,
            provider: ProviderKind::Embedded,
            what,
            log: String::new(),
        };
        let fs = s3s_fs::FileSystem::new(root)
            .map_err(|e| start_err(format!("s3s-fs cannot use {}: {e:?}", root.display())))?;
        let service = {
            let mut builder = S3ServiceBuilder::new(fs);
            builder.set_auth(SimpleAuth::from_single(access_key, secret_key));
            // No host parser: buckets are addressed path-style, which the client is set to.
            builder.build()
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name(THREAD_NAME)
            .enable_all()
            .build()
            .map_err(|e| start_err(format!("cannot build its runtime: {e}")))?;
        let std_listener = std::net::TcpListener::bind(("127.0.0.1", 0))
            .map_err(|e| start_err(format!("cannot listen on 127.0.0.1: {e}")))?;
        let addr = std_listener
            .local_addr()
            .map_err(|e| start_err(format!("no local address: {e}")))?;
        std_listener
            .set_nonblocking(true)
            .map_err(|e| start_err(format!("cannot set non-blocking: {e}")))?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name(THREAD_NAME.into())
            .spawn(move || {
                runtime.block_on(async move {
                    let Ok(listener) = TcpListener::from_std(std_listener) else {
                        return;
                    };
                    serve(listener, service, stopped).await;
                });
                // Connections still open are dropped with the runtime, not waited for.
                runtime.shutdown_timeout(Duration::from_secs(2));
            })
            .map_err(|e| start_err(format!("cannot start its thread: {e}")))?;
        Ok(EmbeddedS3 {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub(crate) fn resource_target(&self) -> ResourceTarget {
        ResourceTarget::Threads {
            service: Service::S3,
            prefix: THREAD_NAME.into(),
        }
    }
}

async fn serve(
    listener: TcpListener,
    service: s3s::service::S3Service,
    mut stopped: tokio::sync::oneshot::Receiver<()>,
) {
    let http = ConnBuilder::new(TokioExecutor::new());
    loop {
        let socket = tokio::select! {
            _ = &mut stopped => break,
            accepted = listener.accept() => match accepted {
                Ok((socket, _)) => socket,
                // A failed accept (e.g. out of file descriptors) is retried after a pause
                // rather than ending the server under the suite's feet.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        let _ = socket.set_nodelay(true);
        let conn = http
            .serve_connection(TokioIo::new(socket), service.clone())
            .into_owned();
        tokio::spawn(async move {
            let _ = conn.await;
        });
    }
}

impl Drop for EmbeddedS3 {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
