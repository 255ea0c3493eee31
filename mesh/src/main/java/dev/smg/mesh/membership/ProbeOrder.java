package dev.smg.mesh.membership;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.random.RandomGenerator;

/**
 * Which member to probe next: round-robin over every member, in an order reshuffled after each
 * pass, skipping members that are not ALIVE or SUSPECTED by the time their turn comes. Unlike a
 * random pick, this bounds how long a failed member can go unprobed (SWIM's time-bounded
 * completeness: within two passes). The names are sorted before the seeded shuffle, so a simulated
 * run does not depend on the table's hash order.
 */
final class ProbeOrder {
    private final MemberTable table;
    private final RandomGenerator random;
    private final List<String> order = new ArrayList<>();
    private int next;

    ProbeOrder(MemberTable table, RandomGenerator random) {
        this.table = table;
        this.random = random;
    }

    /** The next member to probe, or null when there is none. */
    String next() {
        for (int attempts = 0; attempts < 2; attempts++) {
            while (next < order.size()) {
                String candidate = order.get(next++);
                Member m = table.get(candidate);
                if (m != null && (m.status() == MemberStatus.ALIVE || m.status() == MemberStatus.SUSPECTED)) {
                    return candidate;
                }
            }
            order.clear();
            order.addAll(table.otherNames());
            Collections.sort(order); // deterministic before shuffling with the seeded random
            Collections.shuffle(order, new Random(random.nextLong()));
            next = 0;
        }
        return null;
    }
}
