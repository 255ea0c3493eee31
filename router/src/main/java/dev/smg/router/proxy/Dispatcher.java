package dev.smg.router.proxy;

import dev.smg.router.breaker.CircuitBreaker;
import dev.smg.router.metrics.GenerationMetrics;
import dev.smg.router.metrics.RouterMetrics;
import dev.smg.router.metrics.Usage;
import dev.smg.router.policy.PolicyRegistry;
import dev.smg.router.policy.RoutingPolicy;
import dev.smg.router.policy.RoutingRequest;
import dev.smg.router.policy.SelectionNotes;
import dev.smg.router.retry.RetrySettings;
import dev.smg.router.stream.StreamFailoverSettings;
import dev.smg.router.stream.StreamShape;
import dev.smg.router.stream.StreamWatchdog;
import dev.smg.router.trace.RequestTrace;
import dev.smg.router.trace.TraceAttributes;
import dev.smg.router.worker.Worker;
import dev.smg.router.worker.WorkerRegistry;
import dev.smg.router.worker.WorkerStatus;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Sends a request to a worker and relays the answer, retrying elsewhere when that is safe.
 *
 * <p>Each attempt re-selects among available workers (READY, breaker letting traffic through),
 * preferring ones not yet tried, so a retry lands on a different worker whenever one exists. An
 * attempt is retried on a transport failure or a retryable status (408, 429, 500, 502, 503, 504),
 * but only while nothing has been sent to the client. A streamed answer goes through the
 * {@link StreamRelay} (unless stream failover and first-token deadlines are off): it holds the
 * client's headers until the first content, so a worker that fails before it is retried too, and
 * once content is out a failed worker's stream is continued on another. Every exit path releases the worker's in-flight count and reports the outcome
 * to its circuit breaker exactly once.
 */
public final class Dispatcher implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Dispatcher.class.getName());
    private static final int RELAY_BUFFER = 16 * 1024;

    private final WorkerRegistry registry;
    private final PolicyRegistry policies;
    private final UpstreamClient upstream;
    private final RetrySettings retry;
    private final RouterMetrics metrics;
    private final StreamWatchdog watchdog;
    private final GenerationMetrics generation;
    /** Null when streams are passed through as bytes ({@link StreamFailoverSettings#watchesStreams()} false). */
    private final StreamRelay streamRelay;

    public Dispatcher(WorkerRegistry registry, PolicyRegistry policies, UpstreamClient upstream, RetrySettings retry,
                      RouterMetrics metrics) {
        this(registry, policies, upstream, retry, metrics, StreamFailoverSettings.OFF, null);
    }

    /**
     * @param streams    stream failover and first-token deadlines; {@link #close()} stops their timer
     * @param generation time to first token, token gaps, durations and tokens of relayed answers (null: none)
     */
    public Dispatcher(WorkerRegistry registry, PolicyRegistry policies, UpstreamClient upstream, RetrySettings retry,
                      RouterMetrics metrics, StreamFailoverSettings streams, GenerationMetrics generation) {
        this.registry = registry;
        this.policies = policies;
        this.upstream = upstream;
        this.retry = retry;
        this.metrics = metrics;
        this.generation = generation;
        this.watchdog = streams.watchesStreams() ? new StreamWatchdog() : null;
        this.streamRelay = watchdog != null ? new StreamRelay(streams, watchdog, metrics) : null;
    }

    /** Stops the streams' timer thread (requests still relaying lose their deadlines, nothing else). */
    @Override
    public void close() {
        if (watchdog != null) {
            watchdog.close();
        }
    }

    /** Answers the call through {@code reply}; returns how it ended, for logs and metrics. */
    public Outcome dispatch(ProxyCall call, ClientReply reply) {
        String model = call.request().model().orElse(null);
        GenerationMetrics.Answer meter = generation == null ? null
                : generation.answer(model, call.route().endpoint(), System.nanoTime());
        if (meter != null && streamRelay != null && call.request().stream() && UsageRequest.applies(call)) {
            // Tokens of a stream are only known if the worker reports them: ask for its usage chunk; the
            // relay keeps that chunk from a client that did not ask for it.
            call = UsageRequest.askedOnBehalf(call);
        }
        Set<Worker> tried = new HashSet<>();
        GatewayError lastError = null;
        for (int attempt = 1; attempt <= retry.maxAttempts(); attempt++) {
            if (attempt > 1) {
                metrics.retry(call.route().endpoint());
                if (!pause(retry.backoff(attempt - 1, ThreadLocalRandom.current()))) {
                    break;
                }
            }
            List<Worker> all = registry.snapshot();
            List<Worker> serving = serving(all, model);
            boolean anyServes = !serving.isEmpty() || all.stream().anyMatch(w -> w.serves(model));
            if (serving.isEmpty()) {
                // Nothing to retry for: no worker can take this model now or later.
                GatewayError error;
                if (all.isEmpty()) {
                    error = GatewayError.noAvailableWorkers("no workers are registered");
                } else if (!anyServes) {
                    error = GatewayError.modelNotFound(model);
                } else {
                    error = GatewayError.noAvailableWorkers("every worker for this model is being removed");
                }
                reply.error(error);
                return Outcome.error(error, attempt);
            }
            Optional<Selection> selection = select(serving, tried, call, attempt, call.trace().span());
            if (selection.isEmpty()) {
                lastError = GatewayError.noAvailableWorkers(
                        "no worker is available for this request (unhealthy or circuit breaker open)");
                continue;
            }
            Worker worker = selection.get().worker();
            CircuitBreaker.Permit permit = selection.get().permit();
            tried.add(worker);
            boolean lastAttempt = attempt == retry.maxAttempts();
            Attempt result = attempt(call, worker, permit, reply, attempt, lastAttempt, tried, meter);
            if (result.done()) {
                return result.outcome().withAttempts(attempt);
            }
            lastError = result.error();
        }
        if (retry.maxAttempts() > 1) {
            metrics.retriesExhausted(call.route().endpoint());
        }
        GatewayError error = lastError != null ? lastError
                : GatewayError.noAvailableWorkers("no worker could take the request");
        reply.error(error);
        return Outcome.error(error, retry.maxAttempts());
    }

    private record Selection(Worker worker, CircuitBreaker.Permit permit) {
    }

    /** Workers that serve {@code model} and are not being removed. */
    private static List<Worker> serving(List<Worker> all, String model) {
        List<Worker> serving = new ArrayList<>();
        for (Worker w : all) {
            if (w.serves(model) && w.status() != WorkerStatus.DRAINING) {
                serving.add(w);
            }
        }
        return serving;
    }

    /**
     * Opens the continuation of a broken stream on another worker: up to the retry budget of
     * workers, untried ones first, each a leg with its own lease and breaker permit. A worker that
     * refuses (any status but 200 with an event stream) or cannot be reached is passed over.
     */
    private Optional<StreamRelay.Leg> openContinuation(ProxyCall call, byte[] body, Set<Worker> tried,
                                                       Span migration) {
        String model = call.request().model().orElse(null);
        for (int i = 1; i <= retry.maxAttempts(); i++) {
            Optional<Selection> selection = select(serving(registry.snapshot(), model), tried, call, i, migration);
            if (selection.isEmpty()) {
                return Optional.empty();
            }
            Worker worker = selection.get().worker();
            CircuitBreaker.Permit permit = selection.get().permit();
            tried.add(worker);
            Worker.Lease lease = worker.acquire();
            Span attemptSpan = attemptSpan(call, worker, i, migration);
            StreamWatchdog.Watch watch = streamRelay.startLeg(streamRelay.firstToken(call, true));
            UpstreamResponse answer = null;
            UpstreamFailure failure = null;
            try {
                answer = upstream.post(worker.url().resolve(call.route().path()), towardsWorker(call, attemptSpan),
                        worker.apiKey(), "application/json", body);
            } catch (UpstreamFailure f) {
                failure = f;
            }
            boolean late = missedFirstToken(call, worker, watch, answer);
            if (late || failure != null) {
                permit.failure();
                lease.close();
                RequestTrace.end(attemptSpan, late ? "first_token_timeout" : failureType(failure));
                if (!late) {
                    metrics.upstreamFailure(failure.kind().name().toLowerCase());
                    LOG.log(System.Logger.Level.WARNING, "request {0}: continuation: {1}", call.requestId(),
                            failure.getMessage());
                }
                continue;
            }
            metrics.upstreamResponse(answer.status());
            attemptSpan.setAttribute(TraceAttributes.HTTP_STATUS, (long) answer.status());
            if (answer.status() == 200 && isEventStream(answer)) {
                return Optional.of(new StreamRelay.Leg(worker, lease, permit, answer, watch, attemptSpan));
            }
            watch.close();
            LOG.log(System.Logger.Level.WARNING, "request {0}: worker {1} refused the continuation with {2}",
                    call.requestId(), worker, answer.status());
            RequestTrace.end(attemptSpan, "refused");
            answer.close();
            lease.close();
            if (RetrySettings.isRetryable(answer.status())) {
                permit.failure();
            } else {
                permit.abandon(); // a refusal of the request's form says nothing about the worker's health
            }
        }
        return Optional.empty();
    }

    /**
     * Whether a watched leg's first-token deadline passed while its request was out (the post then
     * failed, interrupted) or as its headers came (the answer is closed). Either way the watch is
     * settled: closed, or switched to closing the answer.
     */
    private boolean missedFirstToken(ProxyCall call, Worker worker, StreamWatchdog.Watch watch,
                                     UpstreamResponse answer) {
        if (watch == null) {
            return false;
        }
        boolean late = answer == null ? StreamRelay.failedLeg(watch) : !StreamRelay.headersIn(watch, answer);
        if (late) {
            watch.close();
            if (answer != null) {
                answer.close();
            }
            metrics.firstTokenTimeout(call.route().endpoint());
            LOG.log(System.Logger.Level.WARNING, "request {0}: worker {1} sent no first token in time",
                    call.requestId(), worker);
        }
        return late;
    }

    private static GatewayError firstTokenMissed(Worker worker) {
        return GatewayError.upstreamTimeout("worker " + worker + " sent no first token in time");
    }

    /**
     * Picks a worker, preferring untried ones, whose breaker grants a permit; traced as a
     * {@code select_worker} step under {@code parent}.
     */
    private Optional<Selection> select(List<Worker> serving, Set<Worker> tried, ProxyCall call, int attempt,
                                       Span parent) {
        RequestTrace trace = call.trace();
        Span span = trace.start("select_worker", SpanKind.INTERNAL, parent);
        Optional<Selection> chosen = select(serving, tried, call.routing(), trace.notes(span));
        if (trace.on()) {
            span.setAttribute(TraceAttributes.ATTEMPT, (long) attempt);
            span.setAttribute(TraceAttributes.POLICY, policies.forModel(call.routing().model()).name());
            span.setAttribute(TraceAttributes.CANDIDATES, (long) serving.size());
            chosen.ifPresent(s -> span.setAttribute(TraceAttributes.WORKER, s.worker().urlText()));
        }
        RequestTrace.end(span, chosen.isEmpty() ? "no_available_workers" : null);
        return chosen;
    }

    private Optional<Selection> select(List<Worker> serving, Set<Worker> tried, RoutingRequest routing,
                                       SelectionNotes notes) {
        RoutingPolicy policy = policies.forModel(routing.model());
        List<Worker> available = new ArrayList<>(serving.size());
        for (Worker w : serving) {
            if (w.isAvailable()) {
                available.add(w);
            }
        }
        List<Worker> fresh = available.stream().filter(w -> !tried.contains(w)).toList();
        List<Worker> candidates = new ArrayList<>(fresh.isEmpty() ? available : fresh);
        while (!candidates.isEmpty()) {
            Optional<Worker> pick = policy.select(candidates, routing, notes);
            if (pick.isEmpty()) {
                return Optional.empty();
            }
            CircuitBreaker.Permit permit = pick.get().breaker().tryAcquire();
            if (permit != null) {
                return Optional.of(new Selection(pick.get(), permit));
            }
            candidates.remove(pick.get()); // half-open with its trial slots taken: try another
        }
        return Optional.empty();
    }

    private record Attempt(boolean done, Outcome outcome, GatewayError error) {
        static Attempt finished(Outcome outcome) {
            return new Attempt(true, outcome, null);
        }

        static Attempt retry(GatewayError error) {
            return new Attempt(false, null, error);
        }
    }

    private Attempt attempt(ProxyCall call, Worker worker, CircuitBreaker.Permit permit, ClientReply reply,
                            int attempt, boolean lastAttempt, Set<Worker> tried, GenerationMetrics.Answer meter) {
        StreamShape shape = shapeOf(call.route());
        // Streams the relay watches are timed from before the request goes out (first-token deadline).
        boolean watched = streamRelay != null && shape != null && call.request().stream();
        StreamWatchdog.Watch watch = null;
        Span span = null;
        String spanError = null; // how the attempt failed, for its span (null: it did not)
        try (Worker.Lease lease = worker.acquire()) {
            if (worker.status() == WorkerStatus.DRAINING) {
                // Removal began between selection and the lease: its drain may not wait for us.
                return Attempt.retry(GatewayError.noAvailableWorkers("the chosen worker is being removed"));
            }
            span = attemptSpan(call, worker, attempt, call.trace().span());
            watch = watched ? streamRelay.startLeg(streamRelay.firstToken(call, false)) : null;
            UpstreamResponse answer;
            try {
                answer = upstream.post(worker.url().resolve(call.route().path()), towardsWorker(call, span),
                        worker.apiKey(), "application/json", call.body());
            } catch (UpstreamFailure failure) {
                permit.failure();
                if (missedFirstToken(call, worker, watch, null)) {
                    spanError = "first_token_timeout";
                    return Attempt.retry(firstTokenMissed(worker));
                }
                spanError = failureType(failure);
                metrics.upstreamFailure(failure.kind().name().toLowerCase());
                LOG.log(System.Logger.Level.WARNING, "request {0}: {1}", call.requestId(), failure.getMessage());
                GatewayError error = failure.kind() == UpstreamFailure.Kind.TIMEOUT
                        ? GatewayError.upstreamTimeout(failure.getMessage())
                        : GatewayError.upstreamUnreachable(failure.getMessage());
                return Attempt.retry(error); // on the last attempt the caller answers with it
            }
            if (missedFirstToken(call, worker, watch, answer)) {
                permit.failure();
                spanError = "first_token_timeout";
                return Attempt.retry(firstTokenMissed(worker));
            }
            if (watch != null && !(answer.status() == 200 && isEventStream(answer))) {
                watch = close(watch); // not a stream to relay: its deadlines must not cut the body read
            }
            try (answer) {
                int status = answer.status();
                metrics.upstreamResponse(status);
                span.setAttribute(TraceAttributes.HTTP_STATUS, (long) status);
                if (status >= 500) {
                    spanError = String.valueOf(status);
                }
                if (RetrySettings.isRetryable(status) && !lastAttempt) {
                    permit.failure();
                    spanError = String.valueOf(status);
                    LOG.log(System.Logger.Level.DEBUG, "request {0}: worker {1} answered {2}; retrying",
                            call.requestId(), worker, status);
                    return Attempt.retry(new GatewayError(status, "upstream_error", "upstream_status_" + status,
                            "worker answered " + status));
                }
                if (RetrySettings.isRetryable(status) && retry.maxAttempts() > 1) {
                    metrics.retriesExhausted(call.route().endpoint()); // relaying the last failure as it is
                }
                if (!isEventStream(answer)) {
                    // Read the whole body before answering: if the worker breaks off, nothing has
                    // reached the client yet, so the request can still go elsewhere.
                    byte[] body;
                    try {
                        body = answer.body().readAllBytes();
                    } catch (IOException | RuntimeException e) {
                        permit.failure();
                        spanError = "broken_body";
                        return Attempt.retry(GatewayError.upstreamUnreachable("worker " + worker
                                + " broke off its answer"));
                    }
                    report(permit, RetrySettings.isRetryable(status));
                    reply.complete(status, clientHeaders(answer), body);
                    if (meter != null && status == 200) {
                        Usage.of(body).ifPresent(meter::usage);
                        meter.finished(System.nanoTime());
                    }
                    return Attempt.finished(new Outcome(status, "", worker, 1));
                }
                if (watch != null && status == 200) {
                    Span leg = span;
                    span = null; // the leg's to end now, when its stream does
                    StreamRelay.Result r = streamRelay.relay(call, shape, new StreamRelay.Leg(worker, lease, permit,
                            answer, watch, leg), clientHeaders(answer), reply,
                            (body, migration) -> openContinuation(call, body, tried, migration), meter);
                    return r.retry() != null ? Attempt.retry(r.retry()) : Attempt.finished(r.outcome());
                }
                Outcome relayed = relay(call, worker, permit, answer, reply, meter);
                if (!relayed.errorCode().isEmpty()) {
                    spanError = relayed.errorCode();
                }
                return Attempt.finished(relayed);
            } catch (RuntimeException e) {
                // Anything unexpected from the HTTP client (it throws unchecked exceptions for a
                // truncated chunked body, for instance): the worker failed this request.
                permit.failure();
                spanError = "broken_stream";
                throw e;
            }
        } finally {
            close(watch); // a no-op after the relay (each of its legs closes its own)
            permit.abandon(); // no-op when an outcome was reported; never leaks a half-open trial slot
            if (span != null) {
                RequestTrace.end(span, spanError);
            }
        }
    }

    /** The span of one request to a worker (CLIENT): which worker, which try, its breaker's state. */
    private static Span attemptSpan(ProxyCall call, Worker worker, int attempt, Span parent) {
        RequestTrace trace = call.trace();
        Span span = trace.start("upstream_attempt", SpanKind.CLIENT, parent);
        if (trace.on()) {
            span.setAttribute(TraceAttributes.ATTEMPT, (long) attempt);
            span.setAttribute(TraceAttributes.RETRY, attempt > 1);
            span.setAttribute(TraceAttributes.WORKER, worker.urlText());
            span.setAttribute(TraceAttributes.BREAKER_STATE, worker.breaker().state().name().toLowerCase(Locale.ROOT));
            span.setAttribute(TraceAttributes.URL_FULL, worker.url().resolve(call.route().path()));
            span.setAttribute(TraceAttributes.SERVER_ADDRESS, worker.url().host());
            span.setAttribute(TraceAttributes.SERVER_PORT, (long) worker.url().port());
        }
        return span;
    }

    /**
     * The headers for a worker: the call's, with the trace context of {@code attempt} in place of the
     * client's when the request is traced (the worker's spans become the attempt's children).
     */
    private static List<HeaderField> towardsWorker(ProxyCall call, Span attempt) {
        List<String[]> context = call.trace().contextHeaders(attempt);
        if (context.isEmpty()) {
            return call.headers();
        }
        List<String> replaced = call.trace().contextFields();
        List<HeaderField> headers = new ArrayList<>(call.headers().size() + context.size());
        for (HeaderField h : call.headers()) {
            if (!replaced.contains(h.name().toLowerCase(Locale.ROOT))) {
                headers.add(h);
            }
        }
        for (String[] field : context) {
            headers.add(new HeaderField(field[0], field[1]));
        }
        return headers;
    }

    private static String failureType(UpstreamFailure failure) {
        return failure.kind().name().toLowerCase(Locale.ROOT);
    }

    private static StreamWatchdog.Watch close(StreamWatchdog.Watch watch) {
        if (watch != null) {
            watch.close();
        }
        return null;
    }

    private static List<HeaderField> clientHeaders(UpstreamResponse answer) {
        List<HeaderField> headers = new ArrayList<>();
        for (HeaderField h : answer.headers()) {
            if (HeaderPolicy.returnToClient(h.name()) && !h.name().equalsIgnoreCase("x-request-id")) {
                headers.add(h);
            }
        }
        return headers;
    }

    /** Streams the worker's answer to the client; decides the breaker outcome once the stream is through. */
    private Outcome relay(ProxyCall call, Worker worker, CircuitBreaker.Permit permit, UpstreamResponse answer,
                          ClientReply reply, GenerationMetrics.Answer meter) {
        int status = answer.status();
        boolean workerFailed = RetrySettings.isRetryable(status);
        List<HeaderField> headers = clientHeaders(answer);
        OutputStream out = reply.stream(status, headers);
        byte[] buffer = new byte[RELAY_BUFFER];
        InputStream in = answer.body();
        while (true) {
            int n;
            try {
                n = in.read(buffer);
            } catch (IOException | RuntimeException e) {
                // The worker broke off mid-stream: count it against the worker (upstream did not),
                // and cut the client's stream so it sees an incomplete answer, not a clean end.
                permit.failure();
                LOG.log(System.Logger.Level.WARNING, "request {0}: worker {1} broke off its stream: {2}",
                        call.requestId(), worker, e.getMessage());
                throw new UncheckedIOException(new IOException("worker stream broke off", e));
            }
            if (n < 0) {
                break;
            }
            try {
                out.write(buffer, 0, n);
                out.flush();
            } catch (IOException | RuntimeException e) {
                // The client went away: closing the answer (try-with-resources) aborts the worker's
                // request; the worker's health is not in question.
                permit.abandon();
                LOG.log(System.Logger.Level.DEBUG, "request {0}: client disconnected mid-stream", call.requestId());
                return new Outcome(status, "client_disconnected", worker, 1);
            }
        }
        try {
            out.close();
        } catch (IOException | RuntimeException e) {
            permit.abandon();
            return new Outcome(status, "client_disconnected", worker, 1);
        }
        report(permit, workerFailed);
        if (meter != null && status == 200) {
            meter.finished(System.nanoTime()); // bytes passed through: the duration only, no tokens seen
        }
        return new Outcome(status, "", worker, 1);
    }

    private static void report(CircuitBreaker.Permit permit, boolean workerFailed) {
        if (workerFailed) {
            permit.failure();
        } else {
            permit.success();
        }
    }

    private static StreamShape shapeOf(InferenceRoute route) {
        return switch (route) {
            case CHAT -> StreamShape.CHAT;
            case COMPLETIONS -> StreamShape.COMPLETION;
            case GENERATE -> StreamShape.GENERATE;
            case EMBEDDINGS -> null;
        };
    }

    private static boolean isEventStream(UpstreamResponse answer) {
        for (HeaderField h : answer.headers()) {
            if (h.name().equalsIgnoreCase("content-type") && h.value().toLowerCase().startsWith("text/event-stream")) {
                return true;
            }
        }
        return false;
    }

    private static boolean pause(Duration delay) {
        try {
            Thread.sleep(delay); // retry backoff
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * How a dispatched request ended.
     *
     * @param status    HTTP status sent to the client
     * @param errorCode gateway error code, "client_disconnected", or "" for a relayed answer
     * @param worker    the worker that answered, or null
     * @param attempts  attempts made
     */
    public record Outcome(int status, String errorCode, Worker worker, int attempts) {
        static Outcome error(GatewayError error, int attempts) {
            return new Outcome(error.status(), error.code(), null, attempts);
        }

        Outcome withAttempts(int n) {
            return new Outcome(status, errorCode, worker, n);
        }
    }
}
