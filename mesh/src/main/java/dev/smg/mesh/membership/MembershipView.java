package dev.smg.mesh.membership;

import java.util.List;
import java.util.Optional;

/**
 * An immutable picture of the member table, published with one volatile write after each change;
 * HTTP threads read it without locks.
 *
 * @param self    this node's own record
 * @param members every member this node knows, itself included, sorted by name
 */
public record MembershipView(Member self, List<Member> members) {
    public MembershipView {
        members = List.copyOf(members);
    }

    public Optional<Member> member(String name) {
        return members.stream().filter(m -> m.name().equals(name)).findFirst();
    }

    public long count(MemberStatus status) {
        return members.stream().filter(m -> m.status() == status).count();
    }
}
