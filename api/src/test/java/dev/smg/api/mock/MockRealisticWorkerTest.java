package dev.smg.api.mock;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.smg.api.mock.engine.EngineSettings;
import dev.smg.api.testing.Http;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import dev.smg.api.testing.QuietLogs;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A realistic mock worker over real HTTP on 127.0.0.1: shapes, cached tokens, loads, disconnects. */
@ExtendWith(QuietLogs.Helidon.class)
class MockRealisticWorkerTest {
    private static final Duration LIMIT = Duration.ofSeconds(20);
    /** 300 distinct words: 18 full blocks of 16 tokens plus a 12-token tail. */
    private static final String SYSTEM_PROMPT = words("sys", 300);

    private final List<MockWorker> workers = new ArrayList<>();
    private final List<Socket> sockets = new ArrayList<>();

    @AfterEach
    void stop() throws IOException {
        for (Socket s : sockets) {
            s.close();
        }
        workers.forEach(MockWorker::stop);
    }

    private MockWorker worker(int maxRunning, int kvTokens, int maxWaiting) {
        EngineSettings settings = new EngineSettings(8000, 6.0, 0.35, 2048, maxRunning, kvTokens, 16, true, 8, maxWaiting);
        MockWorker w = MockWorker.start("127.0.0.1", 0, MockBehaviour.realistic("mock-model", settings));
        workers.add(w);
        return w;
    }

    private static String words(String prefix, int count) {
        return IntStream.range(0, count).mapToObj(i -> prefix + i).collect(Collectors.joining(" "));
    }

    private static String url(MockWorker w, String path) {
        return "http://127.0.0.1:" + w.port() + path;
    }

    private static String chat(String system, String user, int maxTokens, boolean stream) {
        return "{\"model\":\"mock-model\",\"max_tokens\":" + maxTokens + ",\"stream\":" + stream
                + ",\"messages\":[{\"role\":\"system\",\"content\":\"" + system + "\"},"
                + "{\"role\":\"user\",\"content\":\"" + user + "\"}]}";
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        return (Map<String, Object>) o;
    }

    private static int cachedTokens(Map<String, Object> body) {
        return ((Number) map(map(body.get("usage")).get("prompt_tokens_details")).get("cached_tokens")).intValue();
    }

    private static Map<String, Object> loads(MockWorker w) {
        Map<String, Object> body = Http.json(Http.get(url(w, "/v1/loads")));
        return map(((List<?>) body.get("loads")).get(0));
    }

    private static long number(Map<String, Object> load, String field) {
        return ((Number) load.get(field)).longValue();
    }

    /** The data payloads of an SSE body, [DONE] included. */
    private static List<String> events(String body) {
        return Arrays.stream(body.split("\n\n")).filter(e -> e.startsWith("data: "))
                .map(e -> e.substring("data: ".length())).toList();
    }

    /** A streaming request on a raw socket, so the test controls exactly when the client goes away. */
    private Socket openStream(MockWorker w, String body) throws IOException {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), w.port());
        sockets.add(s);
        s.setSoTimeout((int) LIMIT.toMillis());
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        OutputStream out = s.getOutputStream();
        out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + bytes.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(bytes);
        out.flush();
        return s;
    }

    /** Reads from {@code s} until {@code count} SSE events have arrived. */
    private static void readEvents(Socket s, int count) throws IOException {
        InputStream in = s.getInputStream();
        StringBuilder seen = new StringBuilder();
        byte[] buf = new byte[4096];
        while (seen.toString().split("data: ", -1).length - 1 < count) {
            int n = in.read(buf);
            if (n < 0) {
                throw new AssertionError("stream ended early: " + seen);
            }
            seen.append(new String(buf, 0, n, StandardCharsets.UTF_8));
        }
    }

    private static CompletableFuture<HttpResponse<String>> postAsync(String url, String body) {
        return Http.CLIENT.sendAsync(HttpRequest.newBuilder(URI.create(url)).timeout(LIMIT)
                        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aRepeatedLongPromptReportsItsCachedBlocksOnEveryEndpoint() throws IOException {
        MockWorker w = worker(256, 524_288, 64);
        HttpResponse<String> first = Http.post(url(w, "/v1/chat/completions"), chat(SYSTEM_PROMPT, "question one", 3, false));
        assertEquals(200, first.statusCode(), first.body());
        Map<String, Object> body = Http.json(first);
        Map<String, Object> usage = map(body.get("usage"));
        assertEquals(302, number(usage, "prompt_tokens"));
        assertEquals(3, number(usage, "completion_tokens"));
        assertEquals(305, number(usage, "total_tokens"));
        assertEquals(0, cachedTokens(body));
        assertEquals("chat.completion", body.get("object"));
        assertEquals("mock-" + w.port(), body.get("worker"));
        assertEquals("mock-" + w.port(), first.headers().firstValue("X-Mock-Worker").orElse(""));

        // Same system prompt, another question: its 18 full blocks (288 tokens) come from the cache.
        Map<String, Object> second = Http.json(Http.post(url(w, "/v1/chat/completions"),
                chat(SYSTEM_PROMPT, "question two", 3, false)));
        assertEquals(288, cachedTokens(second));

        Map<String, Object> completion = Http.json(Http.post(url(w, "/v1/completions"),
                "{\"prompt\":\"" + SYSTEM_PROMPT + " another question\",\"max_tokens\":2}"));
        assertEquals("text_completion", completion.get("object"));
        assertEquals(288, cachedTokens(completion));
        assertEquals(2, number(map(completion.get("usage")), "completion_tokens"));

        Map<String, Object> generate = Http.json(Http.post(url(w, "/generate"),
                "{\"text\":\"" + SYSTEM_PROMPT + " and more\",\"sampling_params\":{\"max_new_tokens\":4}}"));
        Map<String, Object> meta = map(generate.get("meta_info"));
        assertEquals(288, number(meta, "cached_tokens"));
        assertEquals(302, number(meta, "prompt_tokens"));
        assertEquals(4, number(meta, "completion_tokens"));
    }

    @Test
    void aStreamHasOneEventPerOutputTokenAndUsageInItsLastChunk() throws IOException {
        MockWorker w = worker(256, 524_288, 64);
        Http.post(url(w, "/v1/chat/completions"), chat(SYSTEM_PROMPT, "warm", 1, false));
        HttpResponse<String> streamed = Http.post(url(w, "/v1/chat/completions"), chat(SYSTEM_PROMPT, "hi", 5, true));
        assertEquals(200, streamed.statusCode());
        assertTrue(streamed.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
        List<String> events = events(streamed.body());
        assertEquals(5 + 2, events.size(), streamed.body()); // 5 tokens, the usage chunk, [DONE]
        assertEquals("[DONE]", events.get(6));
        for (int i = 0; i < 5; i++) {
            Map<String, Object> chunk = JSON.std.mapFrom(events.get(i));
            assertEquals("chat.completion.chunk", chunk.get("object"));
        }
        Map<String, Object> last = JSON.std.mapFrom(events.get(5));
        assertEquals(288, cachedTokens(last));
        assertEquals(5, number(map(last.get("usage")), "completion_tokens"));
        assertEquals(301, number(map(last.get("usage")), "prompt_tokens"));
    }

    @Test
    void withoutMaxTokensTheOutputLengthIsTheDefault() {
        MockWorker w = worker(256, 524_288, 64);
        Map<String, Object> body = Http.json(Http.post(url(w, "/v1/chat/completions"),
                "{\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}"));
        assertEquals(8, number(map(body.get("usage")), "completion_tokens"));
    }

    @Test
    void loadsReportQueueKvAndCacheNumbers() throws IOException {
        MockWorker w = worker(1, 4096, 64);
        Map<String, Object> idle = loads(w);
        assertEquals(0, number(idle, "num_running_reqs"));
        assertEquals(4096, number(idle, "max_total_num_tokens"));
        assertEquals(1, number(idle, "max_running_requests"));

        String holderPrompt = words("h", 40); // 2 full blocks + 8
        Socket holder = openStream(w, chat(holderPrompt, "", 30_000, true));
        readEvents(holder, 1);
        CompletableFuture<HttpResponse<String>> waiter = postAsync(url(w, "/v1/chat/completions"),
                chat(words("q", 20), "", 2, false));

        await().atMost(LIMIT).until(() -> {
            Map<String, Object> l = loads(w);
            return number(l, "num_running_reqs") == 1 && number(l, "num_waiting_reqs") == 1
                    && number(l, "num_waiting_uncached_tokens") == 20;
        });
        Map<String, Object> busy = loads(w);
        assertEquals(2, number(busy, "num_total_reqs"));
        long used = number(busy, "num_used_tokens");
        assertTrue(used > 40, "40 prompt tokens plus what was generated: " + used);
        assertEquals((double) used / 4096, ((Number) busy.get("token_usage")).doubleValue(), 1e-12);
        assertTrue(((Number) busy.get("gen_throughput")).doubleValue() > 0);
        assertEquals(0.0, ((Number) busy.get("cache_hit_rate")).doubleValue());

        holder.close(); // the holder's client goes away: the waiting request gets the slot
        assertEquals(200, waiter.join().statusCode());
        assertEquals(200, Http.post(url(w, "/v1/chat/completions"), chat(holderPrompt, "", 1, false)).statusCode());
        // Admissions: 0/40, 0/20, then 32/40 cached: EWMA (alpha 0.2) = 0.2 * 0.8.
        await().atMost(LIMIT).until(() -> number(loads(w), "num_finished_reqs") == 2);
        Map<String, Object> after = loads(w);
        assertEquals(0.16, ((Number) after.get("cache_hit_rate")).doubleValue(), 1e-9);
        assertEquals(0, number(after, "num_running_reqs"));
        assertEquals(0, number(after, "num_waiting_reqs"));
        assertEquals(1, number(after, "num_dropped_reqs"));
        assertEquals(3 * 16, number(after, "num_used_tokens"), "the 2 + 1 full blocks of the two prompts stay cached");
    }

    @Test
    void aClientThatDisconnectsMidStreamIsDropped() throws IOException {
        MockWorker w = worker(256, 524_288, 64);
        Socket client = openStream(w, chat(SYSTEM_PROMPT, "long answer please", 30_000, true));
        readEvents(client, 2);
        assertEquals(1, number(loads(w), "num_running_reqs"));
        client.close();
        await().atMost(LIMIT).until(() -> {
            Map<String, Object> l = loads(w);
            return number(l, "num_running_reqs") == 0 && number(l, "num_dropped_reqs") == 1;
        });
        assertEquals(0, number(loads(w), "num_finished_reqs"));
    }

    @Test
    void aFullWaitingQueueAnswers503AndCountsIt() throws IOException {
        MockWorker w = worker(1, 524_288, 1);
        readEvents(openStream(w, chat("hold", "", 30_000, true)), 1);
        CompletableFuture<HttpResponse<String>> queued = postAsync(url(w, "/v1/chat/completions"), chat("wait", "", 1, false));
        await().atMost(LIMIT).until(() -> number(loads(w), "num_waiting_reqs") == 1);

        HttpResponse<String> refused = Http.post(url(w, "/v1/chat/completions"), chat("more", "", 1, false));
        assertEquals(503, refused.statusCode());
        assertTrue(Http.error(refused).get("message").toString().contains("waiting queue is full"), refused.body());
        assertEquals("mock-" + w.port(), refused.headers().firstValue("X-Mock-Worker").orElse(""));
        assertEquals(1, number(loads(w), "num_rejected_reqs"));
        assertFalse(queued.isDone(), "the queued request still waits for the slot");
    }

    @Test
    void badOutputLengthsAndOverlongPromptsAre400() {
        MockWorker w = worker(256, 524_288, 64);
        for (String maxTokens : List.of("\"ten\"", "0", "-3", "2.5", "40000")) {
            HttpResponse<String> r = Http.post(url(w, "/v1/chat/completions"),
                    "{\"max_tokens\":" + maxTokens + ",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
            assertEquals(400, r.statusCode(), maxTokens + ": " + r.body());
            assertTrue(Http.error(r).get("message").toString().startsWith("max_tokens"), r.body());
        }
        HttpResponse<String> tooLong = Http.post(url(w, "/v1/completions"),
                "{\"prompt\":\"" + words("w", EngineSettings.MAX_MODEL_LEN) + "\"}");
        assertEquals(400, tooLong.statusCode());
        assertTrue(Http.error(tooLong).get("message").toString().contains("maximum context length"), tooLong.body());
    }
}
