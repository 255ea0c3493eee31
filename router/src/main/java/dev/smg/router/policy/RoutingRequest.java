package dev.smg.router.policy;

import java.util.Optional;

/**
 * What a policy may look at to choose a worker.
 *
 * @param model      requested model, or null (any)
 * @param routingKey session/affinity key: the {@code X-SMG-Routing-Key} header, else the configured body field
 * @param promptText text that identifies the prompt's prefix (chat message contents joined, the
 *                   completion prompt, or /generate text); "" when there is none
 */
public record RoutingRequest(String model, Optional<String> routingKey, String promptText) {
    public static final RoutingRequest ANY = new RoutingRequest(null, Optional.empty(), "");

    public String modelOrDefault() {
        return model == null ? "" : model;
    }
}
