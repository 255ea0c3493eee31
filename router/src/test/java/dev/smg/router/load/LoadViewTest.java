package dev.smg.router.load;

import dev.smg.router.worker.Worker;
import dev.smg.router.worker.WorkerUrl;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The load score and the view that feeds it: peers' counts, engine reports, staleness. */
class LoadViewTest {
    private final AtomicLong clock = new AtomicLong(1_000_000_000L);
    private final LoadView view = new LoadView(LoadScore.DEFAULTS, Duration.ofSeconds(2), clock::get);
    private final Worker a = new Worker("a", WorkerUrl.parse("http://a:8000"), List.of(), Optional.empty());

    @Test
    void theScoreIsInFlightAloneWithoutAnEngineReport() {
        assertEquals(3.0, LoadScore.DEFAULTS.of(3, null));
        // max(in flight, running + waiting) + waiting + 0.5 k/(1-k)
        assertEquals(Math.max(3, 6) + 2 + 0.5 * 0.9 / 0.1, LoadScore.DEFAULTS.of(3, new EngineLoad(4, 2, 0.9)), 1e-9);
        assertEquals(10 + 0, LoadScore.DEFAULTS.of(10, new EngineLoad(1, 0, Double.NaN)), 1e-9);
        // A full cache is capped at 0.99: large, but finite.
        assertEquals(0.5 * 99, new LoadScore(0, 0.5).of(0, new EngineLoad(0, 0, 1.0)), 1e-6);
    }

    @Test
    void peersCountsAddToOwnAndEngineReportsCountUntilStale() {
        try (Worker.Lease lease = a.acquire()) {
            view.peers(new LoadView.PeerInFlight(Map.of("http://a:8000", 4),
                    Map.of("http://a:8000", Map.of("r2", 4))));
            assertEquals(5, view.clusterInFlight(a));
            assertEquals(5.0, view.of(a));
            view.engineMeasured("http://a:8000", new EngineLoad(6, 3, Double.NaN), clock.get(), "r2");
            assertEquals(6 + 3 + 3.0, view.of(a));
            // An older report than the one held is ignored (reordered delivery).
            view.engineMeasured("http://a:8000", new EngineLoad(0, 0, Double.NaN), clock.get() - 1, "r3");
            assertEquals("r2", view.engine("http://a:8000").orElseThrow().source());
            clock.addAndGet(Duration.ofMillis(2001).toNanos());
            assertTrue(view.engine("http://a:8000").isEmpty());
            assertEquals(5.0, view.of(a), "a stale report falls back to in-flight counts");
        }
    }
}
