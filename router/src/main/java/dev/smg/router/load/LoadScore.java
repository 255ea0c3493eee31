package dev.smg.router.load;

/**
 * The load score that {@code power_of_two}, {@code cache_aware}'s balance check and the manual
 * policy's {@code min_load} compare (docs/routing.md, "Load score"):
 * <pre>
 *   score = in_flight + unseen + queueWeight × waiting + kvWeight × k / (1 − k)
 *   unseen = max(0, running + waiting − in_flight_at_poll)
 * </pre>
 * where {@code in_flight} is the requests every router of the cluster has in flight on the worker
 * now, {@code running} and {@code waiting} are what its engine last reported, {@code in_flight_at_poll}
 * what the gateway counted when that report was taken, and {@code k} its KV-cache share (capped at
 * 0.99). Without a fresh engine report the score is {@code in_flight} alone.
 * <p>
 * Why this shape: {@code in_flight} is fresh (under 100 ms old) and, when all traffic goes through
 * the gateway, exact; the engine's report is a poll old. So the report only adds what the gateway
 * cannot see ({@code unseen}: requests from elsewhere), instead of replacing fresh counts with stale
 * ones. The first version used {@code max(in_flight, running + waiting) + waiting}: the benchmark
 * (docs/benchmarks.md, load sharing) measured it steering by reports up to 0.5 s old and worsening
 * TTFT p99 by a quarter against in-flight counts alone. Hence also {@code queueWeight} 0 by default.
 * KV pressure matters only near full ({@code k/(1−k)}: 0.5 at half, 4.5 at 90%, 49.5 at 99%, times
 * {@code kvWeight}, 0.5 by default).
 */
public record LoadScore(double queueWeight, double kvWeight) {
    public static final LoadScore DEFAULTS = new LoadScore(0.0, 0.5);
    private static final double KV_CAP = 0.99;

    public LoadScore {
        if (!(queueWeight >= 0) || !(kvWeight >= 0) || Double.isInfinite(queueWeight) || Double.isInfinite(kvWeight)) {
            throw new IllegalArgumentException("load weights must be finite and >= 0, got queue " + queueWeight
                    + ", kv " + kvWeight);
        }
    }

    /**
     * @param engine         the engine's last fresh report, or null
     * @param inFlightAtPoll the gateway's in-flight count on the worker when that report was taken
     */
    public double of(int inFlight, EngineLoad engine, int inFlightAtPoll) {
        if (engine == null) {
            return inFlight;
        }
        long unseen = Math.max(0, (long) engine.running() + engine.waiting() - inFlightAtPoll);
        double k = engine.kvKnown() ? Math.min(engine.kvUsage(), KV_CAP) : 0;
        return inFlight + unseen + queueWeight * engine.waiting() + kvWeight * k / (1 - k);
    }
}
