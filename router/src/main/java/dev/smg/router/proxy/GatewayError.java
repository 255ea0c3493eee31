package dev.smg.router.proxy;

import com.fasterxml.jackson.jr.ob.JSON;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An error the gateway itself answers with, in the OpenAI envelope
 * {@code {"error":{"message","type","code","param"}}}. The code also goes out in the
 * {@code X-SMG-Error-Code} header and the metrics' {@code error_code} label.
 */
public record GatewayError(int status, String type, String code, String message) {
    private static final JSON WRITER = JSON.std.with(JSON.Feature.WRITE_NULL_PROPERTIES);

    public static GatewayError badRequest(String code, String message) {
        return new GatewayError(400, "invalid_request_error", code, message);
    }

    public static GatewayError unauthorized() {
        return new GatewayError(401, "authentication_error", "invalid_api_key",
                "Missing or invalid API key: send 'Authorization: Bearer <key>'");
    }

    public static GatewayError notFound(String code, String message) {
        return new GatewayError(404, "invalid_request_error", code, message);
    }

    public static GatewayError modelNotFound(String model) {
        return notFound("model_not_found", "The model '" + model + "' does not exist or no worker serves it");
    }

    public static GatewayError payloadTooLarge(long limit) {
        return new GatewayError(413, "invalid_request_error", "payload_too_large",
                "Request body exceeds the limit of " + limit + " bytes");
    }

    public static GatewayError noAvailableWorkers(String detail) {
        return new GatewayError(503, "service_unavailable", "no_available_workers", detail);
    }

    public static GatewayError shuttingDown() {
        return new GatewayError(503, "service_unavailable", "shutting_down",
                "This gateway is shutting down; retry on another instance");
    }

    public static GatewayError upstreamUnreachable(String message) {
        return new GatewayError(502, "upstream_error", "call_upstream_connection_failed", message);
    }

    public static GatewayError upstreamTimeout(String message) {
        return new GatewayError(504, "upstream_error", "call_upstream_timeout", message);
    }

    public byte[] body() {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("message", message);
        error.put("type", type);
        error.put("code", code);
        error.put("param", null);
        try {
            return WRITER.asBytes(Map.of("error", error));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
