package dev.smg.router.load;

/**
 * The load score that {@code power_of_two}, {@code cache_aware}'s balance check and the manual
 * policy's {@code min_load} compare (docs/routing.md, "Load score"):
 * <pre>
 *   score = max(in_flight, running + waiting) + queueWeight × waiting + kvWeight × k / (1 − k)
 * </pre>
 * where {@code in_flight} is the requests every router of the cluster has in flight on the worker,
 * {@code running} and {@code waiting} are what its engine last reported, and {@code k} its KV-cache
 * share (capped at 0.99). Without a fresh engine report the score is {@code in_flight} alone.
 * <p>
 * Why this shape: {@code in_flight} is fresh (under 100 ms old) but counts only the gateway's own
 * requests; the engine's counts include traffic from elsewhere but are a poll interval old. The
 * maximum takes whichever sees more. A queued request costs more than a running one (it waits for
 * a slot: {@code queueWeight}, 1 by default, counts it twice), and KV pressure matters only near
 * full ({@code k/(1−k)}: 0.5 at half, 4.5 at 90%, 49.5 at 99%, times {@code kvWeight}, 0.5 by default:
 * so a nearly full cache weighs like a couple of queued requests, an idle one like nothing).
 */
public record LoadScore(double queueWeight, double kvWeight) {
    public static final LoadScore DEFAULTS = new LoadScore(1.0, 0.5);
    private static final double KV_CAP = 0.99;

    public LoadScore {
        if (!(queueWeight >= 0) || !(kvWeight >= 0) || Double.isInfinite(queueWeight) || Double.isInfinite(kvWeight)) {
            throw new IllegalArgumentException("load weights must be finite and >= 0, got queue " + queueWeight
                    + ", kv " + kvWeight);
        }
    }

    /** @param engine the engine's last fresh report, or null */
    public double of(int inFlight, EngineLoad engine) {
        if (engine == null) {
            return inFlight;
        }
        double base = Math.max(inFlight, (long) engine.running() + engine.waiting());
        double k = engine.kvKnown() ? Math.min(engine.kvUsage(), KV_CAP) : 0;
        return base + queueWeight * engine.waiting() + kvWeight * k / (1 - k);
    }
}
