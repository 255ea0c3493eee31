package dev.smg.api.mock;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reading a request's context and continuation offset, the vocabulary, and the length rule (no HTTP). */
class MockPromptTest {
    private static final MockCompletion.Shape CHAT = MockCompletion.Shape.CHAT;
    private static final MockCompletion.Shape COMPLETION = MockCompletion.Shape.COMPLETION;

    @Test
    void theVocabularyIs64DistinctLowercaseWords() {
        assertEquals(64, new HashSet<>(MockVocabulary.WORDS).size());
        MockVocabulary.WORDS.forEach(w -> assertTrue(w.matches("[a-z]+"), w));
    }

    /** Pinned, so a change to the hash or the word list (which would change every answer) is deliberate. */
    @Test
    void theHashIsStable() {
        long seed = MockVocabulary.seed("user: hello\n");
        assertEquals(0xc0cac6af0caef60eL, seed); // values from an independent Python implementation
        assertEquals(List.of("laboriosam", "magni", "deserunt", "tempor"),
                List.of(MockVocabulary.word(seed, 0), MockVocabulary.word(seed, 1), MockVocabulary.word(seed, 2),
                        MockVocabulary.word(seed, 3)));
    }

    @Test
    void chatContextIsRolesAndContentsAndTextPartsJoined() {
        MockPrompt p = MockPrompt.read(CHAT, Map.of("messages", List.of(
                Map.of("role", "system", "content", "Be brief."),
                Map.of("role", "user", "content", List.of(Map.of("type", "text", "text", "Hi"), Map.of("type", "text", "text", "there"))))));
        assertEquals("system: Be brief.\nuser: Hi there\n", p.context());
        assertEquals(0, p.answered());
    }

    @Test
    void aFinalAssistantMessageIsTheAnswerSoFarOnlyWithContinueFinalMessage() {
        List<Map<String, Object>> messages = List.of(Map.of("role", "user", "content", "hello"),
                Map.of("role", "assistant", "content", "amet velit  odit"));
        MockPrompt continued = MockPrompt.read(CHAT, Map.of("messages", messages,
                "continue_final_message", true, "add_generation_prompt", false));
        assertEquals("user: hello\n", continued.context());
        assertEquals(3, continued.answered());
        assertEquals(" " + MockVocabulary.word(continued.seed(), 3), continued.piece(3));

        MockPrompt history = MockPrompt.read(CHAT, Map.of("messages", messages));
        assertEquals("user: hello\nassistant: amet velit  odit\n", history.context());
        assertEquals(0, history.answered());
        assertEquals(MockVocabulary.word(history.seed(), 0), history.piece(0), "a chat answer's first word is bare");
    }

    @Test
    void continueFinalMessageNeedsAddGenerationPromptFalseAndAnAssistantMessage() {
        List<Map<String, Object>> messages = List.of(Map.of("role", "assistant", "content", "amet"));
        assertThrows(IllegalArgumentException.class, () -> MockPrompt.read(CHAT, Map.of("messages", messages,
                "continue_final_message", true)));
        assertThrows(IllegalArgumentException.class, () -> MockPrompt.read(CHAT, Map.of(
                "messages", List.of(Map.of("role", "user", "content", "x")),
                "continue_final_message", true, "add_generation_prompt", false)));
    }

    @Test
    void aCompletionPromptsTrailingVocabularyWordsAreTheAnswerSoFar() {
        MockPrompt p = MockPrompt.read(COMPLETION, Map.of("prompt", "Tell me a story: amet\n velit odit "));
        assertEquals("Tell me a story:", p.context());
        assertEquals(3, p.answered());
        assertEquals(" " + MockVocabulary.word(p.seed(), 3), p.piece(3), "completion pieces always have a space");
        assertEquals(p.seed(), MockPrompt.read(COMPLETION, Map.of("prompt", "  Tell me a story:  ")).seed());

        MockPrompt glued = MockPrompt.read(COMPLETION, Map.of("prompt", "Say amet-velit odit"));
        assertEquals("Say amet-velit", glued.context(), "only whole vocabulary words count");
        assertEquals(1, glued.answered());
        assertEquals(new MockPrompt(MockCompletion.Shape.GENERATE, "x", 2),
                MockPrompt.read(MockCompletion.Shape.GENERATE, Map.of("text", "x amet amet")));
        assertEquals(0, MockPrompt.read(COMPLETION, Map.of("prompt", "Amet")).answered(), "words are case-sensitive");
    }

    @Test
    void theLengthRule() {
        assertEquals(new AnswerLength(8, "stop"), AnswerLength.canned(8, 0, OptionalInt.empty()));
        assertEquals(new AnswerLength(5, "stop"), AnswerLength.canned(8, 3, OptionalInt.empty()));
        assertEquals(new AnswerLength(0, "stop"), AnswerLength.canned(8, 11, OptionalInt.empty()));
        assertEquals(new AnswerLength(4, "length"), AnswerLength.canned(8, 3, OptionalInt.of(4)));
        assertEquals(new AnswerLength(5, "stop"), AnswerLength.canned(8, 3, OptionalInt.of(5)));
        assertEquals(new AnswerLength(5, "stop"), AnswerLength.canned(8, 3, OptionalInt.of(50)));
        assertEquals(new AnswerLength(50, "length"), AnswerLength.realistic(8, 3, OptionalInt.of(50)));
        assertEquals(new AnswerLength(5, "stop"), AnswerLength.realistic(8, 3, OptionalInt.empty()));
        assertEquals(OptionalInt.of(7), AnswerLength.requested(Map.of("sampling_params", Map.of("max_new_tokens", 7))));
        assertEquals(OptionalInt.empty(), AnswerLength.requested(Map.of()));
        assertThrows(IllegalArgumentException.class, () -> AnswerLength.requested(Map.of("max_tokens", 0)));
    }
}
