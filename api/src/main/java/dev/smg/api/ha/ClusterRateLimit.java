package dev.smg.api.ha;

import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import dev.smg.mesh.crdt.CrdtMap;
import dev.smg.mesh.crdt.GCounter;
import dev.smg.mesh.membership.Member;
import dev.smg.mesh.membership.MemberStatus;
import dev.smg.mesh.membership.MembershipView;
import dev.smg.mesh.store.Namespace;
import dev.smg.mesh.store.ReplicatedStore;
import dev.smg.mesh.store.StoreSnapshot;
import dev.smg.proto.ha.RateLimitSetting;
import dev.smg.router.admission.RateLimiter;
import dev.smg.router.admission.TokenBucket;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntPredicate;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * A request-rate limit for the whole cluster ({@code --cluster-rate-limit} with
 * {@code --rate-limit-tokens-per-second L}, or {@code POST /ha/rate-limit}).
 * <p>
 * Each router admits from its own token bucket, refilled at its <em>share</em> of L, so the hot
 * path never waits for the network. Every {@code HaSettings.rateLimitRebalance} (100 ms) each router publishes how
 * many requests it was offered and admitted (G-Counters in the replicated store, one key per router
 * incarnation) and recomputes the shares from everyone's offered rate over the last second: a
 * router that gets 70% of the traffic gets 70% of L. The sum of the shares is 1, so the cluster
 * admits at most L (plus each bucket's burst of {@value #BURST_SECONDS} s) even while routers
 * disagree about the rates for a moment.
 * <p>
 * Partitions: a member this router cannot reach (SUSPECTED, DOWN) keeps the last demand it was
 * seen with, so each side of a split admits no more than its share. A member that left
 * gracefully gives its share back at once; a crashed one when it is reaped from membership.
 */
public final class ClusterRateLimit implements RateLimiter {
    static final double BURST_SECONDS = 0.05;
    static final double MIN_BURST = 2;
    /** A router with no traffic still gets this fraction of L, so its first requests are not refused. */
    static final double FLOOR = 0.02;
    private static final long WINDOW_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final ReplicatedStore store;
    private final Supplier<MembershipView> view;
    private final String self;
    private final RouterIncarnation incarnation;
    private final double configured;
    private final AtomicLong offered = new AtomicLong();
    private final AtomicLong admitted = new AtomicLong();
    private final TokenBucket bucket;
    private final HaLoop rebalancer;
    // HA loop only
    /** Per counter namespace, per incarnation: (time, count) samples over the last second. */
    private final Map<String, Map<RouterIncarnation, ArrayDeque<long[]>>> history = new HashMap<>();
    private final Map<String, Double> demand = new HashMap<>();
    /**
     * The totals last published; -1 until the first publication, so a router offered nothing still
     * publishes its zero: peers then measure it at rate 0 (the floor), instead of holding back an equal
     * share of the limit for it forever (found by HaSimulationTest: the busy routers' shares summed to 0.77).
     */
    private long publishedOffered = -1;
    private long publishedAdmitted = -1;
    private volatile double limit;
    private volatile double share;
    private boolean measuredShare; // HA loop only
    private volatile double clusterAdmittedRate;
    /** Every counted member's share as this router computed it at its last rebalance (for /ha/ui). */
    private volatile Map<String, Double> shares = Map.of();
    private int clusterConcurrency;
    private IntPredicate concurrencyCap = cap -> true;
    private volatile int lastCap = -1;

    /**
     * @param configured the flag's cluster limit in requests per second, 0 for none until one is
     *                   set through the HA API
     */
    public ClusterRateLimit(ReplicatedStore store, Supplier<MembershipView> view, String self, double configured,
                            HaLoop loop, LongSupplier wallClock) {
        this.store = store;
        this.rebalancer = loop;
        this.bucket = TokenBucket.empty(loop::nanoTime);
        this.view = view;
        this.self = self;
        this.incarnation = new RouterIncarnation(self, wallClock.getAsLong());
        this.configured = configured;
        this.limit = configured;
        this.share = 1;
        setBucketRate(configured);
    }

    /**
     * Also shares a cluster-wide concurrency cap by the same shares: this router's cap becomes
     * ceil(cap × share), at least 1, given to {@code apply} whenever it changes (until {@code apply}
     * says it took it). Call before start.
     */
    public void shareConcurrency(int clusterCap, IntPredicate apply) {
        this.clusterConcurrency = clusterCap;
        this.concurrencyCap = apply;
    }

    /** Starts rebalancing every {@code every} ({@code HaSettings.rateLimitRebalance}, 100 ms in every profile but wan). */
    public void start(Duration every) {
        rebalancer.every(every, this::rebalance);
    }

    @Override
    public long tryTake() {
        offered.incrementAndGet();
        if (limit <= 0) {
            admitted.incrementAndGet();
            return 0;
        }
        long wait = bucket.tryTake();
        if (wait == 0) {
            admitted.incrementAndGet();
        }
        return wait;
    }

    /** Sets the cluster-wide limit (replicated; last writer wins); 0 turns it off. */
    public void setLimit(double perSecond) {
        HaNamespaces.RATE_LIMIT_SETTING.put(store, HaNamespaces.Setting.RATE_LIMIT,
                RateLimitSetting.newBuilder().setLimitPerSecond(perSecond).build());
    }

    /** The limit in force: the one set through the API if any, else the flag's. */
    public Optional<Double> limit() {
        return limit > 0 ? Optional.of(limit) : Optional.empty();
    }

    /** This router's share and the limit in force, as gauges (what {@link #stats()} says, for dashboards). */
    public void exportTo(PrometheusRegistry registry) {
        GaugeWithCallback.builder().name("smg_cluster_rate_limit_per_second")
                .help("The cluster-wide rate limit in force, requests per second (0: none)")
                .callback(cb -> cb.call(Math.max(0, limit)))
                .register(registry);
        GaugeWithCallback.builder().name("smg_cluster_rate_limit_share")
                .help("This router's share of the cluster-wide rate limit, 0..1 (by the demand each router sees)")
                .callback(cb -> cb.call(share))
                .register(registry);
    }

    /**
     * Each member's share of the limit as this router computed it at its last rebalance (they sum to
     * 1; a member's own router may see slightly different rates). Any thread.
     */
    public Map<String, Double> shares() {
        return shares;
    }

    public Map<String, Object> stats() {
        Map<String, Object> stats = new LinkedHashMap<>();
        double l = limit;
        long count = Math.round(clusterAdmittedRate);
        stats.put("limit_per_second", l > 0 ? l : 0);
        stats.put("current_count", count);
        stats.put("remaining", l > 0 ? Math.max(0, Math.round(l) - count) : -1);
        stats.put("node_share", share);
        stats.put("node_rate_per_second", l > 0 ? l * share : 0);
        if (clusterConcurrency > 0) {
            stats.put("cluster_max_concurrent", clusterConcurrency);
            stats.put("node_max_concurrent", lastCap);
        }
        return stats;
    }

    private void rebalance() {
        try {
            StoreSnapshot snapshot = store.snapshot();
            limit = storedLimit(snapshot).orElse(configured);
            publish();
            long now = rebalancer.nanoTime();
            Map<String, Double> offeredRates = rates(HaNamespaces.OFFERED, offered.get(), snapshot, now);
            Map<String, Double> admittedRates = rates(HaNamespaces.ADMITTED, admitted.get(), snapshot, now);
            MembershipView v = view.get();
            Map<String, Double> next = new HashMap<>();
            double admittedSum = 0;
            int counted = 0;
            for (Member m : v.members()) {
                if (m.status() == MemberStatus.LEAVING || m.status() == MemberStatus.INIT) {
                    continue;
                }
                counted++;
                boolean reachable = m.status() == MemberStatus.ALIVE || m.status() == MemberStatus.SUSPECTED
                        || m.name().equals(self);
                Double rate = offeredRates.get(m.name());
                if (reachable && rate != null) {
                    next.put(m.name(), rate);
                    admittedSum += admittedRates.getOrDefault(m.name(), 0.0);
                } else if (demand.containsKey(m.name())) {
                    next.put(m.name(), demand.get(m.name())); // unreachable: keep its last known demand
                } else {
                    next.put(m.name(), Double.NaN); // never measured yet: an equal share
                }
            }
            demand.clear();
            next.forEach((name, d) -> {
                if (!d.isNaN()) {
                    demand.put(name, d);
                }
            });
            double l = limit;
            int members = Math.max(1, counted);
            double floor = l * FLOOR;
            double total = 0;
            double mine = 0;
            Map<String, Double> weighed = new java.util.TreeMap<>();
            for (Map.Entry<String, Double> e : next.entrySet()) {
                double d = e.getValue().isNaN() ? l / members : Math.max(floor, e.getValue());
                total += d;
                weighed.put(e.getKey(), d);
                if (e.getKey().equals(self)) {
                    mine = d;
                }
            }
            double sum = total;
            weighed.replaceAll((name, d) -> sum > 0 ? d / sum : 0);
            shares = java.util.Collections.unmodifiableMap(weighed);
            if (next.containsKey(self)) {
                share = total > 0 ? mine / total : 1;
            } else if (!measuredShare) {
                share = 1.0 / (members + 1); // starting (INIT): an even share until measured
            } // LEAVING: keep the last share while the settle period still serves
            measuredShare |= next.containsKey(self);
            clusterAdmittedRate = admittedSum;
            setBucketRate(l * share);
            if (clusterConcurrency > 0) {
                // Shares follow traffic even without a rate limit: weigh by offered rates alone.
                double s = l > 0 ? share : concurrencyShare(next);
                int cap = (int) Math.max(1, Math.ceil(clusterConcurrency * s));
                if (cap != lastCap && concurrencyCap.test(cap)) {
                    lastCap = cap;
                }
            }
        } catch (RuntimeException e) {
            System.getLogger(ClusterRateLimit.class.getName()).log(System.Logger.Level.ERROR,
                    "cluster rate limit rebalance failed", e);
        }
    }

    /**
     * This router's share of traffic by offered rates alone (when no rate limit is set): members not
     * measured yet count as the average measured one, and every member at least {@link #FLOOR} of it.
     */
    private double concurrencyShare(Map<String, Double> demands) {
        double measured = 0;
        int known = 0;
        for (double d : demands.values()) {
            if (!Double.isNaN(d)) {
                measured += d;
                known++;
            }
        }
        double average = known > 0 && measured > 0 ? measured / known : 1;
        double total = 0;
        double mine = 0;
        for (Map.Entry<String, Double> e : demands.entrySet()) {
            double d = e.getValue().isNaN() ? average : Math.max(average * FLOOR, e.getValue());
            total += d;
            if (e.getKey().equals(self)) {
                mine = d;
            }
        }
        return total > 0 && demands.containsKey(self) ? mine / total : 1;
    }

    /**
     * Publishes this incarnation's totals as they are (a G-Counter entry merges by maximum), so a
     * write dropped on a full inbox is made good by the next one.
     */
    private void publish() {
        long o = offered.get();
        long a = admitted.get();
        String key = incarnation.toString();
        if (o > publishedOffered && store.update(HaNamespaces.OFFERED, key, c -> new GCounter(Map.of(key, o)))) {
            publishedOffered = o;
        }
        if (a > publishedAdmitted && store.update(HaNamespaces.ADMITTED, key, c -> new GCounter(Map.of(key, a)))) {
            publishedAdmitted = a;
        }
    }

    /**
     * Per member name, the rate of its newest incarnation's counter over about the last second, as
     * observed here. This router's own counter ({@code own}) is read locally (no replication delay).
     */
    private Map<String, Double> rates(Namespace<GCounter> counters, long own, StoreSnapshot snapshot, long now) {
        Map<String, RouterIncarnation> newest = new HashMap<>();
        Map<RouterIncarnation, Long> values = new HashMap<>();
        CrdtMap<String, GCounter> map = snapshot.get(counters);
        for (String key : map.keySet()) { // live keys only: a collected incarnation's value lingers until GC
            incarnation(key).ifPresent(inc -> map.get(key).ifPresent(counter -> {
                RouterIncarnation current = newest.get(inc.member());
                if (current == null || inc.startMillis() > current.startMillis()) {
                    newest.put(inc.member(), inc);
                }
                values.put(inc, counter.value());
            }));
        }
        newest.put(self, incarnation);
        values.put(incarnation, own);
        Map<String, Double> rates = new HashMap<>();
        Map<RouterIncarnation, ArrayDeque<long[]>> samplesOf = history.computeIfAbsent(counters.name(),
                k -> new HashMap<>());
        newest.forEach((name, inc) -> {
            ArrayDeque<long[]> samples = samplesOf.computeIfAbsent(inc, k -> new ArrayDeque<>());
            samples.addLast(new long[] {now, values.getOrDefault(inc, 0L)});
            while (samples.size() > 2 && now - samples.peekFirst()[0] > WINDOW_NANOS) {
                samples.pollFirst();
            }
            long[] first = samples.peekFirst();
            long span = now - first[0];
            if (span >= WINDOW_NANOS / 2) {
                rates.put(name, (samples.peekLast()[1] - first[1]) * 1e9 / span);
            }
        });
        samplesOf.keySet().retainAll(newest.values());
        return rates;
    }

    private static Optional<RouterIncarnation> incarnation(String key) {
        try {
            return Optional.of(RouterIncarnation.parse(key));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private static Optional<Double> storedLimit(StoreSnapshot snapshot) {
        return HaNamespaces.RATE_LIMIT_SETTING.value(snapshot, HaNamespaces.Setting.RATE_LIMIT)
                .map(RateLimitSetting::getLimitPerSecond);
    }

    /**
     * Removes the counters of router incarnations that are gone (no longer a member, or replaced by
     * a newer start of the same name), so restarts do not grow the store. A cluster-wide duty: the
     * caller runs it on the quorum's leader only.
     */
    void collectDeparted() {
        Set<String> members = new HashSet<>();
        view.get().members().forEach(m -> members.add(m.name()));
        StoreSnapshot snapshot = store.snapshot();
        for (Namespace<GCounter> counters : List.of(HaNamespaces.OFFERED, HaNamespaces.ADMITTED)) {
            Map<String, Long> newest = new HashMap<>();
            Set<String> keys = snapshot.get(counters).keySet();
            keys.forEach(key -> incarnation(key).ifPresent(inc ->
                    newest.merge(inc.member(), inc.startMillis(), Math::max)));
            for (String key : keys) {
                Optional<RouterIncarnation> inc = incarnation(key);
                if (inc.isEmpty() || !members.contains(inc.get().member())
                        || inc.get().startMillis() < newest.getOrDefault(inc.get().member(), Long.MIN_VALUE)) {
                    store.remove(counters, key);
                }
            }
        }
    }

    /** Gives the bucket a new rate, keeping its tokens (a fresh bucket would start full). */
    private void setBucketRate(double ratePerSecond) {
        double rate = Math.max(0, ratePerSecond);
        // At least two tokens: with one, refill arriving while the bucket is full is lost, and a
        // router with a small share under-admits (measured: ~82% of its share below 20 req/s).
        bucket.setRate(rate, Math.max(MIN_BURST, rate * BURST_SECONDS));
    }
}
