package dev.smg.api;

import dev.smg.api.testing.ShippedQueries;
import dev.smg.api.testing.ShippedQueries.Query;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Prometheus' own tool checks what smg ships: the alert rules load ({@code promtool check rules}),
 * each alert fires on the series it is meant for and not on the others ({@code promtool test rules}
 * with {@code smg-rules.test.yml}), and every dashboard query is valid PromQL (checked as a recording
 * rule, its Grafana variables replaced). Skipped where promtool is not installed ({@code make test}
 * installs it where it can: scripts/ensure-test-tools).
 */
class PrometheusRulesTest {
    private static Path promtool;

    @BeforeAll
    static void findPromtool() {
        Optional<Path> found = onPath("promtool");
        assumeTrue(found.isPresent(), "promtool not installed (apt-get install prometheus): promtool checks skipped");
        promtool = found.get();
    }

    private static Optional<Path> onPath(String tool) {
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)));
        dirs.add("/usr/bin");
        return dirs.stream().filter(d -> !d.isEmpty()).map(d -> Path.of(d, tool)).filter(Files::isExecutable).findFirst();
    }

    private static String promtool(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(promtool.toString()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "promtool did not finish");
        assertEquals(0, p.exitValue(), String.join(" ", command) + " failed:\n" + output);
        return output;
    }

    @Test
    void theAlertRulesLoad() throws Exception {
        String output = promtool("check", "rules", ShippedQueries.RULES.toString());
        assertTrue(output.contains("SUCCESS: " + ShippedQueries.rules().size() + " rules found"), output);
    }

    @Test
    void everyAlertFiresOnItsSeriesAndNotOnOthers() throws Exception {
        String tests = Files.readString(ShippedQueries.RULE_TESTS);
        for (Query rule : ShippedQueries.rules()) {
            String alert = rule.where().substring("alert ".length());
            assertTrue(tests.contains("alertname: " + alert), "no promtool test for " + alert);
        }
        promtool("test", "rules", ShippedQueries.RULE_TESTS.toString());
    }

    @Test
    void everyDashboardQueryIsValidPromQl(@TempDir Path dir) throws Exception {
        List<Query> queries = ShippedQueries.dashboard();
        StringBuilder yaml = new StringBuilder("groups:\n  - name: dashboard\n    rules:\n");
        for (int i = 0; i < queries.size(); i++) {
            yaml.append("      # ").append(queries.get(i).where()).append('\n')
                    .append("      - record: dashboard_query_").append(i).append('\n')
                    .append("        expr: |\n          ").append(concrete(queries.get(i).expr()).replace("\n", "\n          "))
                    .append('\n');
        }
        Path file = dir.resolve("dashboard-queries.yml");
        Files.writeString(file, yaml);
        String output = promtool("check", "rules", file.toString());
        assertTrue(output.contains("SUCCESS: " + queries.size() + " rules found"), output);
    }

    /** A query as Grafana sends it: interval variables become durations, the others match anything. */
    private static String concrete(String expr) {
        return expr.replace("$__rate_interval", "5m").replace("$__interval", "1m").replace("$__range", "1h")
                .replaceAll("\\$\\{?\\w+}?", ".*");
    }
}
