package dev.smg.router.worker;

import java.util.Locale;

/** Where a worker is in its life; only {@link #READY} workers take traffic. */
public enum WorkerStatus {
    /** Registered, not yet proven healthy (its first probe is on the way or failing). */
    PENDING,
    /** Healthy: takes traffic. */
    READY,
    /** Failed enough consecutive health probes; still probed, returns to READY when it recovers. */
    NOT_READY,
    /** Being removed: no new requests, in-flight ones finish. */
    DRAINING;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
