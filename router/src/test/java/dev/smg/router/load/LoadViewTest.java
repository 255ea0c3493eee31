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
    void theEngineReportAddsOnlyWhatTheGatewayDoesNotSee() {
        assertEquals(3.0, LoadScore.DEFAULTS.of(3, null, 0));
        // The engine ran 6 when the gateway had 6 in flight: nothing unseen; KV at 90% adds (0.9-0.8)/0.1.
        assertEquals(3 + 1.0, LoadScore.DEFAULTS.of(3, new EngineLoad(4, 2, 0.9), 6), 1e-9);
        // 10 at the engine, 6 of them the gateway's, 2 within the tolerance of peers' lag: 2 from elsewhere.
        assertEquals(3 + 2, LoadScore.DEFAULTS.of(3, new EngineLoad(8, 2, Double.NaN), 6), 1e-9);
        assertEquals(2 + 2, LoadScore.tolerance(20));
        // KV below the knee adds nothing (it would only break ties, the same way on every router).
        assertEquals(3.0, LoadScore.DEFAULTS.of(3, new EngineLoad(3, 0, 0.79), 3), 1e-9);
        // The queue weight counts queued requests again, when asked for.
        assertEquals(3 + 2 + 2 * 2, new LoadScore(2, 0).of(3, new EngineLoad(8, 2, Double.NaN), 6), 1e-9);
        // A full cache is capped at 0.99: large, but finite.
        assertEquals(0.19 / 0.01, LoadScore.DEFAULTS.of(0, new EngineLoad(0, 0, 1.0), 0), 1e-6);
    }

    @Test
    void peersCountsAddToOwnAndEngineReportsCountUntilStale() {
        try (Worker.Lease lease = a.acquire()) {
            view.peers(new LoadView.PeerInFlight(Map.of("http://a:8000", 4),
                    Map.of("http://a:8000", Map.of("r2", 4))));
            assertEquals(5, view.clusterInFlight(a));
            assertEquals(5.0, view.of(a));
            // The engine holds 9, of which the gateway had 5 in flight when it was polled: 4, less the
            // tolerance of 2, unseen.
            view.engineMeasured("http://a:8000", new EngineLoad(6, 3, Double.NaN), clock.get(), "r2", 5);
            assertEquals(5 + 2.0, view.of(a));
            assertEquals(1 + 2.0, view.ownFresh(a), "its own request, and what the engine holds beyond the gateway's");
            // An older report than the one held is ignored (reordered delivery).
            view.engineMeasured("http://a:8000", new EngineLoad(0, 0, Double.NaN), clock.get() - 1, "r3", 0);
            assertEquals("r2", view.engine("http://a:8000").orElseThrow().source());
            clock.addAndGet(Duration.ofMillis(2001).toNanos());
            assertTrue(view.engine("http://a:8000").isEmpty());
            assertEquals(5.0, view.of(a), "a stale report falls back to in-flight counts");
        }
    }
}
