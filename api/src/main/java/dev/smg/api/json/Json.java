package dev.smg.api.json;

import com.fasterxml.jackson.jr.ob.JSON;

import java.io.IOException;
import java.util.Map;

/**
 * The one jackson-jr configuration the process uses. Null properties are written (OpenAI bodies
 * carry {@code "finish_reason": null} and {@code "param": null}, and clients look for them).
 */
public final class Json {
    public static final JSON MAPPER = JSON.std.with(JSON.Feature.WRITE_NULL_PROPERTIES);

    private Json() {
    }

    /** {@code value} as JSON text (maps, lists, strings, numbers, booleans). */
    public static String text(Object value) {
        try {
            return MAPPER.asString(value);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write JSON: " + e.getMessage(), e);
        }
    }

    /** A JSON object from text; {@link IllegalArgumentException} when it is malformed or not an object. */
    public static Map<String, Object> object(String text) {
        try {
            Map<String, Object> map = MAPPER.mapFrom(text);
            if (map == null) {
                throw new IllegalArgumentException("not a JSON object");
            }
            return map;
        } catch (IOException e) {
            throw new IllegalArgumentException("malformed JSON: " + e.getMessage());
        }
    }
}
