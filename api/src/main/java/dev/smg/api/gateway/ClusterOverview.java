package dev.smg.api.gateway;

import dev.smg.api.Version;
import dev.smg.api.ha.HaContext;
import dev.smg.mesh.membership.Member;
import dev.smg.mesh.membership.MemberStatus;
import dev.smg.router.worker.Worker;
import dev.smg.router.worker.WorkerRegistry;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.DataPointSnapshot;
import io.prometheus.metrics.model.snapshots.DistributionDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.LongSupplier;

/**
 * The body of {@code GET /ha/overview}: everything {@code /ha/ui} shows, in one answer, so that the
 * page makes one request per refresh however many workers and routers there are. It is the existing
 * JSON put side by side ({@code /ha/health}, {@code /ha/status}'s nodes and stores, {@code /ha/workers},
 * {@code /workers}'s list for this router's own view, {@code /ha/rate-limit/stats}), plus what no
 * route had: each member's last-heard age and rate-limit share, the leader and self flags, the cache
 * tree's size and replication counters, the replication lag, and recent events.
 * <p>
 * With the mesh off the same shape describes the single router: one member, no cluster fields (null).
 */
final class ClusterOverview {
    /** How often the HA loop compares what it sees, for the event list. */
    static final Duration LOOK_EVERY = Duration.ofMillis(500);
    private static final int EVENTS_KEPT = 50;
    private static final String CONVERGENCE = "router_mesh_convergence_ms";
    private static final String TREE_BLOCKS = "smg_cache_tree_blocks";

    private final WorkerRegistry registry;
    private final Optional<HaContext> ha;
    private final PrometheusRegistry metrics;
    private final String localName;
    private final LongSupplier wallClock;
    private final ClusterEvents events = new ClusterEvents(EVENTS_KEPT);
    private final ConvergenceWindow convergence = new ConvergenceWindow(5_000);

    /**
     * @param localName what the single router is called when the mesh is off (its HTTP address)
     */
    ClusterOverview(WorkerRegistry registry, Optional<HaContext> ha, PrometheusRegistry metrics, String localName,
                    LongSupplier wallClock) {
        this.registry = registry;
        this.ha = ha;
        this.metrics = metrics;
        this.localName = localName;
        this.wallClock = wallClock;
    }

    /**
     * Starts looking for events on the HA loop (cheap, non-blocking reads of two immutable
     * snapshots). Without the mesh, events are looked for only when the page asks.
     */
    void watch() {
        ha.ifPresent(h -> h.loop().every(LOOK_EVERY, this::look));
    }

    private void look() {
        Map<String, String> members = new TreeMap<>();
        if (ha.isPresent()) {
            for (Member m : ha.get().mesh().view().members()) {
                members.put(m.name(), m.status().name());
            }
        } else {
            members.put(localName, MemberStatus.ALIVE.name());
        }
        Map<String, String> workers = new TreeMap<>();
        for (Worker w : registry.snapshot()) {
            workers.put(w.urlText(), w.status().wireName() + ", breaker "
                    + w.breaker().state().name().toLowerCase(Locale.ROOT));
        }
        events.observe(wallClock.getAsLong(), members, workers);
    }

    Map<String, Object> json() {
        look();
        long now = wallClock.getAsLong();
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("version", Version.current());
        json.put("mesh", ha.isPresent());
        json.put("generated_at", now);
        List<Map<String, Object>> local = new ArrayList<>();
        registry.snapshot().forEach(w -> local.add(WorkerRoutes.info(w)));
        Map<String, Double> scraped = scrape();
        if (ha.isPresent()) {
            HaContext h = ha.get();
            Map<String, Object> health = HaRoutes.health(h);
            Map<String, Object> status = HaRoutes.status(h);
            Map<?, ?> quorum = (Map<?, ?>) health.get("quorum");
            json.put("node_name", status.get("node_name"));
            json.put("health", health);
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> nodes = (List<Map<String, Object>>) status.get("nodes");
            json.put("members", members(nodes, (String) status.get("node_name"), (String) quorum.get("leader"),
                    h.load().reportedAtMillis(), h.rateLimit().shares(), now));
            json.put("stores", status.get("stores"));
            json.put("workers", HaRoutes.workers(h));
            json.put("local_workers", local);
            json.put("rate_limit", h.rateLimit().stats());
            json.put("trees", trees(scraped.get(TREE_BLOCKS), h.trees().sent(), h.trees().received(),
                    h.trees().dropped()));
            json.put("replication", convergence.read(now, scraped.getOrDefault(CONVERGENCE + "_count", 0.0),
                    scraped.getOrDefault(CONVERGENCE + "_sum", 0.0)));
        } else {
            json.put("node_name", localName);
            Map<String, Object> health = new LinkedHashMap<>();
            health.put("status", "healthy");
            health.put("node_name", localName);
            health.put("quorum", null);
            json.put("health", health);
            json.put("members", List.of(localMember(localName)));
            json.put("stores", null);
            json.put("workers", null);
            json.put("local_workers", local);
            json.put("rate_limit", null);
            json.put("trees", trees(scraped.get(TREE_BLOCKS), null, null, null));
            json.put("replication", null);
        }
        List<Map<String, Object>> recent = new ArrayList<>();
        events.recent().forEach(e -> recent.add(e.json()));
        json.put("events", recent);
        return json;
    }

    /**
     * {@code /ha/status}'s nodes, each with what the page needs beside it: {@code status_name}
     * ("ALIVE"), {@code self}, {@code leader}, {@code last_heard_ms} (the age of its latest load
     * report here; 0 for this router; null when it never reported: load sync off, or just joined)
     * and {@code rate_share} (null when this router does not count it).
     */
    static List<Map<String, Object>> members(List<Map<String, Object>> nodes, String self, String leader,
                                              Map<String, Long> reportedAtMillis, Map<String, Double> shares,
                                              long nowMillis) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Map<String, Object> node : nodes) {
            String name = (String) node.get("name");
            Map<String, Object> row = new LinkedHashMap<>(node);
            row.put("status_name", statusName((String) node.get("status")));
            row.put("self", name.equals(self));
            row.put("leader", name.equals(leader));
            Long reported = reportedAtMillis.get(name);
            row.put("last_heard_ms", name.equals(self) ? Long.valueOf(0)
                    : reported == null ? null : Math.max(0, nowMillis - reported));
            row.put("rate_share", shares.get(name));
            out.add(row);
        }
        return out;
    }

    /** The seed's status number as {@link MemberStatus}'s name; "UNKNOWN" for anything else. */
    static String statusName(String code) {
        for (MemberStatus s : MemberStatus.values()) {
            if (String.valueOf(s.code()).equals(code)) {
                return s.name();
            }
        }
        return "UNKNOWN";
    }

    /** The single router of a gateway without the mesh, as a member row. */
    static Map<String, Object> localMember(String name) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("name", name);
        row.put("address", name);
        row.put("status", String.valueOf(MemberStatus.ALIVE.code()));
        row.put("version", 0L);
        row.put("status_name", MemberStatus.ALIVE.name());
        row.put("self", true);
        row.put("leader", true);
        row.put("last_heard_ms", 0L);
        row.put("rate_share", null);
        return row;
    }

    private static Map<String, Object> trees(Double blocks, Long sent, Long received, Long dropped) {
        Map<String, Object> trees = new LinkedHashMap<>();
        trees.put("blocks", blocks == null ? null : blocks.longValue());
        trees.put("inserts_sent", sent);
        trees.put("inserts_received", received);
        trees.put("inserts_dropped", dropped);
        return trees;
    }

    /** The few of this process's metrics the page shows: gauges by name, histograms as _count and _sum. */
    private Map<String, Double> scrape() {
        Set<String> wanted = Set.of(TREE_BLOCKS, CONVERGENCE);
        Map<String, Double> out = new TreeMap<>();
        for (MetricSnapshot snapshot : metrics.scrape(wanted::contains)) {
            String name = snapshot.getMetadata().getPrometheusName();
            double value = 0;
            double count = 0;
            for (DataPointSnapshot point : snapshot.getDataPoints()) {
                if (snapshot instanceof GaugeSnapshot && point instanceof GaugeSnapshot.GaugeDataPointSnapshot g) {
                    value += g.getValue();
                } else if (point instanceof DistributionDataPointSnapshot d) {
                    count += d.hasCount() ? d.getCount() : 0;
                    value += d.hasSum() ? d.getSum() : 0;
                }
            }
            if (snapshot instanceof GaugeSnapshot) {
                out.put(name, value);
            } else {
                out.put(name + "_count", count);
                out.put(name + "_sum", value);
            }
        }
        return out;
    }
}
