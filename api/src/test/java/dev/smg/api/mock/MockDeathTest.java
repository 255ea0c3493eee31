package dev.smg.api.mock;

import dev.smg.api.mock.engine.EngineSettings;
import dev.smg.api.testing.Http;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import dev.smg.api.testing.QuietLogs;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A worker told to die ({@code dieAfterTokens}, {@code POST /_mock/die}), read on raw sockets so the
 * test sees exactly how a stream ends: a crash cuts streams in the middle of their chunked body and
 * the server stops; a stall sends nothing more until reset.
 */
@ExtendWith(QuietLogs.Helidon.class)
class MockDeathTest {
    private static final Duration LIMIT = Duration.ofSeconds(20);
    /** The end of a cleanly finished chunked body. */
    private static final String LAST_CHUNK = "\r\n0\r\n\r\n";

    enum Engine { CANNED, REALISTIC }

    private final List<MockWorker> workers = new ArrayList<>();
    private final List<Socket> sockets = new ArrayList<>();

    @AfterEach
    void stop() throws IOException {
        for (Socket s : sockets) {
            s.close();
        }
        workers.forEach(MockWorker::stop);
    }

    /**
     * A worker whose answers run for minutes unless a streamed request sets max_tokens: canned, one
     * token per 6 ms of 100,000 (a whole answer takes 600 s); realistic, 1 ms steps and 30,000 tokens.
     */
    private MockWorker worker(Engine engine) {
        MockBehaviour behaviour = switch (engine) {
            case CANNED -> new MockBehaviour("mock-model", 600_000, 100_000);
            case REALISTIC -> MockBehaviour.realistic("mock-model",
                    new EngineSettings(1e6, 1.0, 0.0, 2048, 256, 524_288, 16, true, 30_000, 64));
        };
        MockWorker w = MockWorker.start("127.0.0.1", 0, behaviour);
        workers.add(w);
        return w;
    }

    private static String chat(String content, boolean stream, String extra) {
        return "{\"model\":\"mock-model\",\"stream\":" + stream + extra
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"" + content + "\"}]}";
    }

    private static String url(MockWorker w, String path) {
        return "http://127.0.0.1:" + w.port() + path;
    }

    /** A raw HTTP/1.1 POST; the response is read with {@link Received}. */
    private Received open(MockWorker w, String path, String body) throws IOException {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), w.port());
        sockets.add(s);
        s.setSoTimeout((int) LIMIT.toMillis());
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        OutputStream out = s.getOutputStream();
        out.write(("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + bytes.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(bytes);
        out.flush();
        return new Received(s);
    }

    /** The bytes one raw connection has delivered so far. */
    private static final class Received {
        private final Socket socket;
        private final StringBuilder text = new StringBuilder();
        private boolean ended;

        Received(Socket socket) {
            this.socket = socket;
        }

        int events() {
            return text.toString().split("data: ", -1).length - 1;
        }

        String text() {
            return text.toString();
        }

        /** Reads until {@code count} SSE events have arrived. */
        Received awaitEvents(int count) throws IOException {
            while (events() < count) {
                if (!readSome()) {
                    throw new AssertionError("ended after " + events() + " events: " + text);
                }
            }
            return this;
        }

        /** Reads until the response ends: its body's terminating chunk, or the connection's end. */
        Received readToEnd() throws IOException {
            while (!text().endsWith(LAST_CHUNK) && readSome()) {
                // keep reading
            }
            return this;
        }

        /** Whether another read within {@code millis} brings any byte (false: it timed out, or the connection ended). */
        boolean bytesWithin(int millis) throws IOException {
            int before = socket.getSoTimeout();
            socket.setSoTimeout(millis);
            try {
                int had = text.length();
                return readSome() && text.length() > had;
            } catch (SocketTimeoutException e) {
                return false;
            } finally {
                socket.setSoTimeout(before);
            }
        }

        /** False at the end of the connection: a close, or a reset (a reset is fine for a crash too). */
        private boolean readSome() throws IOException {
            if (ended) {
                return false;
            }
            byte[] buf = new byte[8192];
            int n;
            try {
                InputStream in = socket.getInputStream();
                n = in.read(buf);
            } catch (SocketException e) {
                n = -1;
            }
            if (n < 0) {
                ended = true;
                return false;
            }
            text.append(new String(buf, 0, n, StandardCharsets.UTF_8));
            return true;
        }

        /** A crash's mark: the body stops mid-stream, without [DONE], usage or its terminating chunk. */
        void assertCutMidStream() {
            String t = text();
            assertFalse(t.contains("[DONE]"), t);
            assertFalse(t.contains("\"usage\""), t);
            assertFalse(t.endsWith(LAST_CHUNK), "a cut body has no terminating chunk: " + t);
        }
    }

    private static boolean refused(int port) {
        try (Socket ignored = new Socket(InetAddress.getLoopbackAddress(), port)) {
            return false;
        } catch (ConnectException e) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static CompletableFuture<HttpResponse<String>> postAsync(String url, String body) {
        return Http.CLIENT.sendAsync(HttpRequest.newBuilder(URI.create(url)).timeout(LIMIT.multipliedBy(3))
                        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void aCrashAfterNTokensCutsTheStreamRightAfterTheNthAndStopsTheServer(Engine engine) throws IOException {
        MockWorker w = worker(engine);
        w.dieAfterTokens(3, DeathMode.CRASH);
        Received stream = open(w, "/v1/chat/completions", chat("hello", true, "")).readToEnd();
        assertTrue(stream.text().startsWith("HTTP/1.1 200"), stream.text());
        assertEquals(3, stream.events(), stream.text());
        stream.assertCutMidStream();
        await().atMost(LIMIT).until(() -> refused(w.port()));
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void theJavaHttpClientSeesACrashAsAnIoErrorNotAnEnd(Engine engine) {
        MockWorker w = worker(engine);
        w.dieAfterTokens(5, DeathMode.CRASH);
        HttpRequest request = HttpRequest.newBuilder(URI.create(url(w, "/v1/completions"))).timeout(LIMIT)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"hello\",\"stream\":true}")).build();
        assertThrows(IOException.class, () -> Http.CLIENT.send(request, HttpResponse.BodyHandlers.ofString()));
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void aCrashOrderedOverHttpCutsEveryOpenStreamAndRequestAtOnce(Engine engine) throws Exception {
        MockWorker w = worker(engine);
        Received chat = open(w, "/v1/chat/completions", chat("one", true, "")).awaitEvents(2);
        Received generate = open(w, "/generate", "{\"text\":\"two\",\"stream\":true}").awaitEvents(2);
        CompletableFuture<HttpResponse<String>> whole = postAsync(url(w, "/v1/completions"), "{\"prompt\":\"three\"}");
        await().atMost(LIMIT).until(() -> w.running() == 3);

        HttpResponse<String> told = Http.post(url(w, "/_mock/die"), "{}");
        assertEquals(200, told.statusCode(), told.body());
        assertEquals(Map.of("after_tokens", 0, "mode", "crash"), Http.json(told));

        chat.readToEnd().assertCutMidStream();
        generate.readToEnd().assertCutMidStream();
        ExecutionException e = assertThrows(ExecutionException.class, () -> whole.get(LIMIT.toSeconds(), TimeUnit.SECONDS));
        assertInstanceOf(IOException.class, e.getCause(), "closed without an answer");
        await().atMost(LIMIT).until(() -> refused(w.port()));
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void aStallHoldsStreamsAndNewRequestsUntilReset(Engine engine) throws Exception {
        MockWorker w = worker(engine);
        HttpResponse<String> told = Http.post(url(w, "/_mock/die"), "{\"after_tokens\":3,\"mode\":\"stall\"}");
        assertEquals(Map.of("after_tokens", 3, "mode", "stall"), Http.json(told));

        Received stream = open(w, "/v1/chat/completions", chat("hello", true, ",\"max_tokens\":10")).awaitEvents(3);
        assertFalse(stream.bytesWithin(300), "stalled after its 3rd token: " + stream.text());
        assertEquals(3, stream.events());
        Received later = open(w, "/v1/completions", "{\"prompt\":\"later\",\"stream\":true,\"max_tokens\":2}");
        await().atMost(LIMIT).until(() -> w.running() == 2);
        assertFalse(later.bytesWithin(300), "a later request is held too, headers included: " + later.text());
        assertEquals(200, Http.get(url(w, "/health")).statusCode(), "control endpoints still answer");

        assertEquals(200, Http.post(url(w, "/_mock/die"), "{\"mode\":\"none\"}").statusCode());
        stream.readToEnd();
        assertEquals(10 + 2, stream.events(), stream.text()); // 10 tokens, the usage chunk, [DONE]
        assertTrue(stream.text().endsWith("data: [DONE]\n\n" + LAST_CHUNK), stream.text());
        later.readToEnd();
        assertTrue(later.text().startsWith("HTTP/1.1 200"), later.text());
        assertEquals(2 + 2, later.events(), later.text());
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void stoppingAStalledWorkerDoesNotWaitForItsStalledHandlers(Engine engine) throws IOException {
        MockWorker w = worker(engine);
        Received streaming = open(w, "/v1/chat/completions", chat("hello", true, "")).awaitEvents(1);
        w.dieAfterTokens(0, DeathMode.STALL);
        Received held = open(w, "/v1/completions", "{\"prompt\":\"hi\",\"stream\":true}");
        await().atMost(LIMIT).until(() -> w.running() == 2);

        assertTimeoutPreemptively(LIMIT, w::stop);
        streaming.readToEnd().assertCutMidStream();
        assertEquals(0, held.readToEnd().events(), held.text());
        assertTrue(refused(w.port()));
    }

    @Test
    void badDeathOrdersAre400() {
        MockWorker w = worker(Engine.CANNED);
        for (String body : List.of("{\"after_tokens\":-1}", "{\"after_tokens\":2.5}", "{\"after_tokens\":\"3\"}",
                "{\"mode\":\"explode\"}")) {
            HttpResponse<String> r = Http.post(url(w, "/_mock/die"), body);
            assertEquals(400, r.statusCode(), body + ": " + r.body());
        }
        HttpResponse<String> alive = Http.post(url(w, "/v1/completions"), "{\"prompt\":\"alive\",\"stream\":true,\"max_tokens\":1}");
        assertTrue(alive.body().endsWith("data: [DONE]\n\n"), alive.body());
    }

    @Test
    void aResetBeforeTheDeathDisarmsIt() throws IOException {
        MockWorker w = worker(Engine.CANNED);
        w.dieAfterTokens(2, DeathMode.CRASH);
        w.dieAfterTokens(0, DeathMode.NONE);
        Received stream = open(w, "/v1/completions", "{\"prompt\":\"hi\",\"stream\":true,\"max_tokens\":4}").readToEnd();
        assertEquals(4 + 2, stream.events(), stream.text());
        assertTrue(stream.text().endsWith(LAST_CHUNK), stream.text());
    }
}
