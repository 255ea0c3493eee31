package dev.smg.api.gateway;

import dev.smg.router.policy.RoutingPolicy;
import dev.smg.router.proxy.HeaderField;
import dev.smg.router.proxy.HeaderPolicy;
import dev.smg.router.proxy.InferenceRequest;
import dev.smg.router.proxy.InvalidRequestException;
import dev.smg.router.proxy.UpstreamClient;
import dev.smg.router.proxy.UpstreamFailure;
import dev.smg.router.proxy.UpstreamResponse;
import dev.smg.router.worker.Worker;
import dev.smg.router.worker.WorkerRegistry;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Proxies one OpenAI-style POST route: parse just enough of the body to route it, pick a worker,
 * forward the body unchanged, and relay the answer. Streams are relayed chunk by chunk as they
 * arrive (each read is flushed to the client at once), never buffered.
 */
final class ProxyHandler implements Handler {
    private static final System.Logger LOG = System.getLogger(ProxyHandler.class.getName());
    private static final int RELAY_BUFFER = 16 * 1024;

    private final String route;
    private final WorkerRegistry registry;
    private final RoutingPolicy policy;
    private final UpstreamClient upstream;

    ProxyHandler(String route, WorkerRegistry registry, RoutingPolicy policy, UpstreamClient upstream) {
        this.route = route;
        this.registry = registry;
        this.policy = policy;
        this.upstream = upstream;
    }

    @Override
    public void handle(ServerRequest req, ServerResponse res) {
        String requestId = RequestIds.of(req.headers(), route);
        res.header("x-request-id", requestId);
        byte[] body = req.content().as(byte[].class);
        InferenceRequest request;
        try {
            request = InferenceRequest.parse(body);
        } catch (InvalidRequestException e) {
            OpenAiError.badRequest("json_parse_error", e.getMessage()).send(res);
            return;
        }
        List<Worker> all = registry.snapshot();
        List<Worker> candidates = all.stream().filter(w -> w.serves(request.model().orElse(null))).toList();
        if (candidates.isEmpty()) {
            if (all.isEmpty()) {
                OpenAiError.noAvailableWorkers("no workers are registered").send(res);
            } else {
                OpenAiError.modelNotFound(request.model().orElse("")).send(res);
            }
            return;
        }
        Optional<Worker> chosen = policy.select(candidates);
        if (chosen.isEmpty()) {
            OpenAiError.noAvailableWorkers("no worker is available for this request").send(res);
            return;
        }
        forward(req, res, chosen.get(), requestId, body);
    }

    private void forward(ServerRequest req, ServerResponse res, Worker worker, String requestId, byte[] body) {
        List<HeaderField> clientHeaders = new ArrayList<>();
        req.headers().forEach(h -> clientHeaders.add(new HeaderField(h.name(), h.get())));
        List<HeaderField> headers = new ArrayList<>(HeaderPolicy.towardsWorker(clientHeaders));
        headers.removeIf(h -> h.name().equalsIgnoreCase("x-request-id"));
        headers.add(new HeaderField("x-request-id", requestId));

        try (Worker.Lease lease = worker.acquire();
             UpstreamResponse answer = upstream.post(worker.url().resolve(route), headers, worker.apiKey(),
                     "application/json", body)) {
            res.status(answer.status());
            for (HeaderField h : answer.headers()) {
                if (HeaderPolicy.returnToClient(h.name()) && !h.name().equalsIgnoreCase("x-request-id")) {
                    res.header(HeaderValues.create(h.name(), h.value()));
                }
            }
            if (isEventStream(answer)) {
                relay(answer.body(), res);
            } else {
                res.send(answer.body().readAllBytes());
            }
        } catch (UpstreamFailure failure) {
            LOG.log(System.Logger.Level.WARNING, "request {0}: {1}", requestId, failure.getMessage());
            if (failure.kind() == UpstreamFailure.Kind.TIMEOUT) {
                OpenAiError.upstreamTimeout(failure.getMessage()).send(res);
            } else {
                OpenAiError.upstreamUnreachable(failure.getMessage()).send(res);
            }
        } catch (IOException | UncheckedIOException e) {
            // Mid-body failure on either side: the status line is already out, so the only honest
            // signal left is to cut the client connection (Helidon does so when the handler throws).
            LOG.log(System.Logger.Level.DEBUG, "request {0}: relay ended early: {1}", requestId, e.getMessage());
            throw e instanceof UncheckedIOException u ? u : new UncheckedIOException((IOException) e);
        }
    }

    private static boolean isEventStream(UpstreamResponse answer) {
        for (HeaderField h : answer.headers()) {
            if (h.name().equalsIgnoreCase(HeaderNames.CONTENT_TYPE.defaultCase())
                    && h.value().toLowerCase().startsWith("text/event-stream")) {
                return true;
            }
        }
        return false;
    }

    /** Copies bytes as they arrive; every read is flushed so each SSE event leaves at once. */
    private static void relay(InputStream in, ServerResponse res) throws IOException {
        byte[] buffer = new byte[RELAY_BUFFER];
        try (OutputStream out = res.outputStream()) {
            int n;
            while ((n = in.read(buffer)) > 0) {
                out.write(buffer, 0, n);
                out.flush();
            }
        }
    }
}
