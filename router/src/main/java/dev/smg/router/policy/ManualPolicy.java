package dev.smg.router.policy;

import dev.smg.router.worker.Worker;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Sticky sessions: a routing key stays on the worker it was first given while that worker is
 * available; a session idle longer than {@code maxIdle} is forgotten. New keys are placed by the
 * assignment mode. The session map is bounded ({@code maxSessions}); beyond it the oldest idle
 * sessions are dropped at the next maintenance and counted.
 */
public final class ManualPolicy implements RoutingPolicy {
    /** Told when a routing key is placed on a worker (or re-announced): session replication. */
    public interface AssignmentListener {
        void assigned(ManualPolicy policy, String routingKey, String workerUrl, long placedMillis);
    }

    /** A placement as replicated: the later placement of a key wins on every router. */
    public record Placement(String workerUrl, long placedMillis) {
        boolean laterThan(Placement other) {
            return placedMillis != other.placedMillis ? placedMillis > other.placedMillis
                    : workerUrl.compareTo(other.workerUrl) > 0;
        }
    }

    /**
     * @param placedMillis   wall-clock time of the placement (orders concurrent placements across routers)
     * @param announcedNanos when this session was last told to the listener
     */
    private record Session(String workerUrl, long lastUseNanos, long announcedNanos, long placedMillis) {
        Placement placement() {
            return new Placement(workerUrl, placedMillis);
        }
    }

    private volatile AssignmentListener listener = (policy, key, url, placed) -> { };

    private final AssignmentMode mode;
    private final long maxIdleNanos;
    private final int maxSessions;
    private final LongSupplier clock;
    private final Map<String, Session> sessions = new ConcurrentHashMap<>();
    private final AtomicLong expired = new AtomicLong();
    private final RandomPolicy random = new RandomPolicy();

    public ManualPolicy(AssignmentMode mode, Duration maxIdle, int maxSessions, LongSupplier clock) {
        this.mode = mode;
        this.maxIdleNanos = maxIdle.toNanos();
        this.maxSessions = maxSessions;
        this.clock = clock;
    }

    public ManualPolicy(AssignmentMode mode, Duration maxIdle) {
        this(mode, maxIdle, 1_000_000, System::nanoTime);
    }

    @Override
    public String name() {
        return "manual";
    }

    @Override
    public Optional<Worker> select(List<Worker> candidates, RoutingRequest request) {
        if (candidates.isEmpty()) {
            return Optional.empty();
        }
        if (request.routingKey().isEmpty()) {
            return assign(candidates);
        }
        String key = request.routingKey().get();
        long now = clock.getAsLong();
        Session session = sessions.get(key);
        if (session != null && now - session.lastUseNanos() <= maxIdleNanos) {
            for (Worker w : candidates) {
                if (w.url().toString().equals(session.workerUrl())) {
                    // Re-announced at half the idle limit, so peers keep a session alive that is only
                    // used here (each router forgets idle sessions on its own).
                    boolean announce = now - session.announcedNanos() > maxIdleNanos / 2;
                    sessions.put(key, new Session(session.workerUrl(), now,
                            announce ? now : session.announcedNanos(), session.placedMillis()));
                    if (announce) {
                        listener.assigned(this, key, session.workerUrl(), session.placedMillis());
                    }
                    return Optional.of(w);
                }
            }
        }
        Optional<Worker> chosen = assign(candidates);
        chosen.ifPresent(w -> {
            long placed = System.currentTimeMillis();
            sessions.put(key, new Session(w.url().toString(), now, now, placed));
            listener.assigned(this, key, w.url().toString(), placed);
        });
        return chosen;
    }

    private Optional<Worker> assign(List<Worker> candidates) {
        return switch (mode) {
            case RANDOM -> random.select(candidates, RoutingRequest.ANY);
            case MIN_LOAD -> candidates.stream().min((a, b) -> Integer.compare(a.inFlight(), b.inFlight()));
            case MIN_GROUP -> {
                Map<String, Integer> counts = new HashMap<>();
                long now = clock.getAsLong();
                for (Session s : sessions.values()) {
                    if (now - s.lastUseNanos() <= maxIdleNanos) {
                        counts.merge(s.workerUrl(), 1, Integer::sum);
                    }
                }
                int best = Integer.MAX_VALUE;
                Worker pick = null;
                int ties = 0;
                for (Worker w : candidates) {
                    int c = counts.getOrDefault(w.url().toString(), 0);
                    if (c < best) {
                        best = c;
                        pick = w;
                        ties = 1;
                    } else if (c == best && ThreadLocalRandom.current().nextInt(++ties) == 0) {
                        pick = w; // reservoir choice among equals
                    }
                }
                yield Optional.ofNullable(pick);
            }
        };
    }

    @Override
    public void forget(Worker worker) {
        String url = worker.url().toString();
        sessions.values().removeIf(s -> s.workerUrl().equals(url));
    }

    /** Drops idle sessions, then the least recently used ones beyond the bound. */
    @Override
    public void maintain() {
        long now = clock.getAsLong();
        int before = sessions.size();
        sessions.values().removeIf(s -> now - s.lastUseNanos() > maxIdleNanos);
        if (sessions.size() > maxSessions) {
            List<Map.Entry<String, Session>> oldest = sessions.entrySet().stream()
                    .sorted((a, b) -> Long.compare(a.getValue().lastUseNanos(), b.getValue().lastUseNanos()))
                    .limit(sessions.size() - maxSessions).toList();
            oldest.forEach(e -> sessions.remove(e.getKey(), e.getValue()));
        }
        expired.addAndGet(Math.max(0, before - sessions.size()));
    }

    public void onAssignment(AssignmentListener listener) {
        this.listener = listener;
    }

    /**
     * Takes a session another router placed, unless this router holds a later placement of the key
     * (two routers placing one key at once end with the same worker on both).
     */
    public void adopt(String routingKey, Placement placement) {
        long now = clock.getAsLong();
        if (sessions.size() >= maxSessions && !sessions.containsKey(routingKey)) {
            return;
        }
        sessions.compute(routingKey, (k, current) -> current == null || placement.laterThan(current.placement())
                ? new Session(placement.workerUrl(), now, now, placement.placedMillis())
                : current);
    }

    /** Live sessions, key to placement (for a peer that restarts empty). */
    public Map<String, Placement> liveSessions() {
        long now = clock.getAsLong();
        Map<String, Placement> out = new HashMap<>();
        sessions.forEach((k, s) -> {
            if (now - s.lastUseNanos() <= maxIdleNanos) {
                out.put(k, s.placement());
            }
        });
        return out;
    }

    public int sessions() {
        return sessions.size();
    }

    public long expired() {
        return expired.get();
    }
}
