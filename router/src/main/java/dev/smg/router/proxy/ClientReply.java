package dev.smg.router.proxy;

import java.io.OutputStream;
import java.util.List;

/**
 * Where the dispatcher writes the answer for the client; implemented over the HTTP server by the
 * process. Exactly one of the three methods is called, once.
 */
public interface ClientReply {
    /** A gateway-generated error. */
    void error(GatewayError error);

    /** A whole (non-streamed) answer from a worker. */
    void complete(int status, List<HeaderField> headers, byte[] body);

    /**
     * Commits status and headers of a streamed answer and returns the body stream; every
     * {@code flush()} must reach the client. Writes throw {@link java.io.UncheckedIOException} or
     * {@link java.io.IOException} when the client has gone away.
     */
    OutputStream stream(int status, List<HeaderField> headers);
}
