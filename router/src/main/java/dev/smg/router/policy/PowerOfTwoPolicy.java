package dev.smg.router.policy;

import dev.smg.router.replication.WorkerLoad;
import dev.smg.router.worker.Worker;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Power of two choices on the workers' load ({@link WorkerLoad}: by default the gateway's own in-flight counts): pick two distinct workers at random,
 * send to the less loaded (ties to the first). The counts are real for every request (upstream's
 * were only kept for two policies, so this degenerated to random over HTTP).
 * <p>
 * With weights that differ, both are drawn in proportion to their weights, and "less loaded" is
 * load per unit of weight: a worker of weight 3 with 3 requests is as loaded as one of weight 1
 * with 1. Equal weights take exactly the unweighted path.
 */
public final class PowerOfTwoPolicy implements RoutingPolicy {
    private final WorkerLoad load;

    public PowerOfTwoPolicy(WorkerLoad load) {
        this.load = load;
    }

    /** On this router's own in-flight counts. */
    public PowerOfTwoPolicy() {
        this(WorkerLoad.LOCAL);
    }

    @Override
    public String name() {
        return "power_of_two";
    }

    @Override
    public Optional<Worker> select(List<Worker> candidates, RoutingRequest request) {
        int n = candidates.size();
        if (n == 0) {
            return Optional.empty();
        }
        if (n == 1) {
            return Optional.of(candidates.get(0));
        }
        ThreadLocalRandom random = ThreadLocalRandom.current();
        WeightedDraw weights = WeightedDraw.of(candidates);
        if (!weights.uniform()) {
            int a = weights.draw(random);
            int b = weights.drawOther(random, a);
            Worker first = candidates.get(a);
            Worker second = candidates.get(b);
            return Optional.of(load.of(second) / weights.weight(b) < load.of(first) / weights.weight(a) ? second : first);
        }
        int a = random.nextInt(n);
        int b = random.nextInt(n - 1);
        if (b >= a) {
            b++;
        }
        Worker first = candidates.get(a);
        Worker second = candidates.get(b);
        return Optional.of(load.of(second) < load.of(first) ? second : first);
    }
}
