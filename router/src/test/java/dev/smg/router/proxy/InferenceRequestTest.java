package dev.smg.router.proxy;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InferenceRequestTest {
    private static InferenceRequest parse(String json) {
        return InferenceRequest.parse(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void readsModelAndStreamAndSkipsEverythingElse() {
        InferenceRequest r = parse("""
                {"messages":[{"role":"user","content":"{\\"model\\":\\"fake\\"}"}],
                 "nested":{"model":"inner","stream":false},"model":"llama","stream":true,"n":1}""");
        assertEquals(Optional.of("llama"), r.model());
        assertTrue(r.stream());
    }

    @Test
    void defaultsWhenAbsent() {
        InferenceRequest r = parse("{}");
        assertEquals(Optional.empty(), r.model());
        assertFalse(r.stream());
        assertEquals(Optional.empty(), parse("{\"model\":\"\",\"stream\":null}").model());
    }

    @Test
    void malformedOrWrongTypesAreRejected() {
        assertThrows(InvalidRequestException.class, () -> parse("{bad"));
        assertThrows(InvalidRequestException.class, () -> parse("[1,2]"));
        assertThrows(InvalidRequestException.class, () -> parse(""));
        assertThrows(InvalidRequestException.class, () -> parse("{} {}"));
        assertThrows(InvalidRequestException.class, () -> parse("{\"model\":1}"));
        assertThrows(InvalidRequestException.class, () -> parse("{\"stream\":\"yes\"}"));
        assertThrows(InvalidRequestException.class, () -> parse("{\"a\":[1,2}"));
    }
}
