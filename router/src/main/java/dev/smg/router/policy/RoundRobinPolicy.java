package dev.smg.router.policy;

import dev.smg.router.worker.Worker;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/** Cycles through the candidates with one shared counter. */
public final class RoundRobinPolicy implements RoutingPolicy {
    private final AtomicLong next = new AtomicLong();

    @Override
    public String name() {
        return "round_robin";
    }

    @Override
    public Optional<Worker> select(List<Worker> candidates, RoutingRequest request) {
        if (candidates.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(candidates.get((int) Math.floorMod(next.getAndIncrement(), (long) candidates.size())));
    }
}
