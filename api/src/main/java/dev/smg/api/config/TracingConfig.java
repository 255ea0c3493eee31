package dev.smg.api.config;

import java.util.Optional;

/**
 * OpenTelemetry tracing of proxied requests ({@code --enable-trace}). Everything else about the
 * export (protocol, sampler, service name, headers, batch sizes) comes from the standard
 * {@code OTEL_*} environment variables, as for any OpenTelemetry SDK.
 *
 * @param enabled      spans are made and exported; off, the gateway makes none and forwards the
 *                     client's {@code traceparent} unchanged
 * @param otlpEndpoint {@code --otlp-traces-endpoint} as a URL; empty: the {@code OTEL_*} variables
 *                     decide (OTLP over gRPC to localhost:4317 when they say nothing)
 */
public record TracingConfig(boolean enabled, Optional<String> otlpEndpoint) {
    public static final TracingConfig OFF = new TracingConfig(false, Optional.empty());
}
