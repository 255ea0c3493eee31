package dev.smg.api.config;

import dev.smg.api.cli.CliException;
import dev.smg.api.cli.Flag;
import dev.smg.api.cli.FlagSet;
import dev.smg.api.cli.ParsedArgs;
import dev.smg.mesh.MeshSettings;
import dev.smg.mesh.PeerAddress;
import dev.smg.router.breaker.BreakerSettings;
import dev.smg.router.health.HealthSettings;
import dev.smg.router.retry.RetrySettings;
import dev.smg.router.worker.WorkerUrl;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;

/** The gateway's command line: flag definitions (names and defaults as upstream's) and validation. */
public final class GatewayFlags {
    /** Every policy name upstream accepts; those not built yet are accepted with a warning. */
    public static final List<String> POLICIES = List.of(
            "random", "round_robin", "cache_aware", "power_of_two", "consistent_hashing", "manual");
    public static final List<String> BUILT_POLICIES = List.of("random", "round_robin");
    public static final List<String> LOG_LEVELS = List.of("trace", "debug", "info", "warn", "error");

    private GatewayFlags() {
    }

    public static FlagSet flagSet() {
        return new FlagSet("""
                Usage: smg [launch] [flags]          run the gateway
                       smg mock-worker [flags]       run mock inference workers (see smg mock-worker --help)
                       smg mesh-bench [flags]        failure-detection figures from the membership simulator
                       smg --version | --help""")
                .group("Server",
                        Flag.value("--host", "0.0.0.0", "address the HTTP server binds"),
                        Flag.value("--port", "30000", "HTTP port for the OpenAI API (0 picks a free port)"),
                        Flag.list("--worker-urls", "", "worker base URLs (space-separated; the flag may repeat)"),
                        Flag.value("--policy", "round_robin", "routing policy: " + String.join(", ", POLICIES)),
                        Flag.value("--request-timeout-secs", "1800", "time allowed without a byte from a worker before the request fails (504)"),
                        Flag.value("--max-payload-size", "536870912", "largest request body in bytes (larger: 413)"),
                        Flag.value("--shutdown-grace-period-secs", "180", "on SIGTERM, how long in-flight requests may take to finish"),
                        Flag.value("--api-key", "", "require 'Authorization: Bearer <key>' on every API and admin route"),
                        Flag.value("--log-level", "info", "log level: " + String.join(", ", LOG_LEVELS)))
                .group("Health checks",
                        Flag.value("--health-check-interval-secs", "60", "time between probes of each worker"),
                        Flag.value("--health-check-timeout-secs", "5", "probe timeout"),
                        Flag.value("--health-failure-threshold", "3", "consecutive failed probes that take a worker out of rotation"),
                        Flag.value("--health-success-threshold", "2", "consecutive good probes that bring it back"),
                        Flag.value("--health-check-endpoint", "/health", "path probed on each worker"),
                        Flag.toggle("--disable-health-check", "trust workers without probing them"))
                .group("Circuit breaker",
                        Flag.value("--cb-failure-threshold", "10", "consecutive failures that open a worker's breaker"),
                        Flag.value("--cb-success-threshold", "3", "consecutive half-open successes that close it"),
                        Flag.value("--cb-timeout-duration-secs", "60", "time open before trial requests are let through"),
                        Flag.value("--cb-window-duration-secs", "120", "a failure streak older than this is forgotten"),
                        Flag.value("--cb-half-open-max-requests", "1", "trial requests in flight at once while half-open"),
                        Flag.toggle("--disable-circuit-breaker", "never open breakers"))
                .group("Retries",
                        Flag.value("--retry-max-retries", "5", "total attempts per request, the first included"),
                        Flag.value("--retry-initial-backoff-ms", "50", "delay before the second attempt"),
                        Flag.value("--retry-max-backoff-ms", "30000", "cap on any one delay"),
                        Flag.value("--retry-backoff-multiplier", "1.5", "growth of the delay per attempt"),
                        Flag.value("--retry-jitter-factor", "0.2", "random spread of each delay, 0..1"),
                        Flag.toggle("--disable-retries", "one attempt per request"))
                .group("Metrics",
                        Flag.value("--prometheus-host", "0.0.0.0", "address the metrics listener binds"),
                        Flag.value("--prometheus-port", "29000", "port of GET /metrics (Prometheus text format)"))
                .group("Mesh (high availability)",
                        Flag.toggle("--enable-mesh", "join routers into one HA mesh"),
                        Flag.value("--mesh-server-name", "Mesh_<4 random chars>", "unique name of this node in the cluster"),
                        Flag.value("--mesh-host", MeshSettings.DEFAULT_BIND_HOST, "bind address for mesh gRPC"),
                        Flag.value("--mesh-advertise-host", "--mesh-host", "routable address advertised to peers (required when --mesh-host is 0.0.0.0 or ::)"),
                        Flag.value("--mesh-port", String.valueOf(MeshSettings.DEFAULT_PORT), "port for mesh gRPC"),
                        Flag.list("--mesh-peer-urls", "", "bootstrap peers host:port, tried in order until one answers"),
                        Flag.toggle("--service-discovery", "discover router peers through the Kubernetes API"),
                        Flag.list("--router-selector", "", "Kubernetes label selector for router pods, e.g. app=smg tier=router"));
    }

    public static GatewayConfig parse(String[] args) {
        ParsedArgs a = flagSet().parse(args);
        List<String> warnings = new ArrayList<>();

        String host = a.host("--host", "0.0.0.0");
        int port = a.intValue("--port", 30000, 0, 65535);
        List<WorkerUrl> workers = new ArrayList<>();
        LinkedHashSet<WorkerUrl> seen = new LinkedHashSet<>();
        for (String raw : a.list("--worker-urls")) {
            WorkerUrl url;
            try {
                url = WorkerUrl.parse(raw);
            } catch (IllegalArgumentException e) {
                throw new CliException("--worker-urls: " + e.getMessage());
            }
            if (!seen.add(url)) {
                throw new CliException("--worker-urls: " + url + " is given twice");
            }
            workers.add(url);
        }
        String policy = a.choice("--policy", "round_robin", POLICIES);
        if (!BUILT_POLICIES.contains(policy)) {
            warnings.add("--policy " + policy + " is not built yet in this version; routing with round_robin");
            policy = "round_robin";
        }
        String logLevel = a.choice("--log-level", "info", LOG_LEVELS);
        Duration requestTimeout = Duration.ofSeconds(a.longValue("--request-timeout-secs", 1800, 1, 7 * 24 * 3600));
        long maxPayload = a.longValue("--max-payload-size", 536_870_912L, 1, Integer.MAX_VALUE - 16);
        Duration grace = Duration.ofSeconds(a.longValue("--shutdown-grace-period-secs", 180, 0, 24 * 3600));
        Optional<Secret> apiKey = a.string("--api-key").map(k -> {
            if (k.isBlank()) {
                throw new CliException("--api-key: must not be empty");
            }
            return new Secret(k);
        });
        long healthInterval = a.longValue("--health-check-interval-secs", 60, 1, 24 * 3600);
        HealthSettings health = HealthSettings.of(Duration.ofSeconds(healthInterval),
                Duration.ofSeconds(a.longValue("--health-check-timeout-secs", 5, 1, 3600)),
                a.intValue("--health-failure-threshold", 3, 1, 1000),
                a.intValue("--health-success-threshold", 2, 1, 1000),
                a.matching("--health-check-endpoint", "/health", e -> e.startsWith("/") && !e.contains(" "), "a path starting with /"),
                !a.enabled("--disable-health-check"));
        BreakerSettings breaker = new BreakerSettings(
                a.intValue("--cb-failure-threshold", 10, 1, 1_000_000),
                a.intValue("--cb-success-threshold", 3, 1, 1_000_000),
                Duration.ofSeconds(a.longValue("--cb-timeout-duration-secs", 60, 1, 24 * 3600)),
                Duration.ofSeconds(a.longValue("--cb-window-duration-secs", 120, 1, 24 * 3600)),
                a.intValue("--cb-half-open-max-requests", 1, 1, 1_000_000),
                !a.enabled("--disable-circuit-breaker"));
        long initialBackoff = a.longValue("--retry-initial-backoff-ms", 50, 0, 3_600_000);
        long maxBackoff = a.longValue("--retry-max-backoff-ms", 30_000, 0, 3_600_000);
        if (maxBackoff < initialBackoff) {
            throw new CliException("--retry-max-backoff-ms: " + maxBackoff + " is below --retry-initial-backoff-ms "
                    + initialBackoff);
        }
        RetrySettings retry = new RetrySettings(
                a.enabled("--disable-retries") ? 1 : a.intValue("--retry-max-retries", 5, 1, 100),
                Duration.ofMillis(initialBackoff), Duration.ofMillis(maxBackoff),
                a.doubleValue("--retry-backoff-multiplier", 1.5, 1.0, 100.0),
                a.doubleValue("--retry-jitter-factor", 0.2, 0.0, 1.0));
        String prometheusHost = a.host("--prometheus-host", "0.0.0.0");
        int prometheusPort = a.intValue("--prometheus-port", 29000, 0, 65535);

        boolean meshEnabled = a.enabled("--enable-mesh");
        String meshHost = a.host("--mesh-host", MeshSettings.DEFAULT_BIND_HOST);
        Optional<String> advertise = a.has("--mesh-advertise-host")
                ? Optional.of(a.host("--mesh-advertise-host", "")) : Optional.empty();
        int meshPort = a.intValue("--mesh-port", MeshSettings.DEFAULT_PORT, 1, 65535);
        List<PeerAddress> peers = new ArrayList<>();
        for (String raw : a.list("--mesh-peer-urls")) {
            try {
                peers.add(PeerAddress.parse(raw));
            } catch (IllegalArgumentException e) {
                throw new CliException("--mesh-peer-urls: " + e.getMessage());
            }
        }
        boolean discovery = a.enabled("--service-discovery");
        List<String> selector = a.list("--router-selector");
        for (String pair : selector) {
            if (!pair.matches("[A-Za-z0-9./_-]+=[A-Za-z0-9._-]*")) {
                throw new CliException("--router-selector: '" + pair + "' is not a key=value label pair");
            }
        }

        Optional<MeshSettings> mesh = Optional.empty();
        if (meshEnabled) {
            Optional<String> advertiseHost = MeshSettings.advertiseHostFor(meshHost, advertise);
            if (advertiseHost.isEmpty()) {
                throw new CliException("--enable-mesh with --mesh-host " + meshHost
                        + " (an unspecified address) needs --mesh-advertise-host set to this node's routable IP or name");
            }
            String name = a.string("--mesh-server-name").orElseGet(MeshSettings::randomServerName);
            try {
                mesh = Optional.of(new MeshSettings(name, meshHost, advertiseHost.get(), meshPort, peers));
            } catch (IllegalArgumentException e) {
                String flag = e.getMessage().startsWith("server name") ? "--mesh-server-name"
                        : "--mesh-advertise-host";
                throw new CliException(flag + ": " + e.getMessage());
            }
            warnings.add("--enable-mesh: this version replicates membership only; workers, trees and rate limits"
                    + " are still per node");
            if (discovery || !selector.isEmpty()) {
                warnings.add("--service-discovery/--router-selector: Kubernetes discovery is not built yet; ignored");
            }
        } else {
            for (String meshOnly : List.of("--mesh-server-name", "--mesh-host", "--mesh-advertise-host",
                    "--mesh-port", "--mesh-peer-urls", "--router-selector")) {
                if (a.has(meshOnly)) {
                    warnings.add(meshOnly + " has no effect without --enable-mesh");
                }
            }
            if (discovery) {
                warnings.add("--service-discovery: Kubernetes discovery is not built yet; ignored");
            }
        }
        if (discovery && selector.isEmpty()) {
            throw new CliException("--service-discovery needs --router-selector key=value ...");
        }
        return new GatewayConfig(host, port, workers, policy, logLevel, requestTimeout, maxPayload, grace, apiKey,
                health, breaker, retry, prometheusHost, prometheusPort, mesh, discovery, selector, warnings);
    }
}
