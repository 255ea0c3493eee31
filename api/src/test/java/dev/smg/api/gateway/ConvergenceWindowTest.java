package dev.smg.api.gateway;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class ConvergenceWindowTest {
    @Test
    void showsTheMeanOfTheLastClosedWindowBesideTheMeanSinceStart() {
        ConvergenceWindow window = new ConvergenceWindow(5_000);
        Map<String, Object> first = window.read(0, 100, 1_000); // 100 batches, 10 ms mean since start
        assertEquals(10.0, first.get("mean_ms"));
        assertNull(first.get("recent_mean_ms"), "no window has closed yet");
        assertNull(first.get("recent_batches"), "measuring, not zero");

        window.read(2_000, 150, 1_500); // the window is still open
        Map<String, Object> closed = window.read(5_000, 200, 5_000); // 100 more batches, 4,000 ms more: 40 ms
        assertEquals(40.0, closed.get("recent_mean_ms"));
        assertEquals(100L, closed.get("recent_batches"));
        assertEquals(25.0, closed.get("mean_ms"));
        assertEquals(200L, closed.get("batches"));

        // Until the next window closes, the last closed one is shown.
        assertEquals(40.0, window.read(7_000, 200, 5_000).get("recent_mean_ms"));
        // A window with no batches says so (null), instead of repeating an old lag.
        Map<String, Object> quiet = window.read(10_000, 200, 5_000);
        assertNull(quiet.get("recent_mean_ms"));
        assertEquals(0L, quiet.get("recent_batches"));
    }

    @Test
    void nothingArrivedIsNullNotZero() {
        Map<String, Object> json = new ConvergenceWindow(5_000).read(0, 0, 0);
        assertNull(json.get("mean_ms"));
        assertEquals(0L, json.get("batches"));
    }
}
