package dev.smg.api.ha;

import dev.smg.mesh.Mesh;
import dev.smg.mesh.membership.Member;
import dev.smg.mesh.membership.MemberStatus;
import dev.smg.mesh.membership.MembershipView;
import dev.smg.mesh.store.StoreSnapshot;
import dev.smg.proto.ha.EngineLoadReport;
import dev.smg.proto.ha.EngineLoadSample;
import dev.smg.proto.ha.RouterLoadReport;
import dev.smg.router.load.EngineLoad;
import dev.smg.router.load.EngineLoadReplication;
import dev.smg.router.load.LoadView;
import dev.smg.router.worker.Worker;
import dev.smg.router.worker.WorkerRegistry;
import dev.smg.router.worker.WorkerUrl;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * Load sharing: makes every router balance on the whole cluster's load (docs/ha.md, "Load").
 * <ul>
 *   <li>Every {@code HaSettings.loadPublish} (50 ms) this router publishes its requests in flight per
 *       worker when they changed (and every second regardless, so that silence means trouble), and
 *       hands its peers' latest counts to the {@link LoadView}. A peer's counts leave the view as
 *       soon as membership says it is DOWN, LEAVING or gone, or its report was not renewed for
 *       {@code HaSettings.loadStaleAfter} (3 s).</li>
 *   <li>Engine polling is split: each worker's engine is polled by one router, the ALIVE member
 *       that wins rendezvous hashing of (member, worker URL), so the assignment follows membership
 *       with no coordination and moves only the workers of a member that comes or goes. What a
 *       router measures is published and adopted by the others with its age.</li>
 * </ul>
 * All state changes run on the HA loop; {@link #pollsHere} and {@link #measured} are called from
 * polling threads and only read a published list or offer a task.
 */
public final class LoadSync implements EngineLoadReplication {
    private static final System.Logger LOG = System.getLogger(LoadSync.class.getName());
    private static final long HEARTBEAT_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** When this router last heard a new report of a peer: its (incarnation, seq) and the local time. */
    private record Heard(long incarnation, long seq, long atNanos) {
    }

    /** An engine load this router measured, when (HA loop's clock), and the gateway's count then. */
    private record Measured(EngineLoad load, long atNanos, int inFlightAtPoll) {
    }

    private final WorkerRegistry registry;
    private final LoadView view;
    private final Mesh node;
    private final HaLoop loop;
    private final long incarnation;
    private final long staleNanos;
    private final long engineStaleNanos;
    private final LongAdder droppedMeasurements = new LongAdder();
    /** The members that poll engines (ALIVE, and this router), sorted: read by polling threads. */
    private volatile List<String> pollers;
    // HA loop only
    private Map<String, Integer> published;
    private long publishedAt;
    private long seq;
    private final Map<String, Measured> own = new HashMap<>();
    private boolean ownChanged;
    private long engineSeq;
    private final Map<String, Heard> heardInFlight = new HashMap<>();
    private final Map<String, Heard> heardEngine = new HashMap<>();

    /**
     * @param staleAfter       a peer's report not renewed for this long is left out
     * @param engineStaleAfter how long an engine measurement counts (as the {@link LoadView}'s bound)
     */
    LoadSync(WorkerRegistry registry, LoadView view, Mesh node, HaLoop loop, LongSupplier wallClock,
             Duration staleAfter, Duration engineStaleAfter) {
        this.registry = registry;
        this.view = view;
        this.node = node;
        this.loop = loop;
        this.incarnation = wallClock.getAsLong();
        this.staleNanos = staleAfter.toNanos();
        this.engineStaleNanos = engineStaleAfter.toNanos();
        this.pollers = List.of(node.name());
    }

    void start(Duration every) {
        loop.every(every, this::tick);
    }

    @Override
    public boolean pollsHere(String workerUrl) {
        List<String> candidates = pollers;
        String best = null;
        long bestScore = 0;
        for (String member : candidates) {
            long score = rendezvous(member, workerUrl);
            if (best == null || Long.compareUnsigned(score, bestScore) > 0) {
                best = member;
                bestScore = score;
            }
        }
        return node.name().equals(best);
    }

    @Override
    public void measured(String workerUrl, EngineLoad load, int inFlightAtPoll) {
        if (!loop.offer(() -> {
            own.put(workerUrl, new Measured(load, loop.nanoTime(), inFlightAtPoll));
            ownChanged = true;
        })) {
            droppedMeasurements.increment(); // the next poll's result will be offered again
        }
    }

    /** Engine measurements not shared because the HA loop's inbox was full. */
    long droppedMeasurements() {
        return droppedMeasurements.sum();
    }

    private void tick() {
        try {
            long now = loop.nanoTime();
            MembershipView members = node.view();
            pollers = pollers(members);
            publishInFlight(now);
            publishEngineLoads(now);
            StoreSnapshot snapshot = node.store().snapshot();
            readInFlight(snapshot, members, now);
            readEngineLoads(snapshot, members, now);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "load sharing failed", e);
        }
    }

    private List<String> pollers(MembershipView members) {
        List<String> names = new ArrayList<>();
        for (Member m : members.members()) {
            if (m.status() == MemberStatus.ALIVE && !m.name().equals(node.name())) {
                names.add(m.name());
            }
        }
        if (members.self().status() != MemberStatus.LEAVING) {
            names.add(node.name()); // a starting router (INIT) polls too: a double poll for a moment costs little
        }
        names.sort(null);
        return List.copyOf(names);
    }

    private void publishInFlight(long now) {
        Map<String, Integer> counts = new HashMap<>();
        for (Worker w : registry.snapshot()) {
            int n = w.inFlight();
            if (n > 0) {
                counts.put(w.urlText(), n);
            }
        }
        if (counts.equals(published) && now - publishedAt < HEARTBEAT_NANOS) {
            return;
        }
        RouterLoadReport report = RouterLoadReport.newBuilder().setIncarnationMillis(incarnation).setSeq(seq + 1)
                .putAllInFlight(counts).build();
        if (HaNamespaces.ROUTER_LOAD.put(node.store(), node.name(), report)) {
            seq++;
            published = counts;
            publishedAt = now;
        } // else the mesh loop's inbox was full: the next tick publishes again
    }

    private void publishEngineLoads(long now) {
        own.values().removeIf(m -> now - m.atNanos() > engineStaleNanos);
        if (!ownChanged) {
            return;
        }
        EngineLoadReport.Builder report = EngineLoadReport.newBuilder().setIncarnationMillis(incarnation)
                .setSeq(engineSeq + 1);
        own.forEach((url, m) -> report.addSamples(EngineLoadSample.newBuilder().setWorker(url)
                .setRunning(m.load().running()).setWaiting(m.load().waiting())
                .setKvKnown(m.load().kvKnown()).setKvUsage(m.load().kvKnown() ? m.load().kvUsage() : 0)
                .setAgeMillis(TimeUnit.NANOSECONDS.toMillis(now - m.atNanos())).setInFlightAtPoll(m.inFlightAtPoll())));
        if (HaNamespaces.ENGINE_LOAD.put(node.store(), node.name(), report.build())) {
            engineSeq++;
            ownChanged = false;
        }
    }

    /** A peer's report counts while it is ALIVE or SUSPECTED (not yet known to be gone) and renewed. */
    private boolean counts(MembershipView members, String name) {
        Optional<Member> m = members.member(name);
        return !name.equals(node.name()) && m.isPresent()
                && (m.get().status() == MemberStatus.ALIVE || m.get().status() == MemberStatus.SUSPECTED);
    }

    /** Whether the report is new since last heard; records it. */
    private static boolean renewed(Map<String, Heard> heard, String name, long incarnation, long seq, long now) {
        Heard last = heard.get(name);
        if (last == null || last.incarnation() != incarnation || last.seq() != seq) {
            heard.put(name, new Heard(incarnation, seq, now));
            return true;
        }
        return false;
    }

    private void readInFlight(StoreSnapshot snapshot, MembershipView members, long now) {
        Map<String, Integer> totals = new HashMap<>();
        Map<String, Map<String, Integer>> byRouter = new HashMap<>();
        Set<String> seen = new HashSet<>();
        HaNamespaces.ROUTER_LOAD.entries(snapshot).forEach((name, entry) -> {
            if (!counts(members, name)) {
                return;
            }
            seen.add(name);
            RouterLoadReport report = entry.value();
            renewed(heardInFlight, name, report.getIncarnationMillis(), report.getSeq(), now);
            if (now - heardInFlight.get(name).atNanos() > staleNanos) {
                return; // alive by membership, but its load reports stopped: its counts cannot be trusted
            }
            report.getInFlightMap().forEach((url, n) -> {
                if (n > 0) {
                    totals.merge(url, n, Integer::sum);
                    byRouter.computeIfAbsent(url, u -> new TreeMap<>()).put(name, n);
                }
            });
        });
        heardInFlight.keySet().retainAll(seen);
        view.peers(new LoadView.PeerInFlight(totals, byRouter));
    }

    private void readEngineLoads(StoreSnapshot snapshot, MembershipView members, long now) {
        Set<String> seen = new HashSet<>();
        HaNamespaces.ENGINE_LOAD.entries(snapshot).forEach((name, entry) -> {
            if (!counts(members, name)) {
                return;
            }
            seen.add(name);
            EngineLoadReport report = entry.value();
            if (!renewed(heardEngine, name, report.getIncarnationMillis(), report.getSeq(), now)) {
                return; // adopted already; the view ages it
            }
            for (EngineLoadSample s : report.getSamplesList()) {
                if (s.getRunning() < 0 || s.getWaiting() < 0 || s.getAgeMillis() < 0 || s.getInFlightAtPoll() < 0) {
                    continue; // not a load any router writes
                }
                view.engineMeasured(s.getWorker(), new EngineLoad(s.getRunning(), s.getWaiting(),
                        s.getKvKnown() ? s.getKvUsage() : Double.NaN),
                        now - TimeUnit.MILLISECONDS.toNanos(s.getAgeMillis()), name, s.getInFlightAtPoll());
            }
        });
        heardEngine.keySet().retainAll(seen);
    }

    /**
     * Removes the reports of routers that are no longer members, so restarts under new names do
     * not grow the store. A cluster-wide duty: the caller runs it on the quorum's leader only.
     */
    void collectDeparted() {
        Set<String> members = new HashSet<>();
        node.view().members().forEach(m -> members.add(m.name()));
        StoreSnapshot snapshot = node.store().snapshot();
        for (LwwTable<String, ?> table : List.of(HaNamespaces.ROUTER_LOAD, HaNamespaces.ENGINE_LOAD)) {
            for (String name : table.entries(snapshot).keySet()) {
                if (!members.contains(name)) {
                    table.remove(node.store(), name);
                }
            }
        }
    }

    /**
     * The load fields of one worker in {@code /ha/workers}: {@code in_flight} (every router this one
     * hears from, itself included), {@code in_flight_by_router}, {@code engine_load} (or null) and
     * {@code load_score}. Any thread.
     */
    public Map<String, Object> json(WorkerUrl url) {
        String key = url.toString();
        Optional<Worker> local = registry.find(url);
        int mine = local.map(Worker::inFlight).orElse(0);
        Map<String, Integer> byRouter = new TreeMap<>(view.peersInFlight(key));
        byRouter.put(node.name(), mine);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("in_flight", byRouter.values().stream().mapToInt(Integer::intValue).sum());
        json.put("in_flight_by_router", byRouter);
        json.put("engine_load", view.engine(key).map(s -> {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("running", s.load().running());
            e.put("waiting", s.load().waiting());
            e.put("kv_cache_usage", s.load().kvKnown() ? s.load().kvUsage() : null);
            e.put("reported_by", s.source());
            e.put("age_ms", view.ageMillis(s));
            return e;
        }).orElse(null));
        json.put("load_score", local.map(view::of).orElse(null));
        return json;
    }

    /**
     * When each router's latest load report was written (wall-clock milliseconds of its stamp), as
     * this router's store holds it: every router renews its report at least once a second, so the age
     * of this stamp is how long ago this router last heard from it. Any thread.
     */
    public Map<String, Long> reportedAtMillis() {
        Map<String, Long> at = new TreeMap<>();
        HaNamespaces.ROUTER_LOAD.entries(node.store().snapshot()).forEach((name, entry) ->
                at.put(name, entry.writtenMillis()));
        return at;
    }

    /** 64-bit mix of (member, worker): the member with the highest value polls the worker. */
    static long rendezvous(String member, String workerUrl) {
        long h = member.hashCode() * 0x9E3779B97F4A7C15L ^ workerUrl.hashCode();
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb34fd53a6ed3L;
        h ^= h >>> 33;
        return h;
    }
}
