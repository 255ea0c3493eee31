package dev.smg.router.load;

import dev.smg.router.proxy.UpstreamClient;
import dev.smg.router.proxy.UpstreamFailure;
import dev.smg.router.proxy.UpstreamResponse;
import dev.smg.router.worker.Worker;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Reads one worker's load from its engine. The first poll finds which endpoint the engine serves
 * ({@link EngineLoadFormat}, in order: SGLang {@code /v1/loads}, {@code /get_load}, then
 * {@code /metrics}) and later polls go straight to it; an endpoint that starts answering 404 or
 * garbage is looked for again. An engine that serves none is asked again only after
 * {@link #REDETECT_AFTER}. Every request has the timeout given, and an answer is read up to
 * {@link #MAX_BODY} bytes (a vLLM {@code /metrics} page is some 100 KB).
 */
final class EngineLoadProbe {
    static final int MAX_BODY = 4 << 20;
    static final Duration REDETECT_AFTER = Duration.ofSeconds(30);

    /** How a poll ended (the {@code result} label of {@code smg_engine_load_polls_total}). */
    enum Outcome {
        OK, TIMEOUT, ERROR, MALFORMED, UNSUPPORTED;

        String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    record Result(Outcome outcome, Optional<EngineLoad> load) {
        static Result of(Outcome outcome) {
            return new Result(outcome, Optional.empty());
        }
    }

    private final UpstreamClient client;
    private final Duration timeout;
    /** Per worker URL, the endpoint that answered last. */
    private final Map<String, EngineLoadFormat> formats = new ConcurrentHashMap<>();
    /** Per worker URL that serves no load endpoint, when to look again (nanoTime). */
    private final Map<String, Long> unsupportedUntil = new ConcurrentHashMap<>();

    EngineLoadProbe(UpstreamClient client, Duration timeout) {
        this.client = client;
        this.timeout = timeout;
    }

    /** Whether polling {@code url} now is worth it (not an engine known to serve no load endpoint). */
    boolean due(String url, long now) {
        Long until = unsupportedUntil.get(url);
        return until == null || now - until >= 0;
    }

    Result probe(Worker worker, long now) {
        String url = worker.urlText();
        EngineLoadFormat known = formats.get(url);
        if (known != null) {
            Result result = fetch(worker, known);
            if (result.outcome() == Outcome.OK || result.outcome() == Outcome.TIMEOUT
                    || result.outcome() == Outcome.ERROR) {
                return result;
            }
            formats.remove(url); // 404 or garbage now: the engine changed; look again
        }
        boolean sawGarbage = false;
        for (EngineLoadFormat format : EngineLoadFormat.values()) {
            Result result = fetch(worker, format);
            switch (result.outcome()) {
                case OK -> {
                    formats.put(url, format);
                    unsupportedUntil.remove(url);
                    return result;
                }
                case TIMEOUT, ERROR -> {
                    return result; // do not try further endpoints of a worker that hangs or refuses
                }
                case MALFORMED -> sawGarbage = true;
                case UNSUPPORTED -> { }
            }
        }
        unsupportedUntil.put(url, now + REDETECT_AFTER.toNanos());
        return Result.of(sawGarbage ? Outcome.MALFORMED : Outcome.UNSUPPORTED);
    }

    /** The worker left the registry. */
    void forget(String url) {
        formats.remove(url);
        unsupportedUntil.remove(url);
    }

    private Result fetch(Worker worker, EngineLoadFormat format) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (UpstreamResponse response = client.get(worker.url().resolve(format.path()), worker.apiKey(), timeout)) {
            int status = response.status();
            if (status == 404 || status == 405 || status == 501) {
                drain(response.body(), deadline);
                return Result.of(Outcome.UNSUPPORTED);
            }
            byte[] body = drain(response.body(), deadline);
            if (status < 200 || status >= 300) {
                return Result.of(Outcome.ERROR);
            }
            if (body == null) {
                return Result.of(Outcome.MALFORMED); // larger than any load answer
            }
            return new Result(Outcome.OK, Optional.of(format.parse(body)));
        } catch (UpstreamFailure e) {
            return Result.of(e.kind() == UpstreamFailure.Kind.TIMEOUT ? Outcome.TIMEOUT : Outcome.ERROR);
        } catch (EngineLoadFormat.MalformedLoadException e) {
            return Result.of(Outcome.MALFORMED);
        } catch (DeadlineException e) {
            return Result.of(Outcome.TIMEOUT);
        } catch (IOException | RuntimeException e) { // the answer broke off while being read
            boolean timedOut = UpstreamFailure.from(worker.urlText(), e).kind() == UpstreamFailure.Kind.TIMEOUT;
            return Result.of(timedOut ? Outcome.TIMEOUT : Outcome.ERROR);
        }
    }

    /**
     * The body, up to {@link #MAX_BODY} bytes (null beyond); an answer that trickles past the
     * timeout counts as one (the per-read timeout alone would let a slow drip hold the poll).
     */
    private static byte[] drain(InputStream in, long deadline) throws IOException, DeadlineException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        int n;
        while ((n = in.read(buffer)) >= 0) {
            if (System.nanoTime() - deadline > 0) {
                throw new DeadlineException();
            }
            if (out.size() + n > MAX_BODY) {
                return null;
            }
            out.write(buffer, 0, n);
        }
        return out.toByteArray();
    }

    private static final class DeadlineException extends Exception {
        DeadlineException() {
            super(null, null, false, false);
        }
    }
}
