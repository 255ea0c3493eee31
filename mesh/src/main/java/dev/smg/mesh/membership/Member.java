package dev.smg.mesh.membership;

import dev.smg.proto.mesh.MemberState;

/**
 * What this node believes about one member.
 *
 * @param name        unique member name
 * @param address     advertised mesh address, host:port
 * @param status      current status
 * @param incarnation raised only by the member itself; higher always wins
 */
public record Member(String name, String address, MemberStatus status, long incarnation) {

    public Member withStatus(MemberStatus next) {
        return new Member(name, address, next, incarnation);
    }

    /**
     * Whether {@code candidate}, a claim about the same member, replaces this one: a higher
     * incarnation always does; at equal incarnation only a stronger status does.
     */
    public boolean isSupersededBy(Member candidate) {
        if (candidate.incarnation != incarnation) {
            return candidate.incarnation > incarnation;
        }
        return candidate.status.rank() > status.rank();
    }

    public MemberState toProto() {
        return MemberState.newBuilder().setName(name).setAddress(address).setStatus(status.toProto())
                .setIncarnation(incarnation).build();
    }

    public static Member fromProto(MemberState state) {
        return new Member(state.getName(), state.getAddress(), MemberStatus.fromProto(state.getStatus()),
                state.getIncarnation());
    }
}
