package dev.smg.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.smg.api.testing.PromQlMetricNames;
import dev.smg.api.testing.ShippedQueries;
import dev.smg.api.testing.ShippedQueries.Query;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shape of {@code scripts/grafana/smg.json} that importing it relies on: a Prometheus data-source
 * variable every panel uses, job and instance variables every query filters by, and queries that
 * each select at least one metric (that those metrics exist is GrafanaDashboardProcessTest's job).
 */
class GrafanaDashboardTest {
    private static final JsonNode DASHBOARD = ShippedQueries.dashboardJson();

    @Test
    void declaresTheDataSourceJobAndInstanceVariables() {
        assertEquals(39, DASHBOARD.path("schemaVersion").asInt());
        Map<String, JsonNode> variables = new TreeMap<>();
        DASHBOARD.path("templating").path("list").forEach(v -> variables.put(v.path("name").asText(), v));
        assertEquals("datasource", variables.get("datasource").path("type").asText());
        assertEquals("prometheus", variables.get("datasource").path("query").asText());
        for (String name : List.of("job", "instance")) {
            assertEquals("query", variables.get(name).path("type").asText(), name);
            assertEquals("${datasource}", variables.get(name).path("datasource").path("uid").asText(), name);
        }
    }

    @Test
    void everyPanelAndQueryUsesTheDataSourceVariableAndPanelIdsAreUnique() {
        List<String> wrong = new ArrayList<>();
        Set<Integer> ids = new HashSet<>();
        for (JsonNode panel : DASHBOARD.path("panels")) {
            assertTrue(ids.add(panel.path("id").asInt()), "duplicate panel id " + panel.path("id"));
            if (panel.path("type").asText().equals("row")) {
                continue;
            }
            List<JsonNode> sources = new ArrayList<>(List.of(panel.path("datasource")));
            panel.path("targets").forEach(t -> sources.add(t.path("datasource")));
            for (JsonNode source : sources) {
                if (!source.path("uid").asText().equals("${datasource}")
                        || !source.path("type").asText().equals("prometheus")) {
                    wrong.add(panel.path("title").asText() + ": " + source);
                }
            }
        }
        assertEquals(List.of(), wrong, "panels or queries not on ${datasource}");
    }

    @Test
    void everyQuerySelectsAMetricAndEveryPanelSelectorFiltersByJobAndInstance() {
        List<Query> noMetric = new ArrayList<>();
        List<String> unfiltered = new ArrayList<>();
        for (Query q : ShippedQueries.dashboard()) {
            Set<String> names = PromQlMetricNames.of(q.expr());
            if (names.isEmpty()) {
                noMetric.add(q);
            }
            if (!q.where().startsWith("panel ")) {
                continue; // the variables choose job and instance
            }
            for (String name : names) {
                Matcher m = Pattern.compile("(?<![\\w:])" + Pattern.quote(name) + "(?![\\w:])\\s*(\\{[^}]*})?")
                        .matcher(q.expr());
                while (m.find()) {
                    String matchers = m.group(1) == null ? "" : m.group(1);
                    if (!matchers.contains("job=~\"$job\"") || !matchers.contains("instance=~\"$instance\"")) {
                        unfiltered.add(q.where() + ": " + m.group());
                    }
                }
            }
        }
        assertEquals(List.of(), noMetric, "queries that select no metric");
        assertEquals(List.of(), unfiltered, "selectors without job=~\"$job\",instance=~\"$instance\"");
    }

    @Test
    void everyAlertRuleSelectsAMetric() {
        List<Query> rules = ShippedQueries.rules();
        assertTrue(rules.size() >= 6, "rules: " + rules);
        assertEquals(List.of(), rules.stream().filter(q -> PromQlMetricNames.of(q.expr()).isEmpty()).toList());
    }
}
