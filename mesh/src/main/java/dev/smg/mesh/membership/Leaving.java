package dev.smg.mesh.membership;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Graceful leave: announce LEAVING (with a raised incarnation, so it beats any other claim) to
 * every member, and resend it in pings every fifth of a period until each member has acknowledged
 * one or {@code leaveTimeout} passes; then the caller's continuation runs (the process drains and
 * exits). Peers stop probing a LEAVING member and never turn it into DOWN.
 */
final class Leaving {
    private static final System.Logger LOG = System.getLogger(Leaving.class.getName());

    private final MembershipSettings settings;
    private final MemberTable table;
    private final Dissemination dissemination;
    private final Pings pings;
    private final Timers timers;
    /** Members that have not acknowledged the announcement yet; empty until {@link #leave}. */
    private Set<String> waitingFor = new HashSet<>();
    private Runnable done;
    private long deadlineNanos;

    Leaving(MembershipSettings settings, MemberTable table, Dissemination dissemination, Pings pings, Timers timers) {
        this.settings = settings;
        this.table = table;
        this.dissemination = dissemination;
        this.pings = pings;
        this.timers = timers;
    }

    void leave(Runnable whenDone) {
        Member self = table.self();
        Member leaving = new Member(self.name(), self.address(), MemberStatus.LEAVING, self.incarnation() + 1);
        dissemination.enqueue(leaving);
        table.updateSelf(leaving);
        waitingFor = new HashSet<>();
        for (Member m : table.others()) {
            if (!m.status().isGone()) {
                waitingFor.add(m.name());
            }
        }
        done = whenDone;
        LOG.log(System.Logger.Level.INFO, "leaving: telling {0} member(s)", waitingFor.size());
        deadlineNanos = timers.now() + settings.leaveTimeout().toNanos();
        announce();
    }

    /** An ack from {@code member} to one of our pings: if we are leaving, it has heard. */
    void acknowledged(String member) {
        waitingFor.remove(member);
    }

    private void announce() {
        if (waitingFor.isEmpty() || timers.now() >= deadlineNanos) {
            if (!waitingFor.isEmpty()) {
                LOG.log(System.Logger.Level.WARNING, "leave not acknowledged by {0}", waitingFor);
            }
            Runnable finish = done;
            done = null;
            if (finish != null) {
                finish.run();
            }
            return;
        }
        for (String member : waitingFor) {
            Member m = table.get(member);
            if (m != null) {
                long seq = pings.await(new Pings.Probe(member));
                dissemination.send(m.address(), Prober.ping(seq, member), List.of(table.self()));
            }
        }
        timers.after(settings.protocolPeriod().toNanos() / 5, this::announce);
    }
}
