package dev.smg.api.ha;

import dev.smg.mesh.membership.Member;
import dev.smg.mesh.membership.MemberStatus;
import dev.smg.mesh.membership.MembershipView;
import dev.smg.mesh.runtime.MeshNode;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/**
 * Catch-up before ready: a router that starts (or restarts empty) joins the mesh, then asks one
 * ALIVE peer for its whole store (workers, health, policies, limits) and its cache trees, and only
 * then reports ready, so the first requests it takes are routed with the cluster's knowledge. A
 * router that finds no peer (the first of a cluster) is ready at once; one whose peers do not answer
 * within {@code HaSettings.startupLimit} (15 s) serves anyway, with what it has, and says so.
 */
public final class StartupSync {
    private final Duration limit;
    /** One catch-up attempt; a lost message costs this much, not the whole limit. */
    private final Duration attemptLimit;
    private static final System.Logger LOG = System.getLogger(StartupSync.class.getName());

    private final MeshNode mesh;
    private final List<Restorable> parts;
    private final BooleanSupplier expectPeers;
    private final Runnable whenDone;
    private volatile String state = "joining";

    /**
     * @param expectPeers whether there may be peers to catch up from (false: this router is the first)
     * @param whenDone runs once the catch-up ended, whichever way (e.g. reconcile workers, publish policies)
     */
    public StartupSync(MeshNode mesh, List<Restorable> parts, BooleanSupplier expectPeers,
                       Duration limit, Duration attempt, Runnable whenDone) {
        this.limit = limit;
        this.attemptLimit = attempt;
        this.mesh = mesh;
        this.parts = List.copyOf(parts);
        this.expectPeers = expectPeers;
        this.whenDone = whenDone;
    }

    public void start() {
        Thread.ofVirtual().name("smg-startup-sync").start(this::run);
    }

    /** True once the catch-up is over (done, not needed, or given up). */
    public boolean done() {
        return !state.equals("joining") && !state.equals("syncing");
    }

    /** joining, syncing, synced, alone or incomplete. */
    public String state() {
        return state;
    }

    private void run() {
        long deadline = System.nanoTime() + limit.toNanos();
        try {
            Optional<Member> peer = awaitPeer(deadline);
            if (peer.isEmpty()) {
                boolean expected = expectPeers.getAsBoolean();
                state = expected ? "incomplete" : "alone";
                if (expected) {
                    LOG.log(System.Logger.Level.WARNING, "no mesh peer answered within {0} s: serving with this"
                            + " router's own state until the cluster is reached", limit.toSeconds());
                }
                return;
            }
            state = "syncing";
            // A message to a peer can be lost (it may be restarting itself): try again, with another
            // peer when there is one, a few times within the limit.
            for (int attempt = 0; ; attempt++) {
                String name = peer.get().name();
                long attemptEnd = Math.min(deadline, System.nanoTime() + attemptLimit.toNanos());
                try {
                    String what = copyFrom(name, attemptEnd);
                    state = "synced";
                    LOG.log(System.Logger.Level.INFO, "caught up from {0}: {1}", name, what);
                    break;
                } catch (TimeoutException e) {
                    if (System.nanoTime() >= deadline) {
                        throw e;
                    }
                    LOG.log(System.Logger.Level.INFO, "catch-up from {0} not complete after {1} s; asking again",
                            name, attemptLimit.toSeconds());
                    peer = awaitPeer(deadline, attempt + 1);
                    if (peer.isEmpty()) {
                        throw e;
                    }
                }
            }
        } catch (TimeoutException e) {
            state = "incomplete";
            LOG.log(System.Logger.Level.WARNING, "catch-up from the mesh did not finish within {0} s: serving with"
                    + " what arrived; anti-entropy fills the rest", limit.toSeconds());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            state = "incomplete";
        } catch (ExecutionException e) {
            state = "incomplete";
            LOG.log(System.Logger.Level.WARNING, "catch-up from the mesh failed: {0}", e.getCause().toString());
        } finally {
            whenDone.run();
        }
    }

    private String copyFrom(String name, long until) throws TimeoutException,
            ExecutionException, InterruptedException {
        CompletableFuture<Void> store = mesh.catchUpFrom(name);
        List<CompletableFuture<Integer>> copies = parts.stream().map(p -> p.restoreFrom(name)).toList();
        store.get(Math.max(1, until - System.nanoTime()), TimeUnit.NANOSECONDS);
        StringBuilder what = new StringBuilder("store");
        for (int i = 0; i < parts.size(); i++) {
            int n = copies.get(i).get(Math.max(1, until - System.nanoTime()), TimeUnit.NANOSECONDS);
            what.append(", ").append(n).append(' ').append(parts.get(i).what());
        }
        return what.toString();
    }

    private Optional<Member> awaitPeer(long deadline) throws InterruptedException {
        return awaitPeer(deadline, 0);
    }

    /**
     * Waits until this node is ALIVE and, if peers are expected, until it sees an ALIVE peer (the
     * {@code rotate}-th one, so a retry asks another). A node that expects none and is ALIVE alone has
     * nobody to catch up from.
     */
    private Optional<Member> awaitPeer(long deadline, int rotate) throws InterruptedException {
        while (System.nanoTime() < deadline) {
            MembershipView view = mesh.view();
            if (view.self().status() == MemberStatus.ALIVE) {
                List<Member> peers = view.members().stream()
                        .filter(m -> !m.name().equals(view.self().name()) && m.status() == MemberStatus.ALIVE)
                        .toList();
                if (!peers.isEmpty()) {
                    return Optional.of(peers.get(rotate % peers.size()));
                }
                if (!expectPeers.getAsBoolean()) {
                    return Optional.empty();
                }
            }
            Thread.sleep(20); // polling the membership view, which has no change notification
        }
        return Optional.empty();
    }
}
