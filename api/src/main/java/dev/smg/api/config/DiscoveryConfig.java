package dev.smg.api.config;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Kubernetes router discovery ({@code --service-discovery}): which pods are the other routers, and
 * where their mesh port is.
 *
 * @param selector       equality label selector, e.g. {@code app=smg tier=router}; never empty
 * @param namespace      namespace to watch; empty means this pod's own (see {@code PodNamespace})
 * @param portAnnotation pod annotation holding a peer's mesh port; without it a peer is assumed to
 *                       use this node's {@code --mesh-port}
 */
public record DiscoveryConfig(Map<String, String> selector, Optional<String> namespace, String portAnnotation) {
    /** Upstream's annotation, so pods annotated for the Rust gateway work unchanged. */
    public static final String DEFAULT_PORT_ANNOTATION = "sglang.ai/mesh-port";

    public DiscoveryConfig {
        if (selector.isEmpty()) {
            throw new IllegalArgumentException("an empty selector would match every pod in the namespace");
        }
        selector = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(selector));
        Objects.requireNonNull(namespace);
        Objects.requireNonNull(portAnnotation);
    }
}
