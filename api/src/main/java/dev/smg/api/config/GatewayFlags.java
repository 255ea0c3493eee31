package dev.smg.api.config;

import dev.smg.api.cli.CliException;
import dev.smg.api.cli.Flag;
import dev.smg.api.cli.FlagSet;
import dev.smg.api.cli.ParsedArgs;
import dev.smg.api.discovery.KubernetesNames;
import dev.smg.api.discovery.ModelIdFrom;
import dev.smg.mesh.MeshSettings;
import dev.smg.mesh.MeshTls;
import dev.smg.mesh.MeshTuning;
import dev.smg.mesh.PeerAddress;
import dev.smg.mesh.tls.TlsMaterial;
import dev.smg.mesh.tls.TlsMaterialException;
import dev.smg.router.breaker.BreakerSettings;
import dev.smg.router.health.HealthSettings;
import dev.smg.router.load.LoadScore;
import dev.smg.router.policy.AssignmentMode;
import dev.smg.router.policy.CacheAwareSettings;
import dev.smg.router.retry.RetrySettings;
import dev.smg.router.stream.StreamFailoverSettings;
import dev.smg.router.worker.WorkerSpec;
import dev.smg.router.worker.WorkerUrl;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;

/**
 * The gateway's command line: the flag table (names and defaults as upstream's; each default is
 * written once, here or in the settings record it comes from) and validation.
 */
public final class GatewayFlags {
    /** Policy names; "consistent_hashing" is upstream's spelling of consistent_hash. */
    public static final List<String> POLICIES = List.of(
            "cache_aware", "round_robin", "random", "power_of_two", "consistent_hash", "consistent_hashing", "manual");
    public static final List<String> LOG_LEVELS = List.of("trace", "debug", "info", "warn", "error");
    public static final List<String> ASSIGNMENT_MODES = List.of("random", "min_load", "min_group");
    /** Where a router settings record holds a default, the flag table takes it from there. */
    private static final CacheAwareSettings CACHE_AWARE = CacheAwareSettings.DEFAULTS;
    private static final BreakerSettings BREAKER = BreakerSettings.DEFAULTS;
    private static final RetrySettings RETRY = RetrySettings.DEFAULTS;
    private static final StreamFailoverSettings STREAMS = StreamFailoverSettings.DEFAULTS;
    /** One default for the two spellings of the flag. */
    private static final long EVICTION_INTERVAL_SECS = 120;
    /** Mutual TLS on the mesh port: certificate, key and CA bundle, all three or none. */
    private static final List<String> MESH_TLS_FLAGS = List.of("--mesh-tls-cert", "--mesh-tls-key", "--mesh-tls-ca");

    private GatewayFlags() {
    }

    public static FlagSet flagSet() {
        return new FlagSet("""
                Usage: smg [launch] [flags]          run the gateway
                       smg mock-worker [flags]       run mock inference workers (see smg mock-worker --help)
                       smg --version | --help""")
                .group("Server",
                        Flag.value("--host", "0.0.0.0", "address the HTTP server binds"),
                        Flag.value("--port", 30000, "HTTP port for the OpenAI API (0 picks a free port)"),
                        Flag.list("--worker-urls", "worker base URLs (space-separated; the flag may repeat), each optionally URL,weight=N (1-1000, default 1)"),
                        Flag.value("--policy", "cache_aware", "routing policy: " + String.join(", ", POLICIES)),
                        Flag.value("--request-timeout-secs", 1800, "time allowed without a byte from a worker before the request fails (504)"),
                        Flag.value("--max-payload-size", 536_870_912, "largest request body in bytes (larger: 413)"),
                        Flag.value("--shutdown-grace-period-secs", 180, "on SIGTERM, how long in-flight requests may take to finish"),
                        Flag.value("--api-key", "require 'Authorization: Bearer <key>' on every API and admin route"),
                        Flag.value("--log-level", "info", "log level: " + String.join(", ", LOG_LEVELS)))
                .group("Routing policies",
                        Flag.list("--model-policy", "per-model policy override, model=policy (repeatable)"),
                        Flag.value("--cache-threshold", CACHE_AWARE.cacheThreshold(), "cache_aware: matched share of the prompt needed to follow the cache, 0..1"),
                        Flag.value("--balance-abs-threshold", CACHE_AWARE.balanceAbs(), "cache_aware: in-flight spread beyond which load wins over cache"),
                        Flag.value("--balance-rel-threshold", CACHE_AWARE.balanceRel(), "cache_aware: ... and max must exceed min times this (>= 1)"),
                        Flag.value("--max-tree-size", 67_108_864, "cache_aware: prompt characters kept per model tree (LRU beyond)"),
                        Flag.value("--tree-block-chars", CACHE_AWARE.blockChars(), "cache_aware: characters per tree block"),
                        Flag.value("--eviction-interval-secs", EVICTION_INTERVAL_SECS, "period of policy housekeeping (idle sessions, tree bound)"),
                        Flag.value("--eviction-interval", EVICTION_INTERVAL_SECS, "same as --eviction-interval-secs (upstream's Rust spelling)"),
                        Flag.value("--max-idle-secs", 14_400, "manual: sticky sessions idle this long are forgotten"),
                        Flag.value("--assignment-mode", "random", "manual: placing a new key: " + String.join(", ", ASSIGNMENT_MODES)),
                        Flag.value("--routing-key-field", "user", "consistent_hash/manual: body field used as routing key when X-SMG-Routing-Key is absent"),
                        Flag.value("--load-monitor-interval", 0.5, "seconds between polls of each worker's engine load (/v1/loads, /get_load or /metrics); 0: off"),
                        Flag.value("--load-monitor-timeout-ms", 1000, "bound of one engine-load poll"),
                        Flag.value("--load-queue-weight", LoadScore.DEFAULTS.queueWeight(), "load score: extra weight of a request queued at the engine (0: measured best; docs/routing.md)"),
                        Flag.value("--load-kv-weight", LoadScore.DEFAULTS.kvWeight(), "load score: weight of KV-cache pressure k/(1-k)"))
                .group("Admission",
                        Flag.value("--max-concurrent-requests", -1, "hard cap on inference requests in flight (0 or less: none)"),
                        Flag.value("--queue-size", 100, "requests that may wait for a slot (full: 429)"),
                        Flag.value("--queue-timeout-secs", 60, "longest wait for a slot (then 408)"),
                        Flag.value("--rate-limit-tokens-per-second", "token-bucket rate limit in requests per second (429 with Retry-After)"),
                        Flag.toggle("--cluster-rate-limit", "with --enable-mesh: the rate limit is the whole cluster's, shared among routers by their traffic"),
                        Flag.value("--cluster-max-concurrent-requests", 0, "with --enable-mesh: a cap on requests in flight in the whole cluster, shared like the rate limit (0: none)"))
                .group("Health checks",
                        Flag.value("--health-check-interval-secs", 60, "time between probes of each worker"),
                        Flag.value("--health-check-timeout-secs", 5, "probe timeout"),
                        Flag.value("--health-failure-threshold", 3, "consecutive failed probes that take a worker out of rotation"),
                        Flag.value("--health-success-threshold", 2, "consecutive good probes that bring it back"),
                        Flag.value("--health-check-endpoint", "/health", "path probed on each worker"),
                        Flag.toggle("--disable-health-check", "trust workers without probing them"))
                .group("Circuit breaker",
                        Flag.value("--cb-failure-threshold", BREAKER.failureThreshold(), "consecutive failures that open a worker's breaker"),
                        Flag.value("--cb-success-threshold", BREAKER.successThreshold(), "consecutive half-open successes that close it"),
                        Flag.value("--cb-timeout-duration-secs", BREAKER.openTimeout().toSeconds(), "time open before trial requests are let through"),
                        Flag.value("--cb-window-duration-secs", BREAKER.window().toSeconds(), "a failure streak older than this is forgotten"),
                        Flag.value("--cb-half-open-max-requests", BREAKER.halfOpenTrials(), "trial requests in flight at once while half-open"),
                        Flag.toggle("--disable-circuit-breaker", "never open breakers"))
                .group("Retries",
                        Flag.value("--retry-max-retries", RETRY.maxAttempts(), "total attempts per request, the first included"),
                        Flag.value("--retry-initial-backoff-ms", RETRY.initialBackoff().toMillis(), "delay before the second attempt"),
                        Flag.value("--retry-max-backoff-ms", RETRY.maxBackoff().toMillis(), "cap on any one delay"),
                        Flag.value("--retry-backoff-multiplier", RETRY.multiplier(), "growth of the delay per attempt"),
                        Flag.value("--retry-jitter-factor", RETRY.jitter(), "random spread of each delay, 0..1"),
                        Flag.toggle("--disable-retries", "one attempt per request"))
                .group("Streams (failover of streamed answers)",
                        Flag.value("--first-token-timeout-secs", 0, "a worker that sends no content of a stream within this time is abandoned and the request retried on another (0: no deadline)"),
                        Flag.list("--model-first-token-timeout", "per-model first-token deadline, model=secs (repeatable; 0 turns it off for that model)"),
                        Flag.value("--stream-stall-timeout-secs", STREAMS.stallTimeout().toSeconds(), "a started stream silent this long is stalled: it is continued on another worker"),
                        Flag.value("--stream-migration-limit", STREAMS.migrationLimit(), "continuations of one stream at most (0: a broken stream ends with an error event)"),
                        Flag.toggle("--disable-stream-failover", "relay streams as bytes: a worker that fails mid-stream cuts the client's stream"))
                .group("Metrics",
                        Flag.value("--prometheus-host", "0.0.0.0", "address the metrics listener binds"),
                        Flag.value("--prometheus-port", 29000, "port of GET /metrics (Prometheus text format)"),
                        Flag.toggle("--disable-generation-metrics", "do not measure time to first token, token gaps, answer durations and tokens (nor ask workers for a stream's usage)"))
                .group("Tracing (OpenTelemetry; the OTEL_* environment variables configure the export)",
                        Flag.toggle("--enable-trace", "export spans of proxied requests (request, admission, worker selection, upstream attempts, stream migrations) and send workers their trace context in traceparent"),
                        Flag.described("--otlp-traces-endpoint", "OTEL_EXPORTER_OTLP_*ENDPOINT, else localhost:4317", "OTLP collector for the spans, host:port or URL (the protocol is OTEL_EXPORTER_OTLP_PROTOCOL's: grpc unless it says http/protobuf)"))
                .group("Mesh (high availability)",
                        Flag.toggle("--enable-mesh", "join routers into one HA mesh"),
                        Flag.described("--mesh-server-name", "Mesh_<4 random chars>", "unique name of this node in the cluster"),
                        Flag.value("--mesh-host", MeshSettings.DEFAULT_BIND_HOST, "bind address for mesh gRPC"),
                        Flag.described("--mesh-advertise-host", "--mesh-host", "routable address advertised to peers (required when --mesh-host is 0.0.0.0 or ::)"),
                        Flag.value("--mesh-port", MeshSettings.DEFAULT_PORT, "port for mesh gRPC"),
                        Flag.list("--mesh-peer-urls", "bootstrap peers host:port, tried in order until one answers"),
                        Flag.toggle("--disable-tree-sync", "do not replicate cache-aware trees (each router learns its own; for comparison)"),
                        Flag.toggle("--disable-load-sync", "do not share in-flight counts and engine loads (each router balances on its own view; for comparison)"),
                        Flag.value("--mesh-tls-cert", "PEM certificate chain this node presents on the mesh port (mutual TLS; with --mesh-tls-key and --mesh-tls-ca)"),
                        Flag.value("--mesh-tls-key", "PEM PKCS#8 private key of --mesh-tls-cert, unencrypted"),
                        Flag.value("--mesh-tls-ca", "PEM CA bundle: peers must present a certificate issued by one of these (files reloaded when changed)"),
                        Flag.toggle("--service-discovery", "watch pods through the Kubernetes API: worker pods (--selector) and/or the other routers' pods (--router-selector, with the mesh)"),
                        Flag.list("--selector", "label selector of worker pods, key=value (space-separated; the flag may repeat), e.g. app=vllm"),
                        Flag.value("--service-discovery-port", 80, "HTTP port of the worker pods found by --selector"),
                        Flag.described("--model-id-from", "the worker's /v1/models", "where a worker pod names its model: namespace, label:<key> or annotation:<key>"),
                        Flag.list("--router-selector", "label selector of router pods, key=value (space-separated; the flag may repeat), e.g. app=smg tier=router"),
                        Flag.described("--service-discovery-namespace", "this pod's namespace, else the kubeconfig context's, else default", "namespace whose pods are watched"),
                        Flag.value("--router-mesh-port-annotation", DiscoveryConfig.DEFAULT_PORT_ANNOTATION, "pod annotation with a peer's mesh port (absent: --mesh-port)"))
                .group("Mesh tuning (see docs/operations.md#tuning-the-mesh)", MeshTuningFlags.flags());
    }

    private static LoadConfig load(ParsedArgs a) {
        double interval = a.doubleValue("--load-monitor-interval", 0, 3600);
        if (interval > 0 && interval < 0.05) {
            throw new CliException("--load-monitor-interval: " + interval + " s is below 0.05 s (use 0 to turn polling off)");
        }
        return new LoadConfig(Duration.ofNanos(Math.round(interval * 1e9)),
                Duration.ofMillis(a.longValue("--load-monitor-timeout-ms", 10, 60_000)),
                new LoadScore(a.doubleValue("--load-queue-weight", 0, 1000), a.doubleValue("--load-kv-weight", 0, 1000)),
                !a.enabled("--disable-load-sync"));
    }

    /**
     * Stream failover. {@code --disable-stream-failover} alone gives the byte relay of before; a
     * first-token deadline still needs the event-aware relay (it must see the first content).
     */
    private static StreamFailoverSettings streams(ParsedArgs a) {
        Duration firstToken = seconds(a.doubleValue("--first-token-timeout-secs", 0, 86_400));
        java.util.Map<String, Duration> perModel = new java.util.LinkedHashMap<>();
        for (String pair : a.list("--model-first-token-timeout")) {
            int eq = pair.indexOf('=');
            String model = eq > 0 ? pair.substring(0, eq) : "";
            Double secs = null;
            try {
                secs = eq > 0 ? Double.valueOf(pair.substring(eq + 1)) : null;
            } catch (NumberFormatException e) {
                secs = null;
            }
            if (model.isEmpty() || secs == null || !(secs >= 0 && secs <= 86_400)) {
                throw new CliException("--model-first-token-timeout: '" + pair
                        + "' must be model=seconds with seconds from 0 to 86400");
            }
            perModel.put(model, seconds(secs));
        }
        double stall = a.doubleValue("--stream-stall-timeout-secs", 0.05, 86_400);
        return new StreamFailoverSettings(!a.enabled("--disable-stream-failover"), firstToken, perModel, seconds(stall),
                a.intValue("--stream-migration-limit", 0, 100));
    }

    private static Duration seconds(double secs) {
        return Duration.ofNanos(Math.round(secs * 1e9));
    }

    private static RoutingConfig routing(ParsedArgs a) {
        String policy = a.choice("--policy", POLICIES);
        java.util.Map<String, String> modelPolicies = new java.util.LinkedHashMap<>();
        for (String pair : a.list("--model-policy")) {
            int eq = pair.indexOf('=');
            String model = eq > 0 ? pair.substring(0, eq) : "";
            String p = eq > 0 ? pair.substring(eq + 1) : "";
            if (model.isEmpty() || !POLICIES.contains(p)) {
                throw new CliException("--model-policy: '" + pair + "' must be model=policy with a policy among "
                        + String.join(", ", POLICIES));
            }
            modelPolicies.put(model, p);
        }
        int blockChars = a.intValue("--tree-block-chars", 1, 4096);
        CacheAwareSettings cacheAware = new CacheAwareSettings(
                a.doubleValue("--cache-threshold", 0.0, 1.0),
                a.intValue("--balance-abs-threshold", 0, 10_000_000),
                a.doubleValue("--balance-rel-threshold", 1.0, 1e6),
                blockChars);
        long maxTree = a.longValue("--max-tree-size", 1, Long.MAX_VALUE / 2);
        String evictionFlag = a.has("--eviction-interval-secs") || !a.has("--eviction-interval")
                ? "--eviction-interval-secs" : "--eviction-interval";
        Duration eviction = Duration.ofSeconds(a.longValue(evictionFlag, 1, 24 * 3600));
        Duration maxIdle = Duration.ofSeconds(a.longValue("--max-idle-secs", 1, 30L * 24 * 3600));
        AssignmentMode mode = AssignmentMode.parse(a.choice("--assignment-mode", ASSIGNMENT_MODES));
        String keyField = a.matching("--routing-key-field", f -> f.matches("[A-Za-z0-9_.-]{1,64}"),
                "a JSON field name");
        return new RoutingConfig(policy, modelPolicies, cacheAware, maxTree, eviction, maxIdle, mode, keyField);
    }

    /**
     * The mesh TLS files, all three or none. They are read and checked here so that a wrong path or
     * a key that does not match its certificate stops the start with one line naming the flag,
     * rather than a mesh that starts and is refused by every peer.
     */
    private static Optional<MeshTls> meshTls(ParsedArgs a) {
        List<String> given = MESH_TLS_FLAGS.stream().filter(a::has).toList();
        if (given.isEmpty()) {
            return Optional.empty();
        }
        if (given.size() < MESH_TLS_FLAGS.size()) {
            List<String> missing = MESH_TLS_FLAGS.stream().filter(f -> !a.has(f)).toList();
            throw new CliException(String.join(" and ", missing) + (missing.size() == 1 ? " is" : " are")
                    + " missing: mutual TLS on the mesh port needs --mesh-tls-cert, --mesh-tls-key and"
                    + " --mesh-tls-ca together (or none of them for plaintext)");
        }
        Path[] paths = new Path[MESH_TLS_FLAGS.size()];
        for (int i = 0; i < paths.length; i++) {
            String flag = MESH_TLS_FLAGS.get(i);
            String value = a.string(flag).orElseThrow();
            if (value.isBlank()) {
                throw new CliException(flag + ": must name a file");
            }
            try {
                paths[i] = Path.of(value);
            } catch (InvalidPathException e) {
                throw new CliException(flag + ": '" + value + "' is not a valid path");
            }
        }
        MeshTls tls = new MeshTls(paths[0], paths[1], paths[2]);
        try {
            TlsMaterial.load(tls);
        } catch (TlsMaterialException e) {
            throw new CliException(MESH_TLS_FLAGS.get(e.part().ordinal()) + ": " + e.getMessage());
        }
        return Optional.of(tls);
    }

    public static GatewayConfig parse(String[] args) {
        ParsedArgs a = flagSet().parse(args);
        List<String> warnings = new ArrayList<>();

        String host = a.host("--host");
        int port = a.intValue("--port", 0, 65535);
        List<WorkerSpec> workers = new ArrayList<>();
        LinkedHashSet<WorkerUrl> seen = new LinkedHashSet<>();
        for (String raw : a.list("--worker-urls")) {
            WorkerSpec worker;
            try {
                worker = WorkerArgument.parse(raw);
            } catch (IllegalArgumentException e) {
                throw new CliException("--worker-urls: " + e.getMessage());
            }
            if (!seen.add(worker.url())) {
                throw new CliException("--worker-urls: " + worker.url() + " is given twice");
            }
            workers.add(worker);
        }
        RoutingConfig routing = routing(a);
        AdmissionConfig admission = new AdmissionConfig(
                a.intValue("--max-concurrent-requests", -1, 10_000_000),
                a.intValue("--queue-size", 0, 10_000_000),
                Duration.ofSeconds(a.longValue("--queue-timeout-secs", 1, 24 * 3600)),
                a.optionalDouble("--rate-limit-tokens-per-second", 0, 1e9).orElse(AdmissionConfig.NO_RATE_LIMIT),
                a.enabled("--cluster-rate-limit"),
                a.intValue("--cluster-max-concurrent-requests", 0, 10_000_000));
        if (admission.clusterMaxConcurrent() > 0 && !a.enabled("--enable-mesh")) {
            throw new CliException("--cluster-max-concurrent-requests needs --enable-mesh (the cap is shared over the mesh)");
        }
        if (admission.clusterWide() && !a.enabled("--enable-mesh")) {
            throw new CliException("--cluster-rate-limit needs --enable-mesh (a cluster-wide limit is shared over the mesh)");
        }
        String logLevel = a.choice("--log-level", LOG_LEVELS);
        Duration requestTimeout = Duration.ofSeconds(a.longValue("--request-timeout-secs", 1, 7 * 24 * 3600));
        long maxPayload = a.longValue("--max-payload-size", 1, Integer.MAX_VALUE - 16);
        Duration grace = Duration.ofSeconds(a.longValue("--shutdown-grace-period-secs", 0, 24 * 3600));
        Optional<Secret> apiKey = a.string("--api-key").map(k -> {
            if (k.isBlank()) {
                throw new CliException("--api-key: must not be empty");
            }
            return new Secret(k);
        });
        long healthInterval = a.longValue("--health-check-interval-secs", 1, 24 * 3600);
        HealthSettings health = HealthSettings.of(Duration.ofSeconds(healthInterval),
                Duration.ofSeconds(a.longValue("--health-check-timeout-secs", 1, 3600)),
                a.intValue("--health-failure-threshold", 1, 1000),
                a.intValue("--health-success-threshold", 1, 1000),
                a.matching("--health-check-endpoint", e -> e.startsWith("/") && !e.contains(" "), "a path starting with /"),
                !a.enabled("--disable-health-check"));
        BreakerSettings breaker = new BreakerSettings(
                a.intValue("--cb-failure-threshold", 1, 1_000_000),
                a.intValue("--cb-success-threshold", 1, 1_000_000),
                Duration.ofSeconds(a.longValue("--cb-timeout-duration-secs", 1, 24 * 3600)),
                Duration.ofSeconds(a.longValue("--cb-window-duration-secs", 1, 24 * 3600)),
                a.intValue("--cb-half-open-max-requests", 1, 1_000_000),
                !a.enabled("--disable-circuit-breaker"));
        long initialBackoff = a.longValue("--retry-initial-backoff-ms", 0, 3_600_000);
        long maxBackoff = a.longValue("--retry-max-backoff-ms", 0, 3_600_000);
        if (maxBackoff < initialBackoff) {
            throw new CliException("--retry-max-backoff-ms: " + maxBackoff + " is below --retry-initial-backoff-ms "
                    + initialBackoff);
        }
        RetrySettings retry = new RetrySettings(
                a.enabled("--disable-retries") ? 1 : a.intValue("--retry-max-retries", 1, 100),
                Duration.ofMillis(initialBackoff), Duration.ofMillis(maxBackoff),
                a.doubleValue("--retry-backoff-multiplier", 1.0, 100.0),
                a.doubleValue("--retry-jitter-factor", 0.0, 1.0));
        String prometheusHost = a.host("--prometheus-host");
        int prometheusPort = a.intValue("--prometheus-port", 0, 65535);

        boolean meshEnabled = a.enabled("--enable-mesh");
        String meshHost = a.host("--mesh-host");
        Optional<String> advertise = a.has("--mesh-advertise-host")
                ? Optional.of(a.host("--mesh-advertise-host")) : Optional.empty();
        int meshPort = a.intValue("--mesh-port", 1, 65535);
        List<PeerAddress> peers = new ArrayList<>();
        for (String raw : a.list("--mesh-peer-urls")) {
            try {
                peers.add(PeerAddress.parse(raw));
            } catch (IllegalArgumentException e) {
                throw new CliException("--mesh-peer-urls: " + e.getMessage());
            }
        }
        Discovery discovery = discovery(a, meshEnabled, warnings);
        MeshTuning meshTuning = MeshTuningFlags.parse(a);

        Optional<MeshSettings> mesh = Optional.empty();
        if (meshEnabled) {
            Optional<String> advertiseHost = MeshSettings.advertiseHostFor(meshHost, advertise);
            if (advertiseHost.isEmpty()) {
                throw new CliException("--enable-mesh with --mesh-host " + meshHost
                        + " (an unspecified address) needs --mesh-advertise-host set to this node's routable IP or name");
            }
            String name = a.string("--mesh-server-name").orElseGet(MeshSettings::randomServerName);
            Optional<MeshTls> tls = meshTls(a);
            try {
                mesh = Optional.of(new MeshSettings(name, meshHost, advertiseHost.get(), meshPort, peers, tls));
            } catch (IllegalArgumentException e) {
                String flag = e.getMessage().startsWith("server name") ? "--mesh-server-name"
                        : "--mesh-advertise-host";
                throw new CliException(flag + ": " + e.getMessage());
            }
            if (tls.isEmpty()) {
                // Worded without the --enable-mesh flag name: that prefix is for features not built yet.
                warnings.add("the mesh port is unauthenticated plaintext (no --mesh-tls-cert/--mesh-tls-key/"
                        + "--mesh-tls-ca): anyone who can reach it can join; keep it on a private network");
            }
        } else {
            List<String> meshOnlyFlags = new ArrayList<>(List.of("--mesh-server-name", "--mesh-host",
                    "--mesh-advertise-host", "--mesh-port", "--mesh-peer-urls", "--mesh-tls-cert", "--mesh-tls-key",
                    "--mesh-tls-ca"));
            meshOnlyFlags.addAll(MeshTuningFlags.NAMES);
            for (String meshOnly : meshOnlyFlags) {
                if (a.has(meshOnly)) {
                    warnings.add(meshOnly + " has no effect without --enable-mesh");
                }
            }
        }
        return new GatewayConfig(host, port, workers, routing, admission, logLevel, requestTimeout, maxPayload, grace, apiKey,
                health, breaker, retry, streams(a), prometheusHost, prometheusPort, mesh, meshTuning, !a.enabled("--disable-tree-sync"),
                load(a), discovery.routers(), discovery.workers(), !a.enabled("--disable-generation-metrics"), tracing(a, warnings), warnings);
    }

    /** {@code --enable-trace} and its endpoint, which must be a URL (or host:port, taken as http). */
    private static TracingConfig tracing(ParsedArgs a, List<String> warnings) {
        Optional<String> endpoint = a.string("--otlp-traces-endpoint").map(String::trim);
        if (endpoint.isPresent()) {
            String url = endpoint.get().contains("://") ? endpoint.get() : "http://" + endpoint.get();
            try {
                java.net.URI uri = new java.net.URI(url);
                if (uri.getHost() == null || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))) {
                    throw new java.net.URISyntaxException(url, "needs http(s) and a host");
                }
            } catch (java.net.URISyntaxException e) {
                throw new CliException("--otlp-traces-endpoint: '" + endpoint.get()
                        + "' is not host:port or an http(s) URL");
            }
            endpoint = Optional.of(url);
            if (!a.enabled("--enable-trace")) {
                warnings.add("--otlp-traces-endpoint has no effect without --enable-trace");
            }
        }
        return new TracingConfig(a.enabled("--enable-trace"), endpoint);
    }

    /** What {@code --service-discovery} watches: router pods (mesh peers), worker pods, or both. */
    private record Discovery(Optional<DiscoveryConfig> routers, Optional<WorkerDiscoveryConfig> workers) {
    }

    /**
     * Kubernetes discovery. Its flags are checked even when it is off (a typo is a typo). It needs a
     * selector (an empty one would take every pod in the namespace for a worker or a router): with
     * {@code --selector} it registers worker pods, with {@code --router-selector} (mesh only) it finds
     * the other routers.
     */
    private static Discovery discovery(ParsedArgs a, boolean meshEnabled, List<String> warnings) {
        java.util.Map<String, String> routerSelector = selector(a, "--router-selector");
        java.util.Map<String, String> workerSelector = selector(a, "--selector");
        Optional<String> namespace = a.string("--service-discovery-namespace").map(ns -> {
            if (!KubernetesNames.isNamespace(ns)) {
                throw new CliException("--service-discovery-namespace: '" + ns + "' is not a Kubernetes namespace name");
            }
            return ns;
        });
        String annotation = a.matching("--router-mesh-port-annotation",
                KubernetesNames::isQualifiedName, "an annotation name such as " + DiscoveryConfig.DEFAULT_PORT_ANNOTATION);
        int workerPort = a.intValue("--service-discovery-port", 1, 65535);
        Optional<ModelIdFrom> modelIdFrom;
        try {
            modelIdFrom = a.string("--model-id-from").map(ModelIdFrom::parse);
        } catch (IllegalArgumentException e) {
            throw new CliException("--model-id-from: " + e.getMessage());
        }
        if (!a.enabled("--service-discovery")) {
            for (String discoveryOnly : List.of("--router-selector", "--selector", "--service-discovery-namespace",
                    "--router-mesh-port-annotation", "--service-discovery-port", "--model-id-from")) {
                if (a.has(discoveryOnly)) {
                    warnings.add(discoveryOnly + " has no effect without --service-discovery");
                }
            }
            return new Discovery(Optional.empty(), Optional.empty());
        }
        if (routerSelector.isEmpty() && workerSelector.isEmpty()) {
            throw new CliException("--service-discovery needs --selector key=value ... (worker pods) or "
                    + "--router-selector key=value ... (router pods, with --enable-mesh)");
        }
        Optional<DiscoveryConfig> routers = Optional.empty();
        if (!routerSelector.isEmpty()) {
            if (!meshEnabled) {
                throw new CliException("--service-discovery --router-selector needs --enable-mesh (it finds mesh peers)");
            }
            routers = Optional.of(new DiscoveryConfig(routerSelector, namespace, annotation));
        }
        Optional<WorkerDiscoveryConfig> workers = Optional.empty();
        if (!workerSelector.isEmpty()) {
            workers = Optional.of(new WorkerDiscoveryConfig(workerSelector, namespace, workerPort, modelIdFrom));
        } else {
            for (String workerOnly : List.of("--service-discovery-port", "--model-id-from")) {
                if (a.has(workerOnly)) {
                    warnings.add(workerOnly + " has no effect without --selector");
                }
            }
        }
        return new Discovery(routers, workers);
    }

    private static java.util.Map<String, String> selector(ParsedArgs a, String flag) {
        try {
            return KubernetesNames.parseSelector(a.list(flag));
        } catch (IllegalArgumentException e) {
            throw new CliException(flag + ": " + e.getMessage());
        }
    }
}
