//! A minimal HTTP/1.1 keep-alive client for the peers bench: one prebuilt `GET` written
//! as is, the answer's head parsed with `httparse`, its body read by `Content-Length`.
//!
//! Why not hyper here: wrk's client is exactly this (a request built once, an incremental
//! parser on the answer), so measuring our engine behind hyper against wrk measured
//! hyper's dispatch (a connection task, a channel and a oneshot per request) as much as
//! the engine. With this client the ratio to wrk is the engine's own cost; hyper's is
//! measured too, as the tool `ours-hyper`, against `ours` in the same rounds.

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Headers an answer may carry; the no-op server sends two.
const MAX_HEADERS: usize = 32;

/// One connection, owned by one load worker.
pub(crate) struct RawHttp {
    sock: TcpStream,
    request: Vec<u8>,
    buf: BytesMut,
}

impl RawHttp {
    /// Connects to `authority` (host:port) to `GET path` on it.
    pub(crate) async fn connect(authority: &str, path: &str) -> std::io::Result<RawHttp> {
        let sock = TcpStream::connect(authority).await?;
        sock.set_nodelay(true)?;
        Ok(RawHttp {
            sock,
            request: request(authority, path),
            buf: BytesMut::with_capacity(4096),
        })
    }

    /// Sends the request and reads its whole answer; an answer other than 2xx is an error.
    pub(crate) async fn get(&mut self) -> Result<(), String> {
        self.sock
            .write_all(&self.request)
            .await
            .map_err(|e| format!("write: {e}"))?;
        let (status, head, body) = loop {
            if let Some(parsed) = parse_head(&self.buf)? {
                break parsed;
            }
            self.fill().await?;
        };
        while self.buf.len() < head + body {
            self.fill().await?;
        }
        self.buf.advance(head + body);
        if (200..300).contains(&status) {
            Ok(())
        } else {
            Err(format!("HTTP {status}"))
        }
    }

    async fn fill(&mut self) -> Result<(), String> {
        match self.sock.read_buf(&mut self.buf).await {
            Ok(0) => Err("the server closed the connection".into()),
            Ok(_) => Ok(()),
            Err(e) => Err(format!("read: {e}")),
        }
    }
}

/// The request bytes, as wrk sends them (origin form, Host, nothing else).
fn request(authority: &str, path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: {authority}\r\n\r\n").into_bytes()
}

/// The status, head length and body length of the answer at the start of `buf`, or `None`
/// while its head is incomplete. A body without `Content-Length` (chunked, or up to the
/// close) is refused: the no-op server never sends one.
fn parse_head(buf: &[u8]) -> Result<Option<(u16, usize, usize)>, String> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut res = httparse::Response::new(&mut headers);
    let head = match res.parse(buf).map_err(|e| format!("bad answer: {e}"))? {
        httparse::Status::Complete(n) => n,
        httparse::Status::Partial => return Ok(None),
    };
    let length = res
        .headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("content-length"))
        .ok_or("an answer without Content-Length")?;
    let body = std::str::from_utf8(length.value)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .ok_or("an unreadable Content-Length")?;
    Ok(Some((res.code.unwrap_or(0), head, body)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_are_read_whole_or_not_at_all() {
        let answer = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ndate: x\r\n\r\nhi";
        let head = answer.len() - 2;
        assert_eq!(parse_head(answer), Ok(Some((200, head, 2))));
        assert_eq!(parse_head(&answer[..head - 1]), Ok(None));
        assert_eq!(parse_head(b""), Ok(None));
        let chunked = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n";
        assert!(parse_head(chunked).unwrap_err().contains("Content-Length"));
        assert!(parse_head(b"NOT HTTP\r\n\r\n").is_err());
    }

    #[test]
    fn the_request_is_what_wrk_sends() {
        assert_eq!(
            request("127.0.0.1:8080", "/"),
            b"GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n"
        );
    }

    #[test]
    fn a_real_server_answers_back_to_back() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap().to_string();
            tokio::spawn(async move {
                let (mut sock, _) = listener.accept().await.unwrap();
                let (mut buf, mut seen, mut answered) = (vec![0u8; 1024], 0, 0);
                let ok = "HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\nabc";
                while answered < 3 {
                    let n = sock.read(&mut buf).await.unwrap();
                    seen += buf[..n].windows(4).filter(|w| w == b"\r\n\r\n").count();
                    // The first request gets two answers in one write (the second stays
                    // buffered for the next request); the third gets a 404.
                    if seen >= 1 && answered == 0 {
                        sock.write_all(format!("{ok}{ok}").as_bytes())
                            .await
                            .unwrap();
                        answered = 2;
                    }
                    if seen >= 3 && answered == 2 {
                        let nf = b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n";
                        sock.write_all(nf).await.unwrap();
                        answered = 3;
                    }
                }
            });
            let mut c = RawHttp::connect(&addr, "/").await.unwrap();
            assert_eq!(c.get().await, Ok(()));
            assert_eq!(c.get().await, Ok(()));
            assert_eq!(c.get().await, Err("HTTP 404".into()));
        });
    }
}
