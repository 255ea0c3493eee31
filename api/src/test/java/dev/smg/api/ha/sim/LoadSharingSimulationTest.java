package dev.smg.api.ha.sim;

import dev.smg.mesh.membership.MemberStatus;
import dev.smg.router.load.EngineLoad;
import dev.smg.router.worker.Worker;
import dev.smg.router.worker.WorkerSpec;
import dev.smg.router.worker.WorkerUrl;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Load sharing (issue 14) on the deterministic simulator: the real LoadSync of 3 to 5 routers over
 * the real membership and store, on a network that loses and reorders messages. Every router's
 * load view counts every router's requests in flight; a crashed router's counts leave every view
 * no later than membership declares it DOWN; each engine is polled by exactly one router, and a
 * crash moves only the crashed router's engines.
 */
class LoadSharingSimulationTest {
    private static final Logger ROUTER_LOGS = Logger.getLogger("dev.smg");
    private static Level routerLogLevel;

    @BeforeAll
    static void quietRouters() {
        routerLogLevel = ROUTER_LOGS.getLevel();
        ROUTER_LOGS.setLevel(Level.SEVERE);
    }

    @AfterAll
    static void restoreRouterLogs() {
        ROUTER_LOGS.setLevel(routerLogLevel);
    }

    private static HaSimulation formed(long seed, int routers) {
        HaSimulation sim = new HaSimulation(seed, 0);
        for (int i = 0; i < routers; i++) {
            sim.start("r" + i);
        }
        assertTrue(sim.runUntil(sim::formed, Duration.ofSeconds(30)), "cluster did not form");
        return sim;
    }

    private static WorkerUrl url(int i) {
        return WorkerUrl.parse("http://10.2.0." + i + ":8000");
    }

    private static Worker worker(SimulatedRouter r, int i) {
        return r.registry.find(url(i)).orElseThrow();
    }

    private static void addWorkers(HaSimulation sim, int count) {
        for (int i = 0; i < count; i++) {
            sim.router("r0").registry.add(WorkerSpec.of(url(i)));
        }
        assertTrue(sim.runUntil(() -> sim.live().stream().allMatch(r -> r.registry.snapshot().size() == count),
                Duration.ofSeconds(10)), "workers not replicated");
    }

    @ParameterizedTest(name = "seed {0}, {1} routers")
    @CsvSource({"51, 3", "52, 5", "53, 5"})
    void everyRouterCountsEveryRoutersRequestsAndACrashedRoutersLeaveWithItsMembership(long seed, int routers) {
        HaSimulation sim = formed(seed, routers);
        sim.network.setLossRate(0.05);
        sim.network.setDelay(200_000, 10_000_000);
        addWorkers(sim, 2);
        // Router i holds i+1 requests on worker 0; the last router also 7 on worker 1.
        List<Worker.Lease> leases = new ArrayList<>();
        int total = 0;
        for (int i = 0; i < routers; i++) {
            for (int n = 0; n <= i; n++) {
                leases.add(worker(sim.router("r" + i), 0).acquire());
                total++;
            }
        }
        SimulatedRouter last = sim.router("r" + (routers - 1));
        for (int n = 0; n < 7; n++) {
            leases.add(worker(last, 1).acquire());
        }
        int expected = total;
        assertTrue(sim.runUntil(() -> sim.live().stream().allMatch(r ->
                        r.load.clusterInFlight(worker(r, 0)) == expected && r.load.clusterInFlight(worker(r, 1)) == 7),
                Duration.ofSeconds(2)), () -> "cluster in-flight " + sim.live().stream()
                .map(r -> r.name + "=" + r.load.clusterInFlight(worker(r, 0)) + "/" + r.load.clusterInFlight(worker(r, 1)))
                .toList());
        // The policies' score is the cluster's count (no engine report in the simulator).
        assertEquals(expected, sim.router("r0").load.of(worker(sim.router("r0"), 0)), 1e-9);

        // A finished request leaves every view too.
        leases.get(0).close();
        assertTrue(sim.runUntil(() -> sim.live().stream().allMatch(r ->
                r.load.clusterInFlight(worker(r, 0)) == expected - 1), Duration.ofSeconds(2)), "release not seen");

        // The last router crashes with its requests: its counts leave every view, and no later than the
        // view marks it DOWN (one publication interval, 50 ms, of slack).
        String crashed = last.name;
        sim.crash(crashed);
        int remaining = expected - 1 - routers;
        Map<String, Long> goneAt = new HashMap<>();
        Map<String, Long> downAt = new HashMap<>();
        assertTrue(sim.runUntil(() -> {
            for (SimulatedRouter r : sim.live()) {
                if (!goneAt.containsKey(r.name) && r.load.clusterInFlight(worker(r, 1)) == 0
                        && r.load.clusterInFlight(worker(r, 0)) == remaining) {
                    goneAt.put(r.name, sim.network.now());
                }
                boolean down = r.swim.view().member(crashed).map(m -> m.status() == MemberStatus.DOWN
                        || m.status() == MemberStatus.LEAVING).orElse(true);
                if (down) {
                    downAt.putIfAbsent(r.name, sim.network.now());
                }
            }
            return goneAt.size() == sim.live().size() && downAt.size() == sim.live().size();
        }, Duration.ofSeconds(30)), () -> "gone " + goneAt + ", down " + downAt);
        for (SimulatedRouter r : sim.live()) {
            long slack = Duration.ofMillis(60).toNanos();
            assertTrue(goneAt.get(r.name) <= downAt.get(r.name) + slack, () -> r.name + ": counts left at "
                    + goneAt.get(r.name) / 1_000_000 + " ms, DOWN at " + downAt.get(r.name) / 1_000_000 + " ms");
        }
        assertTrue(sim.failures.isEmpty(), () -> "tasks failed: " + sim.failures);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {61, 62})
    void eachEngineIsPolledByOneRouterAndItsLoadReachesEveryRouter(long seed) {
        HaSimulation sim = formed(seed, 5);
        int workers = 40;
        addWorkers(sim, workers);
        Map<Integer, String> poller = pollers(sim, workers);
        // Every router polls some engines (40 over 5: none idle with any sane spread).
        assertEquals(5, poller.values().stream().distinct().count(), () -> "assignment " + poller);

        // What a router measured reaches every router's view, with its source.
        SimulatedRouter measurer = sim.router(poller.get(3));
        EngineLoad measured = new EngineLoad(5, 2, 0.5); // 7 at the engine, none of them the gateway's
        // What the load monitor does with a poll's result: its own view, then the cluster.
        measurer.load.engineMeasured(url(3).toString(), measured, measurer.loop.nanoTime(), measurer.name, 0);
        measurer.ha.load().measured(url(3).toString(), measured, 0);
        assertTrue(sim.runUntil(() -> sim.live().stream().allMatch(r -> r.load.engine(url(3).toString())
                .map(s -> s.load().waiting() == 2 && s.source().equals(measurer.name)).orElse(false)),
                Duration.ofSeconds(1)), "engine load not replicated");
        // in flight 0 + 7 unseen less the tolerance of 2 (KV at 50% adds nothing): the score every router
        // balances on.
        for (SimulatedRouter r : sim.live()) {
            assertEquals(5.0, r.load.of(worker(r, 3)), 1e-9, r.name);
        }
        // And it goes stale everywhere when not renewed (1.5 s in the simulator).
        assertTrue(sim.runUntil(() -> sim.live().stream().allMatch(r -> r.load.engine(url(3).toString()).isEmpty()),
                Duration.ofSeconds(3)), "stale engine load still used");

        // A crash moves only the crashed router's engines, each to one router.
        String crashed = "r2";
        sim.crash(crashed);
        assertTrue(sim.runUntil(() -> sim.live().stream().allMatch(r -> r.swim.view().member(crashed)
                .map(m -> m.status() == MemberStatus.DOWN).orElse(true)), Duration.ofSeconds(30)), "crash not seen");
        sim.runFor(Duration.ofMillis(200));
        Map<Integer, String> after = pollers(sim, workers);
        for (int i = 0; i < workers; i++) {
            if (!poller.get(i).equals(crashed)) {
                assertEquals(poller.get(i), after.get(i), "worker " + i + " moved although its router lives");
            } else {
                assertTrue(!after.get(i).equals(crashed));
            }
        }
        assertTrue(sim.failures.isEmpty(), () -> "tasks failed: " + sim.failures);
    }

    /** Per worker, the one live router that polls it (fails if none or several do). */
    private static Map<Integer, String> pollers(HaSimulation sim, int workers) {
        sim.runFor(Duration.ofMillis(200)); // a publication tick refreshes each router's list of pollers
        Map<Integer, String> poller = new HashMap<>();
        for (int i = 0; i < workers; i++) {
            List<String> polling = new ArrayList<>();
            for (SimulatedRouter r : sim.live()) {
                if (r.ha.load().pollsHere(url(i).toString())) {
                    polling.add(r.name);
                }
            }
            assertEquals(1, polling.size(), "worker " + i + " polled by " + polling);
            poller.put(i, polling.get(0));
        }
        return poller;
    }
}
