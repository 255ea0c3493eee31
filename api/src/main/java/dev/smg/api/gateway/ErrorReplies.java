package dev.smg.api.gateway;

import dev.smg.router.proxy.GatewayError;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerResponse;

/** Writes a {@link GatewayError} as an HTTP response. */
final class ErrorReplies {
    /** Header carrying the error code, readable without parsing the body (as upstream). */
    static final String ERROR_CODE_HEADER = "X-SMG-Error-Code";

    private ErrorReplies() {
    }

    static void send(ServerResponse res, GatewayError error) {
        res.status(error.status());
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.header(ERROR_CODE_HEADER, error.code());
        res.send(error.body());
    }
}
