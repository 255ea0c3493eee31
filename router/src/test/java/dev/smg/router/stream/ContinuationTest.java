package dev.smg.router.stream;

import com.fasterxml.jackson.jr.ob.JSON;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ContinuationTest {
    private static Continuation.Plan plan(StreamShape shape, String body) {
        return Continuation.of(shape, body.getBytes(StandardCharsets.UTF_8));
    }

    private static Map<String, Object> next(StreamShape shape, String body, String text, int tokens) throws Exception {
        byte[] bytes = plan(shape, body).continuation().orElseThrow().body(text, tokens).orElseThrow();
        return JSON.std.mapFrom(bytes);
    }

    private static BreakReason refusal(StreamShape shape, String body) {
        return plan(shape, body).refusal();
    }

    @Test
    void chatContinuesThePartialAssistantMessage() throws Exception {
        Map<String, Object> next = next(StreamShape.CHAT, "{\"model\":\"m\",\"stream\":true,\"max_tokens\":40,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"temperature\":0.7}", "Hello there", 12);
        assertEquals(List.of(Map.of("role", "user", "content", "hi"), Map.of("role", "assistant", "content", "Hello there")),
                next.get("messages"));
        assertEquals(true, next.get("continue_final_message"));
        assertEquals(false, next.get("add_generation_prompt"));
        assertEquals(28, ((Number) next.get("max_tokens")).intValue());
        assertEquals(true, next.get("stream"));
        assertEquals(0.7, next.get("temperature"));
        assertEquals("m", next.get("model"));
    }

    @Test
    void aClientsOwnContinuationIsExtendedNotStacked() throws Exception {
        Map<String, Object> next = next(StreamShape.CHAT, "{\"continue_final_message\":true,\"messages\":["
                + "{\"role\":\"user\",\"content\":\"q\"},{\"role\":\"assistant\",\"content\":\"Sure,\"}]}", " here", 1);
        List<?> messages = (List<?>) next.get("messages");
        assertEquals(2, messages.size());
        assertEquals(Map.of("role", "assistant", "content", "Sure, here"), messages.get(1));
    }

    @Test
    void completionsAndGenerateAppendTheTextSoFarAndShrinkTheirLimits() throws Exception {
        Map<String, Object> c = next(StreamShape.COMPLETION, "{\"prompt\":\"Once\",\"max_tokens\":10,\"min_tokens\":4}",
                " upon a", 2);
        assertEquals("Once upon a", c.get("prompt"));
        assertEquals(8, ((Number) c.get("max_tokens")).intValue());
        assertEquals(2, ((Number) c.get("min_tokens")).intValue());
        Map<String, Object> g = next(StreamShape.GENERATE, "{\"text\":\"Once\",\"stream\":true,"
                + "\"sampling_params\":{\"max_new_tokens\":10,\"temperature\":0}}", " upon", 1);
        assertEquals("Once upon", g.get("text"));
        Map<?, ?> sampling = (Map<?, ?>) g.get("sampling_params");
        assertEquals(9, ((Number) sampling.get("max_new_tokens")).intValue());
        assertEquals(0, ((Number) sampling.get("temperature")).intValue());
    }

    @Test
    void aUsedUpLimitMeansTheAnswerIsComplete() {
        assertTrue(plan(StreamShape.CHAT, "{\"max_completion_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"q\"}]}")
                .continuation().orElseThrow().body("a b c d e", 5).isEmpty());
    }

    @Test
    void requestsThatCannotBeContinuedSafelyAreRefusedWithAReason() {
        String chat = "\"messages\":[{\"role\":\"user\",\"content\":\"q\"}]";
        assertEquals(BreakReason.SEVERAL_CHOICES, refusal(StreamShape.CHAT, "{" + chat + ",\"n\":2}"));
        assertEquals(BreakReason.LOGPROBS, refusal(StreamShape.CHAT, "{" + chat + ",\"logprobs\":true}"));
        assertNull(refusal(StreamShape.CHAT, "{" + chat + ",\"logprobs\":false,\"n\":1}"));
        assertEquals(BreakReason.STRUCTURED_OUTPUT,
                refusal(StreamShape.CHAT, "{" + chat + ",\"response_format\":{\"type\":\"json_object\"}}"));
        assertNull(refusal(StreamShape.CHAT, "{" + chat + ",\"response_format\":{\"type\":\"text\"}}"));
        assertEquals(BreakReason.STRUCTURED_OUTPUT, refusal(StreamShape.CHAT, "{" + chat + ",\"guided_regex\":\"a+\"}"));
        assertEquals(BreakReason.PROMPT_FORM, refusal(StreamShape.CHAT, "{\"messages\":[]}"));
        assertEquals(BreakReason.PROMPT_FORM, refusal(StreamShape.COMPLETION, "{\"prompt\":[1,2,3]}"));
        assertEquals(BreakReason.PROMPT_FORM, refusal(StreamShape.COMPLETION, "{\"prompt\":[\"a\",\"b\"]}"));
        assertNull(refusal(StreamShape.COMPLETION, "{\"prompt\":[\"a\"]}"));
        assertEquals(BreakReason.PROMPT_FORM, refusal(StreamShape.COMPLETION, "{\"prompt\":\"a\",\"echo\":true}"));
        assertEquals(BreakReason.LOGPROBS, refusal(StreamShape.COMPLETION, "{\"prompt\":\"a\",\"logprobs\":0}"));
        assertEquals(BreakReason.SEVERAL_CHOICES, refusal(StreamShape.COMPLETION, "{\"prompt\":\"a\",\"best_of\":3}"));
        assertEquals(BreakReason.PROMPT_FORM, refusal(StreamShape.GENERATE, "{\"input_ids\":[1,2]}"));
        assertEquals(BreakReason.SEVERAL_CHOICES, refusal(StreamShape.GENERATE, "{\"text\":\"a\",\"sampling_params\":{\"n\":2}}"));
    }
}
