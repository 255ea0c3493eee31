package dev.smg.router.load;

/**
 * The load score that {@code power_of_two}, {@code cache_aware}'s balance check and the manual
 * policy's {@code min_load} compare (docs/routing.md, "Load score"):
 * <pre>
 *   score  = in_flight + unseen + queueWeight × waiting + kvWeight × max(0, k − 0.8) / (1 − k)
 *   unseen = max(0, running + waiting − in_flight_at_poll − tolerance(in_flight_at_poll))
 * </pre>
 * where {@code in_flight} is the requests every router of the cluster has in flight on the worker
 * now, {@code running} and {@code waiting} are what its engine last reported, {@code in_flight_at_poll}
 * what the gateway counted around that poll, and {@code k} its KV-cache share (capped at 0.99).
 * Without a fresh engine report the score is {@code in_flight} alone.
 * <p>
 * Why this shape: {@code in_flight} is fresh and, when all traffic goes through the gateway, exact;
 * the engine's report is a poll old. So the report only adds what the gateway cannot see
 * ({@code unseen}: requests from elsewhere) and KV pressure near full. The first version used
 * {@code max(in_flight, running + waiting) + waiting}: the load-sharing benchmark measured it steering
 * by reports up to 0.5 s old and worsening TTFT p99 by a quarter against in-flight counts alone;
 * hence also {@code queueWeight} 0 by default.
 */
public record LoadScore(double queueWeight, double kvWeight) {
    public static final LoadScore DEFAULTS = new LoadScore(0.0, 1.0);
    private static final double KV_CAP = 0.99;
    /**
     * KV pressure counts only above this share. Below it a cache is not the limit, and a term there
     * would only break ties between equally loaded workers by a report every router shares, so that
     * all of them send to the same one (measured: engine imbalance 1.25 against 1.18 without it).
     */
    static final double KV_KNEE = 0.8;

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
    /**
     * How many more requests than the gateway counted an engine may report before they count as
     * traffic from elsewhere: the other routers' part of the gateway's count is up to a publication
     * interval old (about 100 ms) when the poll compares it, so a few requests just sent by them read
     * as unseen. Unfiltered, that phantom load kept a worker out of the least-loaded choice for a whole
     * poll interval (load-sharing benchmark: engine imbalance 1.27 against 1.18 without polling).
     */
    static long tolerance(int inFlightAtPoll) {
        return 2 + inFlightAtPoll / 10;
    }

    public double of(int inFlight, EngineLoad engine, int inFlightAtPoll) {
        if (engine == null) {
            return inFlight;
        }
        long unseen = Math.max(0, (long) engine.running() + engine.waiting() - inFlightAtPoll - tolerance(inFlightAtPoll));
        double k = engine.kvKnown() ? Math.min(engine.kvUsage(), KV_CAP) : 0;
        return inFlight + unseen + queueWeight * engine.waiting() + kvWeight * Math.max(0, k - KV_KNEE) / (1 - k);
    }
}
