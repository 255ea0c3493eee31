package dev.smg.router.health;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.smg.router.proxy.UpstreamClient;
import dev.smg.router.proxy.UpstreamFailure;
import dev.smg.router.proxy.UpstreamResponse;
import dev.smg.router.worker.Worker;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Learns which models a worker serves from its OpenAI {@code GET /v1/models}. Failure is not fatal:
 * the worker then accepts any model, as it did before discovery existed.
 */
final class ModelDiscovery {
    private static final System.Logger LOG = System.getLogger(ModelDiscovery.class.getName());

    private ModelDiscovery() {
    }

    static List<String> discover(UpstreamClient client, Worker worker, Duration timeout) {
        try (UpstreamResponse response = client.get(worker.url().resolve("/v1/models"), worker.apiKey(), timeout)) {
            byte[] body = response.body().readAllBytes();
            if (response.status() != 200) {
                LOG.log(System.Logger.Level.WARNING, "worker {0}: /v1/models answered {1}; it will accept any model",
                        worker, response.status());
                return List.of();
            }
            return parse(body);
        } catch (UpstreamFailure | IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "worker {0}: cannot list models ({1}); it will accept any model",
                    worker, e.getMessage());
            return List.of();
        }
    }

    static List<String> parse(byte[] body) throws IOException {
        Map<String, Object> list = JSON.std.mapFrom(body);
        List<String> ids = new ArrayList<>();
        if (list != null && list.get("data") instanceof List<?> data) {
            for (Object entry : data) {
                if (entry instanceof Map<?, ?> model && model.get("id") instanceof String id && !id.isEmpty()) {
                    ids.add(id);
                }
            }
        }
        return List.copyOf(ids);
    }
}
