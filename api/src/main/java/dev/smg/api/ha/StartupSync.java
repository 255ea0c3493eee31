package dev.smg.api.ha;

import dev.smg.mesh.Mesh;
import dev.smg.mesh.membership.Member;
import dev.smg.mesh.membership.MemberStatus;
import dev.smg.mesh.membership.MembershipView;
import dev.smg.mesh.membership.Scheduler;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Catch-up before ready: a router that starts (or restarts empty) joins the mesh, then asks one
 * ALIVE peer for its whole store (workers, health, policies, limits) and its cache trees and
 * sessions, and only then reports ready, so the first requests it takes are routed with the
 * cluster's knowledge. A router that finds no peer (the first of a cluster) is ready at once; one
 * whose peers do not answer within the limit ({@code HaSettings.startupLimit}, 15 s) serves anyway,
 * with what it has, and says so. A copy that does not finish within one attempt
 * ({@code HaSettings.startupAttempt}, 4 s: a lost message costs this much, not the whole limit) is
 * asked again, of another peer when there is one.
 * <p>
 * It is a small state machine on the HA loop: it looks at the membership view every
 * {@value #POLL_MILLIS} ms until there is a peer, and waits for the copies without blocking the loop.
 */
public final class StartupSync {
    static final long POLL_MILLIS = 20;
    private static final System.Logger LOG = System.getLogger(StartupSync.class.getName());

    private final Mesh mesh;
    private final List<Restorable> parts;
    private final BooleanSupplier expectPeers;
    private final Duration limit;
    private final Duration attemptLimit;
    private final Runnable whenDone;
    private final HaLoop loop;
    private volatile String state = "joining";
    // HA loop only
    private long deadline;
    private int attempt;
    private boolean finished;
    /** The copies under way or done: the store's first, then each part's. A retry repeats only those not done. */
    private final List<CompletableFuture<?>> copies = new ArrayList<>();

    /**
     * @param expectPeers whether there may be peers to catch up from (false: this router is the first)
     * @param whenDone    runs on the HA loop once the catch-up ended, whichever way (e.g. reconcile
     *                    workers, publish policies)
     */
    public StartupSync(Mesh mesh, List<Restorable> parts, BooleanSupplier expectPeers, Duration limit,
                       Duration attemptLimit, HaLoop loop, Runnable whenDone) {
        this.mesh = mesh;
        this.parts = List.copyOf(parts);
        this.expectPeers = expectPeers;
        this.limit = limit;
        this.attemptLimit = attemptLimit;
        this.loop = loop;
        this.whenDone = whenDone;
    }

    public void start() {
        loop.execute(() -> {
            deadline = loop.nanoTime() + limit.toNanos();
            lookForPeer();
        });
    }

    /** True once the catch-up is over (done, not needed, or given up). */
    public boolean done() {
        return !state.equals("joining") && !state.equals("syncing");
    }

    /** joining, syncing, synced, alone or incomplete. */
    public String state() {
        return state;
    }

    private void lookForPeer() {
        if (finished) {
            return;
        }
        if (loop.nanoTime() >= deadline) {
            boolean expected = expectPeers.getAsBoolean();
            if (attempt > 0 || expected) {
                LOG.log(System.Logger.Level.WARNING, attempt > 0
                        ? "catch-up from the mesh did not finish within {0} s: serving with what arrived;"
                        + " anti-entropy fills the rest"
                        : "no mesh peer answered within {0} s: serving with this router''s own state until the"
                        + " cluster is reached", limit.toSeconds());
                finish("incomplete");
            } else {
                finish("alone");
            }
            return;
        }
        MembershipView view = mesh.view();
        if (view.self().status() == MemberStatus.ALIVE) {
            List<Member> peers = view.members().stream()
                    .filter(m -> !m.name().equals(view.self().name()) && m.status() == MemberStatus.ALIVE)
                    .toList();
            if (!peers.isEmpty()) {
                copyFrom(peers.get(attempt % peers.size()).name());
                return;
            }
            if (!expectPeers.getAsBoolean()) {
                finish("alone");
                return;
            }
        }
        loop.schedule(TimeUnit.MILLISECONDS.toNanos(POLL_MILLIS), this::lookForPeer);
    }

    private void copyFrom(String peer) {
        state = "syncing";
        int mine = attempt;
        // A retry asks again only for what has not arrived (under loss, all of it at once may never).
        for (int i = 0; i <= parts.size(); i++) {
            if (copies.size() <= i) {
                copies.add(null);
            }
            CompletableFuture<?> copy = copies.get(i);
            if (copy == null || !copy.isDone() || copy.isCompletedExceptionally()) {
                copies.set(i, i == 0 ? mesh.catchUpFrom(peer) : parts.get(i - 1).restoreFrom(peer));
            }
        }
        List<CompletableFuture<?>> current = List.copyOf(copies);
        long wait = Math.max(0, Math.min(deadline, loop.nanoTime() + attemptLimit.toNanos()) - loop.nanoTime());
        Scheduler.Cancellable timeout = loop.schedule(wait, () -> attemptTimedOut(mine, peer, pending(current)));
        CompletableFuture.allOf(current.toArray(CompletableFuture[]::new)).whenComplete((v, e) -> loop.execute(() -> {
            if (finished || attempt != mine) {
                return; // a later attempt is under way, or the catch-up ended
            }
            timeout.cancel();
            if (e != null) {
                LOG.log(System.Logger.Level.WARNING, "catch-up from the mesh failed: {0}", e.toString());
                finish("incomplete");
                return;
            }
            StringBuilder what = new StringBuilder("store");
            for (int i = 0; i < parts.size(); i++) {
                what.append(", ").append(current.get(i + 1).join()).append(' ').append(parts.get(i).what());
            }
            LOG.log(System.Logger.Level.INFO, "caught up from {0}: {1}", peer, what);
            finish("synced");
        }));
    }

    /** What an attempt still waits for, for the log: "store", "cache-tree entries", ... */
    private String pending(List<CompletableFuture<?>> copies) {
        List<String> waiting = new ArrayList<>();
        for (int i = 0; i < copies.size(); i++) {
            if (!copies.get(i).isDone()) {
                waiting.add(i == 0 ? "store" : parts.get(i - 1).what());
            }
        }
        return String.join(", ", waiting);
    }

    private void attemptTimedOut(int which, String peer, String waiting) {
        if (finished || attempt != which) {
            return;
        }
        attempt++;
        if (loop.nanoTime() < deadline) {
            // A message to a peer can be lost (it may be restarting itself): ask again, another peer if any.
            LOG.log(System.Logger.Level.INFO, "catch-up from {0} not complete after {1} s (waiting for {2});"
                    + " asking again", peer, attemptLimit.toSeconds(), waiting);
        }
        lookForPeer();
    }

    private void finish(String outcome) {
        finished = true;
        state = outcome;
        whenDone.run();
    }
}
