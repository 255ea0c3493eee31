package dev.smg.api.gateway;

import dev.smg.api.json.Json;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerResponse;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Gateway-generated errors in the OpenAI envelope
 * {@code {"error":{"message","type","code","param"}}}, with the code repeated in the
 * {@code X-SMG-Error-Code} header (as upstream) so proxies and metrics can read it cheaply.
 */
public record OpenAiError(int status, String type, String code, String message) {

    public static OpenAiError badRequest(String code, String message) {
        return new OpenAiError(400, "invalid_request_error", code, message);
    }

    public static OpenAiError modelNotFound(String model) {
        return new OpenAiError(404, "invalid_request_error", "model_not_found",
                "The model '" + model + "' does not exist or no worker serves it");
    }

    public static OpenAiError noAvailableWorkers(String detail) {
        return new OpenAiError(503, "service_unavailable", "no_available_workers", detail);
    }

    public static OpenAiError upstreamUnreachable(String message) {
        return new OpenAiError(502, "upstream_error", "call_upstream_connection_failed", message);
    }

    public static OpenAiError upstreamTimeout(String message) {
        return new OpenAiError(504, "upstream_error", "call_upstream_timeout", message);
    }

    public byte[] body() {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("message", message);
        error.put("type", type);
        error.put("code", code);
        error.put("param", null);
        try {
            return Json.MAPPER.asBytes(Map.of("error", error));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public void send(ServerResponse res) {
        res.status(status);
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.header("X-SMG-Error-Code", code);
        res.send(body());
    }
}
