package dev.smg.mesh.membership;

import dev.smg.proto.mesh.Envelope;
import dev.smg.proto.mesh.Join;
import dev.smg.proto.mesh.JoinReply;
import dev.smg.proto.mesh.MemberState;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Getting into a cluster and letting others in. A node with contact points stays INIT, sending a
 * join to each in turn ({@code joinTimeout} apiece, then a doubling wait up to
 * {@code joinBackoffMax}), until one replies; one without is ALIVE alone. Accepting a joiner makes
 * a node part of a cluster too. Contact points that are not live members are joined again at every
 * {@code rejoinInterval} (heals splits that outlived the reap time), and newly discovered peers at
 * once, with a few quick retries.
 */
final class Joining {
    private static final System.Logger LOG = System.getLogger(Joining.class.getName());
    /** Joins, join replies and pushes are only sent to this many members in one go. */
    private static final int MAX_MEMBERS = 4096;

    private final MembershipSettings settings;
    private final MemberTable table;
    private final Dissemination dissemination;
    private final MemberClaims claims;
    private final ContactPoints contacts;
    private final Timers timers;
    private final MembershipEvents events;
    /** Which contact point the join loop tries next, and how long it waits once all have failed. */
    private int nextContact;
    private long joinBackoffNanos;
    private Scheduler.Cancellable joinTimer;
    private Scheduler.Cancellable discoveredRetry;
    private long discoveredBackoffNanos;

    Joining(MembershipSettings settings, MemberTable table, Dissemination dissemination, MemberClaims claims,
            ContactPoints contacts, Timers timers, MembershipEvents events) {
        this.settings = settings;
        this.table = table;
        this.dissemination = dissemination;
        this.claims = claims;
        this.contacts = contacts;
        this.timers = timers;
        this.events = events;
    }

    /** Joins through the seeds, or is ALIVE alone when there are none; joins discovered peers too. */
    void start() {
        if (!contacts.hasSeeds()) {
            // Alone is a cluster of one: the first pod of a fleet has nobody to join. Peers that
            // discovery reports later are joined as they appear (discovered).
            becomeAlive("no peers configured");
        } else {
            joinBackoffNanos = settings.joinTimeout().toNanos() / 2;
            tryJoin();
        }
        if (joinEach(contacts.discovered()) > 0) {
            retryDiscoveredSoon();
        }
    }

    /** Newly discovered peers ({@code added}) get a join at once: a new pod is a member within a round trip. */
    void discovered(Set<String> added) {
        if (joinEach(added) > 0) {
            retryDiscoveredSoon();
        }
    }

    /**
     * A join can be lost (the pod is Running but its mesh port not open yet, the first connection
     * outlives the send deadline), so discovered peers that are not members yet get it again, backing
     * off from joinTimeout / 2 to joinBackoffMax (0.5 s to 5 s, about 12 s in all). After that the
     * rejoin tick covers them: a peer that keeps not answering, or that advertises another address
     * than the one listed, is not sent a join every few seconds forever.
     */
    private void retryDiscoveredSoon() {
        if (discoveredRetry != null) {
            discoveredRetry.cancel();
        }
        discoveredBackoffNanos = settings.joinTimeout().toNanos() / 2;
        discoveredRetry = timers.after(discoveredBackoffNanos, this::retryDiscovered);
    }

    private void retryDiscovered() {
        discoveredRetry = null;
        if (joinEach(contacts.discovered()) == 0 || discoveredBackoffNanos >= settings.joinBackoffMax().toNanos()) {
            return;
        }
        discoveredBackoffNanos = Math.min(discoveredBackoffNanos * 2, settings.joinBackoffMax().toNanos());
        discoveredRetry = timers.after(discoveredBackoffNanos, this::retryDiscovered);
    }

    /** Sends a join to each of {@code addresses} that is not us or a live member; returns how many. */
    private int joinEach(Set<String> addresses) {
        MemberStatus status = table.self().status();
        if (status != MemberStatus.INIT && status != MemberStatus.ALIVE) {
            return 0; // leaving: no new contacts
        }
        Set<String> members = table.liveAddresses();
        int sent = 0;
        for (String peer : addresses) {
            if (!peer.equals(table.address()) && !members.contains(peer)) {
                LOG.log(System.Logger.Level.DEBUG, "joining discovered peer {0}", peer);
                sendJoin(peer);
                sent++;
            }
        }
        return sent;
    }

    /** A join carries us as ALIVE even while INIT: that is what the seed will record. */
    private void sendJoin(String to) {
        Member self = table.self();
        MemberStatus announced = self.status() == MemberStatus.INIT ? MemberStatus.ALIVE : self.status();
        dissemination.send(to, Envelope.newBuilder().setJoin(Join.newBuilder().setJoiner(
                self.withStatus(announced).toProto())), List.of());
    }

    private void tryJoin() {
        if (table.self().status() != MemberStatus.INIT) {
            return;
        }
        List<String> candidates = contacts.all();
        if (nextContact >= candidates.size()) {
            nextContact = 0;
        }
        String contact = candidates.get(nextContact);
        LOG.log(System.Logger.Level.DEBUG, "joining through {0}", contact);
        sendJoin(contact);
        joinTimer = timers.after(settings.joinTimeout().toNanos(), this::joinTimedOut);
    }

    /** No reply in time: the next contact point, or, after the last, a doubling wait before the first. */
    private void joinTimedOut() {
        if (table.self().status() != MemberStatus.INIT) {
            return;
        }
        nextContact++;
        if (nextContact < contacts.all().size()) {
            tryJoin();
            return;
        }
        nextContact = 0;
        LOG.log(System.Logger.Level.WARNING, "no seed answered ({0}); retrying in {1} ms", contacts.all(),
                joinBackoffNanos / 1_000_000);
        long wait = joinBackoffNanos;
        joinBackoffNanos = Math.min(joinBackoffNanos * 2, settings.joinBackoffMax().toNanos());
        joinTimer = timers.after(wait, this::tryJoin);
    }

    private void becomeAlive(String how) {
        Member self = table.self();
        if (self.status() == MemberStatus.INIT) {
            Member alive = self.withStatus(MemberStatus.ALIVE);
            dissemination.enqueue(alive);
            table.updateSelf(alive);
            LOG.log(System.Logger.Level.INFO, "member {0} is ALIVE ({1})", alive.name(), how);
        }
    }

    /**
     * Every rejoinInterval: seeds and discovered peers whose address is not an ALIVE member get a
     * join (heals old splits, and retries a discovered pod whose mesh port was not open yet).
     */
    void recontact() {
        if (table.self().status() != MemberStatus.ALIVE) {
            return;
        }
        Set<String> aliveAddresses = table.liveAddresses();
        for (String contact : contacts.all()) {
            if (!aliveAddresses.contains(contact) && !contact.equals(table.address())) {
                sendJoin(contact);
            }
        }
    }

    void onJoin(Envelope envelope) {
        Member joiner = Member.fromProto(envelope.getJoin().getJoiner());
        if (joiner.name().equals(table.name())) {
            return; // our own join bounced back (a seed list that includes ourselves)
        }
        // Accepting a joiner forms (or grows) a cluster, so a seed still in INIT is now ALIVE too.
        becomeAlive("accepted " + joiner.name());
        claims.apply(joiner.withStatus(MemberStatus.ALIVE), joiner.name());
        JoinReply.Builder reply = JoinReply.newBuilder().addMembers(table.self().toProto());
        int count = 0;
        for (Member m : table.others()) {
            if (count++ < MAX_MEMBERS) {
                reply.addMembers(m.toProto());
            }
        }
        dissemination.send(envelope.getFromAddress(), Envelope.newBuilder().setJoinReply(reply), List.of());
    }

    void onJoinReply(Envelope envelope) {
        Set<String> listed = new HashSet<>();
        for (MemberState state : envelope.getJoinReply().getMembersList()) {
            listed.add(state.getName());
            claims.apply(Member.fromProto(state), envelope.getFrom());
        }
        if (table.self().status() == MemberStatus.ALIVE) {
            tellWhatTheyMissed(envelope.getFromAddress(), listed);
        }
        if (table.self().status() == MemberStatus.INIT) {
            if (joinTimer != null) {
                joinTimer.cancel();
            }
            becomeAlive("joined through " + envelope.getFromAddress());
            events.joined(envelope.getFromAddress());
            dissemination.pushToAll(table.self());
        }
    }

    /**
     * We were already in a cluster and joined another node (a discovered peer, a seed at the rejoin
     * tick): if it was a fresh node, its reply lists only what it knew, and it would learn our other
     * members only as they happen to change. They go to it now, in one message that asks for nothing
     * back (a reply-to-a-reply could ping-pong).
     */
    private void tellWhatTheyMissed(String to, Set<String> listed) {
        List<Member> missed = new ArrayList<>();
        for (Member m : table.others()) {
            if (!listed.contains(m.name()) && !m.address().equals(to) && missed.size() < MAX_MEMBERS) {
                missed.add(m);
            }
        }
        if (!missed.isEmpty()) {
            missed.add(table.self());
            dissemination.gossip(to, missed);
        }
    }
}
