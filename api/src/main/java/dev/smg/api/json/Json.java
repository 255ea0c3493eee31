package dev.smg.api.json;

import com.fasterxml.jackson.jr.ob.JSON;

/**
 * The one jackson-jr configuration the process uses. Null properties are written (OpenAI bodies
 * carry {@code "finish_reason": null} and {@code "param": null}, and clients look for them).
 */
public final class Json {
    public static final JSON MAPPER = JSON.std.with(JSON.Feature.WRITE_NULL_PROPERTIES);

    private Json() {
    }
}
