package dev.smg.router.trace;

import dev.smg.router.policy.SelectionNotes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;

import java.util.ArrayList;
import java.util.List;

/**
 * The spans of one proxied request: the request's own (SERVER), and its steps as children: admission,
 * worker selection, each upstream attempt (CLIENT, whose context goes to the worker in
 * {@code traceparent}), each stream migration. {@link #NONE} builds nothing: its spans are the API's
 * no-op span, whose methods do nothing, so untraced requests pay a few virtual calls at most.
 */
public final class RequestTrace {
    public static final RequestTrace NONE = new RequestTrace(null, Span.getInvalid());

    private final Tracing tracing;
    private final Span span;

    RequestTrace(Tracing tracing, Span span) {
        this.tracing = tracing;
        this.span = span;
    }

    public boolean on() {
        return tracing != null;
    }

    /** The request's span (the no-op span when not traced). */
    public Span span() {
        return span;
    }

    /** Starts a step of the request: a child of its span. */
    public Span start(String name, SpanKind kind) {
        return start(name, kind, span);
    }

    /** Starts a step under {@code parent} (an attempt within a migration, say). */
    public Span start(String name, SpanKind kind, Span parent) {
        return tracing == null ? Span.getInvalid() : tracing.start(name, kind, parent);
    }

    /**
     * The trace-context headers that make the worker's spans children of {@code attempt}, as name and
     * value pairs; empty when not traced (the client's own headers then go through unchanged).
     */
    public List<String[]> contextHeaders(Span attempt) {
        if (tracing == null) {
            return List.of();
        }
        List<String[]> out = new ArrayList<>(2);
        tracing.inject(attempt, out);
        return out;
    }

    /** Names of the headers {@link #contextHeaders} writes, which replace the client's of those names. */
    public List<String> contextFields() {
        return tracing == null ? List.of() : tracing.fields();
    }

    /** Notes of a policy's choice, written onto the selection span. */
    public SelectionNotes notes(Span selection) {
        if (tracing == null) {
            return SelectionNotes.NONE;
        }
        return new SelectionNotes() {
            @Override
            public void reason(String reason) {
                selection.setAttribute(TraceAttributes.SELECTION_REASON, reason);
            }

            @Override
            public void cacheMatch(int matchedBlocks, int promptBlocks, String origin) {
                selection.setAttribute(TraceAttributes.CACHE_MATCHED_BLOCKS, (long) matchedBlocks);
                selection.setAttribute(TraceAttributes.CACHE_PROMPT_BLOCKS, (long) promptBlocks);
                if (origin != null) {
                    selection.setAttribute(TraceAttributes.CACHE_ENTRY_ROUTER,
                            origin.isEmpty() ? tracing.router() : origin);
                }
            }
        };
    }

    /** Ends a step; an error ({@code error} not null) marks it failed with that type. */
    public static void end(Span step, String error) {
        if (error != null) {
            step.setAttribute(TraceAttributes.ERROR_TYPE, error);
            step.setStatus(StatusCode.ERROR, error);
        }
        step.end();
    }

    /**
     * Ends the request's span with the status the client got and, for an error the gateway made,
     * its code ("" or null for a relayed answer).
     */
    public void end(int status, String errorCode, int attempts) {
        if (tracing == null) {
            return;
        }
        span.setAttribute(TraceAttributes.HTTP_STATUS, (long) status);
        span.setAttribute(TraceAttributes.ATTEMPTS, (long) attempts);
        boolean coded = errorCode != null && !errorCode.isEmpty();
        if (coded) {
            span.setAttribute(TraceAttributes.ERROR_CODE, errorCode);
        }
        // As for any server span, a 4xx is the client's error, not the request's failure; a stream
        // cut short after its 200 is a failure.
        boolean failed = status >= 500 || "stream_broken".equals(errorCode);
        end(span, failed ? (coded ? errorCode : String.valueOf(status)) : null);
    }
}
