package dev.smg.router.metrics;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What LLM operators watch, measured at the gateway for every relayed answer: time to first token
 * and the gaps between tokens (streams), the answer's duration, and the tokens it used (from the
 * answer's own usage). Names follow upstream's {@code smg_router_*}; upstream records them on its
 * parsed-stream paths only, here every streamed answer the event relay carries and every JSON answer
 * counts. Labels are bounded: the model (the first {@value #MAX_MODELS} names seen, then "other")
 * and the endpoint.
 */
public final class GenerationMetrics {
    static final int MAX_MODELS = 64;
    private static final double[] DURATION_BUCKETS = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
            15, 30, 45, 60, 90, 120, 180, 240, 300, 480, 900, 1200, 1800, 2700, 3600, 5400, 7200};
    /** Token gaps are tens of milliseconds; finer steps where they fall. */
    private static final double[] GAP_BUCKETS = {0.001, 0.0025, 0.005, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1,
            0.15, 0.2, 0.3, 0.5, 1, 2.5, 5, 10, 30};

    private final Histogram ttft;
    private final Histogram gaps;
    private final Histogram duration;
    private final Counter tokens;
    private final Set<String> models = ConcurrentHashMap.newKeySet();

    public GenerationMetrics(PrometheusRegistry registry) {
        ttft = Histogram.builder().name("smg_router_ttft_seconds")
                .help("Time to first token of streamed answers: from dispatch (after admission) to the first content sent")
                .labelNames("model", "endpoint").classicOnly().classicUpperBounds(DURATION_BUCKETS).register(registry);
        gaps = Histogram.builder().name("smg_router_inter_token_latency_seconds")
                .help("Gaps between consecutive content events of streamed answers, as the client receives them")
                .labelNames("model", "endpoint").classicOnly().classicUpperBounds(GAP_BUCKETS).register(registry);
        duration = Histogram.builder().name("smg_router_generation_duration_seconds")
                .help("Answers relayed in full, from dispatch to their last byte")
                .labelNames("model", "endpoint").classicOnly().classicUpperBounds(DURATION_BUCKETS).register(registry);
        tokens = Counter.builder().name("smg_router_tokens_total")
                .help("Tokens of relayed answers, from their usage: input (prompt), cached (of the input), output")
                .labelNames("model", "endpoint", "token_type").register(registry);
    }

    /** Starts measuring one answer; {@code model} null means the default model. */
    public Answer answer(String model, String endpoint, long startNanos) {
        return new Answer(label(model), endpoint, startNanos);
    }

    private String label(String model) {
        String name = model == null || model.isEmpty() ? "default" : model;
        if (models.contains(name)) {
            return name;
        }
        if (models.size() < MAX_MODELS) {
            models.add(name); // a race may admit a few more than the bound: still bounded
            return name;
        }
        return "other";
    }

    /** One answer's measurements; used by the request's thread only. */
    public final class Answer {
        private final String model;
        private final String endpoint;
        private final long start;
        private long lastToken;
        private Usage usage;

        private Answer(String model, String endpoint, long start) {
            this.model = model;
            this.endpoint = endpoint;
            this.start = start;
        }

        /** A content event reached the client at {@code nanos}. */
        public void token(long nanos) {
            if (lastToken == 0) {
                ttft.labelValues(model, endpoint).observe((nanos - start) / 1e9);
            } else {
                gaps.labelValues(model, endpoint).observe((nanos - lastToken) / 1e9);
            }
            lastToken = nanos;
        }

        /** The answer reported its usage (a stream's last report counts). */
        public void usage(Usage reported) {
            usage = reported;
        }

        /** The answer was relayed in full at {@code nanos}. */
        public void finished(long nanos) {
            duration.labelValues(model, endpoint).observe((nanos - start) / 1e9);
            if (usage != null) {
                tokens.labelValues(model, endpoint, "input").inc(usage.prompt());
                tokens.labelValues(model, endpoint, "cached").inc(usage.cached());
                tokens.labelValues(model, endpoint, "output").inc(usage.completion());
            }
        }
    }
}
