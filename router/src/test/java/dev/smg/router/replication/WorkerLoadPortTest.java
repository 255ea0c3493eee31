package dev.smg.router.replication;

import dev.smg.router.policy.AssignmentMode;
import dev.smg.router.policy.CacheAwareSettings;
import dev.smg.router.policy.PolicyFactory;
import dev.smg.router.policy.RoutingPolicy;
import dev.smg.router.policy.RoutingRequest;
import dev.smg.router.tree.CacheIndex;
import dev.smg.router.worker.Worker;
import dev.smg.router.worker.WorkerUrl;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Policies that balance on load read it through the {@link WorkerLoad} port: a view plugged into the
 * factory later (a cluster's) reaches the policies it made before, and they follow it, not their own
 * router's in-flight counts.
 */
class WorkerLoadPortTest {
    @Test
    void policiesBalanceOnTheLoadViewTheyAreGiven() {
        Worker busyHere = new Worker("a", WorkerUrl.parse("http://a:8000"), List.of(), Optional.empty());
        Worker busyElsewhere = new Worker("b", WorkerUrl.parse("http://b:8000"), List.of(), Optional.empty());
        List<Worker> both = List.of(busyHere, busyElsewhere);
        try (CacheIndex index = new CacheIndex(1 << 20, 16);
             Worker.Lease lease1 = busyHere.acquire(); Worker.Lease lease2 = busyHere.acquire()) {
            PolicyFactory factory = new PolicyFactory(index, CacheAwareSettings.DEFAULTS, AssignmentMode.MIN_LOAD,
                    Duration.ofHours(1));
            RoutingPolicy powerOfTwo = factory.create("power_of_two");
            RoutingPolicy manual = factory.create("manual");
            // On this router's own counts, b (nothing in flight here) wins.
            assertEquals(busyElsewhere, powerOfTwo.select(both, RoutingRequest.ANY).orElseThrow());
            assertEquals(busyElsewhere, manual.select(both, new RoutingRequest("m", Optional.of("u1"), ""))
                    .orElseThrow());
            // The cluster says b carries 10 requests through other routers: a wins, for policies made before.
            Map<Worker, Double> cluster = Map.of(busyHere, 2.0, busyElsewhere, 10.0);
            factory.balanceOn(cluster::get);
            for (int i = 0; i < 20; i++) {
                assertEquals(busyHere, powerOfTwo.select(both, RoutingRequest.ANY).orElseThrow());
            }
            assertEquals(busyHere, manual.select(both, new RoutingRequest("m", Optional.of("u2"), "")).orElseThrow());
        }
    }

    /**
     * cache_aware without a cache match takes the least loaded by this router's own fresh view (its
     * own requests), not by the shared cluster view that every router would take the same minimum of;
     * the cluster's view decides only when it is out of balance.
     */
    @Test
    void cacheAwareRanksByItsOwnFreshViewAndRebalancesOnTheClusters() {
        Worker a = new Worker("a", WorkerUrl.parse("http://a:8000"), List.of(), Optional.empty());
        Worker b = new Worker("b", WorkerUrl.parse("http://b:8000"), List.of(), Optional.empty());
        List<Worker> both = List.of(a, b);
        try (CacheIndex index = new CacheIndex(1 << 20, 16); Worker.Lease mine = a.acquire()) {
            PolicyFactory factory = new PolicyFactory(index, CacheAwareSettings.DEFAULTS, AssignmentMode.RANDOM,
                    Duration.ofHours(1));
            RoutingPolicy cacheAware = factory.create("cache_aware");
            Map<Worker, Double> cluster = new java.util.HashMap<>(Map.of(a, 3.0, b, 4.0));
            factory.balanceOn(new WorkerLoad() {
                @Override
                public double of(Worker worker) {
                    return cluster.get(worker);
                }

                @Override
                public double ownFresh(Worker worker) {
                    return worker.inFlight();
                }
            });
            // The cluster says a is less loaded; this router has one request on a and none on b: b.
            assertEquals(b, cacheAware.select(both, new RoutingRequest("m", Optional.empty(), "")).orElseThrow());
            // Out of balance in the cluster (spread over 64 and over 1.5x): the cluster's least, a.
            cluster.put(b, 100.0);
            assertEquals(a, cacheAware.select(both, new RoutingRequest("m", Optional.empty(), "")).orElseThrow());
        }
    }
}
