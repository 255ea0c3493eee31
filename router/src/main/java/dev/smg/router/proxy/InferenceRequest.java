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
 * @param fields     names of the top-level fields present with a non-null value
 * @param promptText the text cache-aware routing keys on: chat message contents (text parts too)
 *                   joined with single spaces, the completion prompt (array elements joined), or
 *                   /generate's {@code text}
 * @param routingKey the string value of the configured routing-key body field, when present
 */
public record InferenceRequest(Optional<String> model, boolean stream, Set<String> fields, String promptText,
                               Optional<String> routingKey) {
    private static final JsonFactory JSON = new JsonFactory();

    /** Appends every message's content: a string, or the {@code text} of content parts. */
    private static void readMessages(JsonParser p, StringBuilder prompt) throws IOException {
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            if (t != JsonToken.START_OBJECT) {
                p.skipChildren();
                continue;
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                if (field.equals("content")) {
                    if (value == JsonToken.VALUE_STRING) {
                        append(prompt, p.getText());
                    } else if (value == JsonToken.START_ARRAY) {
                        readParts(p, prompt);
                    } else {
                        p.skipChildren();
                    }
                } else {
                    p.skipChildren();
                }
            }
        }
    }

    private static void readParts(JsonParser p, StringBuilder prompt) throws IOException {
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            if (t == JsonToken.VALUE_STRING) {
                append(prompt, p.getText());
            } else if (t == JsonToken.START_OBJECT) {
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String field = p.currentName();
                    JsonToken value = p.nextToken();
                    if (field.equals("text") && value == JsonToken.VALUE_STRING) {
                        append(prompt, p.getText());
                    } else {
                        p.skipChildren();
                    }
                }
            } else {
                p.skipChildren();
            }
        }
    }

    /** A string, or an array whose string elements are joined. */
    private static void readText(JsonParser p, JsonToken value, StringBuilder prompt) throws IOException {
        if (value == JsonToken.VALUE_STRING) {
            append(prompt, p.getText());
        } else if (value == JsonToken.START_ARRAY) {
            JsonToken t;
            while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
                if (t == JsonToken.VALUE_STRING) {
                    append(prompt, p.getText());
                } else {
                    p.skipChildren();
                }
            }
        } else {
            p.skipChildren();
        }
    }

    private static void append(StringBuilder prompt, String text) {
        if (!prompt.isEmpty()) {
            prompt.append(' ');
        }
        prompt.append(text);
    }

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
        return parse(body, "");
    }

    /**
     * @param routingKeyField top-level body field whose string value is a routing key ("" for none)
     * @throws InvalidRequestException when the body is not a JSON object or a known field has the
     *                                 wrong type
     */
    public static InferenceRequest parse(byte[] body, String routingKeyField) {
        String model = null;
        boolean stream = false;
        String routingKey = null;
        StringBuilder prompt = new StringBuilder();
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
                    case "messages" -> {
                        if (value == JsonToken.START_ARRAY) {
                            readMessages(p, prompt);
                        } else {
                            p.skipChildren();
                        }
                    }
                    case "prompt", "text" -> readText(p, value, prompt);
                    default -> {
                        if (field.equals(routingKeyField) && value == JsonToken.VALUE_STRING) {
                            routingKey = p.getText();
                        } else {
                            p.skipChildren();
                        }
                    }
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
        return new InferenceRequest(Optional.ofNullable(model).filter(m -> !m.isEmpty()), stream, Set.copyOf(fields),
                prompt.toString(), Optional.ofNullable(routingKey).filter(k -> !k.isEmpty()));
    }
}
