package dev.smg.router.policy;

import dev.smg.router.worker.Worker;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Cycles through the candidates. Equal weights: one shared counter (lock-free, the common case).
 * Weights that differ: smooth weighted round robin (nginx's), which gives each worker its share of
 * every cycle of sum-of-weights picks, interleaved (5, 1, 1 gives a a b a c a a) rather than in runs.
 * <p>
 * The weighted state is a running "current weight" per worker id, updated only for the workers in
 * the candidate list of each call: a worker that is not a candidate (unavailable, or serving another
 * model) keeps its value until it is one again, so lists that change between calls keep every
 * worker's long-run share proportional to its weight. It is dropped when the worker is removed (a
 * request that raced the removal may re-create it; ids derive from URLs, so that is bounded by the
 * URLs ever registered, one long each).
 */
public final class RoundRobinPolicy implements RoutingPolicy {
    private final AtomicLong next = new AtomicLong();
    /** Worker id -> its current weight; guarded by itself (one decision is a read-modify-write of all). */
    private final Map<String, long[]> current = new HashMap<>();

    @Override
    public String name() {
        return "round_robin";
    }

    @Override
    public Optional<Worker> select(List<Worker> candidates, RoutingRequest request) {
        if (candidates.isEmpty()) {
            return Optional.empty();
        }
        WeightedDraw weights = WeightedDraw.of(candidates);
        if (!weights.uniform()) {
            return Optional.of(candidates.get(smooth(candidates, weights)));
        }
        return Optional.of(candidates.get((int) Math.floorMod(next.getAndIncrement(), (long) candidates.size())));
    }

    /**
     * nginx's step: every candidate's current weight grows by its weight; the largest (the first of
     * equals) is chosen and loses the sum of the weights.
     */
    private int smooth(List<Worker> candidates, WeightedDraw weights) {
        synchronized (current) {
            long total = 0;
            int best = -1;
            long[] bestValue = null;
            for (int i = 0; i < candidates.size(); i++) {
                long[] value = current.computeIfAbsent(candidates.get(i).id(), id -> new long[1]);
                value[0] += weights.weight(i);
                total += weights.weight(i);
                if (bestValue == null || value[0] > bestValue[0]) {
                    best = i;
                    bestValue = value;
                }
            }
            bestValue[0] -= total;
            return best;
        }
    }

    @Override
    public void forget(Worker worker) {
        synchronized (current) {
            current.remove(worker.id());
        }
    }
}
