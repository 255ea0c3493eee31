package dev.smg.router.policy;

import dev.smg.router.worker.Worker;

import java.util.List;
import java.util.random.RandomGenerator;

/**
 * The candidates' weights as read once for one routing decision (a weight may change on another
 * thread meanwhile; one decision sees one set), and draws proportional to them.
 */
final class WeightedDraw {
    private final int[] weights;
    private final long total;
    private final boolean uniform;

    private WeightedDraw(int[] weights) {
        this.weights = weights;
        long sum = 0;
        boolean same = true;
        for (int w : weights) {
            sum += w;
            same &= w == weights[0];
        }
        this.total = sum;
        this.uniform = same;
    }

    static WeightedDraw of(List<Worker> candidates) {
        int[] weights = new int[candidates.size()];
        for (int i = 0; i < weights.length; i++) {
            weights[i] = candidates.get(i).weight();
        }
        return new WeightedDraw(weights);
    }

    /** Every candidate has the same weight: the policies then keep their unweighted path. */
    boolean uniform() {
        return uniform;
    }

    int weight(int index) {
        return weights[index];
    }

    /** The index of a candidate drawn with probability weight / sum of weights. */
    int draw(RandomGenerator random) {
        return draw(random, -1, total);
    }

    /** As {@link #draw(RandomGenerator)}, among the candidates other than the one at {@code excluded}. */
    int drawOther(RandomGenerator random, int excluded) {
        return draw(random, excluded, total - weights[excluded]);
    }

    private int draw(RandomGenerator random, int skip, long sum) {
        long r = random.nextLong(sum);
        int i = 0;
        for (; i < weights.length; i++) {
            if (i != skip) {
                r -= weights[i];
                if (r < 0) {
                    break;
                }
            }
        }
        return i; // r < sum, so the loop always breaks
    }
}
