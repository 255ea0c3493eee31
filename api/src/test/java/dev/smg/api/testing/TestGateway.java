package dev.smg.api.testing;

import dev.smg.api.config.GatewayFlags;
import dev.smg.api.gateway.GatewayProcess;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;

/** An in-process gateway on free loopback ports, configured with real command-line flags. */
public final class TestGateway implements AutoCloseable {
    private final GatewayProcess process;

    private TestGateway(GatewayProcess process) {
        this.process = process;
    }

    public static TestGateway start(String... flags) {
        // round_robin unless a test says otherwise (a later --policy wins): tests of the data plane
        // want to see requests spread, not stick to the worker that holds a prompt.
        List<String> args = new ArrayList<>(List.of("--host", "127.0.0.1", "--port", "0",
                "--prometheus-host", "127.0.0.1", "--prometheus-port", "0", "--policy", "round_robin"));
        args.addAll(List.of(flags));
        return new TestGateway(GatewayProcess.start(GatewayFlags.parse(args.toArray(String[]::new))));
    }

    public GatewayProcess process() {
        return process;
    }

    public String url(String path) {
        return "http://127.0.0.1:" + process.port() + path;
    }

    public PrometheusText metrics() {
        HttpResponse<String> r = Http.get("http://127.0.0.1:" + process.metricsPort() + "/metrics");
        if (r.statusCode() != 200) {
            throw new AssertionError("metrics answered " + r.statusCode());
        }
        return PrometheusText.parse(r.body());
    }

    @Override
    public void close() {
        process.stop();
    }
}
