package dev.smg.mesh.membership;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The open suspicions, one {@link SuspicionTimer} per SUSPECTED member: started by our own failed
 * probe or by another member's claim, shortened by independent confirmations, ended by a
 * refutation, and on expiry settled by a final direct check: a suspect that answers one of two
 * pings is given more time (its refutation is on the way), one that answers neither is DOWN.
 */
final class Suspicions {
    /** Final check: this many pings, each carrying the suspicion so the suspect can refute it. */
    private static final int FINAL_PINGS = 2;

    private final MembershipSettings settings;
    private final MemberTable table;
    private final Dissemination dissemination;
    private final DepartedMembers departed;
    private final Pings pings;
    private final Timers timers;
    private final Map<String, SuspicionTimer> open = new HashMap<>();

    Suspicions(MembershipSettings settings, MemberTable table, Dissemination dissemination, DepartedMembers departed,
               Pings pings, Timers timers) {
        this.settings = settings;
        this.table = table;
        this.dissemination = dissemination;
        this.departed = departed;
        this.pings = pings;
        this.timers = timers;
    }

    /** Our own probe of {@code target} failed, direct and indirect. */
    void suspect(String target) {
        Member current = table.get(target);
        if (current == null || current.status().isGone()) {
            return;
        }
        if (current.status() == MemberStatus.SUSPECTED) {
            // An independent failed probe: count it, and tell the others, who count us as a confirmation.
            confirm(target, table.name());
            dissemination.pushToAll(current);
            return;
        }
        Member suspected = current.withStatus(MemberStatus.SUSPECTED);
        table.put(suspected);
        dissemination.enqueue(suspected);
        start(suspected, table.name());
        table.changed(current, suspected);
        dissemination.pushToAll(suspected);
    }

    /**
     * {@code suspected} is now SUSPECTED in the table, on the word of {@code from} (us, or the member
     * that passed the claim on). A suspicion already open only counts {@code from} as a confirmation.
     */
    void start(Member suspected, String from) {
        String target = suspected.name();
        if (open.containsKey(target)) {
            confirm(target, from);
            return;
        }
        int n = table.aliveCount();
        long min = settings.suspicionMinNanos(n);
        long max = (long) (min * settings.suspicionMaxFactor());
        int expected = Math.min(settings.suspicionConfirmations(), Math.max(0, n - 2));
        SuspicionTimer timer = new SuspicionTimer(timers.now(), min, max, expected);
        if (!from.equals(table.name())) {
            timer.confirm(from); // someone else suspects it too: that is independent evidence
        }
        open.put(target, timer);
        timer.arm(timers, () -> expired(target));
    }

    /** Another member (or we, again) suspects {@code target} at the same incarnation. */
    void confirm(String target, String from) {
        SuspicionTimer timer = open.get(target);
        if (timer != null && timer.confirm(from)) {
            timer.arm(timers, () -> expired(target));
        }
    }

    /** The member was refuted ALIVE or has departed: no verdict from this suspicion. */
    void end(String target) {
        SuspicionTimer timer = open.remove(target);
        if (timer != null) {
            timer.disarm();
        }
    }

    /**
     * The suspicion ran out. Before convicting, check once more directly (two pings, carrying the
     * suspicion so the suspect can refute): a member that answers is not down, whatever its
     * refutation's fate on a lossy network. Only silence makes it DOWN.
     */
    private void expired(String target) {
        Member current = table.get(target);
        if (current == null || current.status() != MemberStatus.SUSPECTED) {
            end(target);
            return;
        }
        Pings.Probe check = new Pings.Probe(target);
        long timeout = settings.probeTimeout().toNanos();
        for (int i = 0; i < FINAL_PINGS; i++) {
            long seq = pings.await(check);
            dissemination.send(current.address(), Prober.ping(seq, target), List.of(current));
            timers.after(timeout, () -> pings.forget(seq));
        }
        timers.after(timeout, () -> convictOrWait(target, check.answered()));
    }

    private void convictOrWait(String target, boolean answered) {
        Member current = table.get(target);
        SuspicionTimer timer = open.get(target);
        if (current == null || current.status() != MemberStatus.SUSPECTED || timer == null) {
            return;
        }
        if (answered) {
            // Alive after all: its refutation is on the way. Look again after the minimum timeout.
            timer.armIn(timers, settings.suspicionMinNanos(table.aliveCount()), () -> expired(target));
            return;
        }
        end(target);
        Member down = current.withStatus(MemberStatus.DOWN);
        table.put(down);
        dissemination.enqueue(down);
        departed.scheduleReap(target);
        table.changed(current, down);
        dissemination.pushToAll(down);
    }
}
