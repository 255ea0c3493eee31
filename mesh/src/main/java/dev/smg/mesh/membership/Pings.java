package dev.smg.mesh.membership;

import java.util.HashMap;
import java.util.Map;

/**
 * The pings this node has out, by sequence number: its own (a probe, a leave announcement, a
 * suspect's final check), each answered by an ack with the same number, and those it sends on
 * behalf of a member's ping-req, whose ack it forwards under the requester's number. One sequence
 * serves all of them, so an ack can never be mistaken for another's.
 */
final class Pings {
    /** A question "is this member there?": answered once any ping sent for it is acknowledged. */
    static final class Probe {
        private final String target;
        private boolean answered;

        Probe(String target) {
            this.target = target;
        }

        String target() {
            return target;
        }

        boolean answered() {
            return answered;
        }
    }

    /** A ping we sent for someone else: its ack goes back to {@code requesterAddress} as {@code requesterSeq}. */
    record Relay(String requesterAddress, long requesterSeq) {
    }

    private final Map<Long, Probe> awaiting = new HashMap<>();
    private final Map<Long, Relay> relays = new HashMap<>();
    private long nextSeq = 1;

    /** A new sequence number whose ack answers {@code probe}. */
    long await(Probe probe) {
        long seq = nextSeq++;
        awaiting.put(seq, probe);
        return seq;
    }

    /** A new sequence number whose ack is forwarded as {@code relay} says. */
    long relay(Relay relay) {
        long seq = nextSeq++;
        relays.put(seq, relay);
        return seq;
    }

    /** No longer waiting for an ack to {@code seq}: a late one is ignored. */
    void forget(long seq) {
        awaiting.remove(seq);
    }

    void forgetRelay(long seq) {
        relays.remove(seq);
    }

    /** The relay an ack to {@code seq} is for, if it is one; it is forwarded once. */
    Relay relayFor(long seq) {
        return relays.remove(seq);
    }

    /** Marks the probe waiting for {@code seq} answered and returns it, or null when none waits. */
    Probe answer(long seq) {
        Probe probe = awaiting.get(seq);
        if (probe != null) {
            probe.answered = true;
        }
        return probe;
    }
}
