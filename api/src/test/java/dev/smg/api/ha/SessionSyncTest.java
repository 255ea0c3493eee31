package dev.smg.api.ha;

import dev.smg.mesh.HaSettings;
import dev.smg.mesh.runtime.MeshNode;
import dev.smg.router.policy.AssignmentMode;
import dev.smg.router.policy.CacheAwareSettings;
import dev.smg.router.policy.ManualPolicy;
import dev.smg.router.policy.PolicyFactory;
import dev.smg.router.policy.PolicyRegistry;
import dev.smg.router.policy.RoutingRequest;
import dev.smg.router.tree.CacheIndex;
import dev.smg.router.worker.Worker;
import dev.smg.router.worker.WorkerUrl;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Sticky sessions placed through one router hold through the others, and a new router copies them. */
class SessionSyncTest {
    private final List<AutoCloseable> cleanup = new ArrayList<>();
    private final List<Worker> workers = List.of(
            new Worker("1", WorkerUrl.parse("http://127.0.0.1:9001"), List.of(), Optional.empty()),
            new Worker("2", WorkerUrl.parse("http://127.0.0.1:9002"), List.of(), Optional.empty()),
            new Worker("3", WorkerUrl.parse("http://127.0.0.1:9003"), List.of(), Optional.empty()));

    private record Router(MeshNode node, PolicyRegistry policies, SessionSync sync) {
        ManualPolicy manual() {
            return (ManualPolicy) policies.defaultPolicy();
        }
    }

    @AfterEach
    void stop() throws Exception {
        for (int i = cleanup.size() - 1; i >= 0; i--) {
            cleanup.get(i).close();
        }
    }

    private Router router(String name, List<Integer> seeds) {
        MeshNode node = TestMesh.node(name, seeds);
        cleanup.add(node);
        CacheIndex index = new CacheIndex(1 << 20, 16);
        cleanup.add(index);
        PolicyFactory factory = new PolicyFactory(index, CacheAwareSettings.DEFAULTS, AssignmentMode.RANDOM,
                Duration.ofHours(1));
        PolicyRegistry policies = new PolicyRegistry(factory.create("manual"), Map.of());
        HaLoop loop = HaLoop.onThread("test-ha-" + name);
        cleanup.add(loop);
        SessionSync sync = new SessionSync(policies, factory, node, loop, HaSettings.LAN.sessionQueueCapacity());
        sync.start(HaSettings.LAN.sessionFlush());
        return new Router(node, policies, sync);
    }

    private String select(Router router, String key) {
        return router.manual().select(workers, new RoutingRequest("m", Optional.of(key), "")).orElseThrow().url()
                .toString();
    }

    @Test
    void aUserPinnedThroughOneRouterStaysOnItsWorkerThroughTheOthers() throws Exception {
        Router a = router("a", List.of());
        Router b = router("b", List.of(a.node().port()));
        TestMesh.awaitAlive(2, a.node(), b.node());
        Map<String, String> placed = new java.util.HashMap<>();
        for (int u = 0; u < 50; u++) {
            placed.put("user-" + u, select(a, "user-" + u));
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> workers(b.manual()).equals(placed));
        for (int u = 0; u < 50; u++) {
            assertEquals(placed.get("user-" + u), select(b, "user-" + u));
        }

        Router c = router("c", List.of(a.node().port()));
        TestMesh.awaitAlive(3, c.node());
        assertEquals(50, c.sync().restoreFrom("a").get(30, TimeUnit.SECONDS));
        assertEquals(placed, workers(c.manual()));
        assertEquals(a.manual().liveSessions(), c.manual().liveSessions(), "placements copied with their times");
    }

    private static Map<String, String> workers(ManualPolicy policy) {
        Map<String, String> out = new java.util.HashMap<>();
        policy.liveSessions().forEach((k, p) -> out.put(k, p.workerUrl()));
        return out;
    }

    @Test
    void twoRoutersPlacingOneKeyAtOnceEndWithTheSameWorker() {
        CacheIndex index = new CacheIndex(1 << 20, 16);
        cleanup.add(index);
        PolicyFactory factory = new PolicyFactory(index, CacheAwareSettings.DEFAULTS, AssignmentMode.RANDOM,
                Duration.ofHours(1));
        ManualPolicy one = (ManualPolicy) factory.create("manual");
        ManualPolicy two = (ManualPolicy) factory.create("manual");
        ManualPolicy.Placement early = new ManualPolicy.Placement("http://127.0.0.1:9001", 1000);
        ManualPolicy.Placement late = new ManualPolicy.Placement("http://127.0.0.1:9002", 2000);
        one.adopt("k", early);
        two.adopt("k", late);
        one.adopt("k", late);  // the crossing announcements
        two.adopt("k", early);
        assertEquals(late, one.liveSessions().get("k"));
        assertEquals(late, two.liveSessions().get("k"));
    }
}
