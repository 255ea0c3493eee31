package dev.smg.router.policy;

import dev.smg.router.worker.Worker;

import java.util.List;
import java.util.Optional;

/** Picks one worker among the candidates that may take a request. Implementations are thread-safe. */
public interface RoutingPolicy {
    String name();

    /** @param candidates workers that serve the model and are available (may be empty) */
    Optional<Worker> select(List<Worker> candidates, RoutingRequest request);

    /** Like {@link #select(List, RoutingRequest)}, telling {@code notes} how it chose, where it has more to say. */
    default Optional<Worker> select(List<Worker> candidates, RoutingRequest request, SelectionNotes notes) {
        return select(candidates, request);
    }

    /** The worker left the registry: forget whatever is kept about it. */
    default void forget(Worker worker) {
    }

    /** Periodic housekeeping (expiry of idle state), every {@code --eviction-interval-secs}. */
    default void maintain() {
    }
}
