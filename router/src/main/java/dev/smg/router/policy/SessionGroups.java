package dev.smg.router.policy;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * How many sessions each worker holds, kept as sessions are placed, moved and dropped, so the
 * {@code min_group} assignment mode costs O(candidates) per new key instead of a scan of every
 * session. Only workers holding at least one session have an entry (a count reaching zero is
 * removed inside the map's own per-key update), so the map is bounded by the sessions' workers and a
 * removed worker leaves nothing behind. Updates are per worker ({@code merge}), never
 * a lock over all of them; the caller reports each change of the session map exactly once, so the
 * counts equal a full recount whenever the map is quiet.
 */
final class SessionGroups {
    private final Map<String, Integer> counts = new ConcurrentHashMap<>();

    /** A session moved from {@code from} (null: it is new) to {@code to} (null: it was dropped). */
    void moved(String from, String to) {
        if (from != null && from.equals(to)) {
            return;
        }
        if (to != null) {
            counts.merge(to, 1, SessionGroups::sum);
        }
        if (from != null) {
            counts.merge(from, -1, SessionGroups::sum);
        }
    }

    /**
     * A session's drop can be reported before its placement when two threads race on it, so a count
     * may be -1 for a moment; it is kept (not clamped) so the placement brings it back to exactly 0.
     */
    private static Integer sum(Integer a, Integer b) {
        int n = a + b;
        return n == 0 ? null : n;
    }

    int count(String workerUrl) {
        return Math.max(0, counts.getOrDefault(workerUrl, 0));
    }

    /** A copy of the counts (tests compare it with a recount). */
    Map<String, Integer> snapshot() {
        return Map.copyOf(counts);
    }
}
