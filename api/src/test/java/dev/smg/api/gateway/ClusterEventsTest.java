package dev.smg.api.gateway;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClusterEventsTest {
    private static final Map<String, String> THREE_ALIVE = Map.of("node1", "ALIVE", "node2", "ALIVE", "node3", "ALIVE");
    private static final Map<String, String> ONE_WORKER = Map.of("http://w1", "ready, breaker closed");

    private static List<String> texts(ClusterEvents events) {
        return events.recent().stream().map(e -> e.kind() + " " + e.subject() + ": " + e.text()).toList();
    }

    @Test
    void theFirstLookIsTheBaselineAndListsNothing() {
        ClusterEvents events = new ClusterEvents(10);
        events.observe(1_000, THREE_ALIVE, ONE_WORKER);
        assertTrue(events.recent().isEmpty());
        events.observe(1_500, THREE_ALIVE, ONE_WORKER);
        assertTrue(events.recent().isEmpty(), "nothing changed");
    }

    @Test
    void statusChangesArrivalsAndDeparturesAreListedNewestFirst() {
        ClusterEvents events = new ClusterEvents(10);
        events.observe(1_000, THREE_ALIVE, ONE_WORKER);
        events.observe(2_000, Map.of("node1", "ALIVE", "node2", "ALIVE", "node3", "SUSPECTED"), ONE_WORKER);
        events.observe(3_000, Map.of("node1", "ALIVE", "node2", "ALIVE", "node3", "DOWN", "node4", "INIT"),
                Map.of("http://w1", "not_ready, breaker open", "http://w2", "pending, breaker closed"));
        events.observe(4_000, Map.of("node1", "ALIVE", "node2", "ALIVE", "node4", "ALIVE"),
                Map.of("http://w2", "ready, breaker closed"));
        // Newest first: the events of one look are listed in reverse too (departures, then changes).
        assertEquals(List.of(
                "worker http://w1: removed",
                "worker http://w2: pending, breaker closed → ready, breaker closed",
                "member node3: left the member table",
                "member node4: INIT → ALIVE",
                "worker http://w2: added: pending, breaker closed",
                "worker http://w1: ready, breaker closed → not_ready, breaker open",
                "member node4: joined as INIT",
                "member node3: SUSPECTED → DOWN",
                "member node3: ALIVE → SUSPECTED"), texts(events));
        assertEquals(4_000, events.recent().get(0).atMillis());
    }

    @Test
    void keepsOnlyTheNewestEvents() {
        ClusterEvents events = new ClusterEvents(2);
        events.observe(0, Map.of("a", "ALIVE"), Map.of());
        events.observe(1, Map.of("a", "SUSPECTED"), Map.of());
        events.observe(2, Map.of("a", "DOWN"), Map.of());
        events.observe(3, Map.of("a", "ALIVE"), Map.of());
        assertEquals(List.of("member a: DOWN → ALIVE", "member a: SUSPECTED → DOWN"), texts(events));
        assertEquals(3, events.recent().get(0).atMillis());
    }

    @Test
    void refusesAnEmptyCapacity() {
        assertThrows(IllegalArgumentException.class, () -> new ClusterEvents(0));
    }
}
