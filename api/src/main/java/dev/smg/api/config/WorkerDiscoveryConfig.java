package dev.smg.api.config;

import dev.smg.api.discovery.ModelIdFrom;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Kubernetes worker discovery ({@code --service-discovery --selector ...}): which pods are
 * inference workers, and how to reach them.
 *
 * @param selector    equality label selector of worker pods; never empty
 * @param namespace   namespace to watch; empty means this pod's own (see {@code PodNamespace})
 * @param port        the workers' HTTP port ({@code --service-discovery-port})
 * @param modelIdFrom where a pod names its model; empty: learnt from the worker's /v1/models
 */
public record WorkerDiscoveryConfig(Map<String, String> selector, Optional<String> namespace, int port,
                                    Optional<ModelIdFrom> modelIdFrom) {
    public WorkerDiscoveryConfig {
        if (selector.isEmpty()) {
            throw new IllegalArgumentException("an empty selector would take every pod in the namespace for a worker");
        }
        selector = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(selector));
        Objects.requireNonNull(namespace);
        Objects.requireNonNull(modelIdFrom);
    }
}
