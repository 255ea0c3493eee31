package dev.smg.api.gateway;

import dev.smg.api.json.Json;
import dev.smg.router.proxy.GatewayError;
import dev.smg.router.worker.Worker;
import dev.smg.router.worker.WorkerRegistry;
import dev.smg.router.worker.WorkerStatus;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code GET /v1/models}: the models of the routable workers, in the OpenAI list shape. */
final class ModelsHandler implements Handler {
    private final WorkerRegistry registry;

    ModelsHandler(WorkerRegistry registry) {
        this.registry = registry;
    }

    @Override
    public void handle(ServerRequest req, ServerResponse res) throws IOException {
        Set<String> ids = new LinkedHashSet<>();
        for (Worker w : registry.snapshot()) {
            if (w.status() == WorkerStatus.READY) {
                ids.addAll(w.models());
            }
        }
        if (ids.isEmpty()) {
            ErrorReplies.send(res, GatewayError.noAvailableWorkers("No models available"));
            return;
        }
        List<Map<String, Object>> data = new ArrayList<>();
        for (String id : ids) {
            Map<String, Object> model = new LinkedHashMap<>();
            model.put("id", id);
            model.put("object", "model");
            model.put("created", 0);
            model.put("owned_by", "smg");
            data.add(model);
        }
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.send(Json.MAPPER.asBytes(Map.of("object", "list", "data", data)));
    }
}
