package dev.smg.api.gateway;

import io.helidon.http.HeaderNames;
import io.helidon.http.Headers;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Request ids: the first of the well-known id headers the client sent, else a new id with the
 * route's OpenAI-style prefix ({@code chatcmpl-}, {@code cmpl-}, {@code gnt-}, ...) and 24 random
 * alphanumerics.
 */
final class RequestIds {
    static final List<String> HEADERS = List.of("x-request-id", "x-correlation-id", "x-trace-id", "request-id");
    private static final String ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
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
        // Ids need to be unique, not unguessable: ThreadLocalRandom avoids SecureRandom's global lock,
        // which showed up as a bottleneck under load.
        ThreadLocalRandom random = ThreadLocalRandom.current();
        StringBuilder id = new StringBuilder(prefix.length() + 24).append(prefix);
        for (int i = 0; i < 24; i++) {
            id.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
        }
        return id.toString();
    }
}
