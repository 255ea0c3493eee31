package dev.smg.mesh.membership;

import dev.smg.proto.mesh.NodeStatus;

/** A member's status, with the seed's numbers (printed by /ha/status as "0".."4"). */
public enum MemberStatus {
    INIT(0), ALIVE(1), SUSPECTED(2), DOWN(3), LEAVING(4);

    private final int code;

    MemberStatus(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** Precedence at equal incarnation: ALIVE < SUSPECTED < DOWN = LEAVING. */
    int rank() {
        return switch (this) {
            case INIT, ALIVE -> 0;
            case SUSPECTED -> 1;
            case DOWN, LEAVING -> 2;
        };
    }

    /** DOWN and LEAVING members are not probed and are reaped after a while. */
    public boolean isGone() {
        return this == DOWN || this == LEAVING;
    }

    public NodeStatus toProto() {
        return NodeStatus.forNumber(code);
    }

    public static MemberStatus fromProto(NodeStatus status) {
        return switch (status) {
            case ALIVE -> ALIVE;
            case SUSPECTED -> SUSPECTED;
            case DOWN -> DOWN;
            case LEAVING -> LEAVING;
            default -> INIT;
        };
    }
}
