use super::*;

fn env(pairs: &[(&str, &str)]) -> Env {
    Env::from_pairs(pairs.iter().copied())
}

#[test]
fn redis_url_is_taken_as_given() {
    assert_eq!(redis(&env(&[])).unwrap(), None);
    let e = redis(&env(&[(REDIS_URL, "redis://cache:6379/0")])).unwrap();
    assert_eq!(e.unwrap().url, "redis://cache:6379/0");
    let err = redis(&env(&[(REDIS_URL, "http://cache:6379")])).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("REDIS_URL: expected a redis://")
    );
}

const S3_FULL: [(&str, &str); 2] = [
    (S3_ENDPOINT, "http://minio:9000/"),
    (S3_BUCKET, "wef-events"),
];

#[test]
fn s3_endpoint_needs_only_its_bucket() {
    let e = s3(&env(&S3_FULL)).unwrap().unwrap();
    assert_eq!(e.endpoint, "http://minio:9000");
    assert_eq!((e.var, e.bucket.as_str()), (S3_ENDPOINT, "wef-events"));
    assert!(e.path_style);

    let err = s3(&env(&[(AWS_ENDPOINT_URL_S3, "http://minio:9000")])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "AWS_ENDPOINT_URL_S3: is set, but S3_BUCKET not (the existing bucket to use)"
    );
    assert!(err.is_bad_input());
}

#[test]
fn the_sdk_s3_variable_comes_first_then_the_shorthand_then_the_global_one() {
    let at = |pairs: &[(&str, &str)]| {
        let mut pairs = pairs.to_vec();
        pairs.push((S3_BUCKET, "b"));
        s3(&env(&pairs)).unwrap().map(|e| (e.var, e.endpoint))
    };
    let all = [
        (AWS_ENDPOINT_URL, "http://global:1"),
        (S3_ENDPOINT, "http://short:2"),
        (AWS_ENDPOINT_URL_S3, "http://s3:3"),
    ];
    assert_eq!(at(&all), Some((AWS_ENDPOINT_URL_S3, "http://s3:3".into())));
    assert_eq!(at(&all[..2]), Some((S3_ENDPOINT, "http://short:2".into())));
    assert_eq!(
        at(&all[..1]),
        Some((AWS_ENDPOINT_URL, "http://global:1".into()))
    );
    assert_eq!(at(&[]), None);
    // The SDK's switch turns off its own variables, not perfwarden's shorthand.
    let mut ignored = all.to_vec();
    ignored.push((AWS_IGNORE_CONFIGURED_ENDPOINT_URLS, "true"));
    assert_eq!(at(&ignored), Some((S3_ENDPOINT, "http://short:2".into())));
    assert_eq!(at(&[ignored[0], ignored[3]]), None);
}

#[test]
fn aws_itself_is_addressed_virtual_hosted_unless_forced() {
    let mut pairs = S3_FULL.to_vec();
    pairs[0] = (S3_ENDPOINT, "https://s3.eu-west-1.amazonaws.com");
    assert!(!s3(&env(&pairs)).unwrap().unwrap().path_style);
    pairs.push((S3_FORCE_PATH_STYLE, "true"));
    assert!(s3(&env(&pairs)).unwrap().unwrap().path_style);
    pairs.pop();
    pairs.push((S3_FORCE_PATH_STYLE, "maybe"));
    assert!(s3(&env(&pairs)).unwrap_err().is_bad_input());
}

#[test]
fn qdrant_grpc_url_is_the_rest_host_on_6334() {
    let e = qdrant(&env(&[(QDRANT_URL, "http://qdrant:6333")]))
        .unwrap()
        .unwrap();
    assert_eq!(e.http_url, "http://qdrant:6333");
    assert_eq!(e.grpc_url, "http://qdrant:6334");
    assert_eq!(e.api_key, None);

    let cloud = qdrant(&env(&[
        (QDRANT_URL, "https://abc.cloud.qdrant.io"),
        (QDRANT_API_KEY, "k"),
    ]))
    .unwrap()
    .unwrap();
    assert_eq!(cloud.http_url, "https://abc.cloud.qdrant.io");
    assert_eq!(cloud.grpc_url, "https://abc.cloud.qdrant.io:6334");
    assert_eq!(cloud.api_key.as_deref(), Some("k"));
    assert!(!format!("{cloud:?}").contains("\"k\""));
}

#[test]
fn a_qdrant_url_on_6334_is_taken_as_grpc() {
    let e = qdrant(&env(&[(QDRANT_URL, "http://10.0.0.5:6334")]))
        .unwrap()
        .unwrap();
    assert_eq!(e.http_url, "http://10.0.0.5:6333");
    assert_eq!(e.grpc_url, "http://10.0.0.5:6334");
}

#[test]
fn qdrant_grpc_url_can_be_named() {
    let e = qdrant(&env(&[
        (QDRANT_URL, "http://lb:80"),
        (QDRANT_GRPC_URL, "http://lb-grpc:443/"),
    ]))
    .unwrap()
    .unwrap();
    assert_eq!(e.http_url, "http://lb");
    assert_eq!(e.grpc_url, "http://lb-grpc:443");
    assert!(qdrant(&env(&[(QDRANT_URL, "qdrant:6333")])).is_err());
}
