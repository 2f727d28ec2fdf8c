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

const S3_FULL: [(&str, &str); 5] = [
    (S3_ENDPOINT, "http://minio:9000/"),
    (S3_BUCKET, "wef-events"),
    (AWS_ACCESS_KEY_ID, "miniouser"),
    (AWS_SECRET_ACCESS_KEY, "miniopassword"),
    (AWS_REGION, "us-east-1"),
];

#[test]
fn s3_endpoint_needs_bucket_credentials_and_region() {
    let e = s3(&env(&S3_FULL)).unwrap().unwrap();
    assert_eq!(e.endpoint, "http://minio:9000");
    assert_eq!(e.bucket, "wef-events");
    assert_eq!(e.region, "us-east-1");
    assert!(e.path_style);
    assert!(!format!("{e:?}").contains("miniopassword"));

    let err = s3(&env(&S3_FULL[..2])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "S3_ENDPOINT: is set, but AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION not"
    );
}

#[test]
fn s3_region_falls_back_to_the_default_region_variable() {
    let mut pairs = S3_FULL[..4].to_vec();
    pairs.push(("AWS_DEFAULT_REGION", "eu-west-1"));
    assert_eq!(s3(&env(&pairs)).unwrap().unwrap().region, "eu-west-1");
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
