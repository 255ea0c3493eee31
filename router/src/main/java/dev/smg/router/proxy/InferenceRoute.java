package dev.smg.router.proxy;

import java.util.Optional;
import java.util.Set;

/**
 * The OpenAI-style routes the gateway proxies, each with the body field(s) it cannot do without
 * (one of them must be present) and the prefix of ids generated for its requests.
 */
public enum InferenceRoute {
    CHAT("/v1/chat/completions", "chat", "chatcmpl-", Set.of("messages")),
    COMPLETIONS("/v1/completions", "completions", "cmpl-", Set.of("prompt")),
    GENERATE("/generate", "generate", "gnt-", Set.of("text", "input_ids", "input_embeds")),
    EMBEDDINGS("/v1/embeddings", "embeddings", "embd-", Set.of("input"));

    private final String path;
    private final String endpoint;
    private final String idPrefix;
    private final Set<String> required;

    InferenceRoute(String path, String endpoint, String idPrefix, Set<String> required) {
        this.path = path;
        this.endpoint = endpoint;
        this.idPrefix = idPrefix;
        this.required = required;
    }

    public String path() {
        return path;
    }

    /** Short name used as a metric label. */
    public String endpoint() {
        return endpoint;
    }

    public String idPrefix() {
        return idPrefix;
    }

    /** Why the request cannot be served as it is, if it cannot. */
    public Optional<String> missingField(InferenceRequest request) {
        if (request.hasAny(required)) {
            return Optional.empty();
        }
        return Optional.of(required.size() == 1
                ? "missing required field '" + required.iterator().next() + "'"
                : "missing required field: one of " + String.join(", ", required.stream().sorted().toList()));
    }
}
