package dev.smg.api.gateway;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The recent membership and worker events that {@code /ha/ui} lists, found by comparing what this
 * router sees now with what it saw at the previous look: a member's status, a worker's status and
 * breaker. Nothing in the mesh or the registry has to report them, so the page costs those layers
 * nothing; the price is that a change undone between two looks (500 ms apart) is not listed.
 * <p>
 * The first look is the baseline and lists nothing. Bounded: the newest {@code capacity} events.
 * Looks come from the HA loop and from request threads, hence the lock (no I/O under it).
 */
final class ClusterEvents {
    /**
     * One event.
     *
     * @param atMillis wall-clock time of the look that found it
     * @param kind     {@code member} or {@code worker}
     * @param subject  the member's name or the worker's URL
     * @param text     what happened, for people ("ALIVE → DOWN")
     */
    record Event(long atMillis, String kind, String subject, String text) {
        Map<String, Object> json() {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("at", atMillis);
            json.put("kind", kind);
            json.put("subject", subject);
            json.put("text", text);
            return json;
        }
    }

    private final int capacity;
    private final ArrayDeque<Event> recent = new ArrayDeque<>();
    private Map<String, String> members;
    private Map<String, String> workers;

    ClusterEvents(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1");
        }
        this.capacity = capacity;
    }

    /**
     * Compares one look with the previous one.
     *
     * @param members member name to its state as a word ("ALIVE")
     * @param workers worker URL to its state as text ("ready, breaker closed")
     */
    synchronized void observe(long nowMillis, Map<String, String> members, Map<String, String> workers) {
        if (this.members != null) {
            compare("member", this.members, members, nowMillis, "joined as ", "left the member table");
            compare("worker", this.workers, workers, nowMillis, "added: ", "removed");
        }
        this.members = Map.copyOf(members);
        this.workers = Map.copyOf(workers);
    }

    /** The newest first. */
    synchronized List<Event> recent() {
        List<Event> out = new ArrayList<>(recent);
        java.util.Collections.reverse(out);
        return out;
    }

    private void compare(String kind, Map<String, String> before, Map<String, String> now, long at,
                         String appeared, String disappeared) {
        // Sorted, so that events found in the same look are listed in a stable order.
        new java.util.TreeMap<>(now).forEach((subject, state) -> {
            String was = before.get(subject);
            if (was == null) {
                add(new Event(at, kind, subject, appeared + state));
            } else if (!Objects.equals(was, state)) {
                add(new Event(at, kind, subject, was + " → " + state));
            }
        });
        new java.util.TreeSet<>(before.keySet()).forEach(subject -> {
            if (!now.containsKey(subject)) {
                add(new Event(at, kind, subject, disappeared));
            }
        });
    }

    private void add(Event event) {
        if (recent.size() == capacity) {
            recent.removeFirst();
        }
        recent.addLast(event);
    }
}
