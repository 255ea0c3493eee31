package dev.smg.api.testing;

import com.fasterxml.jackson.jr.ob.JSON;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;

/**
 * A real trace server as a user would run it: Zipkin's own executable jar from Maven Central (api's
 * pom fetches it into {@code target/trace-server} for test runs), in its own JVM, listening on
 * loopback only, its output in a file. Spans are read back through its HTTP API.
 */
public final class TraceServer implements AutoCloseable {
    private static final Path JAR = Path.of("target", "trace-server", "zipkin-server.jar");

    private final Process process;
    private final Path output;
    private final int port;

    private TraceServer(Process process, Path output, int port) {
        this.process = process;
        this.output = output;
        this.port = port;
    }

    public static boolean available() {
        return Files.isReadable(JAR);
    }

    /** Starts Zipkin (in-memory storage) and waits until it is healthy. */
    public static TraceServer start() throws IOException {
        int port = FreePorts.one();
        Path output = Files.createTempFile("zipkin-test-", ".log");
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = List.of(java, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
                "--enable-native-access=ALL-UNNAMED", "-jar", JAR.toString(),
                "--armeria.ports[0].ip=127.0.0.1", "--armeria.ports[0].port=" + port,
                "--armeria.ports[0].protocols=http", "--logging.level.root=WARN");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile());
        builder.environment().put("QUERY_PORT", String.valueOf(port));
        TraceServer server = new TraceServer(builder.start(), output, port);
        try {
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250)).ignoreExceptions()
                    .until(() -> Http.get(server.url("/health")).statusCode() == 200);
        } catch (RuntimeException e) {
            String log = Files.readString(output);
            server.close();
            throw new IllegalStateException("Zipkin did not start: " + log.substring(Math.max(0, log.length() - 3000)), e);
        }
        return server;
    }

    public String url(String path) {
        return "http://127.0.0.1:" + port + path;
    }

    /** Where spans go: Zipkin's v2 API, as {@code OTEL_EXPORTER_ZIPKIN_ENDPOINT} wants it. */
    public String spansEndpoint() {
        return url("/api/v2/spans");
    }

    /** The spans of one trace, as Zipkin stores them (v2 JSON); empty until some arrived. */
    @SuppressWarnings("unchecked")
    public List<Map<String, Object>> trace(String traceId) {
        var response = Http.get(url("/api/v2/trace/" + traceId));
        if (response.statusCode() == 404) {
            return List.of();
        }
        try {
            List<Object> spans = JSON.std.listFrom(response.body());
            List<Map<String, Object>> out = new ArrayList<>();
            spans.forEach(s -> out.add((Map<String, Object>) s));
            return out;
        } catch (IOException e) {
            throw new IllegalStateException("Zipkin answered " + response.statusCode() + ": " + response.body(), e);
        }
    }

    @Override
    public void close() {
        process.destroyForcibly();
        try {
            process.waitFor();
            Files.deleteIfExists(output);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            // a temp file left behind
        }
    }
}
