package dev.smg.router.worker;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What an operator says about a worker when registering it.
 *
 * @param url    base URL
 * @param models model ids it serves; empty means "learn them from its /v1/models"
 * @param apiKey Bearer key the gateway sends to it; write-only, never echoed
 * @param labels free-form key/value metadata
 */
public record WorkerSpec(WorkerUrl url, List<String> models, Optional<String> apiKey, Map<String, String> labels) {
    public WorkerSpec {
        Objects.requireNonNull(url);
        models = List.copyOf(models);
        Objects.requireNonNull(apiKey);
        labels = Map.copyOf(labels);
    }

    public static WorkerSpec of(WorkerUrl url) {
        return new WorkerSpec(url, List.of(), Optional.empty(), Map.of());
    }
}
