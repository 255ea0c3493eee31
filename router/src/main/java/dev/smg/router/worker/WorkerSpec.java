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
 * @param weight its share of traffic relative to the other candidates, {@value #MIN_WEIGHT} to
 *               {@value #MAX_WEIGHT} (honoured by random, round_robin and power_of_two)
 */
public record WorkerSpec(WorkerUrl url, List<String> models, Optional<String> apiKey, Map<String, String> labels,
                         int weight) {
    public static final int DEFAULT_WEIGHT = 1;
    public static final int MIN_WEIGHT = 1;
    /** Bounded so that a sum over many workers stays far from overflow and a typo (10000) is caught. */
    public static final int MAX_WEIGHT = 1000;

    public WorkerSpec {
        Objects.requireNonNull(url);
        models = List.copyOf(models);
        Objects.requireNonNull(apiKey);
        labels = Map.copyOf(labels);
        checkWeight(weight);
    }

    /** A worker of the default weight. */
    public WorkerSpec(WorkerUrl url, List<String> models, Optional<String> apiKey, Map<String, String> labels) {
        this(url, models, apiKey, labels, DEFAULT_WEIGHT);
    }

    public static WorkerSpec of(WorkerUrl url) {
        return of(url, DEFAULT_WEIGHT);
    }

    public static WorkerSpec of(WorkerUrl url, int weight) {
        return new WorkerSpec(url, List.of(), Optional.empty(), Map.of(), weight);
    }

    public WorkerSpec withWeight(int newWeight) {
        return new WorkerSpec(url, models, apiKey, labels, newWeight);
    }

    /** @throws IllegalArgumentException naming the valid range, if {@code weight} is outside it */
    public static int checkWeight(long weight) {
        if (weight < MIN_WEIGHT || weight > MAX_WEIGHT) {
            throw new IllegalArgumentException("weight must be an integer from " + MIN_WEIGHT + " to " + MAX_WEIGHT
                    + ", got " + weight);
        }
        return (int) weight;
    }
}
