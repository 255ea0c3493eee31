package dev.smg.router.load;

import dev.smg.router.replication.WorkerLoad;
import dev.smg.router.worker.Worker;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * What this router knows of each worker's load: its own in-flight count (live), the other
 * routers' counts (a snapshot the HA layer replaces every publication interval) and the engine's
 * last report (polled here or by another router), combined by {@link LoadScore}. Policies read it
 * through {@link WorkerLoad} on the routing thread: two map lookups, no lock, no allocation.
 * <p>
 * An engine report older than {@code engineStaleAfter} is ignored (the score falls back to the
 * in-flight counts); peers' counts are only what the HA layer last handed in, and it leaves out a
 * router that is DOWN, LEAVING or silent.
 */
public final class LoadView implements WorkerLoad {
    /**
     * An engine report as this router holds it: when it was measured (this router's clock), by whom,
     * and the gateway's in-flight count on the worker at that moment (what the engine's count already
     * includes of the gateway's own requests).
     */
    public record EngineSample(EngineLoad load, long measuredNanos, String source, int inFlightAtPoll) {
    }

    /**
     * The other routers' in-flight counts: per worker URL their sum, and per router (name -> count)
     * for display. Immutable.
     */
    public record PeerInFlight(Map<String, Integer> totals, Map<String, Map<String, Integer>> byRouter) {
        public static final PeerInFlight NONE = new PeerInFlight(Map.of(), Map.of());

        public PeerInFlight {
            totals = Map.copyOf(totals);
            byRouter = Map.copyOf(byRouter);
        }
    }

    private final LoadScore score;
    private final long engineStaleNanos;
    private final LongSupplier nanos;
    private final Map<String, EngineSample> engine = new ConcurrentHashMap<>();
    private volatile PeerInFlight peers = PeerInFlight.NONE;

    public LoadView(LoadScore score, Duration engineStaleAfter, LongSupplier nanos) {
        this.score = score;
        this.engineStaleNanos = engineStaleAfter.toNanos();
        this.nanos = nanos;
    }

    /** The load score of {@code worker}. */
    @Override
    public double of(Worker worker) {
        String url = worker.urlText();
        EngineSample sample = freshEngine(url);
        int inFlight = worker.inFlight() + peers.totals().getOrDefault(url, 0);
        return sample == null ? inFlight : score.of(inFlight, sample.load(), sample.inFlightAtPoll());
    }

    @Override
    public double ownFresh(Worker worker) {
        EngineSample sample = freshEngine(worker.urlText());
        return sample == null ? worker.inFlight()
                : score.of(worker.inFlight(), sample.load(), sample.inFlightAtPoll());
    }

    /** Requests in flight on {@code worker} through every router this one hears from, itself included. */
    public int clusterInFlight(Worker worker) {
        return worker.inFlight() + peers.totals().getOrDefault(worker.urlText(), 0);
    }

    /** The other routers' counts on {@code workerUrl}, by router name (routers with none left out). */
    public Map<String, Integer> peersInFlight(String workerUrl) {
        return peers.byRouter().getOrDefault(workerUrl, Map.of());
    }

    /** The engine's last report if it is fresh. */
    public Optional<EngineSample> engine(String workerUrl) {
        return Optional.ofNullable(freshEngine(workerUrl));
    }

    /** How old {@code sample} is now, in milliseconds. */
    public long ageMillis(EngineSample sample) {
        return Math.max(0, java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(nanos.getAsLong() - sample.measuredNanos()));
    }

    /** Replaces the other routers' counts (the HA layer, every publication interval). */
    public void peers(PeerInFlight counts) {
        this.peers = counts;
    }

    /** An engine report, measured here or by another router; an older one than held is ignored. */
    public void engineMeasured(String workerUrl, EngineLoad load, long measuredNanos, String source,
                               int inFlightAtPoll) {
        EngineSample sample = new EngineSample(load, measuredNanos, source, inFlightAtPoll);
        engine.merge(workerUrl, sample, (held, fresh) -> fresh.measuredNanos() - held.measuredNanos() >= 0 ? fresh : held);
    }

    /** The worker left the registry. */
    public void forget(String workerUrl) {
        engine.remove(workerUrl);
    }

    public LoadScore score() {
        return score;
    }

    private EngineSample freshEngine(String url) {
        EngineSample sample = engine.get(url);
        return sample != null && nanos.getAsLong() - sample.measuredNanos() <= engineStaleNanos ? sample : null;
    }
}
