package dev.smg.api.gateway;

import io.helidon.http.Headers;

import java.security.SecureRandom;
import java.util.List;

/**
 * Request ids: the first of the well-known id headers the client sent, else a new id with the
 * route's OpenAI-style prefix ({@code chatcmpl-}, {@code cmpl-}, {@code gnt-}, ...).
 */
final class RequestIds {
    static final List<String> HEADERS = List.of("x-request-id", "x-correlation-id", "x-trace-id", "request-id");
    private static final String ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int MAX_LENGTH = 256;

    private RequestIds() {
    }

    static String of(Headers headers, String route) {
        for (String name : HEADERS) {
            var value = headers.first(io.helidon.http.HeaderNames.create(name));
            if (value.isPresent() && !value.get().isBlank() && value.get().length() <= MAX_LENGTH) {
                return value.get();
            }
        }
        return generate(route);
    }

    static String generate(String route) {
        String prefix;
        if (route.endsWith("/chat/completions")) {
            prefix = "chatcmpl-";
        } else if (route.endsWith("/completions")) {
            prefix = "cmpl-";
        } else if (route.equals("/generate")) {
            prefix = "gnt-";
        } else if (route.endsWith("/embeddings")) {
            prefix = "embd-";
        } else {
            prefix = "req-";
        }
        StringBuilder id = new StringBuilder(prefix);
        for (int i = 0; i < 24; i++) {
            id.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
        }
        return id.toString();
    }
}
