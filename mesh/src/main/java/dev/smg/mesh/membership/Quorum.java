package dev.smg.mesh.membership;

import java.util.Optional;

/**
 * Whether this router sees a majority of the cluster. The cluster is every member in its table that
 * has not left (DOWN members count until they are reaped: they may only be on the other side of a
 * partition); reachable are the ALIVE and SUSPECTED ones, itself included. With 3 routers a quorum
 * is 2, with 5 it is 3.
 *
 * @param leader the member that runs cluster-wide singleton duties: the smallest name among the
 *               ALIVE members, and only on the side that has a quorum (so at most one side has one)
 */
public record Quorum(int members, int reachable, boolean present, Optional<String> leader) {
    public static Quorum of(MembershipView view) {
        int members = 0;
        int reachable = 0;
        String leader = null;
        for (Member m : view.members()) {
            if (m.status() == MemberStatus.LEAVING) {
                continue;
            }
            members++;
            if (m.status() == MemberStatus.ALIVE || m.status() == MemberStatus.SUSPECTED) {
                reachable++;
            }
            if (m.status() == MemberStatus.ALIVE && (leader == null || m.name().compareTo(leader) < 0)) {
                leader = m.name();
            }
        }
        boolean present = reachable * 2 > members;
        return new Quorum(members, reachable, present, present ? Optional.ofNullable(leader) : Optional.empty());
    }

    public int needed() {
        return members / 2 + 1;
    }

    public boolean isLeader(String name) {
        return leader.filter(name::equals).isPresent();
    }
}
