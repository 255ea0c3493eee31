package dev.smg.router.policy;

import dev.smg.router.replication.SessionReplication;
import dev.smg.router.replication.WorkerLoad;
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
 * <p>
 * No lock: the session map is a {@link ConcurrentHashMap} changed only by compare-and-set against
 * the session a request read (two requests placing one new key agree on its worker), and the
 * per-worker session counts {@code min_group} needs are kept as sessions change
 * ({@link SessionGroups}) rather than recounted per new key.
 */
public final class ManualPolicy implements RoutingPolicy {
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

    /** Sessions kept at most (the oldest beyond it are dropped). */
    public static final int MAX_SESSIONS = 1_000_000;
    private final WorkerLoad load;
    private volatile SessionReplication replication = SessionReplication.NONE;

    private final AssignmentMode mode;
    private final long maxIdleNanos;
    private final int maxSessions;
    private final LongSupplier clock;
    private final Map<String, Session> sessions = new ConcurrentHashMap<>();
    private final SessionGroups groups = new SessionGroups();
    private final AtomicLong expired = new AtomicLong();
    private final RandomPolicy random = new RandomPolicy();

    public ManualPolicy(AssignmentMode mode, Duration maxIdle, int maxSessions, LongSupplier clock) {
        this(mode, maxIdle, maxSessions, clock, WorkerLoad.LOCAL);
    }

    /** @param load what {@code min_load} compares ({@link WorkerLoad#LOCAL}: this router's in-flight counts) */
    public ManualPolicy(AssignmentMode mode, Duration maxIdle, int maxSessions, LongSupplier clock, WorkerLoad load) {
        this.load = load;
        this.mode = mode;
        this.maxIdleNanos = maxIdle.toNanos();
        this.maxSessions = maxSessions;
        this.clock = clock;
    }

    public ManualPolicy(AssignmentMode mode, Duration maxIdle) {
        this(mode, maxIdle, MAX_SESSIONS, System::nanoTime);
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
        // Every change is a compare-and-set against the session read, so two requests placing the
        // same new key at once end on one worker: the loser of putIfAbsent follows the winner.
        for (;;) {
            long now = clock.getAsLong();
            Session session = sessions.get(key);
            Worker sticky = session != null && now - session.lastUseNanos() <= maxIdleNanos
                    ? find(candidates, session.workerUrl()) : null;
            if (sticky != null) {
                // Re-announced at half the idle limit, so peers keep a session alive that is only
                // used here (each router forgets idle sessions on its own).
                boolean announce = now - session.announcedNanos() > maxIdleNanos / 2;
                Session touched = new Session(session.workerUrl(), now,
                        announce ? now : session.announcedNanos(), session.placedMillis());
                if (sessions.replace(key, session, touched)) {
                    if (announce) {
                        replication.placed(this, key, session.workerUrl(), session.placedMillis());
                    }
                    return Optional.of(sticky);
                }
                Session current = sessions.get(key);
                if (current != null && current.workerUrl().equals(session.workerUrl())) {
                    return Optional.of(sticky); // used by another request at the same moment
                }
                continue; // moved or dropped meanwhile: decide again
            }
            Optional<Worker> chosen = assign(candidates);
            if (chosen.isEmpty()) {
                return chosen;
            }
            String url = chosen.get().url().toString();
            long placed = System.currentTimeMillis();
            if (replace(key, session, new Session(url, now, now, placed))) {
                replication.placed(this, key, url, placed);
                return chosen;
            }
        }
    }

    private static Worker find(List<Worker> candidates, String url) {
        for (Worker w : candidates) {
            if (w.url().toString().equals(url)) {
                return w;
            }
        }
        return null;
    }

    private Optional<Worker> assign(List<Worker> candidates) {
        return switch (mode) {
            case RANDOM -> random.select(candidates, RoutingRequest.ANY);
            case MIN_LOAD -> candidates.stream().min((a, b) -> Double.compare(load.of(a), load.of(b)));
            case MIN_GROUP -> {
                int best = Integer.MAX_VALUE;
                Worker pick = null;
                int ties = 0;
                for (Worker w : candidates) {
                    int c = groups.count(w.url().toString());
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

    /**
     * The one way a key's session is placed or moved: a compare-and-set from {@code expected} (null:
     * absent), reported to the group counts when it succeeds.
     */
    private boolean replace(String key, Session expected, Session next) {
        boolean done = expected == null ? sessions.putIfAbsent(key, next) == null
                : sessions.replace(key, expected, next);
        if (done) {
            groups.moved(expected == null ? null : expected.workerUrl(), next.workerUrl());
        }
        return done;
    }

    /** The one way a session is dropped (only if it is still {@code expected}); true when it was. */
    private boolean drop(String key, Session expected) {
        if (sessions.remove(key, expected)) {
            groups.moved(expected.workerUrl(), null);
            return true;
        }
        return false;
    }

    @Override
    public void forget(Worker worker) {
        String url = worker.url().toString();
        sessions.forEach((key, s) -> {
            if (s.workerUrl().equals(url)) {
                drop(key, s);
            }
        });
    }

    /**
     * Drops idle sessions, then the least recently used ones beyond the bound. Sessions idle past the
     * limit but not dropped yet still count for {@code min_group} until this runs (every eviction
     * interval): keeping counts by idleness would need a timer per session.
     */
    @Override
    public void maintain() {
        long now = clock.getAsLong();
        long dropped = 0;
        for (Map.Entry<String, Session> e : sessions.entrySet()) {
            if (now - e.getValue().lastUseNanos() > maxIdleNanos && drop(e.getKey(), e.getValue())) {
                dropped++;
            }
        }
        int excess = sessions.size() - maxSessions; // read once: requests change the size meanwhile
        if (excess > 0) {
            List<Map.Entry<String, Session>> oldest = sessions.entrySet().stream()
                    .sorted((a, b) -> Long.compare(a.getValue().lastUseNanos(), b.getValue().lastUseNanos()))
                    .limit(excess).toList();
            for (Map.Entry<String, Session> e : oldest) {
                if (drop(e.getKey(), e.getValue())) {
                    dropped++;
                }
            }
        }
        expired.addAndGet(dropped);
    }

    /** Where this policy's own placements go from now on (session replication). */
    public void replicateTo(SessionReplication port) {
        this.replication = port;
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
        Session next = new Session(placement.workerUrl(), now, now, placement.placedMillis());
        for (;;) {
            Session current = sessions.get(routingKey);
            if (current != null && !placement.laterThan(current.placement())) {
                return;
            }
            if (replace(routingKey, current, next)) {
                return;
            }
        }
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

    /** Sessions per worker URL as kept incrementally (tests compare it with {@link #recountGroups()}). */
    Map<String, Integer> groupCounts() {
        return groups.snapshot();
    }

    /** Sessions per worker URL counted from the session map, the slow way. */
    Map<String, Integer> recountGroups() {
        Map<String, Integer> counts = new HashMap<>();
        sessions.values().forEach(s -> counts.merge(s.workerUrl(), 1, Integer::sum));
        return counts;
    }
}
