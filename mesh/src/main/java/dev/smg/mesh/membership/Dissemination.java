package dev.smg.mesh.membership;

import dev.smg.proto.mesh.Envelope;
import dev.smg.proto.mesh.Gossip;

import java.util.ArrayList;
import java.util.List;

/**
 * How membership changes reach the other members, and the one place envelopes leave the node.
 * A change is pushed to every member at once, and also queued in {@link Broadcasts} to ride on
 * later messages a bounded number of times ({@code retransmitMult × ceil(log10(N+1))}, at most
 * {@code maxPiggyback} per message), which repairs the pushes a lossy network drops.
 */
final class Dissemination {
    private final MembershipSettings settings;
    private final MemberTable table;
    private final Transport transport;
    private final Broadcasts broadcasts = new Broadcasts();

    Dissemination(MembershipSettings settings, MemberTable table, Transport transport) {
        this.settings = settings;
        this.table = table;
        this.transport = transport;
    }

    /** Queues a change for piggybacking; a newer claim about the same member replaces the queued one. */
    void enqueue(Member change) {
        broadcasts.add(change);
    }

    /** The queued changes to carry on the next message; each counts as one transmission. */
    List<Member> piggyback() {
        return broadcasts.take(settings.maxPiggyback(), settings.retransmitLimit(table.size()));
    }

    /** Pushes a change to every member at once (DOWN ones too: they may only be partitioned). */
    void pushToAll(Member change) {
        List<Member> carried = new ArrayList<>();
        carried.add(change);
        for (Member extra : piggyback()) {
            if (!extra.name().equals(change.name())) {
                carried.add(extra);
            }
        }
        for (Member m : table.others()) {
            if (!m.name().equals(change.name()) || change.status() == MemberStatus.SUSPECTED
                    || change.status() == MemberStatus.DOWN) {
                gossip(m.address(), withVerdictFor(m, carried));
            }
        }
    }

    /**
     * What goes to {@code to}: a member we hold DOWN or LEAVING also gets its own record, so that if
     * it is back (a healed split) it refutes, and its refutation pushes in turn reach the members it
     * holds DOWN: a heal spreads in a few round trips instead of one re-contact per period.
     */
    private static List<Member> withVerdictFor(Member to, List<Member> carried) {
        if (!to.status().isGone() || carried.contains(to)) {
            return carried;
        }
        List<Member> withVerdict = new ArrayList<>(carried);
        withVerdict.add(to);
        return withVerdict;
    }

    /** A message whose only content is the member states it carries. */
    void gossip(String to, List<Member> carried) {
        send(to, Envelope.newBuilder().setGossip(Gossip.getDefaultInstance()), carried);
    }

    /** Signs {@code envelope} with our name and address, adds {@code carried}, and sends it. */
    void send(String to, Envelope.Builder envelope, List<Member> carried) {
        envelope.setFrom(table.name()).setFromAddress(table.address());
        for (Member m : carried) {
            envelope.addPiggyback(m.toProto());
        }
        transport.send(to, envelope.build());
    }
}
