package dev.smg.api.trace;

import dev.smg.api.config.TracingConfig;
import io.opentelemetry.sdk.autoconfigure.spi.internal.DefaultConfigProperties;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

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

    @Test
    void offMeansNoSdkAndNoSpans() {
        try (TraceExport off = TraceExport.start(TracingConfig.OFF, "r", "0")) {
            assertFalse(off.tracing().on());
        }
    }
}
