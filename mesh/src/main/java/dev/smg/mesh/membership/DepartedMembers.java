package dev.smg.mesh.membership;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.random.RandomGenerator;

/**
 * Members held DOWN or LEAVING: each is forgotten {@code reapAfter} after its verdict, and until
 * then is told its verdict whenever it may be back, so that a healed partition or a resumed process
 * refutes within round trips instead of waiting for a rejoin.
 */
final class DepartedMembers {
    private static final System.Logger LOG = System.getLogger(DepartedMembers.class.getName());

    private final MembershipSettings settings;
    private final MemberTable table;
    private final Dissemination dissemination;
    private final Timers timers;
    private final RandomGenerator random;
    private final Map<String, Scheduler.Cancellable> reapers = new HashMap<>();
    /** Departed members told their verdict since the period began (bounds {@link #tellIfGone}). */
    private final Set<String> toldThisPeriod = new HashSet<>();
    private long periodStart;

    DepartedMembers(MembershipSettings settings, MemberTable table, Dissemination dissemination, Timers timers,
                    RandomGenerator random) {
        this.settings = settings;
        this.table = table;
        this.dissemination = dissemination;
        this.timers = timers;
        this.random = random;
    }

    /** The member was just declared DOWN or LEAVING: forget it after {@code reapAfter} unless it comes back. */
    void scheduleReap(String member) {
        cancelReap(member);
        reapers.put(member, timers.after(settings.reapAfter().toNanos(), () -> reap(member)));
    }

    /** The member is back (or suspected again): no longer to be forgotten. */
    void cancelReap(String member) {
        Scheduler.Cancellable reaper = reapers.remove(member);
        if (reaper != null) {
            reaper.cancel();
        }
    }

    private void reap(String member) {
        reapers.remove(member);
        Member m = table.get(member);
        if (m != null && m.status().isGone()) {
            table.forget(member);
            LOG.log(System.Logger.Level.INFO, "member {0} forgotten after {1} s {2}", member,
                    settings.reapAfter().toSeconds(), m.status());
        }
    }

    /**
     * A member we hold DOWN (or LEAVING) just spoke to us: it is back (a healed partition, a resumed
     * process, a node restarted under its old name that joined through a peer which had not heard of
     * its leave) but may not know, because the verdict's retransmits ran out while it was away and
     * {@link #probeOne} reaches one DOWN member at a time. It gets its record now, so it refutes
     * within a round trip (a member still draining after its leave ignores it). At most once per
     * protocol period per member.
     */
    void tellIfGone(String sender) {
        Member m = table.get(sender);
        if (m == null || !m.status().isGone() || table.self().status() != MemberStatus.ALIVE) {
            return;
        }
        long now = timers.now();
        if (toldThisPeriod.isEmpty() || now - periodStart >= settings.protocolPeriod().toNanos()) {
            toldThisPeriod.clear();
            periodStart = now;
        }
        if (!toldThisPeriod.add(sender)) {
            return;
        }
        tellVerdict(m);
    }

    /** Every {@code deadProbeInterval}: contacts one DOWN member, carrying its record so it can refute if it is back. */
    void probeOne() {
        if (table.self().status() != MemberStatus.ALIVE) {
            return;
        }
        List<Member> down = new ArrayList<>();
        for (Member m : table.others()) {
            if (m.status() == MemberStatus.DOWN) {
                down.add(m);
            }
        }
        if (down.isEmpty()) {
            return;
        }
        down.sort((a, b) -> a.name().compareTo(b.name()));
        tellVerdict(down.get(random.nextInt(down.size())));
    }

    private void tellVerdict(Member departed) {
        List<Member> carried = new ArrayList<>(dissemination.piggyback());
        carried.add(departed);
        carried.add(table.self());
        dissemination.gossip(departed.address(), carried);
    }
}
