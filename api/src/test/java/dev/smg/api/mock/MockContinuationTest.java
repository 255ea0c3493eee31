package dev.smg.api.mock;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.smg.api.json.Json;
import dev.smg.api.mock.engine.EngineSettings;
import dev.smg.api.testing.Http;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import dev.smg.api.testing.QuietLogs;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Deterministic answers and continuations over real HTTP: the same prompt gets the same text on any
 * worker of either engine, and an answer split after k tokens and continued on another worker (in the
 * form a failing-over router sends) gives back exactly the rest of it.
 */
@ExtendWith(QuietLogs.Helidon.class)
class MockContinuationTest {
    /** The natural answer length of both engines here. */
    private static final int N = 12;
    private static final String SYSTEM = "You are a terse assistant.";
    private static final String QUESTION = "Name twelve things, please.";
    private static final String PROMPT = "Once upon a time, in a land far away,";

    enum Engine { CANNED, REALISTIC }

    private final List<MockWorker> workers = new ArrayList<>();

    @AfterEach
    void stop() {
        workers.forEach(MockWorker::stop);
    }

    private MockWorker worker(Engine engine) {
        MockBehaviour behaviour = switch (engine) {
            case CANNED -> new MockBehaviour("mock-model", 0, N);
            case REALISTIC -> MockBehaviour.realistic("mock-model",
                    new EngineSettings(1e6, 0.0, 0.0, 2048, 256, 524_288, 16, true, N, 64));
        };
        MockWorker w = MockWorker.start("127.0.0.1", 0, behaviour);
        workers.add(w);
        return w;
    }

    static Stream<Arguments> engineAndShape() {
        return Arrays.stream(Engine.values()).flatMap(e -> Arrays.stream(MockCompletion.Shape.values())
                .map(s -> Arguments.of(e, s)));
    }

    // ---- requests ----

    private static Map<String, Object> original(MockCompletion.Shape shape) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("model", "mock-model");
        switch (shape) {
            case CHAT -> body.put("messages", new ArrayList<>(List.of(
                    Map.of("role", "system", "content", SYSTEM), Map.of("role", "user", "content", QUESTION))));
            case COMPLETION -> body.put("prompt", PROMPT);
            case GENERATE -> body.put("text", PROMPT);
        }
        return body;
    }

    /** The continuation a router sends after relaying {@code soFar}, the text of the first tokens. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> continuation(MockCompletion.Shape shape, String soFar, boolean flags) {
        Map<String, Object> body = original(shape);
        switch (shape) {
            case CHAT -> {
                ((List<Object>) body.get("messages")).add(Map.of("role", "assistant", "content", soFar));
                if (flags) {
                    body.put("continue_final_message", true);
                    body.put("add_generation_prompt", false);
                }
            }
            case COMPLETION -> body.put("prompt", PROMPT + soFar);
            case GENERATE -> body.put("text", PROMPT + soFar);
        }
        return body;
    }

    private static Map<String, Object> limited(Map<String, Object> body, MockCompletion.Shape shape, int maxTokens) {
        if (shape == MockCompletion.Shape.GENERATE) {
            body.put("sampling_params", Map.of("max_new_tokens", maxTokens));
        } else {
            body.put("max_tokens", maxTokens);
        }
        return body;
    }

    private static String path(MockCompletion.Shape shape) {
        return switch (shape) {
            case CHAT -> "/v1/chat/completions";
            case COMPLETION -> "/v1/completions";
            case GENERATE -> "/generate";
        };
    }

    // ---- responses ----

    /** What a client makes of a streamed answer. */
    record Answer(List<String> pieces, String finishReason, int completionTokens, String worker) {
        String text() {
            return String.join("", pieces);
        }

        String firstPieces(int k) {
            return String.join("", pieces.subList(0, k));
        }
    }

    private static HttpResponse<String> post(MockWorker w, MockCompletion.Shape shape, Map<String, Object> body) {
        try {
            return Http.post("http://127.0.0.1:" + w.port() + path(shape), Json.MAPPER.asString(body));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @SuppressWarnings("unchecked")
    private static Answer stream(MockWorker w, MockCompletion.Shape shape, Map<String, Object> body) throws IOException {
        body.put("stream", true);
        HttpResponse<String> r = post(w, shape, body);
        assertEquals(200, r.statusCode(), r.body());
        List<String> events = Arrays.stream(r.body().split("\n\n")).filter(e -> e.startsWith("data: "))
                .map(e -> e.substring("data: ".length())).toList();
        assertEquals("[DONE]", events.getLast(), r.body());
        List<String> pieces = new ArrayList<>();
        String generated = "";
        String finish = null;
        int completionTokens = -1;
        String worker = null;
        for (String event : events.subList(0, events.size() - 1)) {
            Map<String, Object> chunk = JSON.std.mapFrom(event);
            worker = (String) chunk.get("worker");
            if (shape == MockCompletion.Shape.GENERATE) {
                Map<String, Object> meta = (Map<String, Object>) chunk.get("meta_info");
                String text = (String) chunk.get("text"); // cumulative, as SGLang streams it
                if (meta.get("finish_reason") instanceof Map<?, ?> reason) {
                    assertEquals(generated, text, "the last event repeats the whole text");
                    finish = (String) reason.get("type");
                    completionTokens = ((Number) meta.get("completion_tokens")).intValue();
                } else {
                    assertTrue(text.startsWith(generated), text);
                    pieces.add(text.substring(generated.length()));
                    generated = text;
                }
                continue;
            }
            Map<String, Object> choice = (Map<String, Object>) ((List<?>) chunk.get("choices")).getFirst();
            if (choice.get("finish_reason") instanceof String reason) {
                finish = reason;
                completionTokens = ((Number) ((Map<String, Object>) chunk.get("usage")).get("completion_tokens")).intValue();
            } else if (shape == MockCompletion.Shape.CHAT) {
                pieces.add((String) ((Map<String, Object>) choice.get("delta")).get("content"));
            } else {
                pieces.add((String) choice.get("text"));
            }
        }
        assertEquals(pieces.size(), completionTokens, r.body());
        return new Answer(pieces, finish, completionTokens, worker);
    }

    @SuppressWarnings("unchecked")
    private static String wholeText(MockWorker w, MockCompletion.Shape shape, Map<String, Object> body) {
        Map<String, Object> json = Http.json(post(w, shape, body));
        if (shape == MockCompletion.Shape.GENERATE) {
            return (String) json.get("text");
        }
        Map<String, Object> choice = (Map<String, Object>) ((List<?>) json.get("choices")).getFirst();
        return shape == MockCompletion.Shape.CHAT ? (String) ((Map<String, Object>) choice.get("message")).get("content")
                : (String) choice.get("text");
    }

    // ---- tests ----

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("engineAndShape")
    void theSamePromptGetsTheSameTextOnAnyWorker(Engine engine, MockCompletion.Shape shape) throws IOException {
        MockWorker a = worker(engine);
        MockWorker b = worker(engine);
        Answer fromA = stream(a, shape, original(shape));
        Answer fromB = stream(b, shape, original(shape));
        assertEquals("mock-" + a.port(), fromA.worker());
        assertEquals("mock-" + b.port(), fromB.worker());
        assertEquals(N, fromA.pieces().size());
        assertEquals(fromA.text(), fromB.text());
        assertEquals(AnswerLength.STOP, fromA.finishReason());
        assertEquals(fromA.text(), wholeText(b, shape, original(shape)), "streamed or not, the same text");
        // Words of the vocabulary, spaced as the endpoint spaces them.
        for (int j = 0; j < N; j++) {
            String piece = fromA.pieces().get(j);
            boolean bare = shape == MockCompletion.Shape.CHAT && j == 0;
            assertEquals(!bare, piece.startsWith(" "), piece);
            assertTrue(MockVocabulary.contains(piece.strip()), piece);
        }
        Map<String, Object> other = original(shape);
        other.put(shape == MockCompletion.Shape.CHAT ? "messages" : shape == MockCompletion.Shape.COMPLETION ? "prompt" : "text",
                shape == MockCompletion.Shape.CHAT ? List.of(Map.of("role", "user", "content", "Something else")) : "Something else");
        assertNotEquals(fromA.text(), stream(a, shape, other).text(), "another prompt, another answer");
    }

    @Test
    void bothEnginesGiveTheSameAnswer() throws IOException {
        for (MockCompletion.Shape shape : MockCompletion.Shape.values()) {
            assertEquals(stream(worker(Engine.CANNED), shape, original(shape)).text(),
                    stream(worker(Engine.REALISTIC), shape, original(shape)).text(), shape.name());
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("engineAndShape")
    void aContinuationWithMaxTokensGivesExactlyTheRest(Engine engine, MockCompletion.Shape shape) throws IOException {
        int maxTokens = 10;
        MockWorker first = worker(engine);
        MockWorker second = worker(engine);
        Answer whole = stream(first, shape, limited(original(shape), shape, maxTokens));
        assertEquals(maxTokens, whole.pieces().size());
        assertEquals(AnswerLength.LENGTH, whole.finishReason(), "max_tokens (10 < 12) cut it");
        for (int k : new int[] {1, 4, 9}) {
            String soFar = whole.firstPieces(k);
            Answer rest = stream(second, shape, limited(continuation(shape, soFar, true), shape, maxTokens - k));
            assertEquals(whole.text(), soFar + rest.text(), "k=" + k);
            assertEquals(whole.finishReason(), rest.finishReason(), "k=" + k);
            assertEquals(maxTokens - k, rest.completionTokens(), "k=" + k);
            assertEquals("mock-" + second.port(), rest.worker());
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("engineAndShape")
    void aContinuationWithoutMaxTokensRunsToTheNaturalEnd(Engine engine, MockCompletion.Shape shape) throws IOException {
        MockWorker first = worker(engine);
        MockWorker second = worker(engine);
        Answer whole = stream(first, shape, original(shape));
        assertEquals(N, whole.pieces().size());
        for (int k : new int[] {3, N - 1, N}) {
            String soFar = whole.firstPieces(k);
            Answer rest = stream(second, shape, continuation(shape, soFar, true));
            assertEquals(whole.text(), soFar + rest.text(), "k=" + k);
            assertEquals(AnswerLength.STOP, rest.finishReason(), "k=" + k);
            assertEquals(N - k, rest.completionTokens(), "k=" + k);
            assertEquals(whole.text().substring(soFar.length()), wholeText(second, shape, continuation(shape, soFar, true)));
        }
    }

    @Test
    void aCannedAnswerLongerThanMaxTokensIsCutWithFinishReasonLength() throws IOException {
        MockWorker w = worker(Engine.CANNED);
        Answer cut = stream(w, MockCompletion.Shape.CHAT, limited(original(MockCompletion.Shape.CHAT), MockCompletion.Shape.CHAT, 5));
        assertEquals(5, cut.completionTokens());
        assertEquals(AnswerLength.LENGTH, cut.finishReason());
        Answer exact = stream(w, MockCompletion.Shape.CHAT, limited(original(MockCompletion.Shape.CHAT), MockCompletion.Shape.CHAT, N));
        assertEquals(N, exact.completionTokens());
        assertEquals(AnswerLength.STOP, exact.finishReason(), "max_tokens = N does not cut the answer");
        Answer roomy = stream(w, MockCompletion.Shape.CHAT, limited(original(MockCompletion.Shape.CHAT), MockCompletion.Shape.CHAT, 50));
        assertEquals(N, roomy.completionTokens());
        assertEquals(AnswerLength.STOP, roomy.finishReason());
        assertTrue(exact.text().startsWith(cut.text()));
    }

    @Test
    void withoutContinueFinalMessageAFinalAssistantMessageIsHistory() throws IOException {
        for (Engine engine : Engine.values()) {
            MockWorker w = worker(engine);
            Answer whole = stream(w, MockCompletion.Shape.CHAT, original(MockCompletion.Shape.CHAT));
            String soFar = whole.firstPieces(4);
            Answer flagged = stream(w, MockCompletion.Shape.CHAT, continuation(MockCompletion.Shape.CHAT, soFar, true));
            Answer unflagged = stream(w, MockCompletion.Shape.CHAT, continuation(MockCompletion.Shape.CHAT, soFar, false));
            assertEquals(whole.text(), soFar + flagged.text());
            assertNotEquals(whole.text(), soFar + unflagged.text(), engine.name());
            assertEquals(N, unflagged.completionTokens(), "a new answer, from its start");
            assertTrue(!unflagged.pieces().getFirst().startsWith(" "), "its first word is bare");
        }
    }

    @Test
    void continueFinalMessageWithAGenerationPromptIsRefusedAsVllmDoes() throws IOException {
        MockWorker w = worker(Engine.CANNED);
        Map<String, Object> body = continuation(MockCompletion.Shape.CHAT, "amet", true);
        body.remove("add_generation_prompt"); // defaults to true in vLLM
        HttpResponse<String> r = post(w, MockCompletion.Shape.CHAT, body);
        assertEquals(400, r.statusCode(), r.body());
        assertTrue(Http.error(r).get("message").toString().contains("add_generation_prompt"), r.body());

        Map<String, Object> noAssistant = original(MockCompletion.Shape.CHAT);
        noAssistant.put("continue_final_message", true);
        noAssistant.put("add_generation_prompt", false);
        assertEquals(400, post(w, MockCompletion.Shape.CHAT, noAssistant).statusCode());
    }

    @Test
    void usageCountsTheWholePromptSentAndTheTokensOfThisResponse() throws IOException {
        MockWorker w = worker(Engine.CANNED);
        Answer whole = stream(w, MockCompletion.Shape.COMPLETION, original(MockCompletion.Shape.COMPLETION));
        Map<String, Object> body = continuation(MockCompletion.Shape.COMPLETION, whole.firstPieces(5), true);
        Map<String, Object> json = Http.json(post(w, MockCompletion.Shape.COMPLETION, body));
        @SuppressWarnings("unchecked")
        Map<String, Object> usage = (Map<String, Object>) json.get("usage");
        assertEquals(PROMPT.split(" ").length + 5, ((Number) usage.get("prompt_tokens")).intValue());
        assertEquals(N - 5, ((Number) usage.get("completion_tokens")).intValue());
    }
}
