package dev.smg.mesh.membership;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What this node believes about itself and every other member it knows, and the immutable
 * {@link MembershipView} of it that other threads read. Written on the loop only; the view is
 * republished (one volatile write) after every change a reader could notice.
 *
 * <p>The others are kept in a {@link HashMap}: the order the protocol walks them in (pushes,
 * ping-req helpers) is that map's, which the seeded simulator relies on to replay a run exactly.
 */
final class MemberTable {
    private static final System.Logger LOG = System.getLogger(MemberTable.class.getName());

    private final String name;
    private final String address;
    private final MembershipEvents events;
    private final Map<String, Member> others = new HashMap<>();
    private Member self;
    private volatile MembershipView view;

    MemberTable(String name, String address, MembershipEvents events) {
        this.name = name;
        this.address = address;
        this.events = events;
        this.self = new Member(name, address, MemberStatus.INIT, 1);
        publish();
    }

    String name() {
        return name;
    }

    String address() {
        return address;
    }

    Member self() {
        return self;
    }

    /** Replaces our own record (a status change or a raised incarnation) and republishes. */
    void updateSelf(Member next) {
        self = next;
        publish();
    }

    Member get(String member) {
        return others.get(member);
    }

    /** Records a claim; the caller reports it through {@link #changed} once its side effects are set up. */
    void put(Member member) {
        others.put(member.name(), member);
    }

    /** Forgets a member altogether (reaped). */
    void forget(String member) {
        others.remove(member);
        publish();
    }

    /** Every other member, in the table's iteration order. */
    Collection<Member> others() {
        return others.values();
    }

    Set<String> otherNames() {
        return others.keySet();
    }

    /** Members including us: what the retransmit limit scales with. */
    int size() {
        return others.size() + 1;
    }

    /** Members believed up (ALIVE or SUSPECTED), us included when ALIVE: what timeouts scale with. */
    int aliveCount() {
        int n = self.status() == MemberStatus.ALIVE ? 1 : 0;
        for (Member m : others.values()) {
            if (m.status() == MemberStatus.ALIVE || m.status() == MemberStatus.SUSPECTED) {
                n++;
            }
        }
        return n;
    }

    /** Addresses of the other members believed up: contact points there is no need to join. */
    Set<String> liveAddresses() {
        Set<String> live = new HashSet<>();
        for (Member m : others.values()) {
            if (m.status() == MemberStatus.ALIVE || m.status() == MemberStatus.SUSPECTED) {
                live.add(m.address());
            }
        }
        return live;
    }

    /** Tells observers (and the log, on a new status) that a member's record changed. */
    void changed(Member before, Member after) {
        events.statusChanged(before, after);
        if (before == null || before.status() != after.status()) {
            System.Logger.Level level = after.status() == MemberStatus.ALIVE ? System.Logger.Level.INFO
                    : System.Logger.Level.WARNING;
            LOG.log(level, "member {0} ({1}) is {2} (incarnation {3})", after.name(), after.address(),
                    after.status(), after.incarnation());
        }
        publish();
    }

    MembershipView view() {
        return view;
    }

    private void publish() {
        List<Member> all = new ArrayList<>(others.size() + 1);
        all.add(self);
        all.addAll(others.values());
        all.sort((a, b) -> a.name().compareTo(b.name()));
        view = new MembershipView(self, all);
    }
}
