package dev.smg.api.gateway;

import io.helidon.http.HeaderNames;
import io.helidon.http.Headers;

import java.security.SecureRandom;
import java.util.List;

/**
 * Request ids: the first of the well-known id headers the client sent, else a new id with the
 * route's OpenAI-style prefix ({@code chatcmpl-}, {@code cmpl-}, {@code gnt-}, ...) and 24 random
 * alphanumerics.
 */
final class RequestIds {
    static final List<String> HEADERS = List.of("x-request-id", "x-correlation-id", "x-trace-id", "request-id");
    private static final String ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    private static final SecureRandom RANDOM = new SecureRandom();
    /** Longer client ids are replaced rather than echoed into headers and logs. */
    private static final int MAX_LENGTH = 256;

    private RequestIds() {
    }

    static String of(Headers headers, String prefix) {
        for (String name : HEADERS) {
            var value = headers.first(HeaderNames.create(name));
            if (value.isPresent() && !value.get().isBlank() && value.get().length() <= MAX_LENGTH) {
                return value.get();
            }
        }
        return generate(prefix);
    }

    static String generate(String prefix) {
        StringBuilder id = new StringBuilder(prefix);
        for (int i = 0; i < 24; i++) {
            id.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
        }
        return id.toString();
    }
}
