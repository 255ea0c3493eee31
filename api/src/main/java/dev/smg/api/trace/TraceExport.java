package dev.smg.api.trace;

import dev.smg.api.config.TracingConfig;
import dev.smg.router.trace.Tracing;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import io.opentelemetry.sdk.resources.Resource;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.net.URI;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The OpenTelemetry SDK behind {@code --enable-trace}, configured the standard way: the SDK's own
 * autoconfiguration reads the {@code OTEL_*} environment variables (and {@code otel.*} system
 * properties), so exporter, protocol, sampler, headers and batching are set as for any other
 * OpenTelemetry service. smg adds defaults under them (service name "smg", no metrics or logs
 * export: Prometheus has the metrics) and the {@code --otlp-traces-endpoint} flag over them.
 * Closing flushes the spans still queued.
 */
public final class TraceExport implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(TraceExport.class.getName());
    private static final AttributeKey<String> SERVICE_INSTANCE = AttributeKey.stringKey("service.instance.id");
    private static final AttributeKey<String> SERVICE_VERSION = AttributeKey.stringKey("service.version");

    private final OpenTelemetrySdk sdk;
    private final Tracing tracing;

    private TraceExport(OpenTelemetrySdk sdk, Tracing tracing) {
        this.sdk = sdk;
        this.tracing = tracing;
    }

    /**
     * @param router  this router's name (its mesh name, or host:port): the resource's
     *                {@code service.instance.id} unless {@code OTEL_RESOURCE_ATTRIBUTES} names one
     * @param version smg's version, for {@code service.version}
     */
    public static TraceExport start(TracingConfig config, String router, String version, PrometheusRegistry metrics) {
        return start(config, router, version, metrics, Map.of());
    }

    /** @param settings more defaults under the environment (tests: batching, exporter) */
    static TraceExport start(TracingConfig config, String router, String version, PrometheusRegistry metrics,
                             Map<String, String> settings) {
        if (!config.enabled()) {
            return new TraceExport(null, Tracing.OFF);
        }
        SpanQueueMetrics queue = new SpanQueueMetrics();
        OpenTelemetrySdk sdk = AutoConfiguredOpenTelemetrySdk.builder()
                .addPropertiesSupplier(() -> {
                    Map<String, String> all = new HashMap<>(defaults());
                    all.putAll(settings);
                    return all;
                })
                // The SDK counts the spans its bounded queue dropped through its meter provider; a reader
                // of ours brings those counts to /metrics (nothing else is exported as OTel metrics).
                .addMeterProviderCustomizer((builder, properties) -> builder.registerMetricReader(queue))
                .addPropertiesCustomizer(properties -> flags(config, properties))
                // Ours first, so that the user's resource attributes win over them.
                .addResourceCustomizer((resource, properties) -> Resource.create(Attributes.of(
                        SERVICE_INSTANCE, router, SERVICE_VERSION, version)).merge(resource))
                .build()
                .getOpenTelemetrySdk();
        queue.exportTo(metrics);
        LOG.log(System.Logger.Level.INFO, "tracing on: spans of proxied requests are exported{0}",
                config.otlpEndpoint().map(e -> " to " + e).orElse(" as the OTEL_* environment says"));
        return new TraceExport(sdk, Tracing.with(sdk, router));
    }

    public Tracing tracing() {
        return tracing;
    }

    /** Under the environment: what smg exports unless told otherwise. */
    private static Map<String, String> defaults() {
        return Map.of(
                "otel.service.name", "smg",
                "otel.metrics.exporter", "none",
                "otel.logs.exporter", "none");
    }

    /**
     * Over the environment: an endpoint given on the command line. OTLP over http/protobuf wants the
     * signal's full path, which a bare host:port lacks.
     */
    static Map<String, String> flags(TracingConfig config, ConfigProperties properties) {
        Map<String, String> overrides = new HashMap<>();
        config.otlpEndpoint().ifPresent(endpoint -> {
            String protocol = properties.getString("otel.exporter.otlp.traces.protocol",
                    properties.getString("otel.exporter.otlp.protocol", "grpc"));
            String path = URI.create(endpoint).getRawPath();
            boolean bare = path == null || path.isEmpty() || path.equals("/");
            String url = protocol.startsWith("http") && bare
                    ? endpoint.replaceAll("/$", "") + "/v1/traces" : endpoint;
            overrides.put("otel.exporter.otlp.traces.endpoint", url);
        });
        return overrides;
    }

    /** Flushes and stops the export (waits up to 5 s for the spans queued). */
    @Override
    public void close() {
        if (sdk != null) {
            sdk.shutdown().join(5, TimeUnit.SECONDS);
        }
    }
}
