package dev.smg.api.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The PromQL that smg ships for operators, read from the repository: every query of the Grafana
 * dashboard ({@code scripts/grafana/smg.json}: panels' targets, also inside collapsed rows, and the
 * metric selectors of its {@code label_values} variables) and every expression of the alert rules
 * ({@code scripts/prometheus/smg-rules.yml}). Paths are relative to the api module, where tests run.
 */
public final class ShippedQueries {
    public static final Path DASHBOARD = Path.of("..", "scripts", "grafana", "smg.json");
    public static final Path RULES = Path.of("..", "scripts", "prometheus", "smg-rules.yml");
    public static final Path RULE_TESTS = Path.of("..", "scripts", "prometheus", "smg-rules.test.yml");
    private static final Pattern LABEL_VALUES = Pattern.compile("^\\s*label_values\\((.*),\\s*[a-zA-Z_]\\w*\\s*\\)\\s*$",
            Pattern.DOTALL);

    /** One query and where it is used ("panel 'Retries' B", "variable job", "alert SMGQuorumLost"). */
    public record Query(String where, String expr) {
        @Override
        public String toString() {
            return where + ": " + expr;
        }
    }

    private ShippedQueries() {
    }

    public static JsonNode dashboardJson() {
        try {
            return new ObjectMapper().readTree(DASHBOARD.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static List<Query> dashboard() {
        JsonNode root = dashboardJson();
        List<Query> out = new ArrayList<>();
        addPanels(root.path("panels"), out);
        for (JsonNode variable : root.path("templating").path("list")) {
            if (!variable.path("type").asText().equals("query")) {
                continue;
            }
            JsonNode query = variable.path("query");
            String text = query.isObject() ? query.path("query").asText() : query.asText();
            Matcher m = LABEL_VALUES.matcher(text);
            // label_values(label) alone selects no metric; anything else is PromQL (query_result(...)).
            out.add(new Query("variable " + variable.path("name").asText(), m.matches() ? m.group(1) : text));
        }
        return out;
    }

    private static void addPanels(JsonNode panels, List<Query> out) {
        for (JsonNode panel : panels) {
            for (JsonNode target : panel.path("targets")) {
                out.add(new Query("panel '" + panel.path("title").asText() + "' " + target.path("refId").asText(),
                        target.path("expr").asText()));
            }
            addPanels(panel.path("panels"), out); // a collapsed row holds its panels
        }
    }

    public static List<Query> rules() {
        try {
            JsonNode root = new ObjectMapper(new YAMLFactory()).readTree(RULES.toFile());
            List<Query> out = new ArrayList<>();
            for (JsonNode group : root.path("groups")) {
                for (JsonNode rule : group.path("rules")) {
                    String name = rule.has("alert") ? "alert " + rule.path("alert").asText()
                            : "record " + rule.path("record").asText();
                    out.add(new Query(name, rule.path("expr").asText()));
                }
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
