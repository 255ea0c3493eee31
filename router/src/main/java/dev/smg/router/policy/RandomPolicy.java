package dev.smg.router.policy;

import dev.smg.router.worker.Worker;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/** A random candidate, with probability proportional to its weight (uniform when weights are equal). */
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
        ThreadLocalRandom random = ThreadLocalRandom.current();
        WeightedDraw weights = WeightedDraw.of(candidates);
        if (weights.uniform()) {
            return Optional.of(candidates.get(random.nextInt(candidates.size())));
        }
        return Optional.of(candidates.get(weights.draw(random)));
    }
}
