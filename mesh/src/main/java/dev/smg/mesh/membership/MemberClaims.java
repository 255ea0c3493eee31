package dev.smg.mesh.membership;

/**
 * Merges claims about members (from piggybacks, pushes, join replies) into the table. A claim
 * replaces what we hold when its incarnation is higher, or equal with a stronger status
 * ({@link Member#isSupersededBy}); what it replaces decides the side effects: a suspicion opened,
 * confirmed or ended, a departed member's reaping scheduled or called off, the change queued for
 * piggybacking. Claims about ourselves are refuted by raising our incarnation.
 */
final class MemberClaims {
    private static final System.Logger LOG = System.getLogger(MemberClaims.class.getName());

    private final MemberTable table;
    private final Dissemination dissemination;
    private final Suspicions suspicions;
    private final DepartedMembers departed;
    private final MembershipEvents events;

    MemberClaims(MemberTable table, Dissemination dissemination, Suspicions suspicions, DepartedMembers departed,
                 MembershipEvents events) {
        this.table = table;
        this.dissemination = dissemination;
        this.suspicions = suspicions;
        this.departed = departed;
        this.events = events;
    }

    /** Applies a claim about a member; {@code from} is the member that passed it on. */
    void apply(Member claim, String from) {
        if (claim.name().isEmpty() || claim.status() == MemberStatus.INIT) {
            return;
        }
        if (claim.name().equals(table.name())) {
            applyAboutSelf(claim);
            return;
        }
        Member current = table.get(claim.name());
        if (current == null) {
            if (claim.status().isGone()) {
                return; // never heard of it, and it is gone: nothing to learn
            }
            table.put(claim);
            dissemination.enqueue(claim);
            table.changed(null, claim);
            if (claim.status() == MemberStatus.SUSPECTED) {
                suspicions.start(claim, from);
            }
            return;
        }
        if (current.isSupersededBy(claim)) {
            table.put(claim);
            dissemination.enqueue(claim);
            switch (claim.status()) {
                case ALIVE -> suspicions.end(claim.name());
                case SUSPECTED -> suspicions.start(claim, from);
                case DOWN, LEAVING -> {
                    suspicions.end(claim.name());
                    departed.scheduleReap(claim.name());
                }
                default -> {
                }
            }
            if (!claim.status().isGone()) {
                departed.cancelReap(claim.name());
            }
            table.changed(current, claim);
        } else if (claim.status() == MemberStatus.SUSPECTED && current.status() == MemberStatus.SUSPECTED
                && claim.incarnation() == current.incarnation()) {
            suspicions.confirm(claim.name(), from);
        }
    }

    /** Others' claims about us: a suspicion or a stale record from our previous life is refuted. */
    private void applyAboutSelf(Member claim) {
        Member self = table.self();
        if (self.status() == MemberStatus.LEAVING) {
            return;
        }
        boolean refute = switch (claim.status()) {
            case SUSPECTED, DOWN, LEAVING -> claim.incarnation() >= self.incarnation();
            case ALIVE -> claim.incarnation() > self.incarnation() || !claim.address().equals(self.address())
                    && claim.incarnation() >= self.incarnation();
            default -> false;
        };
        if (!refute) {
            if (claim.status() != MemberStatus.ALIVE && self.status() == MemberStatus.ALIVE) {
                // Someone still spreads an old suspicion (our refutation ran out of retransmits
                // before it reached them): send our current record again on the next messages.
                dissemination.enqueue(self);
            }
            return;
        }
        long incarnation = Math.max(self.incarnation(), claim.incarnation()) + 1;
        MemberStatus status = self.status() == MemberStatus.INIT ? MemberStatus.INIT : MemberStatus.ALIVE;
        Member refuted = new Member(self.name(), self.address(), status, incarnation);
        table.updateSelf(refuted);
        events.refuted(incarnation);
        LOG.log(System.Logger.Level.INFO, "refuting {0} about myself: incarnation is now {1}", claim.status(),
                incarnation);
        if (status == MemberStatus.ALIVE) {
            dissemination.enqueue(refuted);
            dissemination.pushToAll(refuted);
        }
    }
}
