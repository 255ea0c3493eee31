package dev.smg.api.discovery;

import io.fabric8.kubernetes.api.model.Pod;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * {@code --model-id-from}: where a discovered worker's model id is written on its pod, as upstream
 * spells it: {@code namespace}, {@code label:<key>} or {@code annotation:<key>}. A pod without
 * that label or annotation gets no model id, and the worker's models are learnt from its
 * {@code /v1/models} as for any worker registered without one.
 */
public record ModelIdFrom(Kind kind, String key) {
    public enum Kind { NAMESPACE, LABEL, ANNOTATION }

    public ModelIdFrom {
        Objects.requireNonNull(kind);
        Objects.requireNonNull(key);
    }

    /** @throws IllegalArgumentException with a one-line reason */
    public static ModelIdFrom parse(String text) {
        if (text.equals("namespace")) {
            return new ModelIdFrom(Kind.NAMESPACE, "");
        }
        int colon = text.indexOf(':');
        String prefix = colon < 0 ? "" : text.substring(0, colon);
        String key = colon < 0 ? "" : text.substring(colon + 1);
        Kind kind = switch (prefix) {
            case "label" -> Kind.LABEL;
            case "annotation" -> Kind.ANNOTATION;
            default -> null;
        };
        if (kind == null || !KubernetesNames.isQualifiedName(key)) {
            throw new IllegalArgumentException("'" + text + "' is not namespace, label:<key> or annotation:<key>");
        }
        return new ModelIdFrom(kind, key);
    }

    /** The model id this pod names, if it names one. */
    public Optional<String> of(Pod pod) {
        var meta = pod.getMetadata();
        String value = switch (kind) {
            case NAMESPACE -> meta.getNamespace();
            case LABEL -> lookup(meta.getLabels());
            case ANNOTATION -> lookup(meta.getAnnotations());
        };
        return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.strip());
    }

    private String lookup(Map<String, String> map) {
        return map == null ? null : map.get(key);
    }

    @Override
    public String toString() {
        return kind == Kind.NAMESPACE ? "namespace" : kind.name().toLowerCase(java.util.Locale.ROOT) + ":" + key;
    }
}
