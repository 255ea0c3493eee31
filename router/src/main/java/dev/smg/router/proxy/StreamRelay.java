package dev.smg.router.proxy;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.smg.router.breaker.CircuitBreaker;
import dev.smg.router.metrics.GenerationMetrics;
import dev.smg.router.metrics.RouterMetrics;
import dev.smg.router.metrics.Usage;
import dev.smg.router.stream.BreakReason;
import dev.smg.router.trace.RequestTrace;
import dev.smg.router.trace.TraceAttributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import dev.smg.router.stream.ContinuedEvents;
import dev.smg.router.stream.Continuation;
import dev.smg.router.stream.SseEventSplitter;
import dev.smg.router.stream.StreamEvent;
import dev.smg.router.stream.StreamFailoverSettings;
import dev.smg.router.stream.StreamShape;
import dev.smg.router.stream.StreamTranscript;
import dev.smg.router.stream.StreamWatchdog;
import dev.smg.router.worker.Worker;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Relays a streamed answer event by event, so that a worker failing it does not break the client's
 * stream (issue 15).
 * <ul>
 *   <li>The client's status and headers wait for the first content (a role-only opening chunk is
 *       held): a worker that fails before it, or misses the first-token deadline, is retried like
 *       any failed attempt, and the client never knows.</li>
 *   <li>Once content has gone out, a worker whose connection breaks, or that goes silent for the
 *       stall timeout, is replaced: the request is re-issued elsewhere as a {@link Continuation}
 *       and its events are rewritten ({@link ContinuedEvents}) into the same stream.</li>
 *   <li>A stream that cannot be continued safely ends with an error event in the OpenAI shape and
 *       {@code [DONE]}, never a silent cut.</li>
 * </ul>
 * Every leg's breaker permit and in-flight lease are settled when the leg ends.
 */
final class StreamRelay {
    private static final System.Logger LOG = System.getLogger(StreamRelay.class.getName());
    private static final int RELAY_BUFFER = 16 * 1024;
    /** Largest event interpreted; a longer one is relayed as it is and the stream is no longer continued. */
    private static final int MAX_EVENT = 1 << 20;
    /** Bytes of opening events (roles, comments) held back before the first content at most. */
    private static final int MAX_HELD = 64 * 1024;
    private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] END_OF_EVENT = "\n\n".getBytes(StandardCharsets.US_ASCII);

    private final StreamFailoverSettings settings;
    private final StreamWatchdog watchdog;
    private final RouterMetrics metrics;

    StreamRelay(StreamFailoverSettings settings, StreamWatchdog watchdog, RouterMetrics metrics) {
        this.settings = settings;
        this.watchdog = watchdog;
        this.metrics = metrics;
    }

    /** The first-token deadline of a request's legs: its model's, else (continuations) the stall timeout. */
    Duration firstToken(ProxyCall call, boolean continuation) {
        Duration own = settings.firstTokenTimeout(call.request().model().orElse(null));
        // A continuation re-reads the prompt and the answer so far: without a first-token deadline
        // of its own, its start is bounded by the stall timeout.
        return continuation && own.isZero() ? settings.stallTimeout() : own;
    }

    /**
     * Starts timing a leg before its request goes out, so that a worker that never even sends its
     * headers is bounded too: until {@link #headersIn} the deadline interrupts the calling thread (a
     * virtual thread blocked in a socket read gives up at once).
     */
    StreamWatchdog.Watch startLeg(Duration firstToken) {
        Thread requester = Thread.currentThread();
        return watchdog.watch(firstToken, settings.stallTimeout(), requester::interrupt);
    }

    /**
     * The leg's headers are in: from now on a deadline closes the connection instead. False when
     * the first-token deadline passed first (the caller gives the leg up).
     */
    static boolean headersIn(StreamWatchdog.Watch watch, UpstreamResponse answer) {
        boolean inTime = watch.abortWith(answer::close);
        Thread.interrupted(); // an interrupt that raced the headers must not reach later I/O
        return inTime;
    }

    /** The request of a leg failed: stops its watch; true when that was the first-token deadline. */
    static boolean failedLeg(StreamWatchdog.Watch watch) {
        watch.close();
        Thread.interrupted();
        return watch.expired() != null;
    }

    /** One worker's part of a stream: settled (watch, permit, lease, connection) exactly once. */
    static final class Leg {
        final Worker worker;
        private final Worker.Lease lease;
        private final CircuitBreaker.Permit permit;
        final UpstreamResponse answer;
        final StreamWatchdog.Watch watch;
        /** The leg's upstream attempt span, ended with the leg. */
        final Span span;

        Leg(Worker worker, Worker.Lease lease, CircuitBreaker.Permit permit, UpstreamResponse answer,
            StreamWatchdog.Watch watch, Span span) {
            this.worker = worker;
            this.lease = lease;
            this.permit = permit;
            this.answer = answer;
            this.watch = watch;
            this.span = span;
        }

        void end(Boolean workerSucceeded) {
            watch.close();
            try {
                answer.close();
            } finally {
                lease.close();
                RequestTrace.end(span, Boolean.FALSE.equals(workerSucceeded) ? "stream_broken" : null);
                if (workerSucceeded == null) {
                    permit.abandon();
                } else if (workerSucceeded) {
                    permit.success();
                } else {
                    permit.failure();
                }
            }
        }
    }

    /**
     * Opens a leg for a continuation body on another worker; empty when none takes it. Its steps are
     * traced under {@code migration}.
     */
    interface Continuer {
        Optional<Leg> open(byte[] body, Span migration);
    }

    /** How the relay ended: relayed to the client (an outcome), or to be retried (nothing was sent). */
    record Result(Dispatcher.Outcome outcome, GatewayError retry) {
    }

    private enum LegEnd { COMPLETE, BROKEN, STALLED, FIRST_TOKEN_TIMEOUT, CLIENT_GONE }

    /** @param meter the answer's generation metrics (null: none) */
    Result relay(ProxyCall call, StreamShape shape, Leg first, List<HeaderField> headers, ClientReply reply,
                 Continuer continuer, GenerationMetrics.Answer meter) {
        String endpoint = call.route().endpoint();
        ClientStream client = new ClientStream(reply, first.answer.status(), headers, shape, endpoint, meter,
                call.usageOnBehalf());
        Duration firstToken = firstToken(call, false);
        Leg leg = first;
        ContinuedEvents rewriter = null;
        Continuation.Plan plan = null;
        int migrations = 0;
        while (true) {
            LegEnd end = pump(client, leg, rewriter, shape);
            if (end == LegEnd.COMPLETE) {
                leg.end(true);
                client.finish();
                if (meter != null && !client.gone()) {
                    meter.finished(System.nanoTime());
                }
                return relayed(leg, client.gone() ? "client_disconnected" : "", migrations);
            }
            if (end == LegEnd.CLIENT_GONE) {
                leg.end(null); // the client left; nothing is known about the worker
                LOG.log(System.Logger.Level.DEBUG, "request {0}: client disconnected mid-stream", call.requestId());
                return relayed(leg, "client_disconnected", migrations);
            }
            leg.span.setAttribute(TraceAttributes.BREAK_REASON, migrationReason(end));
            leg.end(false);
            if (end == LegEnd.FIRST_TOKEN_TIMEOUT) {
                metrics.firstTokenTimeout(endpoint);
            }
            LOG.log(System.Logger.Level.WARNING, "request {0}: worker {1} {2} after {3} tokens", call.requestId(),
                    leg.worker, describe(end), client.transcript.tokens());
            if (!client.committed()) {
                // Nothing reached the client: an ordinary retry (a continuation commits before it starts).
                return new Result(null, end == LegEnd.FIRST_TOKEN_TIMEOUT
                        ? GatewayError.upstreamTimeout("worker " + leg.worker + " sent no first token within "
                        + firstToken.toMillis() + " ms")
                        : GatewayError.upstreamUnreachable("worker " + leg.worker + " " + describe(end)
                        + " before its first token"));
            }
            BreakReason why;
            if (!settings.migrate()) {
                why = BreakReason.FAILOVER_DISABLED;
            } else if (client.transcript.unsafe() != null) {
                why = client.transcript.unsafe();
            } else if (migrations >= settings.migrationLimit()) {
                why = BreakReason.MIGRATION_LIMIT;
            } else {
                if (plan == null) {
                    plan = Continuation.of(shape, call.body());
                }
                why = plan.refusal();
            }
            if (why != null) {
                metrics.streamBreak(endpoint, why.label());
                client.breakWith(why);
                return relayed(leg, "stream_broken", migrations);
            }
            migrations++;
            metrics.streamMigration(endpoint, migrationReason(end));
            client.migrating();
            Optional<byte[]> body = plan.continuation().orElseThrow()
                    .body(client.transcript.text(), client.transcript.tokens());
            if (body.isEmpty()) {
                client.endForLength(); // the output limit was reached exactly as the worker failed
                return relayed(leg, "", migrations);
            }
            Span migration = migrationSpan(call.trace(), migrations, end, leg, client.transcript.tokens());
            Optional<Leg> next = continuer.open(body.get(), migration);
            next.ifPresent(n -> migration.setAttribute(TraceAttributes.WORKER, n.worker.urlText()));
            RequestTrace.end(migration, next.isEmpty() ? BreakReason.NO_WORKER.label() : null);
            if (next.isEmpty()) {
                metrics.streamBreak(endpoint, BreakReason.NO_WORKER.label());
                client.breakWith(BreakReason.NO_WORKER);
                return relayed(leg, "stream_broken", migrations);
            }
            LOG.log(System.Logger.Level.INFO, "request {0}: stream continues on worker {1} after {2} tokens",
                    call.requestId(), next.get().worker, client.transcript.tokens());
            leg = next.get();
            rewriter = new ContinuedEvents(shape, client.transcript);
        }
    }

    /**
     * The span of a stream's move to another worker: from the break to the continuation's answer
     * (whose request is its child); which worker failed, how, and after how many tokens.
     */
    private static Span migrationSpan(RequestTrace trace, int migration, LegEnd end, Leg from, int tokens) {
        Span span = trace.start("stream_migration", SpanKind.INTERNAL);
        if (trace.on()) {
            span.setAttribute(TraceAttributes.MIGRATION, (long) migration);
            span.setAttribute(TraceAttributes.BREAK_REASON, migrationReason(end));
            span.setAttribute(TraceAttributes.FROM_WORKER, from.worker.urlText());
            span.setAttribute(TraceAttributes.TOKENS_RELAYED, (long) tokens);
        }
        return span;
    }

    private static Result relayed(Leg leg, String code, int migrations) {
        return new Result(new Dispatcher.Outcome(200, code, leg.worker, 1 + migrations), null);
    }

    private static String describe(LegEnd end) {
        return switch (end) {
            case STALLED -> "stalled";
            case FIRST_TOKEN_TIMEOUT -> "missed the first-token deadline";
            default -> "broke off its stream";
        };
    }

    private static String migrationReason(LegEnd end) {
        return switch (end) {
            case STALLED -> "stalled";
            case FIRST_TOKEN_TIMEOUT -> "first_token_timeout";
            default -> "broken";
        };
    }

    /** Reads one leg to its end, passing its events on. */
    private LegEnd pump(ClientStream client, Leg leg, ContinuedEvents rewriter, StreamShape shape) {
        StreamWatchdog.Watch watch = leg.watch;
        SseEventSplitter splitter = new SseEventSplitter(MAX_EVENT);
        InputStream in = leg.answer.body();
        byte[] buffer = new byte[RELAY_BUFFER];
        boolean generate = shape == StreamShape.GENERATE;
        boolean stripUsage = client.usageOnBehalf;
        java.util.function.Consumer<SseEventSplitter.Event> sink = event -> {
            if (client.gone()) {
                return;
            }
            StreamEvent parsed = event.oversized() ? StreamEvent.unreadable(null)
                    : StreamEvent.parse(event.bytes(), generate);
            byte[] bytes = event.bytes();
            if (rewriter != null) {
                ContinuedEvents.Rewritten r = rewriter.apply(parsed, bytes);
                if (r == null) {
                    return;
                }
                parsed = r.event();
                bytes = r.bytes();
            }
            if (parsed.carriesAnswer()) {
                watch.answered();
            }
            if (stripUsage && parsed.usageOnly()) {
                client.usageOnly(parsed); // asked for on the client's behalf: counted, not sent
                return;
            }
            client.send(parsed, bytes);
        };
        while (true) {
            int n;
            try {
                n = in.read(buffer);
            } catch (IOException | RuntimeException e) {
                return client.transcript.done() ? LegEnd.COMPLETE : failure(watch);
            }
            if (n < 0) {
                if (splitter.pending() > 0 && completeEvent(splitter.rest(), generate)) {
                    // The worker closed without the blank line after its last event: still a whole event.
                    splitter.feed(END_OF_EVENT, 0, END_OF_EVENT.length, sink);
                }
                if (client.gone()) {
                    return LegEnd.CLIENT_GONE;
                }
                if (client.transcript.done() || client.transcript.finished() && watch.expired() == null) {
                    return LegEnd.COMPLETE;
                }
                return failure(watch); // ended without [DONE] or a finish: the worker went away
            }
            watch.progress();
            splitter.feed(buffer, 0, n, sink);
            if (client.gone()) {
                return LegEnd.CLIENT_GONE;
            }
        }
    }

    /** Whether bytes left without a closing blank line are a whole event (else a cut one, dropped). */
    private static boolean completeEvent(byte[] rest, boolean generate) {
        StreamEvent.Kind kind = StreamEvent.parse(rest, generate).kind();
        return kind == StreamEvent.Kind.DATA || kind == StreamEvent.Kind.DONE;
    }

    private static LegEnd failure(StreamWatchdog.Watch watch) {
        StreamWatchdog.Expiry expiry = watch.expired();
        if (expiry == null) {
            return LegEnd.BROKEN;
        }
        return expiry == StreamWatchdog.Expiry.FIRST_TOKEN ? LegEnd.FIRST_TOKEN_TIMEOUT : LegEnd.STALLED;
    }

    /** The client's side of the stream: committed at the first content, written event by event. */
    private final class ClientStream {
        final StreamTranscript transcript;
        private final ClientReply reply;
        private final int status;
        private final List<HeaderField> headers;
        private final StreamShape shape;
        private final List<byte[]> held = new ArrayList<>();
        private int heldBytes;
        private OutputStream out;
        private boolean gone;
        private long lastWrite;
        /** When the client last heard from the worker that failed (0: no migration pending). */
        private long stalledSince;
        private final String endpoint;
        private final GenerationMetrics.Answer meter;
        /** The worker was asked for usage the client did not ask for: its usage-only chunk is not sent. */
        final boolean usageOnBehalf;

        ClientStream(ClientReply reply, int status, List<HeaderField> headers, StreamShape shape, String endpoint,
                     GenerationMetrics.Answer meter, boolean usageOnBehalf) {
            this.meter = meter;
            this.usageOnBehalf = usageOnBehalf;
            this.reply = reply;
            this.status = status;
            this.headers = headers;
            this.shape = shape;
            this.endpoint = endpoint;
            this.transcript = new StreamTranscript(shape);
        }

        boolean committed() {
            return out != null;
        }

        boolean gone() {
            return gone;
        }

        void send(StreamEvent event, byte[] bytes) {
            transcript.record(event);
            if (out == null && !event.carriesAnswer() && heldBytes + bytes.length <= MAX_HELD) {
                held.add(bytes);
                heldBytes += bytes.length;
                return;
            }
            if (stalledSince != 0 && event.carriesAnswer()) {
                metrics.migrationStall(endpoint, (System.nanoTime() - stalledSince) / 1e9);
                stalledSince = 0;
            }
            write(bytes);
            if (meter != null && !gone) {
                if (!event.piece().isEmpty()) {
                    meter.token(lastWrite);
                }
                if (event.usage() || shape == StreamShape.GENERATE && event.finished()) {
                    count(event);
                }
            }
        }

        /** A usage chunk kept from the client: the transcript and the metrics still take it. */
        void usageOnly(StreamEvent event) {
            transcript.record(event);
            if (meter != null) {
                count(event);
            }
        }

        /** An event with usage: parsed again for its numbers (once or twice a stream). */
        private void count(StreamEvent event) {
            Usage.of(event.data()).ifPresent(meter::usage);
        }

        /** A migration begins: the client's wait runs from its last event. */
        void migrating() {
            if (stalledSince == 0) {
                stalledSince = lastWrite;
            }
        }

        private void write(byte[] bytes) {
            if (gone) {
                return;
            }
            try {
                if (out == null) {
                    out = reply.stream(status, headers);
                    for (byte[] h : held) {
                        out.write(h);
                    }
                    held.clear();
                }
                out.write(bytes);
                out.flush();
                lastWrite = System.nanoTime();
            } catch (IOException | RuntimeException e) {
                gone = true;
            }
        }

        void finish() {
            if (out == null) {
                write(new byte[0]);
            }
            close();
        }

        void breakWith(BreakReason reason) {
            GatewayError error = new GatewayError(502, "upstream_error", "stream_interrupted",
                    "The worker serving this stream failed and it could not be continued: " + reason.message());
            write(("data: " + new String(error.body(), StandardCharsets.UTF_8) + "\n\n")
                    .getBytes(StandardCharsets.UTF_8));
            write(DONE);
            close();
        }

        /** Ends a stream whose output limit was used up: a final chunk with finish reason "length". */
        void endForLength() {
            Map<String, Object> last = new LinkedHashMap<>();
            switch (shape) {
                case CHAT, COMPLETION -> {
                    last.put("id", transcript.id());
                    last.put("object", shape == StreamShape.CHAT ? "chat.completion.chunk" : "text_completion");
                    last.put("created", transcript.created());
                    last.put("model", transcript.model());
                    Map<String, Object> choice = new LinkedHashMap<>();
                    choice.put("index", 0);
                    if (shape == StreamShape.CHAT) {
                        choice.put("delta", Map.of());
                    } else {
                        choice.put("text", "");
                    }
                    choice.put("finish_reason", "length");
                    last.put("choices", List.of(choice));
                }
                case GENERATE -> {
                    last.put("text", transcript.text());
                    last.put("meta_info", Map.of("id", transcript.id(), "finish_reason", Map.of("type", "length"),
                            "completion_tokens", transcript.tokens()));
                }
            }
            try {
                write(("data: " + JSON.std.asString(last) + "\n\n").getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new IllegalStateException("a final chunk cannot be written as JSON", e);
            }
            write(DONE);
            close();
        }

        private void close() {
            if (out == null || gone) {
                return;
            }
            try {
                out.close();
            } catch (IOException | RuntimeException e) {
                gone = true;
            }
        }
    }
}
