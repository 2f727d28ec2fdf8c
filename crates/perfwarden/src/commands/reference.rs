//! The README's reference tables, generated from code so they cannot drift: every command
//! (from the clap definitions, [`crate::cli::Cli`]) and every environment variable (from
//! [`VARIABLES`], the one list of them). A test checks that README.md carries both verbatim.

use clap::{Arg, ArgAction, Command, CommandFactory};

/// Every environment variable perfwarden, its suites, scripts and workflows read: the name and
/// what it does. Grouped by who reads it: the gate, the suites, the services, the workers, the
/// scripts and workflows, the tests.
#[rustfmt::skip] // one variable a line, as the table shows them
pub const VARIABLES: &[(&str, &str)] = &[
    // The gate and the suites both.
    ("PERFWARDEN_PROFILE", "`smoke`, `pr` (default), `nightly` or `full`: how big and how long the suites run; `check` and `import criterion` default to it"),
    ("PERFWARDEN_MACHINE_CLASS", "the machine class recorded in results and used to pick baselines (default `<os>-<arch>-<cores>core`)"),
    ("PERFWARDEN_RESULTS_DIR", "where suites write results and commands read them (default `$CARGO_TARGET_DIR/perfwarden` or `target/perfwarden`)"),
    ("CARGO_TARGET_DIR", "Cargo's target directory: the default results (`perfwarden/`) and Criterion (`criterion/`) directories are under it"),
    ("PERFWARDEN_HISTORY", "the nightly history file for `check` and `compare` (as `--history`): regressed metrics' trend charts in the report"),
    ("PERFWARDEN_INJECT_SLOWDOWN", "a fraction (`0.15`): makes a suite's measured path that much slower, so `calibrate --inject-slowdown` can check the gate catches a known regression"),
    ("PERFWARDEN_INSTRUCTIONS_ONCE", "set by `check` for the run under callgrind of each `[check] instructions` pair: the `gate` bench runs its compare once, `ingest_parquet_s3` encodes one row group once"),
    ("RUST_LOG", "diagnostics on stderr, filtered as `tracing-subscriber`'s `EnvFilter` reads it. The `perfwarden` CLI defaults to `warn` (retries, rate-limit waits); `RUST_LOG=debug` adds the files it read, the config it used, the commands it ran and ureq's HTTP requests (headers redacted; ureq is held at `debug` even under `trace`, whose wire log would show the token). The benches and harness tests default to `warn,perfwarden=info,perfwarden_harness=info`; `RUST_LOG=debug` adds the dependencies' (tonic, hyper, the AWS SDK, testcontainers) and the SDK's full error dumps, which error lines leave out. Progress lines, reports and error lines print whatever it says"),
    // GitHub.
    ("GITHUB_TOKEN", "the token `perfwarden comment` posts with (else `GH_TOKEN`)"),
    ("GITHUB_REPOSITORY", "`perfwarden comment --repo` when not given"),
    ("GITHUB_API_URL", "`perfwarden comment --api-url` when not given (default `https://api.github.com`)"),
    ("GITHUB_ACTIONS", "`true` in GitHub Actions: `check` and `compare` also write the step summary and annotations"),
    ("GITHUB_STEP_SUMMARY", "where `check` and `compare` append the report in GitHub Actions"),
    ("GITHUB_SHA", "the commit recorded in results when set (else `git rev-parse HEAD`)"),
    // The suites' knobs.
    ("PERFWARDEN_QDRANT_SEED", "qdrant_search, redis_cache: the data seed of the collections"),
    ("PERFWARDEN_QDRANT_PREFIX", "qdrant_search: collection name prefix (default `perfwarden_`)"),
    ("PERFWARDEN_QDRANT_KEEP", "qdrant_search: `1` keeps the collections after the run"),
    ("PERFWARDEN_QDRANT_ALSO_EMBEDDED", "qdrant_search: `0` measures only the Qdrant server the chain found, not the engine in-process beside it (default `1`, where the `embedded-qdrant` feature is built)"),
    ("PERFWARDEN_QDRANT_FIXTURE", "qdrant_search: the collections fixture (default `fixtures/collections.json`)"),
    ("PERFWARDEN_QDRANT_POINTS", "qdrant_search: points per collection (default: the profile's)"),
    ("PERFWARDEN_QDRANT_QUERIES", "qdrant_search: queries per collection, each searched once for latency and recall (default: the profile's)"),
    ("PERFWARDEN_QDRANT_CONCURRENCY", "qdrant_search: the closed-loop concurrency levels, e.g. `1,4,16` (default: the profile's)"),
    ("PERFWARDEN_QDRANT_RATES", "qdrant_search: the open-loop offered rates per second, e.g. `100,400` (default: the profile's)"),
    ("PERFWARDEN_QDRANT_OPEN_SECS", "qdrant_search: how long each open-loop rate runs, in seconds (default: the profile's, at least 1,000 requests)"),
    ("PERFWARDEN_QDRANT_MIX", "qdrant_search: the workload mix of its mix phase (default `fixtures/personas/seed-002.toml`, seed 002's Locust personas); `none` skips the phase"),
    ("PERFWARDEN_QDRANT_MIX_RATE", "qdrant_search: the mix's open-loop rate in requests/s (default by profile: 50, 100, 200, 500)"),
    ("PERFWARDEN_QDRANT_MIX_SECS", "qdrant_search: how long each of the mix's two runs (open, users) lasts, in seconds (default by profile: 3, 5, 60, 120)"),
    ("PERFWARDEN_QDRANT_MIX_USERS", "qdrant_search: how many users the mix's closed run has, shared among the personas by weight (default by profile: 6, 12, 60, 100)"),
    ("PERFWARDEN_MIX_THINK_SCALE", "a mix run as users (qdrant_search): the factor on the personas' think times (default by profile: 0.01, 0.02, 1.0, 1.0; seed 002's 2-10 s are too long for a PR job)"),
    ("PERFWARDEN_QDRANT_EMBEDDED_THREADS", "the embedded Qdrant engine: how many of its calls run at once (default: the CPU count)"),
    ("PERFWARDEN_REDIS_TTL_SECS", "redis_cache: the cache TTL in seconds (default 3600)"),
    ("PERFWARDEN_REDIS_ZIPF_S", "redis_cache: the Zipf exponent of the skewed mix (default 1.2)"),
    ("PERFWARDEN_REDIS_OP_TIMEOUT_MS", "redis_cache: the bound on one Redis command; past it the request falls back to the backend (default 100)"),
    ("PERFWARDEN_REDIS_FAULT", "redis_cache: the fault drill, `pause` (default), `shutdown` or `off`"),
    ("PERFWARDEN_REDIS_CONNECTIONS", "redis_cache: multiplexed Redis connections (default one per 8 requests in flight)"),
    ("PERFWARDEN_REDIS_CACHE_KEEP", "redis_cache: `1` keeps its Qdrant collection after the run"),
    ("PERFWARDEN_REDIS_BENCHMARK", "redis_cache: the `redis-benchmark` binary (default: the one on `PATH`)"),
    ("PERFWARDEN_MIX", "redis_cache: the workload mix (personas, kinds, think times) of its shaped phases (default `fixtures/personas/cache.toml`)"),
    ("PERFWARDEN_MIX_RATE", "redis_cache: the mix phase's open-loop rate in requests/s (default by profile: 400, 500, 1000, 4000); the spike and soak run at half of it"),
    ("PERFWARDEN_SPIKE_FACTOR", "redis_cache: how many times its base rate the spike sends (default 5)"),
    ("PERFWARDEN_SOAK_SECS", "redis_cache: the soak's length in seconds, in any profile (default: 120 nightly, 600 full, none otherwise; `0`: no soak)"),
    ("PERFWARDEN_INGEST_CODEC", "ingest_parquet_s3: Parquet compression, `none`, `snappy`, `zstd` or `zstd:N`"),
    ("PERFWARDEN_INGEST_LANES", "ingest_parquet_s3: parallel lanes the batches are dealt to"),
    ("PERFWARDEN_INGEST_SCENARIOS", "ingest_parquet_s3: only these scenarios (comma list, e.g. `encode_alone,sustained_10k`)"),
    ("PERFWARDEN_INGEST_KEEP_OBJECTS", "ingest_parquet_s3: `1` keeps the uploaded objects"),
    ("PERFWARDEN_INGEST_CREATE_BUCKET", "ingest_parquet_s3: `0` uses an existing bucket instead of creating it"),
    ("PERFWARDEN_INGEST_SUITE", "ingest_parquet_s3: `0` runs its Criterion benches only"),
    ("PERFWARDEN_INGEST_CRITERION", "ingest_parquet_s3: `0` runs the suite only"),
    ("PERFWARDEN_GRPC_PROFILES", "grpc_windows: only these window profiles (comma list; default all)"),
    ("PERFWARDEN_GRPC_CONCURRENCY", "grpc_windows: operations in flight at once, as concurrent streams (default 1)"),
    ("PERFWARDEN_GRPC_CHUNK_BYTES", "grpc_windows: Write and Stream chunk size (default 4194304)"),
    ("PERFWARDEN_GRPC_OPS", "grpc_windows: only these operations (comma list of `write`, `read`, `stream`; default all)"),
    ("PERFWARDEN_GRPC_SIZES", "grpc_windows: these payload sizes in MiB under every condition (comma list, e.g. `16,256`; default the profile's)"),
    ("PERFWARDEN_GRPC_RTTS", "grpc_windows: only the conditions with these emulated round-trip times in ms (comma list, `0` is loopback; default all)"),
    ("PERFWARDEN_GRPC_SUITE", "grpc_windows: `0` runs its Criterion benches only"),
    ("PERFWARDEN_GRPC_CRITERION", "grpc_windows: `0` runs the suite only"),
    // Services.
    ("QDRANT_URL", "an existing Qdrant (REST URL)"),
    ("QDRANT_API_KEY", "its API key"),
    ("QDRANT_GRPC_URL", "its gRPC URL (default: the REST host on port 6334)"),
    ("REDIS_URL", "an existing Redis"),
    ("S3_ENDPOINT", "an existing S3 server (with `S3_BUCKET`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`: all five together)"),
    ("S3_BUCKET", "its bucket"),
    ("AWS_ACCESS_KEY_ID", "its access key"),
    ("AWS_SECRET_ACCESS_KEY", "its secret key"),
    ("AWS_REGION", "its region (else `AWS_DEFAULT_REGION`)"),
    ("S3_FORCE_PATH_STYLE", "overrides the addressing guess for `S3_ENDPOINT` (`true`: path style)"),
    ("PERFWARDEN_PROVIDER", "force a provider for every service: `endpoint`, `container`, `native`, `embedded`, `auto`, `skip`"),
    ("PERFWARDEN_QDRANT", "force Qdrant's provider (wins over `PERFWARDEN_PROVIDER`)"),
    ("PERFWARDEN_REDIS", "force Redis's provider (wins over `PERFWARDEN_PROVIDER`)"),
    ("PERFWARDEN_S3", "force S3's provider (wins over `PERFWARDEN_PROVIDER`)"),
    ("PERFWARDEN_QDRANT_IMAGE", "Qdrant's container image, for registry mirrors (default `qdrant/qdrant`), with `PERFWARDEN_QDRANT_TAG` (`v1.18.3`)"),
    ("PERFWARDEN_REDIS_IMAGE", "Redis's container image (default `redis`), with `PERFWARDEN_REDIS_TAG` (`7.4.2`)"),
    ("PERFWARDEN_MINIO_IMAGE", "MinIO's container image, with `PERFWARDEN_MINIO_TAG` (default: the MinIO module's)"),
    ("PERFWARDEN_QDRANT_TAG", "Qdrant's image tag"),
    ("PERFWARDEN_REDIS_TAG", "Redis's image tag"),
    ("PERFWARDEN_MINIO_TAG", "MinIO's image tag"),
    ("PERFWARDEN_READY_TIMEOUT_SECS", "how long a started service may take to be ready (default 30)"),
    ("PERFWARDEN_PULL_TIMEOUT_SECS", "how long an image pull may take (default 300)"),
    ("PERFWARDEN_SETUP_PEERS", "`1`: `scripts/setup.sh` also installs the peers bench's tools (wrk, locust, and oha by `cargo install`, a long build)"),
    ("PERFWARDEN_REQUIRE_SERVICES", "comma list of services (e.g. `redis,s3,docker`) whose absence fails the ignored tests instead of skipping them"),
    // Load workers.
    ("PERFWARDEN_WORKER", "`i/N`: this process is worker `i` (0-based) of `N` on redis_cache's hit path"),
    ("JOB_COMPLETION_INDEX", "the worker index as a Kubernetes Indexed Job sets it (with `PERFWARDEN_WORKERS`)"),
    ("PERFWARDEN_WORKERS", "the number of workers, with `JOB_COMPLETION_INDEX`"),
    ("PERFWARDEN_START_AT", "the workers' shared start, Unix seconds"),
    ("PERFWARDEN_WORKER_RATE", "requests/s of all workers together"),
    ("PERFWARDEN_WORKER_SECS", "how long the workers send"),
    ("PERFWARDEN_WORKER_KEYS", "how many distinct queries the plan draws from (Zipf-distributed)"),
    ("PERFWARDEN_WORKER_LOG", "a file: each measured request's slot and completion, to check the merge"),
    // Scripts and workflows.
    ("PERFWARDEN_BIN", "`scripts/gate.sh`, `scripts/trusted-verdict.sh`: the perfwarden binary to run"),
    ("PERFWARDEN_REPORT_DIR", "`scripts/gate.sh`: where the reports go (default `target/perfwarden-report`)"),
    ("PERFWARDEN_THRESHOLD", "`scripts/gate.sh`: the gate's threshold in percent"),
    ("PERFWARDEN_BASE_SHA", "`scripts/gate.sh`: the base commit, measured now where no baseline is committed"),
    ("PERFWARDEN_SUITES", "`scripts/gate.sh`: the bench targets to run, space-separated (default all)"),
    ("PERFWARDEN_INSTRUCTIONS", "`scripts/gate.sh`: `BENCH=SUITE/BENCHMARK` pairs counted under callgrind where valgrind is installed, instead of the base config's `[check] instructions`; set and empty for none"),
    ("PERFWARDEN_ITERATIONS", "`scripts/run-suites.sh`: a positive integer (the nightly workflow's `iterations` input)"),
    ("PERFWARDEN_HISTORY_BRANCH", "`scripts/history-push.sh`: the branch holding the nightly history (default `perfwarden-history`)"),
    ("PERFWARDEN_HISTORY_KEEP", "`scripts/history-push.sh`: how many runs the history keeps (default 1000)"),
    ("PERFWARDEN_LOCAL_REDIS_IMAGE", "`scripts/setup.d/10-redis-image.sh`: the local Redis image it builds (default `perfwarden-local/redis`)"),
    ("PERFWARDEN_LOAD_WORKERS", "repository variable: `on` enables the nightly workflow's load-worker jobs"),
    ("PERFWARDEN_LOAD_REDIS_URL", "repository secret: the Redis the nightly load workers share"),
    // Tests.
    ("PERFWARDEN_KEEP_SCREENSHOT", "the HTML report test: keep Chromium's screenshot at this path"),
    ("PERFWARDEN_BLESS", "`1`: the README test rewrites these tables instead of failing on a difference"),
];

/// The README's command table: one row per command, with its options and what it does.
pub fn commands_table() -> String {
    let cli = crate::cli::Cli::command();
    let mut rows = Vec::new();
    leaves(&cli, cli.get_name().to_string(), &mut rows);
    let mut out = String::from("| command | what it does |\n|---|---|\n");
    for (synopsis, about) in rows {
        let about = escape(&cell(&about));
        out.push_str(&format!("| `{}` | {about} |\n", cell(&synopsis)));
    }
    out
}

/// The README's environment variable table, in the order of [`VARIABLES`].
pub fn variables_table() -> String {
    let mut out = String::from("| variable | effect |\n|---|---|\n");
    for (name, effect) in VARIABLES {
        out.push_str(&format!("| `{name}` | {} |\n", cell(effect)));
    }
    out
}

/// Every command without subcommands under `cmd`, as (synopsis, about).
fn leaves(cmd: &Command, path: String, rows: &mut Vec<(String, String)>) {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let path = format!("{path} {}", sub.get_name());
        if sub.has_subcommands() {
            leaves(sub, path, rows);
            continue;
        }
        let mut synopsis = path;
        for arg in sub.get_arguments().filter(|a| !a.is_hide_set()) {
            synopsis.push(' ');
            synopsis.push_str(&usage(arg));
        }
        let about = sub.get_about().map(|a| a.to_string()).unwrap_or_default();
        rows.push((synopsis, about));
    }
}

/// One argument as the synopsis shows it: `--name VALUE`, `[...]` when optional, `...` when
/// repeatable. Defaults are left out: some depend on the environment (`CARGO_TARGET_DIR`).
fn usage(arg: &Arg) -> String {
    let choices: Vec<String> = arg
        .get_possible_values()
        .iter()
        .filter(|v| !v.is_hide_set())
        .map(|v| v.get_name().to_string())
        .collect();
    let value = match arg.get_value_names().and_then(|v| v.first()) {
        _ if !choices.is_empty() => choices.join("|"),
        Some(name) => name.to_string(),
        None => arg.get_id().as_str().to_uppercase(),
    };
    let mut text = match arg.get_long() {
        None if arg.is_last_set() => format!("-- {value}"),
        None => value,
        Some(long) if arg.get_action().takes_values() => format!("--{long} {value}"),
        Some(long) => format!("--{long}"),
    };
    let repeats = matches!(arg.get_action(), ArgAction::Append | ArgAction::Count)
        || arg.get_num_args().is_some_and(|n| n.max_values() > 1);
    if repeats {
        text.push_str("...");
    }
    if arg.is_required_set() {
        text
    } else {
        format!("[{text}]")
    }
}

/// Prose (a command's help text) as Markdown shows it literally: `*` is not emphasis, `<x>`
/// is not an HTML tag.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '*' | '<' | '>') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Text fit for one Markdown table cell: no line breaks, `|` escaped.
fn cell(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
}
