package dev.smg.router.stream;

import java.time.Duration;
import java.util.Map;

/**
 * What the gateway does for a streamed answer whose worker fails it (issue 15).
 *
 * @param migrate            continue a broken or stalled stream on another worker
 *                           ({@code --disable-stream-failover} turns it off)
 * @param firstTokenTimeout  how long a worker may take to send the first content of a stream before
 *                           the request is retried elsewhere; {@link Duration#ZERO}: no deadline
 * @param firstTokenByModel  per-model overrides of {@code firstTokenTimeout} (ZERO turns it off for that model)
 * @param stallTimeout       a stream that has started and then sends nothing for this long is stalled
 * @param migrationLimit     continuations per request at most
 */
public record StreamFailoverSettings(boolean migrate, Duration firstTokenTimeout, Map<String, Duration> firstTokenByModel,
                                     Duration stallTimeout, int migrationLimit) {
    /** Failover on, no first-token deadline, 30 s stall, 3 migrations. */
    public static final StreamFailoverSettings DEFAULTS =
            new StreamFailoverSettings(true, Duration.ZERO, Map.of(), Duration.ofSeconds(30), 3);
    /** The relay of before issue 15: bytes passed through, a broken stream cut. */
    public static final StreamFailoverSettings OFF =
            new StreamFailoverSettings(false, Duration.ZERO, Map.of(), Duration.ofSeconds(30), 0);

    public StreamFailoverSettings {
        firstTokenByModel = Map.copyOf(firstTokenByModel);
        if (firstTokenTimeout.isNegative() || stallTimeout.isNegative() || stallTimeout.isZero() || migrationLimit < 0
                || firstTokenByModel.values().stream().anyMatch(Duration::isNegative)) {
            throw new IllegalArgumentException("stream failover settings out of range");
        }
    }

    /** The first-token deadline for {@code model} (null: the default model); ZERO when there is none. */
    public Duration firstTokenTimeout(String model) {
        Duration own = model == null ? null : firstTokenByModel.get(model);
        return own != null ? own : firstTokenTimeout;
    }

    /** Whether streams need the event-aware relay at all (else bytes are passed through as they come). */
    public boolean watchesStreams() {
        return migrate || !firstTokenTimeout.isZero() || firstTokenByModel.values().stream().anyMatch(d -> !d.isZero());
    }
}
