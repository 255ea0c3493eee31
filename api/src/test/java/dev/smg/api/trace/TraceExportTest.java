package dev.smg.api.trace;

import dev.smg.api.config.TracingConfig;
import io.opentelemetry.sdk.autoconfigure.spi.internal.DefaultConfigProperties;
import dev.smg.api.testing.PrometheusText;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How {@code --otlp-traces-endpoint} lands over the OTEL_* configuration. */
class TraceExportTest {
    private static Map<String, String> over(String endpoint, Map<String, String> environment) {
        return TraceExport.flags(new TracingConfig(true, Optional.ofNullable(endpoint)),
                DefaultConfigProperties.createFromMap(environment));
    }

    @Test
    void theFlagsEndpointWinsAndGetsTheSignalPathOnlyWhereHttpNeedsIt() {
        assertEquals(Map.of(), over(null, Map.of()), "no flag: the environment decides");
        assertEquals(Map.of("otel.exporter.otlp.traces.endpoint", "http://c:4317"), over("http://c:4317", Map.of()),
                "gRPC (the SDK's default protocol) takes host:port");
        assertEquals(Map.of("otel.exporter.otlp.traces.endpoint", "http://c:4318/v1/traces"),
                over("http://c:4318", Map.of("otel.exporter.otlp.protocol", "http/protobuf")));
        assertEquals(Map.of("otel.exporter.otlp.traces.endpoint", "http://c:4318/custom"),
                over("http://c:4318/custom", Map.of("otel.exporter.otlp.traces.protocol", "http/protobuf")));
    }

    private static String exposition(PrometheusRegistry registry) throws java.io.IOException {
        java.io.ByteArrayOutputStream text = new java.io.ByteArrayOutputStream();
        io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter.create().write(text, registry.scrape(),
                io.prometheus.metrics.config.EscapingScheme.UNDERSCORE_ESCAPING);
        return text.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    /** A queue of 4 and a collector that refuses: most of 200 spans cannot be queued, and /metrics says so. */
    @Test
    void spansTheFullQueueDropsAreCountedInMetrics() throws Exception {
        PrometheusRegistry registry = new PrometheusRegistry();
        Map<String, String> settings = Map.of(
                "otel.traces.exporter", "zipkin",
                "otel.exporter.zipkin.endpoint", "http://127.0.0.1:1/api/v2/spans",
                "otel.bsp.max.queue.size", "4",
                "otel.bsp.max.export.batch.size", "2",
                "otel.bsp.schedule.delay", "60000");
        try (TraceExport on = TraceExport.start(new TracingConfig(true, Optional.empty()), "r", "0", registry,
                settings)) {
            for (int i = 0; i < 200; i++) {
                on.tracing().request("POST", "/v1/chat/completions", "rid-" + i, name -> null).end(200, "", 1);
            }
            PrometheusText text = PrometheusText.parse(exposition(registry));
            double dropped = text.sum("smg_trace_spans_total", "result", "dropped");
            assertTrue(dropped > 0 && dropped <= 200, "dropped " + dropped);
            assertTrue(text.exposes("smg_trace_span_queue_size"));
        }
    }

    @Test
    void offMeansNoSdkAndNoSpans() {
        try (TraceExport off = TraceExport.start(TracingConfig.OFF, "r", "0", new PrometheusRegistry())) {
            assertFalse(off.tracing().on());
        }
    }
}
