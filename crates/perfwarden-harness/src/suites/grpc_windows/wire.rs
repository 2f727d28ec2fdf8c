//! Read and Stream framed by hand, so a payload crosses the process as the same `Bytes`
//! from the server's buffer to the socket, and from h2's receive buffer to the reader.
//!
//! tonic's codec path copies every message twice: the server encodes it into a fresh
//! `BytesMut` (prost copies a `bytes` field), and the client gathers the body's frames into
//! another fresh buffer of the message's size before decoding. At 16-256 MB those copies,
//! and the page faults of the fresh buffers, cost more than the transport: Read reached
//! 0.2-0.3 of raw TCP. Here the server sends each message as two frames, its prefix (gRPC's
//! 5-byte header, the field's tag and length) and a slice of the payload, which h2 writes
//! with vectored I/O; the client ([`BlobReader`]) splits the prefixes out of whatever frames
//! arrive and hands the payload on as slices of them. The bytes on the wire are exactly
//! what prost and tonic produce (a test checks), so any gRPC peer reads them.

use bytes::{BufMut, Bytes, BytesMut};
use http_body::Frame;
use tonic::Status;
use tonic::body::Body;
use tonic::codegen::http;

/// gRPC's message header: a compression flag and a big-endian u32 length.
const HEADER: usize = 5;
/// The tag of `Blob.data` (field 1, length-delimited).
const DATA_TAG: u8 = 0x0a;
/// Header, tag and the longest varint.
const PREFIX_MAX: usize = HEADER + 1 + 10;

/// A small message (a request, a summary) as one gRPC frame, encoded by prost.
pub(crate) fn message(m: &impl prost::Message) -> Bytes {
    let len = m.encoded_len();
    let mut buf = BytesMut::with_capacity(HEADER + len);
    buf.put_u8(0);
    buf.put_u32(len as u32);
    m.encode(&mut buf)
        .expect("the buffer was sized for the message");
    buf.freeze()
}

/// The one message of a small gRPC body (a request), decoded by prost.
pub(crate) fn one_message<M: prost::Message + Default>(body: &[u8]) -> Result<M, Status> {
    let Some((head, rest)) = body.split_first_chunk::<HEADER>() else {
        return Err(Status::internal("request body shorter than a gRPC header"));
    };
    let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
    if head[0] != 0 || rest.len() != len {
        return Err(Status::internal(format!(
            "request body: flag {}, {len} bytes announced, {} sent",
            head[0],
            rest.len()
        )));
    }
    M::decode(rest).map_err(|e| Status::internal(format!("request body: {e}")))
}

/// What precedes a `Blob` of `len` bytes on the wire. proto3 leaves an empty field out, so
/// an empty blob is the bare header.
pub(crate) fn blob_prefix(len: usize) -> Bytes {
    let mut buf = BytesMut::with_capacity(PREFIX_MAX);
    let body = if len == 0 {
        0
    } else {
        1 + prost::encoding::encoded_len_varint(len as u64) + len
    };
    buf.put_u8(0);
    buf.put_u32(body as u32);
    if len > 0 {
        buf.put_u8(DATA_TAG);
        prost::encoding::encode_varint(len as u64, &mut buf);
    }
    buf.freeze()
}

/// A successful response whose body is `data` as `Blob` messages of `chunk` bytes (one
/// message when `chunk` covers it), each a prefix frame and a payload frame, then the
/// `grpc-status: 0` trailers.
pub(crate) fn blob_response(data: Bytes, chunk: usize) -> http::Response<Body> {
    let chunk = chunk.max(1);
    let n = data.len().div_ceil(chunk).max(1);
    let frames = (0..n).flat_map(move |i| {
        let part = data.slice((i * chunk).min(data.len())..((i + 1) * chunk).min(data.len()));
        [Frame::data(blob_prefix(part.len())), Frame::data(part)]
    });
    let frames = frames.filter(|f| f.data_ref().is_none_or(|d| !d.is_empty()));
    let mut trailers = http::HeaderMap::new();
    trailers.insert("grpc-status", http::HeaderValue::from_static("0"));
    let frames = frames
        .chain(std::iter::once(Frame::trailers(trailers)))
        .map(Ok::<_, Status>);
    let body = http_body_util::StreamBody::new(futures::stream::iter(frames));
    let mut res = http::Response::new(Body::new(body));
    res.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/grpc"),
    );
    res
}

/// Reads `Blob` messages out of a response body's frames without copying their payload:
/// the prefix bytes (at most 16 per message) are gathered, the payload is passed on as
/// slices of the frames it arrived in.
#[derive(Debug, Default)]
pub(crate) struct BlobReader {
    head: Vec<u8>,
    /// Payload bytes of the current message still to come.
    left: usize,
    messages: u64,
}

impl BlobReader {
    /// Consumes one data frame, giving every payload slice in it to `sink`.
    pub(crate) fn feed(
        &mut self,
        mut data: Bytes,
        sink: &mut impl FnMut(Bytes),
    ) -> Result<(), Status> {
        while !data.is_empty() {
            if self.left > 0 {
                let n = self.left.min(data.len());
                sink(data.split_to(n));
                self.left -= n;
                if self.left == 0 {
                    self.messages += 1;
                }
                continue;
            }
            self.head.push(data[0]);
            data = data.split_off(1);
            if let Some(len) = prefix_len(&self.head)? {
                self.head.clear();
                self.left = len;
                if len == 0 {
                    self.messages += 1;
                }
            }
        }
        Ok(())
    }

    /// Complete messages read so far.
    pub(crate) fn messages(&self) -> u64 {
        self.messages
    }

    /// An error when the body ended inside a message.
    pub(crate) fn finish(&self) -> Result<(), Status> {
        if self.head.is_empty() && self.left == 0 {
            Ok(())
        } else {
            Err(Status::internal(format!(
                "response ended inside a message ({} payload bytes missing)",
                self.left
            )))
        }
    }
}

/// The payload length a complete prefix announces, `None` while it is incomplete.
fn prefix_len(head: &[u8]) -> Result<Option<usize>, Status> {
    let Some((h, rest)) = head.split_first_chunk::<HEADER>() else {
        return Ok(None);
    };
    if h[0] != 0 {
        return Err(Status::internal("compressed message, none was asked for"));
    }
    let body = u32::from_be_bytes([h[1], h[2], h[3], h[4]]) as usize;
    if body == 0 {
        return Ok(Some(0));
    }
    let Some((&tag, mut varint)) = rest.split_first() else {
        return Ok(None);
    };
    if tag != DATA_TAG {
        return Err(Status::internal(format!(
            "Blob message starts with tag {tag:#x}"
        )));
    }
    if varint.last().is_none_or(|b| b & 0x80 != 0) {
        return if head.len() < PREFIX_MAX {
            Ok(None)
        } else {
            Err(Status::internal("Blob length is not a varint"))
        };
    }
    let used = varint.len();
    let len = prost::encoding::decode_varint(&mut varint)
        .map_err(|e| Status::internal(format!("Blob length: {e}")))? as usize;
    if 1 + used + len != body {
        return Err(Status::internal(format!(
            "a {body}-byte Blob message holds a {len}-byte field and nothing else is expected"
        )));
    }
    Ok(Some(len))
}

#[cfg(test)]
mod tests {
    use super::super::messages::Blob;
    use super::*;
    use http_body_util::BodyExt;

    /// gRPC's framing (flag, big-endian length) of prost's encoding, spelled out here
    /// independently of [`message`]: what tonic or any gRPC peer sends.
    fn tonic_bytes(data: &Bytes) -> Vec<u8> {
        let encoded = prost::Message::encode_to_vec(&Blob { data: data.clone() });
        let mut out = vec![0];
        out.extend((encoded.len() as u32).to_be_bytes());
        out.extend(encoded);
        out
    }

    fn body_bytes(res: http::Response<Body>) -> Vec<u8> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let collected = rt.block_on(res.into_body().collect()).unwrap();
        assert_eq!(collected.trailers().unwrap()["grpc-status"], "0");
        collected.to_bytes().to_vec()
    }

    #[test]
    fn hand_framed_bytes_are_prosts_bytes() {
        let data = super::super::payload::generate(7, 300_000);
        for (len, chunk) in [
            (0, 10),
            (1, 10),
            (127, 127),
            (128, 1000),
            (300_000, 65_536),
            (300_000, 1 << 20),
        ] {
            let data = data.slice(..len);
            let mut expected = Vec::new();
            for i in 0..len.div_ceil(chunk).max(1) {
                let part = data.slice((i * chunk).min(len)..((i + 1) * chunk).min(len));
                expected.extend(tonic_bytes(&part));
            }
            assert_eq!(
                body_bytes(blob_response(data.clone(), chunk)),
                expected,
                "{len}/{chunk}"
            );
        }
    }

    #[test]
    fn reader_takes_messages_split_anywhere() {
        let data = super::super::payload::generate(9, 1000);
        let wire: Vec<u8> = [data.slice(..300), data.slice(300..300), data.slice(300..)]
            .iter()
            .flat_map(tonic_bytes)
            .collect();
        for cut in 1..40 {
            let mut reader = BlobReader::default();
            let mut got = Vec::new();
            for piece in wire.chunks(cut) {
                reader
                    .feed(Bytes::copy_from_slice(piece), &mut |b| {
                        got.extend_from_slice(&b)
                    })
                    .unwrap();
            }
            reader.finish().unwrap();
            assert_eq!(
                (got.as_slice(), reader.messages()),
                (&data[..], 3),
                "cut {cut}"
            );
        }
    }

    #[test]
    fn reader_refuses_what_is_not_a_blob() {
        let mut reader = BlobReader::default();
        let cut = Bytes::from(tonic_bytes(&Bytes::from_static(b"abc"))[..7].to_vec());
        reader.feed(cut, &mut |_| {}).unwrap();
        assert!(
            reader
                .finish()
                .unwrap_err()
                .message()
                .contains("inside a message")
        );
        let compressed = Bytes::from_static(&[1, 0, 0, 0, 1, 0]);
        assert!(BlobReader::default().feed(compressed, &mut |_| {}).is_err());
        let other_field = Bytes::from_static(&[0, 0, 0, 0, 2, 0x10, 1]);
        let err = BlobReader::default()
            .feed(other_field, &mut |_| {})
            .unwrap_err();
        assert!(err.message().contains("tag 0x10"), "{err}");
    }

    #[test]
    fn small_messages_round_trip() {
        use super::super::messages::ReadRequest;
        let req = ReadRequest {
            size: 1 << 28,
            chunk_bytes: 4096,
        };
        assert_eq!(one_message::<ReadRequest>(&message(&req)).unwrap(), req);
        assert!(one_message::<ReadRequest>(&message(&req)[..6]).is_err());
    }
}
