package dev.smg.router.metrics;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.util.Optional;

/**
 * Token counts an answer reports: OpenAI's {@code usage} ({@code prompt_tokens},
 * {@code completion_tokens}, {@code prompt_tokens_details.cached_tokens}) or SGLang's
 * {@code meta_info} ({@code prompt_tokens}, {@code completion_tokens}, {@code cached_tokens}).
 * Read with a streaming parser that skips everything else.
 */
public record Usage(long prompt, long completion, long cached) {
    private static final JsonFactory JSON = new JsonFactory();

    /** The usage of a whole JSON answer or of one stream event's data; empty when it has none. */
    public static Optional<Usage> of(byte[] json) {
        try (JsonParser p = JSON.createParser(json)) {
            return read(p);
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    public static Optional<Usage> of(String json) {
        return of(json.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    private static Optional<Usage> read(JsonParser p) throws IOException {
        if (p.nextToken() != JsonToken.START_OBJECT) {
            return Optional.empty();
        }
        Optional<Usage> found = Optional.empty();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken value = p.nextToken();
            if ((field.equals("usage") || field.equals("meta_info")) && value == JsonToken.START_OBJECT) {
                found = counts(p);
            } else {
                p.skipChildren();
            }
        }
        return found;
    }

    /** Reads the object the parser is at; empty unless it has prompt or completion tokens. */
    private static Optional<Usage> counts(JsonParser p) throws IOException {
        long prompt = -1;
        long completion = -1;
        long cached = 0;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken value = p.nextToken();
            switch (field) {
                case "prompt_tokens" -> prompt = number(p, value);
                case "completion_tokens" -> completion = number(p, value);
                case "cached_tokens" -> cached = Math.max(0, number(p, value));
                case "prompt_tokens_details" -> {
                    if (value == JsonToken.START_OBJECT) {
                        while (p.nextToken() == JsonToken.FIELD_NAME) {
                            String detail = p.currentName();
                            JsonToken v = p.nextToken();
                            if (detail.equals("cached_tokens")) {
                                cached = Math.max(0, number(p, v));
                            } else {
                                p.skipChildren();
                            }
                        }
                    } else {
                        p.skipChildren();
                    }
                }
                default -> p.skipChildren();
            }
        }
        if (prompt < 0 && completion < 0) {
            return Optional.empty();
        }
        return Optional.of(new Usage(Math.max(0, prompt), Math.max(0, completion), cached));
    }

    private static long number(JsonParser p, JsonToken value) throws IOException {
        return value == JsonToken.VALUE_NUMBER_INT ? p.getLongValue() : -1;
    }
}
