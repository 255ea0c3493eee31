package dev.smg.api.ha;

import dev.smg.mesh.HaSettings;
import dev.smg.mesh.membership.Quorum;
import dev.smg.mesh.membership.Member;
import dev.smg.mesh.membership.MemberStatus;
import dev.smg.mesh.membership.MembershipView;
import dev.smg.mesh.runtime.MeshLoop;
import dev.smg.mesh.store.ReplicatedStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Quorum arithmetic, and how the cluster rate limit shares its limit by what each router can see. */
class QuorumAndSharesTest {
    private final List<AutoCloseable> cleanup = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : cleanup) {
            c.close();
        }
    }

    private static MembershipView view(String self, Object... nameStatus) {
        List<Member> members = new ArrayList<>();
        Member me = null;
        for (int i = 0; i < nameStatus.length; i += 2) {
            Member m = new Member((String) nameStatus[i], "127.0.0.1:" + (1000 + i), (MemberStatus) nameStatus[i + 1], 1);
            members.add(m);
            if (m.name().equals(self)) {
                me = m;
            }
        }
        return new MembershipView(me, members);
    }

    @Test
    void aMajorityHasAQuorumAndOneLeaderTheMinorityNone() {
        Quorum three = Quorum.of(view("b", "a", MemberStatus.ALIVE, "b", MemberStatus.ALIVE, "c", MemberStatus.DOWN));
        assertTrue(three.present());
        assertEquals(2, three.needed());
        assertEquals("a", three.leader().orElseThrow());
        assertTrue(three.isLeader("a"));
        assertFalse(three.isLeader("b"));

        Quorum minority = Quorum.of(view("c", "a", MemberStatus.DOWN, "b", MemberStatus.DOWN, "c", MemberStatus.ALIVE));
        assertFalse(minority.present());
        assertTrue(minority.leader().isEmpty(), "no singleton duty on the minority side");

        Quorum fiveSplit = Quorum.of(view("a", "a", MemberStatus.ALIVE, "b", MemberStatus.ALIVE,
                "c", MemberStatus.DOWN, "d", MemberStatus.DOWN, "e", MemberStatus.DOWN));
        assertFalse(fiveSplit.present());
        assertEquals(3, fiveSplit.needed());

        // A member that left is no longer part of the cluster: two of two is a quorum.
        Quorum afterLeave = Quorum.of(view("a", "a", MemberStatus.ALIVE, "b", MemberStatus.ALIVE,
                "c", MemberStatus.LEAVING));
        assertTrue(afterLeave.present());
        assertEquals(2, afterLeave.members());
    }

    private ClusterRateLimit limiter(String self, AtomicReference<MembershipView> view, double limit) {
        MeshLoop loop = new MeshLoop("test-loop-" + self);
        ReplicatedStore store = new ReplicatedStore(self + "#1", loop, HaNamespaces.ALL);
        loop.start();
        HaLoop ha = HaLoop.onThread("test-ha-" + self);
        cleanup.add(ha);
        ClusterRateLimit limiter = new ClusterRateLimit(store, view::get, self, limit, ha, System::currentTimeMillis);
        limiter.start(HaSettings.LAN.rateLimitRebalance());
        cleanup.add(loop);
        return limiter;
    }

    private static double share(ClusterRateLimit limiter) {
        return ((Number) limiter.stats().get("node_share")).doubleValue();
    }

    @Test
    void unreachableMembersKeepTheirShareAndLeaversGiveItBack() {
        AtomicReference<MembershipView> view = new AtomicReference<>(view("a",
                "a", MemberStatus.ALIVE, "b", MemberStatus.DOWN, "c", MemberStatus.DOWN));
        ClusterRateLimit limiter = limiter("a", view, 300);
        // Cut off from two members it never measured: a third of the limit, not all of it.
        await().atMost(Duration.ofSeconds(10)).until(() -> Math.abs(share(limiter) - 1.0 / 3) < 1e-9);

        view.set(view("a", "a", MemberStatus.ALIVE, "b", MemberStatus.LEAVING, "c", MemberStatus.DOWN));
        await().atMost(Duration.ofSeconds(10)).until(() -> Math.abs(share(limiter) - 0.5) < 1e-9);

        view.set(view("a", "a", MemberStatus.ALIVE));
        await().atMost(Duration.ofSeconds(10)).until(() -> Math.abs(share(limiter) - 1.0) < 1e-9);
        assertEquals(300.0, ((Number) limiter.stats().get("limit_per_second")).doubleValue());
    }

    @Test
    void aClusterConcurrencyCapIsSharedLikeTheRate() {
        AtomicReference<MembershipView> view = new AtomicReference<>(view("a",
                "a", MemberStatus.ALIVE, "b", MemberStatus.DOWN, "c", MemberStatus.DOWN));
        MeshLoop loop = new MeshLoop("test-loop-cap");
        ReplicatedStore store = new ReplicatedStore("a#1", loop, HaNamespaces.ALL);
        loop.start();
        cleanup.add(loop);
        HaLoop ha = HaLoop.onThread("test-ha-cap");
        cleanup.add(ha);
        ClusterRateLimit limiter = new ClusterRateLimit(store, view::get, "a", 0, ha, System::currentTimeMillis);
        java.util.concurrent.atomic.AtomicInteger cap = new java.util.concurrent.atomic.AtomicInteger();
        limiter.shareConcurrency(30, c -> {
            cap.set(c);
            return true;
        });
        limiter.start(HaSettings.LAN.rateLimitRebalance());
        await().atMost(Duration.ofSeconds(10)).until(() -> cap.get() == 10);
        view.set(view("a", "a", MemberStatus.ALIVE));
        await().atMost(Duration.ofSeconds(10)).until(() -> cap.get() == 30);
    }

    @Test
    void withoutALimitEverythingIsAdmitted() {
        AtomicReference<MembershipView> view = new AtomicReference<>(view("a", "a", MemberStatus.ALIVE));
        ClusterRateLimit limiter = limiter("a", view, 0);
        for (int i = 0; i < 1000; i++) {
            assertEquals(0, limiter.tryTake());
        }
        assertEquals(-1L, ((Number) limiter.stats().get("remaining")).longValue());
        assertTrue(limiter.limit().isEmpty());
    }
}
