package dev.smg.router.policy;

import dev.smg.router.worker.Worker;

import java.util.List;
import java.util.Optional;

/** Picks one worker among the candidates that may take a request. Implementations are thread-safe. */
public interface RoutingPolicy {
    String name();

    /** @param candidates non-empty list of workers that serve the model and are available */
    Optional<Worker> select(List<Worker> candidates);
}
