package dev.smg.mesh.membership;

/** What the state machine tells observers (metrics, logs); called on the state machine's thread. */
public interface MembershipEvents {
    enum ProbeResult { ACK, INDIRECT_ACK, FAILED }

    default void statusChanged(Member before, Member after) {
    }

    default void probed(String member, ProbeResult result) {
    }

    default void joined(String seedAddress) {
    }

    default void refuted(long newIncarnation) {
    }

    MembershipEvents NONE = new MembershipEvents() {
    };
}
