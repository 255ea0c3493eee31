package dev.smg.api.mock;

import java.util.List;
import java.util.Map;

/**
 * What a generation request asks for, as far as the answer's text is concerned: the original
 * context (which fixes every word of the answer, see {@link MockVocabulary}) and how many tokens of
 * that answer the request already carries ({@code answered}, k), so the response starts at token k.
 *
 * <p>A router that loses a worker mid-stream re-sends the request as a continuation, in the forms
 * vLLM and SGLang accept:
 * <ul>
 *   <li>chat: the original messages plus a final {@code {"role":"assistant","content":"<text so far>"}},
 *       with {@code "continue_final_message": true} and {@code "add_generation_prompt": false};
 *       k = the words of that content, and the context leaves that message out. Without the flag a
 *       final assistant message is ordinary history: part of the context, k = 0.</li>
 *   <li>completions ({@code prompt}) and {@code /generate} ({@code text}): the original prompt plus
 *       the text so far; the trailing run of vocabulary words is the text so far (k = its length)
 *       and the context is what precedes it, trimmed.</li>
 * </ul>
 *
 * @param shape    the endpoint, which decides how a token's text is spaced
 * @param context  the original context the answer depends on
 * @param answered tokens of the answer already given (k)
 * @param seed     the context's seed ({@link MockVocabulary#seed}), hashed once per request
 */
record MockPrompt(MockCompletion.Shape shape, String context, int answered, long seed) {
    MockPrompt(MockCompletion.Shape shape, String context, int answered) {
        this(shape, context, answered, MockVocabulary.seed(context));
    }

    /** Reads a request; IllegalArgumentException (answered 400) for a continuation vLLM would refuse. */
    static MockPrompt read(MockCompletion.Shape shape, Map<String, Object> request) {
        return switch (shape) {
            case CHAT -> chat(request);
            case COMPLETION -> trailingAnswer(shape, text(request.get("prompt")));
            case GENERATE -> trailingAnswer(shape, text(request.containsKey("text") ? request.get("text") : request.get("prompt")));
        };
    }

    /** The text of token j of the answer: CHAT's first word has no leading space, every other token does. */
    String piece(int j) {
        String word = MockVocabulary.word(seed, j);
        return shape == MockCompletion.Shape.CHAT && j == 0 ? word : " " + word;
    }

    private static MockPrompt chat(Map<String, Object> request) {
        List<?> messages = request.get("messages") instanceof List<?> l ? l : List.of();
        int history = messages.size();
        int answered = 0;
        if (Boolean.TRUE.equals(request.get("continue_final_message"))) {
            // vLLM's rule: add_generation_prompt defaults to true and may not be true as well.
            if (!Boolean.FALSE.equals(request.get("add_generation_prompt"))) {
                throw new IllegalArgumentException(
                        "Cannot set both `continue_final_message` and `add_generation_prompt` to True.");
            }
            if (messages.isEmpty() || !(messages.getLast() instanceof Map<?, ?> last) || !"assistant".equals(last.get("role"))) {
                throw new IllegalArgumentException("continue_final_message needs a final assistant message to continue");
            }
            history--;
            answered = MockCompletion.countWords(text(last.get("content")));
        }
        StringBuilder context = new StringBuilder();
        for (Object m : messages.subList(0, history)) {
            if (m instanceof Map<?, ?> message) {
                context.append(message.get("role") instanceof String role ? role : "").append(": ")
                        .append(text(message.get("content"))).append('\n');
            }
        }
        return new MockPrompt(MockCompletion.Shape.CHAT, context.toString(), answered);
    }

    /** Splits {@code prompt} into the context and its trailing run of vocabulary words. */
    private static MockPrompt trailingAnswer(MockCompletion.Shape shape, String prompt) {
        int answered = 0;
        int runStart = prompt.length();
        int end = prompt.length();
        while (true) {
            while (end > 0 && isSpace(prompt.charAt(end - 1))) {
                end--;
            }
            int start = end;
            while (start > 0 && !isSpace(prompt.charAt(start - 1))) {
                start--;
            }
            if (start == end || !MockVocabulary.contains(prompt.substring(start, end))) {
                break;
            }
            answered++;
            runStart = start;
            end = start;
        }
        return new MockPrompt(shape, prompt.substring(0, runStart).trim(), answered);
    }

    /** A content value's text: a string, or the text parts of a list joined by single spaces. */
    static String text(Object content) {
        if (content instanceof String s) {
            return s;
        }
        List<String> texts = new java.util.ArrayList<>();
        if (content instanceof List<?> parts) {
            for (Object part : parts) {
                if (part instanceof String s) {
                    texts.add(s);
                } else if (part instanceof Map<?, ?> p && p.get("text") instanceof String s) {
                    texts.add(s);
                }
            }
        }
        return String.join(" ", texts);
    }

    /** Java's {@code \s}, as word counts elsewhere use. */
    private static boolean isSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\u000B' || c == '\f' || c == '\r';
    }
}
