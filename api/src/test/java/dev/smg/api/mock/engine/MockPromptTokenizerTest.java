package dev.smg.api.mock.engine;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Prompt text extraction and the one-token-per-word approximation. */
class MockPromptTokenizerTest {
    @Test
    void oneTokenPerWhitespaceSeparatedWordWithEqualWordsEqualIds() {
        int[] ids = PromptTokenizer.tokenize("  the cat\tsat\n on the  mat ");
        assertEquals(6, ids.length);
        assertEquals(ids[0], ids[4], "'the' twice");
        for (int id : ids) {
            assertTrue(id >= 0 && id < PromptTokenizer.VOCAB);
        }
        assertEquals(0, PromptTokenizer.tokenize(" \n\t ").length);
    }

    @Test
    void idIsFnv1a32OfTheUtf8WordModThirtyThousand() {
        // FNV-1a-32("a") = 0xe40c292c, a well-known test vector.
        assertEquals(0xe40c292c, PromptTokenizer.fnv1a32("a".getBytes(StandardCharsets.UTF_8)));
        assertEquals((int) (0xe40c292cL % 30_000), PromptTokenizer.tokenId("a"));
        assertEquals((int) (Integer.toUnsignedLong(PromptTokenizer.fnv1a32("héllo".getBytes(StandardCharsets.UTF_8)))
                % 30_000), PromptTokenizer.tokenId("héllo"));
    }

    @Test
    void promptTextJoinsChatContentsTextPartsAndCompletionFields() {
        Map<String, Object> chat = Map.of("messages", List.of(
                Map.of("role", "system", "content", "be brief"),
                Map.of("role", "user", "content", List.of(Map.of("type", "text", "text", "hello there"),
                        Map.of("type", "image_url", "image_url", Map.of("url", "x"))))));
        assertEquals(4, PromptTokenizer.tokenize(PromptTokenizer.promptText(chat)).length);
        assertEquals(2, PromptTokenizer.tokenize(PromptTokenizer.promptText(Map.of("prompt", "one two"))).length);
        assertEquals(3, PromptTokenizer.tokenize(PromptTokenizer.promptText(Map.of("text", "a b c"))).length);
        assertEquals(1, PromptTokenizer.tokenize(PromptTokenizer.promptText(Map.of("inputs", "x"))).length);
        assertArrayEquals(PromptTokenizer.tokenize("be brief hello there"),
                PromptTokenizer.tokenize(PromptTokenizer.promptText(chat)));
    }
}
