package dev.smg.api.gateway;

import dev.smg.router.admission.AdmissionControl;
import dev.smg.router.metrics.RouterMetrics;
import dev.smg.router.policy.RoutingRequest;
import dev.smg.router.proxy.Dispatcher;
import dev.smg.router.proxy.GatewayError;
import dev.smg.router.proxy.HeaderField;
import dev.smg.router.proxy.HeaderPolicy;
import dev.smg.router.proxy.InferenceRequest;
import dev.smg.router.proxy.InferenceRoute;
import dev.smg.router.proxy.InvalidRequestException;
import dev.smg.router.proxy.ProxyCall;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One proxied OpenAI-style POST route: read the body (bounded), check it has what the route needs,
 * and hand it to the {@link Dispatcher}, which picks a worker, forwards the body unchanged and relays
 * the answer.
 */
final class ProxyHandler implements Handler {
    private static final io.helidon.http.HeaderName ROUTING_KEY = io.helidon.http.HeaderNames.create("X-SMG-Routing-Key");
    private final InferenceRoute route;
    private final Dispatcher dispatcher;
    private final long maxPayloadSize;
    private final AdmissionControl admission;
    private final RouterMetrics metrics;
    private final String routingKeyField;

    ProxyHandler(InferenceRoute route, Dispatcher dispatcher, long maxPayloadSize, AdmissionControl admission,
                 RouterMetrics metrics, String routingKeyField) {
        this.route = route;
        this.dispatcher = dispatcher;
        this.maxPayloadSize = maxPayloadSize;
        this.admission = admission;
        this.metrics = metrics;
        this.routingKeyField = routingKeyField;
    }

    @Override
    public void handle(ServerRequest req, ServerResponse res) throws IOException {
        String requestId = RequestIds.of(req.headers(), route.idPrefix());
        res.header("x-request-id", requestId);
        Optional<byte[]> body = RequestBody.read(req, maxPayloadSize);
        if (body.isEmpty()) {
            ErrorReplies.send(res, GatewayError.payloadTooLarge(maxPayloadSize));
            return;
        }
        InferenceRequest request;
        try {
            request = InferenceRequest.parse(body.get(), routingKeyField);
        } catch (InvalidRequestException e) {
            ErrorReplies.send(res, GatewayError.badRequest("json_parse_error", e.getMessage()));
            return;
        }
        Optional<String> missing = route.missingField(request);
        if (missing.isPresent()) {
            ErrorReplies.send(res, GatewayError.badRequest("missing_required_field", missing.get()));
            return;
        }
        List<HeaderField> clientHeaders = new ArrayList<>();
        req.headers().forEach(h -> clientHeaders.add(new HeaderField(h.name(), h.get())));
        List<HeaderField> headers = new ArrayList<>(HeaderPolicy.towardsWorker(clientHeaders));
        headers.removeIf(h -> h.name().equalsIgnoreCase("x-request-id"));
        headers.add(new HeaderField("x-request-id", requestId));
        Optional<String> routingKey = req.headers().first(ROUTING_KEY).filter(k -> !k.isBlank()).or(request::routingKey);
        RoutingRequest routing = new RoutingRequest(request.model().orElse(null), routingKey, request.promptText());
        long queued = System.nanoTime();
        AdmissionControl.Decision decision = admission.admit();
        double waited = (System.nanoTime() - queued) / 1e9;
        if (decision instanceof AdmissionControl.Refused refused) {
            metrics.admission(refused.code());
            metrics.queueWait(route.endpoint(), refused.code(), waited);
            if (refused.retryAfter() > 0) {
                res.header("Retry-After", String.valueOf(refused.retryAfter()));
            }
            if (refused.status() == 408) {
                res.header(io.helidon.http.HeaderNames.CONNECTION, "close"); // RFC 9110: 408 closes
            }
            ErrorReplies.send(res, new GatewayError(refused.status(), refused.status() == 408 ? "timeout_error"
                    : "rate_limit_error", refused.code(), refused.status() == 408
                    ? "Waited too long for a free slot; retry later"
                    : "Too many requests; retry after the time in Retry-After"));
            return;
        }
        metrics.admission("allowed");
        metrics.queueWait(route.endpoint(), "allowed", waited);
        try (AdmissionControl.Admitted admitted = (AdmissionControl.Admitted) decision) {
            dispatcher.dispatch(new ProxyCall(route, request, body.get(), headers, requestId, routing),
                    new HelidonReply(res));
        }
    }
}
