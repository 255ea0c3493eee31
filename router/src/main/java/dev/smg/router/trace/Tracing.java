package dev.smg.router.trace;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;

import java.util.List;
import java.util.function.Function;

/**
 * Where the spans of proxied requests go: an OpenTelemetry tracer (the SDK the api module installs
 * for {@code --enable-trace}), or nowhere. {@link #OFF}, the default, hands out
 * {@link RequestTrace#NONE}: no span is built, no header rewritten, the client's {@code traceparent}
 * goes to the worker as it came.
 */
public final class Tracing {
    public static final Tracing OFF = new Tracing(null, null, "");
    private static final String SCOPE = "dev.smg.router";

    private final Tracer tracer;
    private final TextMapPropagator propagator;
    private final String router;

    private Tracing(Tracer tracer, TextMapPropagator propagator, String router) {
        this.tracer = tracer;
        this.propagator = propagator;
        this.router = router;
    }

    /**
     * @param otel   a configured SDK (its propagators decide the headers read and written: W3C trace
     *               context by default)
     * @param router this router's name, for cache-tree entries its own requests made
     */
    public static Tracing with(OpenTelemetry otel, String router) {
        return new Tracing(otel.getTracer(SCOPE), otel.getPropagators().getTextMapPropagator(), router);
    }

    public boolean on() {
        return tracer != null;
    }

    /**
     * Starts the span of one proxied request: a child of the client's trace when its headers carry
     * one ({@code traceparent}), else the root of a new trace.
     *
     * @param header the client's header by (case-insensitive) name, or null
     */
    public RequestTrace request(String method, String route, String requestId, Function<String, String> header) {
        if (tracer == null) {
            return RequestTrace.NONE;
        }
        Context parent = propagator.extract(Context.root(), header, HEADERS);
        Span span = tracer.spanBuilder(method + " " + route).setParent(parent).setSpanKind(SpanKind.SERVER)
                .setAttribute(TraceAttributes.HTTP_METHOD, method)
                .setAttribute(TraceAttributes.HTTP_ROUTE, route)
                .setAttribute(TraceAttributes.REQUEST_ID, requestId)
                .startSpan();
        return new RequestTrace(this, span);
    }

    Span start(String name, SpanKind kind, Span parent) {
        return tracer.spanBuilder(name).setParent(Context.root().with(parent)).setSpanKind(kind).startSpan();
    }

    /** The headers that carry {@code span}'s context to a worker ({@code traceparent}, {@code tracestate}). */
    void inject(Span span, List<String[]> out) {
        propagator.inject(Context.root().with(span), out, (carrier, key, value) -> carrier.add(new String[] {key, value}));
    }

    List<String> fields() {
        return List.copyOf(propagator.fields());
    }

    String router() {
        return router;
    }

    private static final TextMapGetter<Function<String, String>> HEADERS = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Function<String, String> carrier) {
            return List.of(); // only read by propagators that enumerate headers (baggage prefixes); none here
        }

        @Override
        public String get(Function<String, String> carrier, String key) {
            return carrier == null ? null : carrier.apply(key);
        }
    };
}
