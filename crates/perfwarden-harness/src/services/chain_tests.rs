//! The chain's decisions as a table of (env vars, what the machine has) → provider or skip.

use super::*;

fn missing(why: &str) -> Probe {
    Probe::Missing { why: why.into() }
}

fn machine(endpoint: bool, container: Probe, native: Probe) -> Availability {
    Availability {
        endpoint,
        container,
        image: "redis:7.4.2".into(),
        native,
    }
}

fn decide_redis(env: &[(&str, &str)], avail: &Availability) -> Decision {
    decide(Service::Redis, &Env::from_pairs(env.iter().copied()), avail).unwrap()
}

#[test]
fn a_named_endpoint_comes_first() {
    let all = machine(true, Probe::Available, Probe::Available);
    assert_eq!(
        decide_redis(&[], &all),
        Decision::Use(ProviderKind::Endpoint)
    );
}

#[test]
fn container_comes_before_the_native_binary() {
    let avail = machine(false, Probe::Available, Probe::Available);
    assert_eq!(
        decide_redis(&[], &avail),
        Decision::Use(ProviderKind::Container)
    );
}

#[test]
fn an_unusable_image_falls_through_to_native() {
    let avail = machine(
        false,
        Probe::Unusable {
            why: "image not pulled".into(),
        },
        Probe::Available,
    );
    assert_eq!(
        decide_redis(&[], &avail),
        Decision::Use(ProviderKind::Native)
    );
}

#[test]
fn s3_falls_back_to_the_embedded_server() {
    let avail = machine(
        false,
        missing("Docker does not answer"),
        missing("not found"),
    );
    assert_eq!(
        decide(Service::S3, &Env::default(), &avail).unwrap(),
        Decision::Use(ProviderKind::Embedded)
    );
}

/// A machine with no Qdrant server of any kind.
fn no_qdrant_server() -> Availability {
    Availability {
        endpoint: false,
        container: missing("Docker does not answer"),
        image: "qdrant/qdrant:v1.18.3".into(),
        native: missing("not found"),
    }
}

/// Without the embedded engine built in, a Qdrant-less machine skips.
#[test]
#[cfg(not(feature = "embedded-qdrant"))]
fn nothing_available_skips_with_every_way_to_enable_it() {
    let avail = no_qdrant_server();
    assert_eq!(
        decide(Service::Qdrant, &Env::default(), &avail).unwrap(),
        Decision::Skip(
            "no Qdrant: set QDRANT_URL (and QDRANT_API_KEY), run Docker with the \
             qdrant/qdrant:v1.18.3 image (Docker does not answer), or put `qdrant` on PATH \
             (not found)"
                .into()
        )
    );
}

#[test]
#[cfg(feature = "embedded-qdrant")]
fn qdrant_falls_back_to_its_engine_in_process() {
    let avail = no_qdrant_server();
    assert_eq!(
        decide(Service::Qdrant, &Env::default(), &avail).unwrap(),
        Decision::Use(ProviderKind::Embedded)
    );
    let native = Env::from_pairs([("PERFWARDEN_QDRANT", "native")]);
    assert!(matches!(
        decide(Service::Qdrant, &native, &avail).unwrap(),
        Decision::Skip(_)
    ));
}

#[test]
fn a_per_service_variable_wins_over_the_global_one() {
    let avail = machine(true, Probe::Available, Probe::Available);
    let env = [
        ("PERFWARDEN_PROVIDER", "container"),
        ("PERFWARDEN_REDIS", "native"),
    ];
    assert_eq!(
        decide_redis(&env, &avail),
        Decision::Use(ProviderKind::Native)
    );
    assert_eq!(
        candidates(Service::Redis, &Env::from_pairs(env)).unwrap(),
        vec![ProviderKind::Native]
    );
}

#[test]
fn a_forced_provider_does_not_fall_through() {
    let avail = machine(true, Probe::Available, missing("not found"));
    assert_eq!(
        decide_redis(&[("PERFWARDEN_REDIS", "native")], &avail),
        Decision::Skip(
            "no Redis: PERFWARDEN_REDIS=native forces the native provider: put `redis-server` \
             on PATH (not found)"
                .into()
        )
    );
}

#[test]
fn forcing_a_provider_the_service_lacks_skips_it() {
    let avail = machine(false, Probe::Available, Probe::Available);
    assert_eq!(
        decide_redis(&[("PERFWARDEN_PROVIDER", "embedded")], &avail),
        Decision::Skip(
            "no Redis: PERFWARDEN_PROVIDER=embedded, but Redis has no embedded provider".into()
        )
    );
    assert!(
        candidates(
            Service::Redis,
            &Env::from_pairs([("PERFWARDEN_PROVIDER", "embedded")])
        )
        .unwrap()
        .is_empty()
    );
    // The same global setting is fine for S3.
    assert_eq!(
        decide(
            Service::S3,
            &Env::from_pairs([("PERFWARDEN_PROVIDER", "embedded")]),
            &avail
        )
        .unwrap(),
        Decision::Use(ProviderKind::Embedded)
    );
}

#[test]
fn a_service_can_be_turned_off_and_auto_restores_the_chain() {
    let avail = machine(true, Probe::Available, Probe::Available);
    assert_eq!(
        decide_redis(&[("PERFWARDEN_REDIS", "skip")], &avail),
        Decision::Skip("Redis is turned off by PERFWARDEN_REDIS".into())
    );
    assert_eq!(
        decide_redis(
            &[
                ("PERFWARDEN_PROVIDER", "native"),
                ("PERFWARDEN_REDIS", "auto")
            ],
            &avail
        ),
        Decision::Use(ProviderKind::Endpoint)
    );
}

#[test]
fn an_unknown_provider_is_a_configuration_error() {
    let err = decide(
        Service::Redis,
        &Env::from_pairs([("PERFWARDEN_REDIS", "kubernetes")]),
        &Availability::default(),
    )
    .unwrap_err();
    assert!(err.is_bad_input());
    assert!(
        err.to_string()
            .starts_with("PERFWARDEN_REDIS: unknown provider \"kubernetes\"")
    );
}

#[test]
fn empty_values_count_as_unset() {
    let env = Env::from_pairs([("PERFWARDEN_PROVIDER", "  "), ("REDIS_URL", "")]);
    assert_eq!(env.get("REDIS_URL"), None);
    assert_eq!(forcing(Service::Redis, &env).unwrap(), Forcing::Auto);
}

#[test]
fn provider_names_have_aliases() {
    assert_eq!("Docker".parse(), Ok(ProviderKind::Container));
    assert_eq!("binary".parse(), Ok(ProviderKind::Native));
    assert_eq!("in-process".parse(), Ok(ProviderKind::Embedded));
    assert_eq!("cloud".parse::<ProviderKind>(), Err(()));
}
