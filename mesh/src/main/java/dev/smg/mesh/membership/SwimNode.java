package dev.smg.mesh.membership;

import dev.smg.proto.mesh.Envelope;
import dev.smg.proto.mesh.MemberState;

import java.util.List;
import java.util.Set;
import java.util.random.RandomGenerator;

/**
 * The SWIM membership state machine of one node. Single-threaded by contract: every method and
 * every timer callback runs on one thread (the mesh loop, or a simulator), so there are no locks.
 * It does no I/O itself: it sends through a {@link Transport} and keeps time with a
 * {@link Scheduler}, which is what lets tests drive whole clusters on a simulated clock.
 *
 * <p>This class only wires the parts together and routes envelopes to them, one concern each:
 * <ul>
 *   <li>{@link MemberTable}: what we believe about ourselves and every member, and the published view;</li>
 *   <li>{@link MemberClaims}: merging claims about members (incarnations, refutations about ourselves);</li>
 *   <li>{@link Joining} and {@link ContactPoints}: getting in through seeds and discovered peers;</li>
 *   <li>{@link Prober}, {@link ProbeOrder} and {@link Pings}: direct and indirect probes, acks, relays;</li>
 *   <li>{@link Suspicions} and {@link SuspicionTimer}: suspicion, confirmations, the final check, DOWN;</li>
 *   <li>{@link Dissemination} and {@link Broadcasts}: pushes to every member and bounded piggybacking;</li>
 *   <li>{@link DepartedMembers}: telling DOWN and LEAVING members their verdict, and reaping them;</li>
 *   <li>{@link Leaving}: the graceful leave; {@link Timers}: the node's timers, silenced by {@link #stop}.</li>
 * </ul>
 */
public final class SwimNode {
    private final MembershipSettings settings;
    private final RandomGenerator random;
    private final Timers timers;
    private final MemberTable table;
    private final ContactPoints contacts;
    private final DepartedMembers departed;
    private final MemberClaims claims;
    private final Leaving leaving;
    private final Prober prober;
    private final Joining joining;
    private boolean started;

    public SwimNode(MembershipSettings settings, String name, String address, List<String> seeds, Scheduler scheduler,
                    Transport transport, RandomGenerator random, MembershipEvents events) {
        this.settings = settings;
        this.random = random;
        this.timers = new Timers(scheduler);
        this.table = new MemberTable(name, address, events);
        this.contacts = new ContactPoints(seeds);
        Dissemination dissemination = new Dissemination(settings, table, transport);
        Pings pings = new Pings();
        this.departed = new DepartedMembers(settings, table, dissemination, timers, random);
        Suspicions suspicions = new Suspicions(settings, table, dissemination, departed, pings, timers);
        this.claims = new MemberClaims(table, dissemination, suspicions, departed, events);
        this.leaving = new Leaving(settings, table, dissemination, pings, timers);
        this.prober = new Prober(settings, table, dissemination, pings, suspicions, leaving, timers, random, events);
        this.joining = new Joining(settings, table, dissemination, claims, contacts, timers, events);
    }

    /** Starts probing; joins through the seeds, or is ALIVE alone when there are none. */
    public void start() {
        if (started) {
            return;
        }
        started = true;
        long period = settings.protocolPeriod().toNanos();
        // A random first delay, so that nodes started together do not probe in lockstep.
        timers.every(period + random.nextLong(period / 4 + 1), period, prober::probeRound);
        long deadProbe = settings.deadProbeInterval().toNanos();
        timers.every(deadProbe, deadProbe, departed::probeOne);
        long rejoin = settings.rejoinInterval().toNanos();
        timers.every(rejoin, rejoin, joining::recontact);
        joining.start();
    }

    /**
     * Replaces the set of discovered peer addresses ({@code host:port}). Every address that is new
     * gets a join at once, not at the next rejoin tick: a pod that just came up is a member within
     * a round trip. Joins are idempotent, and the node's own address is skipped. An address that
     * disappears is only no longer contacted: whether that member is down is SWIM's verdict (it
     * still answers pings while its pod is terminating, and it announces LEAVING itself).
     */
    public void setDiscoveredPeers(Set<String> addresses) {
        Set<String> added = contacts.replaceDiscovered(addresses);
        if (started && !timers.stopped()) {
            joining.discovered(added);
        }
    }

    /** The discovered peer addresses now in force (loop thread). */
    public Set<String> discoveredPeers() {
        return contacts.discovered();
    }

    /** Stops every timer; the node falls silent (as a crash would, from the others' view). */
    public void stop() {
        timers.stop();
    }

    /**
     * Graceful leave: announce LEAVING (with a raised incarnation, so it beats any other claim) to
     * every member, resend until each has acknowledged or {@code leaveTimeout} passes, then run
     * {@code done}.
     */
    public void leave(Runnable done) {
        leaving.leave(done);
    }

    public MembershipView view() {
        return table.view();
    }

    public String name() {
        return table.name();
    }

    /** Handles one envelope from the network: first the member states it carries, then its body. */
    public void receive(Envelope envelope) {
        if (timers.stopped()) {
            return;
        }
        for (MemberState state : envelope.getPiggybackList()) {
            claims.apply(Member.fromProto(state), envelope.getFrom());
        }
        departed.tellIfGone(envelope.getFrom());
        switch (envelope.getBodyCase()) {
            case PING -> prober.onPing(envelope);
            case ACK -> prober.onAck(envelope);
            case PING_REQ -> prober.onPingReq(envelope);
            case JOIN -> joining.onJoin(envelope);
            case JOIN_REPLY -> joining.onJoinReply(envelope);
            case GOSSIP, BODY_NOT_SET -> {
                // the piggyback was the message
            }
        }
    }
}
