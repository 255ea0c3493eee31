package dev.smg.api.gateway;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class ClusterOverviewTest {
    private static Map<String, Object> node(String name, String status, long incarnation) {
        Map<String, Object> node = new LinkedHashMap<>();
        node.put("name", name);
        node.put("address", "10.0.0." + name.charAt(name.length() - 1) + ":39527");
        node.put("status", status);
        node.put("version", incarnation);
        return node;
    }

    @Test
    void membersAreStatusNodesWithNamesRolesAgesAndShares() {
        List<Map<String, Object>> nodes = new ArrayList<>(List.of(node("node1", "1", 0), node("node2", "3", 2),
                node("node3", "1", 1), node("node4", "0", 0)));
        List<Map<String, Object>> members = ClusterOverview.members(nodes, "node3", "node1",
                Map.of("node1", 9_700L, "node2", 4_000L, "node3", 9_990L, "node4", 10_050L),
                Map.of("node1", 0.5, "node3", 0.25, "node2", 0.25), 10_000);

        Map<String, Object> n1 = members.get(0);
        assertEquals("ALIVE", n1.get("status_name"));
        assertEquals("1", n1.get("status"), "the /ha/status fields are kept as they are");
        assertEquals("10.0.0.1:39527", n1.get("address"));
        assertEquals(true, n1.get("leader"));
        assertEquals(false, n1.get("self"));
        assertEquals(300L, n1.get("last_heard_ms"));
        assertEquals(0.5, n1.get("rate_share"));

        Map<String, Object> n2 = members.get(1);
        assertEquals("DOWN", n2.get("status_name"));
        assertEquals(2L, n2.get("version"));
        assertEquals(6_000L, n2.get("last_heard_ms"));

        Map<String, Object> n3 = members.get(2);
        assertEquals(true, n3.get("self"));
        assertEquals(false, n3.get("leader"));
        assertEquals(0L, n3.get("last_heard_ms"), "this router hears itself now");

        Map<String, Object> n4 = members.get(3);
        assertEquals("INIT", n4.get("status_name"));
        assertEquals(0L, n4.get("last_heard_ms"), "a stamp ahead of this clock (skew) reads as just now");
        assertNull(n4.get("rate_share"), "not counted in the shares yet");
    }

    @Test
    void aMemberThatNeverReportedHasNoAge() {
        List<Map<String, Object>> members = ClusterOverview.members(List.of(node("node1", "1", 0),
                node("node2", "1", 0)), "node1", null, Map.of(), Map.of(), 10_000);
        assertNull(members.get(1).get("last_heard_ms"));
        assertEquals(false, members.get(0).get("leader"), "no quorum, no leader");
    }

    @Test
    void statusNumbersAreNamedAsTheMeshNamesThem() {
        assertEquals("INIT", ClusterOverview.statusName("0"));
        assertEquals("ALIVE", ClusterOverview.statusName("1"));
        assertEquals("SUSPECTED", ClusterOverview.statusName("2"));
        assertEquals("DOWN", ClusterOverview.statusName("3"));
        assertEquals("LEAVING", ClusterOverview.statusName("4"));
        assertEquals("UNKNOWN", ClusterOverview.statusName("7"));
    }
}
