use super::*;

fn at(ms: u64, cpu_seconds: f64, memory_bytes: u64) -> Sample {
    Sample {
        at: Duration::from_millis(ms),
        cpu_seconds,
        memory_bytes,
    }
}

#[test]
fn summary_is_mean_over_the_run_and_max_over_intervals() {
    // 0.1 s of CPU in the first quarter second (40%), then 0.25 s in the next (100%),
    // then nothing; memory peaks in the middle.
    let samples = [
        at(0, 1.0, 100),
        at(250, 1.1, 300),
        at(500, 1.35, 200),
        at(1000, 1.35, 150),
    ];
    let (mean, max, memory) = summarize(&samples).unwrap();
    assert!((mean - 35.0).abs() < 1e-9, "{mean}");
    assert!((max - 100.0).abs() < 1e-9, "{max}");
    assert_eq!(memory, 300);
    assert_eq!(summarize(&samples[..1]), None);
    assert_eq!(summarize(&[]), None);
}

#[test]
fn a_thread_exiting_between_samples_does_not_count_negative() {
    let samples = [at(0, 2.0, 1), at(250, 1.5, 1), at(500, 1.6, 1)];
    let (mean, max, _) = summarize(&samples).unwrap();
    assert_eq!(mean, 0.0);
    assert!((max - 40.0).abs() < 1e-9);
}

#[test]
fn usage_becomes_three_lower_is_better_metrics() {
    let usage = ResourceUsage::Measured(Usage {
        service: Service::Redis,
        provider: ProviderKind::Native,
        scope: "process",
        cpu_mean: 12.5,
        cpu_max: 80.0,
        memory_max_bytes: 8_000_000,
        samples: 9,
        duration: Duration::from_secs(2),
    });
    let metrics = usage.metrics("redis_cache", "redis/resources");
    let ids: Vec<String> = metrics.iter().map(|m| m.id()).collect();
    assert_eq!(
        ids,
        [
            "redis_cache/redis/resources/cpu_mean",
            "redis_cache/redis/resources/cpu_max",
            "redis_cache/redis/resources/memory_max"
        ]
    );
    assert!(
        metrics
            .iter()
            .all(|m| m.direction == Direction::LowerIsBetter)
    );
    assert_eq!(metrics[0].unit, Unit::Percent);
    assert_eq!(metrics[2].unit, Unit::Bytes);
    assert_eq!(metrics[2].value, 8_000_000.0);
    assert_eq!(metrics[1].labels["provider"], "native");
    assert_eq!(metrics[1].sample_count, Some(9));
}

#[test]
fn an_unowned_endpoint_is_not_measured() {
    let sampler = ResourceSampler::start(ResourceTarget::Unowned {
        service: Service::Qdrant,
    });
    let usage = sampler.finish();
    assert!(matches!(usage, ResourceUsage::NotMeasured { .. }));
    assert!(
        usage
            .metrics("qdrant_search", "qdrant/resources")
            .is_empty()
    );
}

#[test]
fn sampling_named_threads_sees_their_cpu() {
    // A thread named like the embedded server's spins for a while; the sampler must see
    // CPU on it. The bound is loose: the machine may be busy with other work.
    let sampler = ResourceSampler::start(ResourceTarget::Threads {
        service: Service::S3,
        prefix: "perfwarden-spin".into(),
    });
    let spin = std::thread::Builder::new()
        .name("perfwarden-spin".into())
        .spawn(|| {
            let end = Instant::now() + Duration::from_millis(600);
            let mut x = 0u64;
            while Instant::now() < end {
                x = x.wrapping_mul(31).wrapping_add(7);
            }
            x
        })
        .unwrap();
    // Sample once more after the spin, while the thread's ticks are still counted.
    std::thread::sleep(Duration::from_millis(500));
    let _ = spin.join();
    let ResourceUsage::Measured(usage) = sampler.finish() else {
        panic!("nothing measured");
    };
    assert!(usage.samples >= 3, "{usage:?}");
    assert!(usage.cpu_max > 10.0, "{usage:?}");
    assert!(usage.memory_max_bytes > 0);
}
