package dev.smg.api.config;

import dev.smg.mesh.MeshSettings;
import dev.smg.mesh.MeshTuning;
import dev.smg.router.breaker.BreakerSettings;
import dev.smg.router.health.HealthSettings;
import dev.smg.router.retry.RetrySettings;
import dev.smg.router.stream.StreamFailoverSettings;
import dev.smg.router.worker.WorkerSpec;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Everything the gateway process was asked to do, validated. Built by {@link GatewayFlags} from the
 * command line; nothing downstream re-checks these values.
 *
 * @param port           HTTP port; 0 picks a free one
 * @param workers        {@code --worker-urls}, with their weights
 * @param prometheusPort metrics port; 0 picks a free one
 * @param meshTuning     the mesh's timings and bounds ({@code --mesh-profile} and its overrides); the
 *                       default profile when the mesh is off
 * @param streams        stream failover and first-token deadlines ({@code --first-token-timeout-secs} ...)
 * @param load           engine-load polling, the load score, and load sharing through the mesh
 * @param discovery      Kubernetes router discovery; present only together with {@code mesh}
 * @param workerDiscovery Kubernetes worker discovery ({@code --service-discovery --selector})
 * @param generationMetrics time to first token, token gaps, durations and tokens of answers
 *                       ({@code --disable-generation-metrics} turns them off)
 * @param tracing        OpenTelemetry traces of proxied requests ({@code --enable-trace})
 * @param warnings       printed at start-up: things the user asked for that this build does not do yet,
 *                       and choices that leave something open (a plaintext mesh port)
 */
public record GatewayConfig(
        String host,
        int port,
        List<WorkerSpec> workers,
        RoutingConfig routing,
        AdmissionConfig admission,
        String logLevel,
        Duration requestTimeout,
        long maxPayloadSize,
        Duration shutdownGrace,
        Optional<Secret> apiKey,
        HealthSettings health,
        BreakerSettings breaker,
        RetrySettings retry,
        StreamFailoverSettings streams,
        String prometheusHost,
        int prometheusPort,
        Optional<MeshSettings> mesh,
        MeshTuning meshTuning,
        boolean treeSync,
        LoadConfig load,
        Optional<DiscoveryConfig> discovery,
        Optional<WorkerDiscoveryConfig> workerDiscovery,
        boolean generationMetrics,
        TracingConfig tracing,
        List<String> warnings) {

    public GatewayConfig {
        workers = List.copyOf(workers);
        java.util.Objects.requireNonNull(meshTuning);
        warnings = List.copyOf(warnings);
    }

    /**
     * Time after SIGTERM during which new requests are still served while load balancers notice
     * that readiness went to 503: min(grace / 2, 5 s), as upstream.
     */
    public Duration settlePeriod() {
        Duration half = shutdownGrace.dividedBy(2);
        return half.compareTo(Duration.ofSeconds(5)) < 0 ? half : Duration.ofSeconds(5);
    }
}
