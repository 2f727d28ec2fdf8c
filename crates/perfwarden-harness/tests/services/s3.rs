//! S3 through each provider: bucket creation, single and multipart puts, paginated
//! listing and ranged gets, all through the real aws-sdk-s3 client.

use anyhow::{Context, Result, ensure};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use perfwarden_harness::services::s3::{self, S3Service};
use perfwarden_harness::services::{Env, ProviderKind, require_or_skip};

use super::unique;

/// S3's smallest part size (all but the last part).
const PART: usize = 5 * 1024 * 1024;

/// Deterministic bytes that differ at every offset a range could pick.
fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[(i % 3) + 1] ^ seed)
        .collect()
}

async fn get(svc: &S3Service, bucket: &str, key: &str, range: Option<&str>) -> Result<Vec<u8>> {
    let mut req = svc.client.get_object().bucket(bucket).key(key);
    if let Some(range) = range {
        req = req.range(range);
    }
    let out = req.send().await.with_context(|| format!("GET {key}"))?;
    Ok(out.body.collect().await?.into_bytes().to_vec())
}

pub(super) async fn round_trip(svc: &S3Service) -> Result<()> {
    let client = &svc.client;
    // Servers perfwarden owns get a fresh bucket to prove creation; a named endpoint is used
    // as configured (its credentials may not allow creating buckets).
    let bucket = if svc.provider == ProviderKind::Endpoint {
        svc.ensure_bucket().await?;
        svc.bucket.clone()
    } else {
        let b = unique("perfwarden-test").to_lowercase();
        client.create_bucket().bucket(&b).send().await?;
        let listed = client.list_buckets().send().await?;
        ensure!(
            listed
                .buckets()
                .iter()
                .any(|x| x.name() == Some(b.as_str())),
            "created bucket {b} is not listed"
        );
        b
    };
    let prefix = unique("roundtrip");

    // A single put, read back whole.
    let small = pattern(1000, 1);
    let key = format!("{prefix}/single.bin");
    client
        .put_object()
        .bucket(&bucket)
        .key(&key)
        .body(ByteStream::from(small.clone()))
        .send()
        .await?;
    ensure!(
        get(svc, &bucket, &key, None).await? == small,
        "single put differs"
    );

    // A multipart put: two full parts and a short last one.
    let big = pattern(2 * PART + 12_345, 7);
    let key = format!("{prefix}/multipart.bin");
    let upload = client
        .create_multipart_upload()
        .bucket(&bucket)
        .key(&key)
        .send()
        .await?;
    let upload_id = upload.upload_id().context("no upload id")?;
    let mut parts = Vec::new();
    for (i, chunk) in big.chunks(PART).enumerate() {
        let number = i as i32 + 1;
        let out = client
            .upload_part()
            .bucket(&bucket)
            .key(&key)
            .upload_id(upload_id)
            .part_number(number)
            .body(ByteStream::from(chunk.to_vec()))
            .send()
            .await?;
        parts.push(
            CompletedPart::builder()
                .part_number(number)
                .set_e_tag(out.e_tag().map(str::to_string))
                .build(),
        );
    }
    ensure!(parts.len() == 3);
    client
        .complete_multipart_upload()
        .bucket(&bucket)
        .key(&key)
        .upload_id(upload_id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(parts))
                .build(),
        )
        .send()
        .await?;
    let head = client
        .head_object()
        .bucket(&bucket)
        .key(&key)
        .send()
        .await?;
    ensure!(head.content_length() == Some(big.len() as i64), "{head:?}");
    ensure!(
        get(svc, &bucket, &key, None).await? == big,
        "multipart object differs"
    );

    // A ranged get across the boundary of the first two parts.
    let (from, to) = (PART - 100, PART + 99);
    let range = get(svc, &bucket, &key, Some(&format!("bytes={from}-{to}"))).await?;
    ensure!(range == big[from..=to], "ranged GET returned other bytes");

    // Listing in pages smaller than the number of keys.
    let listed_prefix = format!("{prefix}/many/");
    for i in 0..25 {
        client
            .put_object()
            .bucket(&bucket)
            .key(format!("{listed_prefix}{i:03}"))
            .body(ByteStream::from(vec![i as u8; 10]))
            .send()
            .await?;
    }
    let mut keys = Vec::new();
    let mut pages = 0;
    let mut token: Option<String> = None;
    loop {
        let page = client
            .list_objects_v2()
            .bucket(&bucket)
            .prefix(&listed_prefix)
            .max_keys(10)
            .set_continuation_token(token.clone())
            .send()
            .await?;
        pages += 1;
        ensure!(
            page.contents().len() <= 10,
            "a page held more than max-keys"
        );
        keys.extend(
            page.contents()
                .iter()
                .filter_map(|o| o.key().map(str::to_string)),
        );
        token = page.next_continuation_token().map(str::to_string);
        if !page.is_truncated().unwrap_or(false) {
            break;
        }
        ensure!(
            token.is_some(),
            "a truncated page without a continuation token"
        );
        ensure!(pages < 10, "listing does not end");
    }
    let expected: Vec<String> = (0..25).map(|i| format!("{listed_prefix}{i:03}")).collect();
    ensure!(pages == 3, "25 keys in pages of 10 took {pages} pages");
    ensure!(keys == expected, "listed keys: {keys:?}");

    // Clean up what a shared endpoint would otherwise keep.
    let mut all = vec![format!("{prefix}/single.bin"), key];
    all.extend(expected);
    for k in all {
        client.delete_object().bucket(&bucket).key(k).send().await?;
    }
    if svc.provider != ProviderKind::Endpoint {
        client.delete_bucket().bucket(&bucket).send().await?;
    }
    Ok(())
}

async fn via(kind: ProviderKind, key: &str) -> Result<()> {
    let Some(svc) = require_or_skip(s3::provide_via(kind).await?, key)? else {
        return Ok(());
    };
    ensure!(
        svc.provider == kind,
        "asked for {kind}, got {}",
        svc.provider
    );
    round_trip(&svc).await
}

#[tokio::test]
#[ignore = "needs S3: AWS_ENDPOINT_URL_S3 or S3_ENDPOINT, Docker with a MinIO image, minio on PATH, or the embedded server"]
async fn s3_through_the_chain() -> Result<()> {
    let Some(svc) = require_or_skip(s3::provide().await?, "s3")? else {
        return Ok(());
    };
    round_trip(&svc).await
}

#[tokio::test]
#[ignore = "needs AWS_ENDPOINT_URL_S3 (or S3_ENDPOINT), S3_BUCKET and AWS credentials"]
async fn s3_at_a_named_endpoint() -> Result<()> {
    via(ProviderKind::Endpoint, "s3:endpoint").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Docker with a MinIO image (PERFWARDEN_MINIO_IMAGE/_TAG)"]
async fn s3_in_a_minio_container() -> Result<()> {
    via(ProviderKind::Container, "s3:container").await
}

#[tokio::test]
#[ignore = "needs minio on PATH"]
async fn s3_as_a_native_minio() -> Result<()> {
    via(ProviderKind::Native, "s3:native").await
}

#[tokio::test]
#[ignore = "starts the embedded S3 server (s3s-fs) on a loopback port"]
async fn s3_embedded() -> Result<()> {
    via(ProviderKind::Embedded, "s3:embedded").await
}

#[tokio::test]
#[ignore = "starts the embedded S3 server (s3s-fs) on a loopback port"]
async fn s3_embedded_rejects_other_credentials() -> Result<()> {
    let Some(svc) = require_or_skip(
        s3::provide_via(ProviderKind::Embedded).await?,
        "s3:embedded",
    )?
    else {
        return Ok(());
    };
    // The real protocol includes its signatures: a client with another secret is refused.
    let config = svc
        .client
        .config()
        .to_builder()
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            &svc.access_key_id,
            "not-the-secret",
            None,
            None,
            "test",
        ))
        .build();
    let stranger = aws_sdk_s3::Client::from_conf(config);
    let denied = stranger.list_objects_v2().bucket(&svc.bucket).send().await;
    ensure!(denied.is_err(), "a wrong secret was accepted");
    svc.client
        .list_objects_v2()
        .bucket(&svc.bucket)
        .send()
        .await?;
    Ok(())
}

#[tokio::test]
async fn an_unreachable_s3_endpoint_fails_naming_it() -> Result<()> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let env = Env::from_pairs([
        ("S3_ENDPOINT", endpoint.as_str()),
        ("S3_BUCKET", "b"),
        ("PERFWARDEN_READY_TIMEOUT_SECS", "5"),
    ]);
    let err = s3::provide_from(&env)
        .await
        .expect_err("nothing listens there");
    ensure!(
        err.to_string()
            .starts_with(&format!("s3: endpoint {endpoint}: no answer")),
        "{err}"
    );
    // A partial setting is the user's mistake, named as such, not a silent fall-through.
    let partial = Env::from_pairs([("S3_ENDPOINT", endpoint.as_str())]);
    let err = s3::provide_from(&partial).await.expect_err("no bucket");
    ensure!(err.is_bad_input(), "{err}");
    Ok(())
}
