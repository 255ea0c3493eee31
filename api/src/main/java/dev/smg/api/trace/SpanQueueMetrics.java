package dev.smg.api.trace;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.metrics.InstrumentType;
import io.opentelemetry.sdk.metrics.data.AggregationTemporality;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.metrics.export.CollectionRegistration;
import io.opentelemetry.sdk.metrics.export.MetricReader;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * The SDK's batch span processor keeps spans in a bounded queue and drops what does not fit (a slow
 * or absent collector, more spans than one exporter thread sends). It counts them through the SDK's
 * own meter provider, which exports nowhere here; this reader collects those counts when Prometheus
 * scrapes, so {@code /metrics} says how many spans were dropped:
 * {@code smg_trace_spans_total{result="exported"|"dropped"}} and {@code smg_trace_span_queue_size}. (Spans
 * whose export failed are in neither: the SDK logs those, and the exporter's collector is down.)
 */
final class SpanQueueMetrics implements MetricReader {
    private static final AttributeKey<Boolean> DROPPED = AttributeKey.booleanKey("dropped");
    private volatile CollectionRegistration registration = CollectionRegistration.noop();

    void exportTo(PrometheusRegistry registry) {
        CounterWithCallback.builder().name("smg_trace_spans_total")
                .help("Spans the tracing SDK's batch processor exported (exported) or dropped because its bounded "
                        + "queue was full (dropped)")
                .labelNames("result")
                .callback(cb -> {
                    long[] counts = counts();
                    cb.call(counts[0], "exported");
                    cb.call(counts[1], "dropped");
                })
                .register(registry);
        GaugeWithCallback.builder().name("smg_trace_span_queue_size")
                .help("Spans waiting in the tracing SDK's batch processor queue (bounded by OTEL_BSP_MAX_QUEUE_SIZE)")
                .callback(cb -> cb.call(queued()))
                .register(registry);
    }

    /** exported, dropped: the SDK's {@code processedSpans} counter by its {@code dropped} attribute. */
    long[] counts() {
        long[] counts = new long[2];
        for (MetricData metric : registration.collectAllMetrics()) {
            if (metric.getName().equals("processedSpans")) {
                for (LongPointData point : metric.getLongSumData().getPoints()) {
                    counts[Boolean.TRUE.equals(point.getAttributes().get(DROPPED)) ? 1 : 0] += point.getValue();
                }
            }
        }
        return counts;
    }

    private long queued() {
        long size = 0;
        for (MetricData metric : registration.collectAllMetrics()) {
            if (metric.getName().equals("queueSize")) {
                for (LongPointData point : metric.getLongGaugeData().getPoints()) {
                    size += point.getValue();
                }
            }
        }
        return size;
    }

    @Override
    public void register(CollectionRegistration registration) {
        this.registration = registration;
    }

    @Override
    public AggregationTemporality getAggregationTemporality(InstrumentType instrumentType) {
        return AggregationTemporality.CUMULATIVE;
    }

    @Override
    public CompletableResultCode forceFlush() {
        return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode shutdown() {
        return CompletableResultCode.ofSuccess();
    }
}
