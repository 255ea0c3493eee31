package dev.smg.mesh.transport;

import dev.smg.mesh.PeerAddress;
import dev.smg.proto.mesh.Envelope;

import java.util.Optional;

/**
 * What an envelope from the network may contain. Anything else is refused before it reaches the
 * state machine, so a confused or hostile peer cannot make a node store unbounded or malformed data.
 */
public final class EnvelopeLimits {
    /** gRPC's own cap on one message: larger frames are refused by the transport. */
    public static final int MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
    public static final int MAX_PIGGYBACK = 64;
    public static final int MAX_JOIN_REPLY_MEMBERS = 4096;
    public static final int MAX_DELTAS = 1024;
    private static final int MAX_NAME = 128;
    private static final int MAX_CHANNEL_NAME = 64;

    private EnvelopeLimits() {
    }

    /** Why the envelope is refused, or empty when it is acceptable. */
    public static Optional<String> violation(Envelope e) {
        if (e.getFrom().isEmpty() || e.getFrom().length() > MAX_NAME) {
            return Optional.of("bad sender name");
        }
        try {
            PeerAddress.parse(e.getFromAddress());
        } catch (IllegalArgumentException ex) {
            return Optional.of("bad sender address");
        }
        if (e.getPiggybackCount() > MAX_PIGGYBACK) {
            return Optional.of("too many piggybacked states");
        }
        if (e.hasJoinReply() && e.getJoinReply().getMembersCount() > MAX_JOIN_REPLY_MEMBERS) {
            return Optional.of("join reply too large");
        }
        if (e.hasDeltas() && e.getDeltas().getDeltasCount() > MAX_DELTAS) {
            return Optional.of("too many deltas in one batch");
        }
        if (e.hasChannel() && (e.getChannel().getChannel().isEmpty()
                || e.getChannel().getChannel().length() > MAX_CHANNEL_NAME)) {
            return Optional.of("bad channel name");
        }
        return Optional.empty();
    }
}
