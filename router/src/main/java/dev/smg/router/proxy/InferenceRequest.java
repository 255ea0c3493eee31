package dev.smg.router.proxy;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

/**
 * What routing needs to know about an OpenAI-style request body: the model and whether the client
 * wants a stream. The body itself is forwarded unchanged, so only these fields are read; the rest is
 * skipped by a streaming parser (which still checks that the whole body is well-formed JSON).
 *
 * @param fields names of the top-level fields present with a non-null value
 */
public record InferenceRequest(Optional<String> model, boolean stream, Set<String> fields) {
    private static final JsonFactory JSON = new JsonFactory();

    /** Whether any of {@code names} is present (for "missing required field" checks). */
    public boolean hasAny(Set<String> names) {
        for (String name : names) {
            if (fields.contains(name)) {
                return true;
            }
        }
        return false;
    }

    /**
     * @throws InvalidRequestException when the body is not a JSON object or a known field has the
     *                                 wrong type
     */
    public static InferenceRequest parse(byte[] body) {
        String model = null;
        boolean stream = false;
        Set<String> fields = new HashSet<>();
        try (JsonParser p = JSON.createParser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new InvalidRequestException("request body must be a JSON object");
            }
            JsonToken t;
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                if (value != JsonToken.VALUE_NULL) {
                    fields.add(field);
                }
                switch (field) {
                    case "model" -> {
                        if (value == JsonToken.VALUE_STRING) {
                            model = p.getText();
                        } else if (value != JsonToken.VALUE_NULL) {
                            throw new InvalidRequestException("'model' must be a string");
                        }
                    }
                    case "stream" -> {
                        if (value == JsonToken.VALUE_TRUE || value == JsonToken.VALUE_FALSE) {
                            stream = value == JsonToken.VALUE_TRUE;
                        } else if (value != JsonToken.VALUE_NULL) {
                            throw new InvalidRequestException("'stream' must be a boolean");
                        }
                    }
                    default -> p.skipChildren();
                }
            }
            if (t != JsonToken.END_OBJECT || p.nextToken() != null) {
                throw new InvalidRequestException("request body must be a single JSON object");
            }
        } catch (JsonProcessingException e) {
            throw new InvalidRequestException("malformed JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new InvalidRequestException("unreadable request body: " + e.getMessage());
        }
        return new InferenceRequest(Optional.ofNullable(model).filter(m -> !m.isEmpty()), stream, Set.copyOf(fields));
    }
}
