package dev.smg.api.mock;

import dev.smg.api.mock.engine.EngineSettings;

import java.math.BigInteger;
import java.util.Map;
import java.util.OptionalInt;

/**
 * How many tokens one response produces and why it ends there. An answer has a natural length N
 * ({@code --stream-chunks} for a canned worker, {@code --output-tokens} for a realistic one); a
 * response that continues it from token k has N − k left.
 *
 * @param tokens       completion tokens of this response (0: only the final chunk)
 * @param finishReason "length" when the requested maximum ended it, else "stop"
 */
record AnswerLength(int tokens, String finishReason) {
    static final String STOP = "stop";
    static final String LENGTH = "length";

    /** Canned: min(N − k, max_tokens); "length" when max_tokens is what cut it. */
    static AnswerLength canned(int natural, int answered, OptionalInt requested) {
        int left = Math.max(0, natural - answered);
        if (requested.isPresent() && requested.getAsInt() < left) {
            return new AnswerLength(requested.getAsInt(), LENGTH);
        }
        return new AnswerLength(left, STOP);
    }

    /**
     * Realistic: exactly max_tokens when given (as a real engine that never emits end-of-sequence
     * would, so it always ends on the length limit), else N − k.
     */
    static AnswerLength realistic(int natural, int answered, OptionalInt requested) {
        if (requested.isPresent()) {
            return new AnswerLength(requested.getAsInt(), LENGTH);
        }
        return new AnswerLength(Math.max(0, natural - answered), STOP);
    }

    /**
     * The requested maximum: {@code max_tokens}, {@code max_completion_tokens}, {@code max_new_tokens}
     * or {@code sampling_params.max_new_tokens}; empty when none is given.
     *
     * @throws IllegalArgumentException (answered 400) unless it is a whole number from 1 to the model length
     */
    static OptionalInt requested(Map<String, Object> request) {
        String name = "max_tokens";
        Object value = request.get(name);
        for (String other : new String[] {"max_completion_tokens", "max_new_tokens"}) {
            if (value == null) {
                name = other;
                value = request.get(other);
            }
        }
        if (value == null && request.get("sampling_params") instanceof Map<?, ?> sampling) {
            name = "sampling_params.max_new_tokens";
            value = sampling.get("max_new_tokens");
        }
        if (value == null) {
            return OptionalInt.empty();
        }
        boolean whole = value instanceof Integer || value instanceof Long || value instanceof BigInteger
                || (value instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue()));
        if (!whole || ((Number) value).doubleValue() < 1 || ((Number) value).doubleValue() > EngineSettings.MAX_MODEL_LEN) {
            throw new IllegalArgumentException(name + " must be a whole number from 1 to " + EngineSettings.MAX_MODEL_LEN
                    + ", got " + value);
        }
        return OptionalInt.of(((Number) value).intValue());
    }
}
