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
import dev.smg.router.trace.RequestTrace;
import dev.smg.router.trace.TraceAttributes;
import dev.smg.router.trace.Tracing;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;

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
    private final Tracing tracing;

    ProxyHandler(InferenceRoute route, Dispatcher dispatcher, long maxPayloadSize, AdmissionControl admission,
                 RouterMetrics metrics, String routingKeyField, Tracing tracing) {
        this.tracing = tracing;
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
        RequestTrace trace = !tracing.on() ? RequestTrace.NONE : tracing.request("POST", route.path(), requestId,
                name -> req.headers().first(HeaderNames.create(name)).orElse(null));
        Dispatcher.Outcome outcome = null;
        try {
            outcome = proxy(req, res, requestId, trace);
        } finally {
            // An exception (a worker that broke off a stream it had started) leaves the client a cut answer.
            trace.end(outcome != null ? outcome.status() : 502, outcome != null ? outcome.errorCode() : "broken_stream",
                    outcome != null ? outcome.attempts() : 1);
        }
    }

    /** Answers the request; returns how it ended, for its trace. */
    private Dispatcher.Outcome proxy(ServerRequest req, ServerResponse res, String requestId, RequestTrace trace)
            throws IOException {
        Optional<byte[]> body = RequestBody.read(req, maxPayloadSize);
        if (body.isEmpty()) {
            return refuse(res, GatewayError.payloadTooLarge(maxPayloadSize));
        }
        InferenceRequest request;
        try {
            request = InferenceRequest.parse(body.get(), routingKeyField);
        } catch (InvalidRequestException e) {
            return refuse(res, GatewayError.badRequest("json_parse_error", e.getMessage()));
        }
        if (trace.on()) {
            request.model().ifPresent(m -> trace.span().setAttribute(TraceAttributes.MODEL, m));
            trace.span().setAttribute(TraceAttributes.STREAM, request.stream());
        }
        Optional<String> missing = route.missingField(request);
        if (missing.isPresent()) {
            return refuse(res, GatewayError.badRequest("missing_required_field", missing.get()));
        }
        List<HeaderField> clientHeaders = new ArrayList<>();
        req.headers().forEach(h -> clientHeaders.add(new HeaderField(h.name(), h.get())));
        List<HeaderField> headers = new ArrayList<>(HeaderPolicy.towardsWorker(clientHeaders));
        headers.removeIf(h -> h.name().equalsIgnoreCase("x-request-id"));
        headers.add(new HeaderField("x-request-id", requestId));
        Optional<String> routingKey = req.headers().first(ROUTING_KEY).filter(k -> !k.isBlank()).or(request::routingKey);
        RoutingRequest routing = new RoutingRequest(request.model().orElse(null), routingKey, request.promptText());
        // The admission span lasts as long as the request waited for a slot (its queue wait).
        Span admitting = trace.start("admission", SpanKind.INTERNAL);
        long queued = System.nanoTime();
        AdmissionControl.Decision decision = admission.admit();
        double waited = (System.nanoTime() - queued) / 1e9;
        if (decision instanceof AdmissionControl.Refused refused) {
            admitting.setAttribute(TraceAttributes.ADMISSION, refused.code());
            RequestTrace.end(admitting, refused.code());
            metrics.admission(refused.code());
            metrics.queueWait(route.endpoint(), refused.code(), waited);
            if (refused.retryAfter() > 0) {
                res.header("Retry-After", String.valueOf(refused.retryAfter()));
            }
            if (refused.status() == 408) {
                res.header(io.helidon.http.HeaderNames.CONNECTION, "close"); // RFC 9110: 408 closes
            }
            return refuse(res, new GatewayError(refused.status(), refused.status() == 408 ? "timeout_error"
                    : "rate_limit_error", refused.code(), refused.status() == 408
                    ? "Waited too long for a free slot; retry later"
                    : "Too many requests; retry after the time in Retry-After"));
        }
        admitting.setAttribute(TraceAttributes.ADMISSION, "admitted");
        RequestTrace.end(admitting, null);
        metrics.admission("allowed");
        metrics.queueWait(route.endpoint(), "allowed", waited);
        try (AdmissionControl.Admitted admitted = (AdmissionControl.Admitted) decision) {
            return dispatcher.dispatch(new ProxyCall(route, request, body.get(), headers, requestId, routing, trace),
                    new HelidonReply(res));
        }
    }

    private static Dispatcher.Outcome refuse(ServerResponse res, GatewayError error) {
        ErrorReplies.send(res, error);
        return new Dispatcher.Outcome(error.status(), error.code(), null, 0);
    }
}
