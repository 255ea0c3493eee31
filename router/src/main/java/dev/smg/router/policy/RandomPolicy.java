package dev.smg.router.policy;

import dev.smg.router.worker.Worker;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/** Uniform choice among the candidates. */
public final class RandomPolicy implements RoutingPolicy {
    @Override
    public String name() {
        return "random";
    }

    @Override
    public Optional<Worker> select(List<Worker> candidates, RoutingRequest request) {
        if (candidates.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(candidates.get(ThreadLocalRandom.current().nextInt(candidates.size())));
    }
}
