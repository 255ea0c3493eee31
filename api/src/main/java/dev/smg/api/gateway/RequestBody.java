package dev.smg.api.gateway;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;

/**
 * Reads a request body with a size limit: a declared Content-Length over the limit is refused
 * before a byte is read, and a chunked body is cut off as soon as it passes the limit, so an
 * oversized upload never has to fit in memory.
 */
final class RequestBody {
    private RequestBody() {
    }

    /** The body, or empty when it exceeds {@code limit} bytes. */
    static Optional<byte[]> read(ServerRequest req, long limit) throws IOException {
        Optional<String> declared = req.headers().first(HeaderNames.CONTENT_LENGTH);
        if (declared.isPresent()) {
            long length;
            try {
                length = Long.parseLong(declared.get().trim());
            } catch (NumberFormatException e) {
                return Optional.empty();
            }
            if (length > limit) {
                return Optional.empty();
            }
            // Known, acceptable length: Helidon reads it in one go.
            return Optional.of(req.content().as(byte[].class));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(8192);
        byte[] buffer = new byte[16 * 1024];
        long total = 0;
        try (InputStream in = req.content().inputStream()) {
            int n;
            while ((n = in.read(buffer)) > 0) {
                total += n;
                if (total > limit) {
                    return Optional.empty();
                }
                out.write(buffer, 0, n);
            }
        }
        return Optional.of(out.toByteArray());
    }
}
