package dev.smg.mesh.sim;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A tiny run of the convergence benchmark: it completes and reports figures (no timing thresholds). */
class ConvergenceBenchTest {
    @Test
    void aSmallRunCompletesAndReportsEveryFigure() {
        ConvergenceBench.quietLogs();
        ConvergenceBench.Spread spread = ConvergenceBench.spread(3, 5, Duration.ofMillis(10), ConvergenceBench.ONE_JVM);
        assertEquals(0, spread.missing(), "every update reached both other nodes");
        assertTrue(spread.everyNodeP99Ms() >= 0 && spread.deltaBytesPerPeer() > 0, spread.toString());

        ConvergenceBench.CatchUp catchUp = ConvergenceBench.catchUp(2, 100, ConvergenceBench.ONE_JVM);
        assertEquals(100, catchUp.held(), catchUp.toString());
        assertTrue(catchUp.totalMs() >= 0 && catchUp.stateBytes() > 0 && catchUp.receivedBytes() > 0, catchUp.toString());

        String report = ConvergenceBench.report(List.of(3), 3, Duration.ofMillis(5), 0, 2,
                dev.smg.mesh.membership.MembershipSettings.DEFAULTS);
        assertTrue(report.contains("| 3 |"), report);
    }
}
