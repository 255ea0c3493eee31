package dev.smg.mesh.membership;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Addresses to send joins to: the configured seeds (fixed at start) and the peers service
 * discovery reports (Kubernetes pods, replaced as a whole on every change). They are only where
 * to knock; membership itself is always decided by SWIM.
 */
final class ContactPoints {
    private final List<String> seeds;
    /** Replaced whole on every change, never modified in place. */
    private Set<String> discovered = Set.of();

    ContactPoints(List<String> seeds) {
        this.seeds = List.copyOf(seeds);
    }

    boolean hasSeeds() {
        return !seeds.isEmpty();
    }

    Set<String> discovered() {
        return discovered;
    }

    /** Puts {@code addresses} in force as the discovered peers; returns those that were not before. */
    Set<String> replaceDiscovered(Set<String> addresses) {
        Set<String> added = new LinkedHashSet<>(addresses);
        added.removeAll(discovered);
        discovered = Set.copyOf(addresses);
        return added;
    }

    /** Seeds first (in the configured order), then discovered peers. */
    List<String> all() {
        if (discovered.isEmpty()) {
            return seeds;
        }
        LinkedHashSet<String> all = new LinkedHashSet<>(seeds);
        all.addAll(discovered);
        return List.copyOf(all);
    }
}
