package dev.smg.api.mock;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The answer to one request, in the shape of the endpoint that was called: OpenAI chat, OpenAI
 * completions, or SGLang's native {@code /generate}. Its text is deterministic: token j of the answer
 * is a word fixed by the request's original context ({@link MockPrompt}, {@link MockVocabulary}),
 * and this response carries tokens k, k+1, ... where k is what a continuation says was already
 * given. Token counts come from the caller: the canned worker counts one prompt token per
 * whitespace-separated word; the realistic engine reports its own, cached prompt tokens included.
 */
final class MockCompletion {
    enum Shape { CHAT, COMPLETION, GENERATE }

    private final String worker;
    private final MockPrompt prompt;
    private final String finishReason;
    private final String id;
    /** One time for the whole answer, as OpenAI servers do: every chunk of a stream carries the same. */
    private final long created = System.currentTimeMillis() / 1000;
    private final String model;
    private final int promptTokens;
    private final int cachedTokens;
    /** /generate streams cumulative text: the pieces written so far, so each chunk appends one. */
    private final StringBuilder text = new StringBuilder();
    private int textTokens;

    MockCompletion(String worker, String defaultModel, MockPrompt prompt, String finishReason, Map<String, Object> request,
                   int promptTokens, int cachedTokens) {
        this.worker = worker;
        this.prompt = prompt;
        this.finishReason = finishReason;
        String prefix = switch (prompt.shape()) {
            case CHAT -> "chatcmpl-";
            case COMPLETION -> "cmpl-";
            case GENERATE -> "gnt-";
        };
        this.id = prefix + Long.toHexString(ThreadLocalRandom.current().nextLong())
                + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16);
        Object requested = request.get("model");
        this.model = requested instanceof String s && !s.isEmpty() ? s : defaultModel;
        this.promptTokens = promptTokens;
        this.cachedTokens = cachedTokens;
    }

    /** The canned worker's answer: prompt tokens counted from the request's words (partial answer included), none cached. */
    static MockCompletion canned(String worker, MockBehaviour behaviour, MockPrompt prompt, String finishReason,
                                 Map<String, Object> request) {
        return new MockCompletion(worker, behaviour.model(), prompt, finishReason, request,
                countWords(promptText(request)), 0);
    }

    /** A non-streamed answer of {@code tokens} completion tokens. */
    Map<String, Object> whole(int tokens) {
        String text = content(tokens);
        Map<String, Object> out = base();
        switch (prompt.shape()) {
            case CHAT -> {
                out.put("object", "chat.completion");
                out.put("choices", List.of(Map.of("index", 0, "finish_reason", finishReason,
                        "message", Map.of("role", "assistant", "content", text))));
            }
            case COMPLETION -> {
                out.put("object", "text_completion");
                out.put("choices", List.of(Map.of("index", 0, "finish_reason", finishReason, "text", text)));
            }
            case GENERATE -> {
                return generate(text, tokens, true);
            }
        }
        out.put("usage", usage(tokens));
        return out;
    }

    /** The event of this response's content token {@code index} (answer token k + index). */
    Map<String, Object> chunk(int index) {
        String piece = prompt.piece(prompt.answered() + index);
        Map<String, Object> out = base();
        switch (prompt.shape()) {
            case CHAT -> {
                out.put("object", "chat.completion.chunk");
                Map<String, Object> delta = new LinkedHashMap<>();
                if (index == 0) {
                    delta.put("role", "assistant");
                }
                delta.put("content", piece);
                Map<String, Object> choice = new LinkedHashMap<>();
                choice.put("index", 0);
                choice.put("delta", delta);
                choice.put("finish_reason", null);
                out.put("choices", List.of(choice));
            }
            case COMPLETION -> {
                out.put("object", "text_completion");
                Map<String, Object> choice = new LinkedHashMap<>();
                choice.put("index", 0);
                choice.put("text", piece);
                choice.put("finish_reason", null);
                out.put("choices", List.of(choice));
            }
            case GENERATE -> {
                return generate(content(index + 1), index + 1, false);
            }
        }
        return out;
    }

    /** The last event of a stream of {@code tokens} content chunks: finish reason and usage. */
    Map<String, Object> finalChunk(int tokens) {
        Map<String, Object> out = base();
        switch (prompt.shape()) {
            case CHAT -> {
                out.put("object", "chat.completion.chunk");
                out.put("choices", List.of(Map.of("index", 0, "delta", Map.of(), "finish_reason", finishReason)));
            }
            case COMPLETION -> {
                out.put("object", "text_completion");
                out.put("choices", List.of(Map.of("index", 0, "text", "", "finish_reason", finishReason)));
            }
            case GENERATE -> {
                return generate(content(tokens), tokens, true);
            }
        }
        out.put("usage", usage(tokens));
        return out;
    }

    private Map<String, Object> base() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", id);
        out.put("created", created);
        out.put("model", model);
        out.put("worker", worker);
        return out;
    }

    private Map<String, Object> generate(String text, int tokens, boolean finished) {
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("id", id);
        meta.put("prompt_tokens", promptTokens);
        meta.put("completion_tokens", tokens);
        meta.put("cached_tokens", cachedTokens);
        meta.put("finish_reason", !finished ? null
                : finishReason.equals(AnswerLength.LENGTH) ? Map.of("type", "length", "length", tokens) : Map.of("type", "stop"));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("text", text);
        out.put("meta_info", meta);
        out.put("worker", worker);
        return out;
    }

    private Map<String, Object> usage(int completionTokens) {
        Map<String, Object> usage = new LinkedHashMap<>();
        usage.put("prompt_tokens", promptTokens);
        usage.put("completion_tokens", completionTokens);
        usage.put("total_tokens", promptTokens + completionTokens);
        usage.put("prompt_tokens_details", Map.of("cached_tokens", cachedTokens));
        return usage;
    }

    /** The first {@code tokens} pieces of this response. */
    private String content(int tokens) {
        if (tokens < textTokens) {
            text.setLength(0);
            textTokens = 0;
        }
        for (; textTokens < tokens; textTokens++) {
            text.append(prompt.piece(prompt.answered() + textTokens));
        }
        return text.toString();
    }

    /** The text a prompt-token count is based on: chat message contents, or prompt / text. */
    static String promptText(Map<String, Object> request) {
        StringBuilder text = new StringBuilder();
        if (request.get("messages") instanceof List<?> messages) {
            for (Object m : messages) {
                if (m instanceof Map<?, ?> message) {
                    appendContent(text, message.get("content"));
                }
            }
        }
        for (String field : List.of("prompt", "text")) {
            appendContent(text, request.get(field));
        }
        return text.toString();
    }

    private static void appendContent(StringBuilder text, Object content) {
        if (content instanceof String s) {
            text.append(s).append(' ');
        } else if (content instanceof List<?> parts) {
            for (Object part : parts) {
                if (part instanceof Map<?, ?> p && p.get("text") instanceof String s) {
                    text.append(s).append(' ');
                } else if (part instanceof String s) {
                    text.append(s).append(' ');
                }
            }
        }
    }

    static int countWords(String text) {
        String trimmed = text.trim();
        return trimmed.isEmpty() ? 0 : trimmed.split("\\s+").length;
    }
}
