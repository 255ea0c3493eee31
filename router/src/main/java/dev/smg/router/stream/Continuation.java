package dev.smg.router.stream;

import com.fasterxml.jackson.jr.ob.JSON;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Turns the original request body into the request that continues its answer on another worker.
 * <ul>
 *   <li>Chat: the messages plus the partial assistant message, with {@code continue_final_message:
 *       true} and {@code add_generation_prompt: false} (vLLM's and SGLang's way to extend the last
 *       message rather than start a new turn).</li>
 *   <li>Completions: the prompt followed by the text so far.</li>
 *   <li>{@code /generate}: {@code text} followed by the text so far.</li>
 * </ul>
 * Output limits ({@code max_tokens}, {@code max_completion_tokens}, {@code max_new_tokens}) and
 * minimums shrink by the tokens already sent. The body is parsed only when a stream breaks, so
 * streams that never fail pay nothing for this.
 */
public final class Continuation {
    private static final JSON WRITER = JSON.std.with(JSON.Feature.WRITE_NULL_PROPERTIES);
    /** Limits counted in output tokens, top level (OpenAI and vLLM names). */
    private static final List<String> LIMITS = List.of("max_tokens", "max_completion_tokens", "max_new_tokens");
    private static final List<String> MINIMUMS = List.of("min_tokens", "min_new_tokens");
    /** vLLM/SGLang guided-decoding fields: the grammar's state cannot be carried into a continuation. */
    private static final List<String> GUIDED = List.of("guided_json", "guided_regex", "guided_choice", "guided_grammar",
            "structured_outputs", "json_schema", "regex", "ebnf");

    private final StreamShape shape;
    private final Map<String, Object> request;

    private Continuation(StreamShape shape, Map<String, Object> request) {
        this.shape = shape;
        this.request = request;
    }

    /** What {@link #of} found: a continuation, or why the request cannot have one. */
    public record Plan(Optional<Continuation> continuation, BreakReason refusal) {
    }

    /** Reads the original body; refuses requests whose answer cannot be continued safely. */
    public static Plan of(StreamShape shape, byte[] body) {
        Map<String, Object> request;
        try {
            request = JSON.std.mapFrom(body);
        } catch (IOException e) {
            return refuse(BreakReason.PROMPT_FORM);
        }
        if (request == null) {
            return refuse(BreakReason.PROMPT_FORM);
        }
        BreakReason refusal = refusal(shape, request);
        return refusal != null ? refuse(refusal) : new Plan(Optional.of(new Continuation(shape, request)), null);
    }

    private static Plan refuse(BreakReason reason) {
        return new Plan(Optional.empty(), reason);
    }

    private static BreakReason refusal(StreamShape shape, Map<String, Object> r) {
        Map<?, ?> sampling = r.get("sampling_params") instanceof Map<?, ?> m ? m : Map.of();
        if (above1(r.get("n")) || above1(r.get("best_of")) || above1(sampling.get("n"))) {
            return BreakReason.SEVERAL_CHOICES;
        }
        if (Boolean.TRUE.equals(r.get("logprobs")) || (shape == StreamShape.COMPLETION && present(r.get("logprobs")))
                || present(r.get("top_logprobs")) || Boolean.TRUE.equals(r.get("return_logprob"))
                || present(r.get("prompt_logprobs"))) {
            return BreakReason.LOGPROBS;
        }
        if (r.get("response_format") instanceof Map<?, ?> format && !"text".equals(format.get("type"))) {
            return BreakReason.STRUCTURED_OUTPUT;
        }
        for (String field : GUIDED) {
            if (present(r.get(field)) || present(sampling.get(field))) {
                return BreakReason.STRUCTURED_OUTPUT;
            }
        }
        return switch (shape) {
            case CHAT -> r.get("messages") instanceof List<?> m && !m.isEmpty() ? null : BreakReason.PROMPT_FORM;
            case COMPLETION -> Boolean.TRUE.equals(r.get("echo")) || singleText(r.get("prompt")) == null
                    ? BreakReason.PROMPT_FORM : null;
            case GENERATE -> singleText(r.get("text")) == null || present(r.get("input_ids"))
                    || present(r.get("input_embeds")) ? BreakReason.PROMPT_FORM : null;
        };
    }

    private static boolean above1(Object n) {
        return n instanceof Number number && number.doubleValue() > 1;
    }

    private static boolean present(Object value) {
        return value != null && !Boolean.FALSE.equals(value);
    }

    /** A string, or a list holding exactly one string; else null. */
    private static String singleText(Object prompt) {
        if (prompt instanceof String s) {
            return s;
        }
        if (prompt instanceof List<?> list && list.size() == 1 && list.get(0) instanceof String s) {
            return s;
        }
        return null;
    }

    /**
     * The continuation's body after {@code tokens} tokens of {@code text} were sent; empty when an
     * output limit is already reached (the answer is complete: it ends for length).
     */
    public Optional<byte[]> body(String text, int tokens) {
        Map<String, Object> next = new LinkedHashMap<>(request);
        if (!shrink(next, tokens)) {
            return Optional.empty();
        }
        if (next.get("sampling_params") instanceof Map<?, ?> sampling) {
            @SuppressWarnings("unchecked")
            Map<String, Object> params = new LinkedHashMap<>((Map<String, Object>) sampling);
            if (!shrink(params, tokens)) {
                return Optional.empty();
            }
            next.put("sampling_params", params);
        }
        switch (shape) {
            case CHAT -> {
                List<Object> messages = new ArrayList<>((List<?>) request.get("messages"));
                Object last = messages.get(messages.size() - 1);
                if (Boolean.TRUE.equals(request.get("continue_final_message")) && last instanceof Map<?, ?> m
                        && "assistant".equals(m.get("role")) && m.get("content") instanceof String partial) {
                    // The client already continues a message of its own: extend that one.
                    Map<Object, Object> extended = new LinkedHashMap<>(m);
                    extended.put("content", partial + text);
                    messages.set(messages.size() - 1, extended);
                } else {
                    Map<String, Object> assistant = new LinkedHashMap<>();
                    assistant.put("role", "assistant");
                    assistant.put("content", text);
                    messages.add(assistant);
                }
                next.put("messages", messages);
                next.put("continue_final_message", true);
                next.put("add_generation_prompt", false);
            }
            case COMPLETION -> next.put("prompt", singleText(request.get("prompt")) + text);
            case GENERATE -> next.put("text", singleText(request.get("text")) + text);
        }
        try {
            return Optional.of(WRITER.asBytes(next));
        } catch (IOException e) {
            throw new IllegalStateException("a parsed request cannot be written back", e);
        }
    }

    /** Lowers output limits and minimums by {@code tokens}; false when a limit is used up. */
    private static boolean shrink(Map<String, Object> fields, int tokens) {
        for (String limit : LIMITS) {
            if (fields.get(limit) instanceof Number n) {
                long left = n.longValue() - tokens;
                if (left <= 0) {
                    return false;
                }
                fields.put(limit, left);
            }
        }
        for (String minimum : MINIMUMS) {
            if (fields.get(minimum) instanceof Number n) {
                fields.put(minimum, Math.max(0, n.longValue() - tokens));
            }
        }
        return true;
    }
}
