package dev.smg.api.gateway;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.WebServer;
import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.io.ByteArrayOutputStream;

/** A separate listener serving only {@code GET /metrics} in the Prometheus text format (as upstream). */
final class MetricsServer {
    private MetricsServer() {
    }

    static WebServer start(String host, int port, PrometheusRegistry registry) {
        PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
        return WebServer.builder()
                .host(host)
                .port(port)
                .shutdownHook(false)
                .routing(r -> r.get("/metrics", (req, res) -> {
                    ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024);
                    writer.write(out, registry.scrape(), EscapingScheme.UNDERSCORE_ESCAPING);
                    res.header(HeaderNames.CONTENT_TYPE, writer.getContentType());
                    res.send(out.toByteArray());
                }))
                .build()
                .start();
    }
}
