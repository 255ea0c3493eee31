package dev.smg.api.gateway;

import dev.smg.api.json.Json;
import dev.smg.router.proxy.GatewayError;
import dev.smg.router.worker.Worker;
import dev.smg.router.worker.WorkerRegistry;
import dev.smg.router.worker.WorkerRemoval;
import dev.smg.router.worker.WorkerSpec;
import dev.smg.router.worker.WorkerStatus;
import dev.smg.router.worker.WorkerUrl;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The worker API. Changes are asynchronous, as upstream's: {@code POST /workers} answers 202 while
 * the new worker is probed ({@code /health}, then {@code /v1/models}) and it takes traffic only once
 * that succeeded; {@code DELETE} answers 202, stops new requests at once, and removes the worker
 * when its in-flight requests have finished. Errors use the OpenAI envelope with upstream's codes.
 */
final class WorkerRoutes {
    private static final System.Logger LOG = System.getLogger(WorkerRoutes.class.getName());
    private static final int MAX_BODY = 64 * 1024;

    private final WorkerRegistry registry;
    private final WorkerRemoval removal;

    WorkerRoutes(WorkerRegistry registry, Duration drainLimit) {
        this.registry = registry;
        this.removal = new WorkerRemoval(registry, drainLimit);
    }

    void register(HttpRouting.Builder routing) {
        routing.post("/workers", this::add)
                .get("/workers", this::list)
                .get("/workers/{id}", this::get)
                .delete("/workers/{id}", this::remove);
    }

    private void add(ServerRequest req, ServerResponse res) throws IOException {
        Optional<byte[]> body = RequestBody.read(req, MAX_BODY);
        if (body.isEmpty()) {
            ErrorReplies.send(res, GatewayError.payloadTooLarge(MAX_BODY));
            return;
        }
        WorkerSpec spec;
        try {
            spec = parseSpec(body.get());
        } catch (IllegalArgumentException e) {
            ErrorReplies.send(res, GatewayError.badRequest("BAD_REQUEST", e.getMessage()));
            return;
        }
        Worker worker;
        try {
            worker = registry.add(spec);
        } catch (IllegalStateException e) {
            ErrorReplies.send(res, new GatewayError(409, "invalid_request_error", "WORKER_ALREADY_EXISTS",
                    "Worker already exists at URL " + spec.url()));
            return;
        }
        LOG.log(System.Logger.Level.INFO, "worker {0} registered as {1}; probing it", spec.url(), worker.id());
        String location = "/workers/" + worker.id();
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("status", "accepted");
        answer.put("worker_id", worker.id());
        answer.put("url", spec.url().toString());
        answer.put("location", location);
        answer.put("message", "Worker addition queued for background processing");
        res.status(202);
        res.header(HeaderNames.LOCATION, location);
        sendJson(res, answer);
    }

    static WorkerSpec parseSpec(byte[] body) {
        Map<String, Object> json;
        try {
            json = Json.MAPPER.mapFrom(body);
        } catch (IOException e) {
            throw new IllegalArgumentException("malformed JSON");
        }
        if (json == null) {
            throw new IllegalArgumentException("body must be a JSON object");
        }
        if (!(json.get("url") instanceof String url)) {
            throw new IllegalArgumentException("'url' is required and must be a string");
        }
        WorkerUrl workerUrl = WorkerUrl.parse(url);
        List<String> models = new ArrayList<>();
        Object rawModels = json.get("models");
        if (rawModels instanceof List<?> list) {
            for (Object m : list) {
                if (m instanceof String s && !s.isBlank()) {
                    models.add(s);
                } else if (m instanceof Map<?, ?> card && card.get("id") instanceof String id && !id.isBlank()) {
                    models.add(id);
                } else {
                    throw new IllegalArgumentException("'models' entries must be model ids or {\"id\": ...}");
                }
            }
        } else if (rawModels != null) {
            throw new IllegalArgumentException("'models' must be a list");
        }
        Object rawKey = json.get("api_key");
        if (rawKey != null && !(rawKey instanceof String)) {
            throw new IllegalArgumentException("'api_key' must be a string");
        }
        Map<String, String> labels = new LinkedHashMap<>();
        Object rawLabels = json.get("labels");
        if (rawLabels instanceof Map<?, ?> map) {
            for (Map.Entry<?, ?> e : map.entrySet()) {
                if (!(e.getValue() instanceof String v)) {
                    throw new IllegalArgumentException("'labels' values must be strings");
                }
                labels.put(String.valueOf(e.getKey()), v);
            }
        } else if (rawLabels != null) {
            throw new IllegalArgumentException("'labels' must be an object");
        }
        return new WorkerSpec(workerUrl, models, Optional.ofNullable((String) rawKey).filter(k -> !k.isEmpty()), labels,
                weight(json.get("weight")));
    }

    /** {@code "weight"}: absent is the default; otherwise a JSON integer in range (not 2.5, not "2"). */
    private static int weight(Object raw) {
        if (raw == null) {
            return WorkerSpec.DEFAULT_WEIGHT;
        }
        boolean integral = raw instanceof Integer || raw instanceof Long;
        long value = integral ? ((Number) raw).longValue() : 0;
        if (!integral || value < WorkerSpec.MIN_WEIGHT || value > WorkerSpec.MAX_WEIGHT) {
            throw new IllegalArgumentException("'weight' must be an integer from " + WorkerSpec.MIN_WEIGHT + " to "
                    + WorkerSpec.MAX_WEIGHT + ", got " + (raw instanceof String ? "\"" + raw + "\"" : raw));
        }
        return (int) value;
    }

    private void list(ServerRequest req, ServerResponse res) throws IOException {
        Optional<String> model = req.query().first("model").asOptional();
        List<Map<String, Object>> workers = new ArrayList<>();
        for (Worker w : registry.snapshot()) {
            if (model.isEmpty() || w.models().contains(model.get())) {
                workers.add(info(w));
            }
        }
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("workers", workers);
        answer.put("total", workers.size());
        answer.put("stats", Map.of("regular_count", workers.size(), "prefill_count", 0, "decode_count", 0));
        sendJson(res, answer);
    }

    private void get(ServerRequest req, ServerResponse res) throws IOException {
        Optional<Worker> worker = lookup(req, res);
        if (worker.isPresent()) {
            sendJson(res, info(worker.get()));
        }
    }

    private void remove(ServerRequest req, ServerResponse res) throws IOException {
        Optional<Worker> found = lookup(req, res);
        if (found.isEmpty()) {
            return;
        }
        Worker worker = found.get();
        removal.start(worker);
        res.status(202);
        sendJson(res, Map.of("status", "accepted", "worker_id", worker.id(),
                "message", "Worker removal queued: no new requests; removed when in-flight ones finish"));
    }

    private Optional<Worker> lookup(ServerRequest req, ServerResponse res) {
        String id = req.path().pathParameters().get("id");
        try {
            UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            ErrorReplies.send(res, GatewayError.badRequest("BAD_REQUEST", "'" + id + "' is not a worker id"));
            return Optional.empty();
        }
        Optional<Worker> worker = registry.get(id);
        if (worker.isEmpty()) {
            ErrorReplies.send(res, GatewayError.notFound("WORKER_NOT_FOUND", "no worker with id " + id));
        }
        return worker;
    }

    static Map<String, Object> info(Worker w) {
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("id", w.id());
        info.put("url", w.url().toString());
        info.put("models", w.models());
        info.put("model_id", w.models().isEmpty() ? null : w.models().get(0));
        info.put("labels", w.spec().labels());
        info.put("weight", w.weight());
        info.put("worker_type", "regular");
        info.put("connection_mode", "http");
        info.put("status", w.status().wireName());
        info.put("is_healthy", w.status() == WorkerStatus.READY);
        info.put("circuit_breaker", w.breaker().state().name().toLowerCase());
        info.put("load", w.inFlight());
        info.put("has_api_key", w.apiKey().isPresent());
        return info;
    }

    private static void sendJson(ServerResponse res, Object value) throws IOException {
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.send(Json.MAPPER.asBytes(value));
    }
}
