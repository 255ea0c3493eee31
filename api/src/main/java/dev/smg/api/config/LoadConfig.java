package dev.smg.api.config;

import dev.smg.router.load.LoadScore;

import java.time.Duration;

/**
 * How the router learns its workers' load (docs/routing.md, "Load score").
 *
 * @param monitorInterval time between two polls of each worker's engine load ({@code --load-monitor-interval},
 *                        0.5 s); zero: no polling
 * @param monitorTimeout  bound of one poll ({@code --load-monitor-timeout-ms}, 1 s)
 * @param score           how in-flight counts and engine reports combine ({@code --load-queue-weight},
 *                        {@code --load-kv-weight})
 * @param sync            share in-flight counts and engine loads through the mesh (off:
 *                        {@code --disable-load-sync}; no effect without the mesh)
 */
public record LoadConfig(Duration monitorInterval, Duration monitorTimeout, LoadScore score, boolean sync) {
    /** Engine reports count for three poll intervals, and at least 1.5 s (a late poll is not a dead engine). */
    public Duration engineStaleAfter() {
        Duration three = monitorInterval.multipliedBy(3);
        Duration floor = Duration.ofMillis(1500);
        return three.compareTo(floor) > 0 ? three : floor;
    }
}
