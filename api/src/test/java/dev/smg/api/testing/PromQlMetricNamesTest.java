package dev.smg.api.testing;

import org.junit.jupiter.api.Test;

import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The tokenizer that finds the metric names of dashboard queries and alert rules. */
class PromQlMetricNamesTest {
    @Test
    void aHistogramQuantileNamesTheBucketSeriesOnly() {
        assertEquals(Set.of("smg_router_ttft_seconds_bucket"), PromQlMetricNames.of(
                "histogram_quantile(0.99, sum by (le, model) (rate(smg_router_ttft_seconds_bucket"
                        + "{job=~\"$job\",instance=~\"$instance\",model=~\"$model\"}[$__rate_interval])))"));
    }

    @Test
    void groupingClausesModifiersAndKeywordsAreNotNames() {
        assertEquals(Set.of("a_total", "b_total", "c"), PromQlMetricNames.of(
                "sum(rate(a_total[5m])) by (path, instance) / on (instance) group_left(peer) "
                        + "sum without (le) (b_total offset 5m) > bool 1e-9 and ignoring(x) c or vector(0) unless inf"));
    }

    @Test
    void labelValuesAndStringsWithBracesOrQuotesAreSkipped() {
        assertEquals(Set.of("x"), PromQlMetricNames.of(
                "count_values(\"not_a_metric\", x{path=~\"/v1/.*|{weird}\",q='it\\'s [1m]'}) # a comment naming y"));
    }

    @Test
    void anExpressionWithoutAMetricNamesNothing() {
        assertEquals(Set.of(), PromQlMetricNames.of("vector(1) * 2"));
        assertEquals(Set.of(), PromQlMetricNames.of("{__name__=~\"smg_.*\"}"));
    }

    @Test
    void binaryOperationsAcrossLinesNameEveryOperand() {
        assertEquals(Set.of("router_mesh_members"), PromQlMetricNames.of(
                "2 * sum by (job, instance) (router_mesh_members{status=~\"alive|suspected\"})\n"
                        + "  <= sum by (job, instance) (router_mesh_members{status!=\"leaving\"})"));
    }
}
