package dev.smg.api.gateway;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Replication lag for {@code /ha/ui}: the mean of {@code router_mesh_convergence_ms} (how long after
 * its origin wrote it a batch of replicated changes arrived here) over the last few seconds, not
 * since the process started, so that a lag that has passed stops showing. The histogram only grows,
 * so the mean of a window is the difference of two readings; a window closes once it is
 * {@code windowMillis} long, and until the next one closes the last closed one is shown.
 */
final class ConvergenceWindow {
    private final long windowMillis;
    private long startMillis = -1;
    private double startCount;
    private double startSum;
    private double recentCount = -1; // no window closed yet
    private double recentMean = Double.NaN;

    ConvergenceWindow(long windowMillis) {
        this.windowMillis = windowMillis;
    }

    /**
     * Takes one reading of the histogram (cumulative count and sum) and answers
     * {@code {"batches", "mean_ms", "recent_batches", "recent_mean_ms", "window_ms"}} (means null
     * when nothing arrived; {@code recent_batches} null until the first window has closed).
     */
    synchronized Map<String, Object> read(long nowMillis, double count, double sum) {
        if (startMillis < 0 || count < startCount) {
            startMillis = nowMillis; // the first reading, or a restarted histogram
            startCount = count;
            startSum = sum;
        } else if (nowMillis - startMillis >= windowMillis) {
            recentCount = count - startCount;
            recentMean = recentCount > 0 ? (sum - startSum) / recentCount : Double.NaN;
            startMillis = nowMillis;
            startCount = count;
            startSum = sum;
        }
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("batches", (long) count);
        json.put("mean_ms", count > 0 ? round(sum / count) : null);
        json.put("recent_batches", recentCount < 0 ? null : Long.valueOf((long) recentCount));
        json.put("recent_mean_ms", Double.isNaN(recentMean) ? null : round(recentMean));
        json.put("window_ms", windowMillis);
        return json;
    }

    private static double round(double ms) {
        return Math.round(ms * 10) / 10.0;
    }
}
