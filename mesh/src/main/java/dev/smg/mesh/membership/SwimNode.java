package dev.smg.mesh.membership;

import dev.smg.proto.mesh.Ack;
import dev.smg.proto.mesh.Envelope;
import dev.smg.proto.mesh.Gossip;
import dev.smg.proto.mesh.Join;
import dev.smg.proto.mesh.JoinReply;
import dev.smg.proto.mesh.MemberState;
import dev.smg.proto.mesh.Ping;
import dev.smg.proto.mesh.PingReq;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.random.RandomGenerator;

/**
 * The SWIM membership state machine of one node. Single-threaded by contract: every method and
 * every timer callback runs on one thread (the mesh loop, or a simulator), so there are no locks.
 * It does no I/O itself: it sends through a {@link Transport} and keeps time with a
 * {@link Scheduler}, which is what lets tests drive whole clusters on a simulated clock.
 *
 * <p>Each protocol period it probes one member (round-robin over a shuffled list): a direct ping,
 * then, without an ack within the probe timeout, ping-reqs through {@code k} other members, then
 * suspicion. A suspicion ends in DOWN when its Lifeguard-style timer expires, or is refuted by the
 * suspect raising its incarnation. Changes are pushed to every member at once and also piggybacked
 * on later messages a bounded number of times, which repairs lost pushes.
 *
 * <p>Contact points come from two places: the configured seeds (fixed at construction) and the
 * discovered peers (Kubernetes pods, replaced as a whole by {@link #setDiscoveredPeers}). Both are
 * only addresses to send joins to; membership itself is always decided by SWIM.
 */
public final class SwimNode {
    private static final System.Logger LOG = System.getLogger(SwimNode.class.getName());
    /** Joins, join replies and pushes are only sent to this many members in one go. */
    private static final int MAX_MEMBERS = 4096;

    private final MembershipSettings settings;
    private final String name;
    private final String address;
    private final List<String> seeds;
    /** Addresses found by service discovery; replaced whole on every change (loop thread only). */
    private Set<String> discovered = Set.of();
    private Scheduler.Cancellable discoveredRetry;
    private long discoveredBackoffNanos;
    private final Scheduler scheduler;
    private final Transport transport;
    private final RandomGenerator random;
    private final MembershipEvents events;

    private final Map<String, Member> members = new HashMap<>();
    private final Broadcasts broadcasts = new Broadcasts();
    private final Map<String, SuspicionTimer> suspicions = new HashMap<>();
    private final Map<String, Scheduler.Cancellable> suspicionDeadlines = new HashMap<>();
    private final Map<String, Scheduler.Cancellable> reapers = new HashMap<>();
    /** Probes we sent, by seq: who was probed and whether an ack came. */
    private final Map<Long, Probe> probes = new HashMap<>();
    /** Pings we sent for someone else's ping-req: our seq -> (requester address, requester seq). */
    private final Map<Long, Relay> relays = new HashMap<>();
    private final List<String> probeOrder = new ArrayList<>();
    private final List<Scheduler.Cancellable> timers = new ArrayList<>();

    private Member self;
    private long nextSeq = 1;
    private int probeIndex;
    private boolean started;
    private boolean stopped;
    // join state
    private int joinSeedIndex;
    private long joinBackoffNanos;
    private Scheduler.Cancellable joinTimer;
    // leave state
    private Set<String> leaveWaitingFor;
    private Runnable leaveDone;
    private Scheduler.Cancellable leaveTimer;
    // DOWN or LEAVING members told so since the period began (bounds tellIfGone)
    private final Set<String> toldGone = new HashSet<>();
    private long toldGonePeriodStart;

    private volatile MembershipView view;

    private record Probe(String target, long sentNanos, boolean[] acked, boolean indirect) {
    }

    private record Relay(String requesterAddress, long requesterSeq) {
    }

    public SwimNode(MembershipSettings settings, String name, String address, List<String> seeds, Scheduler scheduler,
                    Transport transport, RandomGenerator random, MembershipEvents events) {
        this.settings = settings;
        this.name = name;
        this.address = address;
        this.seeds = List.copyOf(seeds);
        this.scheduler = scheduler;
        this.transport = transport;
        this.random = random;
        this.events = events;
        this.self = new Member(name, address, MemberStatus.INIT, 1);
        publish();
    }

    // ------------------------------------------------------------------ lifecycle

    /** Starts probing; joins through the seeds, or is ALIVE alone when there are none. */
    public void start() {
        if (started) {
            return;
        }
        started = true;
        long period = settings.protocolPeriod().toNanos();
        timers.add(repeat(period + random.nextLong(period / 4 + 1), period, this::probeRound));
        timers.add(repeat(settings.deadProbeInterval().toNanos(), settings.deadProbeInterval().toNanos(),
                this::probeTheDead));
        timers.add(repeat(settings.rejoinInterval().toNanos(), settings.rejoinInterval().toNanos(),
                this::recontactSeeds));
        if (seeds.isEmpty()) {
            // Alone is a cluster of one: the first pod of a fleet has nobody to join. Peers that
            // discovery reports later are joined as they appear (setDiscoveredPeers).
            becomeAlive("no peers configured");
        } else {
            joinBackoffNanos = settings.joinTimeout().toNanos() / 2;
            tryJoin();
        }
        if (joinDiscovered(discovered) > 0) {
            retryDiscoveredSoon();
        }
    }

    /**
     * Replaces the set of discovered peer addresses ({@code host:port}). Every address that is new
     * gets a join at once, not at the next rejoin tick: a pod that just came up is a member within
     * a round trip. Joins are idempotent, and the node's own address is skipped. An address that
     * disappears is only no longer contacted: whether that member is down is SWIM's verdict (it
     * still answers pings while its pod is terminating, and it announces LEAVING itself).
     */
    public void setDiscoveredPeers(Set<String> addresses) {
        Set<String> added = new LinkedHashSet<>(addresses);
        added.removeAll(discovered);
        discovered = Set.copyOf(addresses);
        if (started && !stopped && joinDiscovered(added) > 0) {
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
        discoveredRetry = scheduler.schedule(discoveredBackoffNanos, this::retryDiscovered);
    }

    private void retryDiscovered() {
        discoveredRetry = null;
        if (stopped || joinDiscovered(discovered) == 0
                || discoveredBackoffNanos >= settings.joinBackoffMax().toNanos()) {
            return;
        }
        discoveredBackoffNanos = Math.min(discoveredBackoffNanos * 2, settings.joinBackoffMax().toNanos());
        discoveredRetry = scheduler.schedule(discoveredBackoffNanos, this::retryDiscovered);
    }

    /** The discovered peer addresses now in force (loop thread). */
    public Set<String> discoveredPeers() {
        return discovered;
    }

    /** Sends a join to each of {@code addresses} that is not us or a live member; returns how many. */
    private int joinDiscovered(Set<String> addresses) {
        if (self.status() != MemberStatus.INIT && self.status() != MemberStatus.ALIVE) {
            return 0; // leaving: no new contacts
        }
        Set<String> members = liveMemberAddresses();
        int sent = 0;
        for (String peer : addresses) {
            if (!peer.equals(address) && !members.contains(peer)) {
                LOG.log(System.Logger.Level.DEBUG, "joining discovered peer {0}", peer);
                sendJoin(peer);
                sent++;
            }
        }
        return sent;
    }

    /** A join carries us as ALIVE even while INIT: that is what the seed will record. */
    private void sendJoin(String to) {
        MemberStatus announced = self.status() == MemberStatus.INIT ? MemberStatus.ALIVE : self.status();
        send(to, Envelope.newBuilder().setJoin(Join.newBuilder().setJoiner(self.withStatus(announced).toProto())),
                List.of());
    }

    /** Seeds first (in the configured order), then discovered peers. */
    private List<String> contactPoints() {
        if (discovered.isEmpty()) {
            return seeds;
        }
        LinkedHashSet<String> all = new LinkedHashSet<>(seeds);
        all.addAll(discovered);
        return List.copyOf(all);
    }

    private Set<String> liveMemberAddresses() {
        Set<String> live = new HashSet<>();
        for (Member m : members.values()) {
            if (m.status() == MemberStatus.ALIVE || m.status() == MemberStatus.SUSPECTED) {
                live.add(m.address());
            }
        }
        return live;
    }

    /** Stops every timer; the node falls silent (as a crash would, from the others' view). */
    public void stop() {
        stopped = true;
        timers.forEach(Scheduler.Cancellable::cancel);
        timers.clear();
        suspicionDeadlines.values().forEach(Scheduler.Cancellable::cancel);
        reapers.values().forEach(Scheduler.Cancellable::cancel);
        if (joinTimer != null) {
            joinTimer.cancel();
        }
        if (discoveredRetry != null) {
            discoveredRetry.cancel();
        }
        if (leaveTimer != null) {
            leaveTimer.cancel();
        }
    }

    /**
     * Graceful leave: announce LEAVING (with a raised incarnation, so it beats any other claim) to
     * every member, resend until each has acknowledged or {@code leaveTimeout} passes, then run
     * {@code done}.
     */
    public void leave(Runnable done) {
        self = new Member(name, address, MemberStatus.LEAVING, self.incarnation() + 1);
        broadcasts.add(self);
        publish();
        leaveWaitingFor = new HashSet<>();
        for (Member m : members.values()) {
            if (!m.status().isGone()) {
                leaveWaitingFor.add(m.name());
            }
        }
        leaveDone = done;
        LOG.log(System.Logger.Level.INFO, "leaving: telling {0} member(s)", leaveWaitingFor.size());
        long deadline = scheduler.nanoTime() + settings.leaveTimeout().toNanos();
        sendLeave(deadline);
    }

    private void sendLeave(long deadline) {
        if (leaveWaitingFor.isEmpty() || scheduler.nanoTime() >= deadline) {
            if (!leaveWaitingFor.isEmpty()) {
                LOG.log(System.Logger.Level.WARNING, "leave not acknowledged by {0}", leaveWaitingFor);
            }
            Runnable done = leaveDone;
            leaveDone = null;
            if (done != null) {
                done.run();
            }
            return;
        }
        for (String member : leaveWaitingFor) {
            Member m = members.get(member);
            if (m != null) {
                long seq = nextSeq++;
                probes.put(seq, new Probe(member, scheduler.nanoTime(), new boolean[1], false));
                send(m.address(), Envelope.newBuilder().setPing(Ping.newBuilder().setSeq(seq).setTarget(member)),
                        List.of(self));
            }
        }
        leaveTimer = scheduler.schedule(settings.protocolPeriod().toNanos() / 5, () -> sendLeave(deadline));
    }

    public MembershipView view() {
        return view;
    }

    public String name() {
        return name;
    }

    // ------------------------------------------------------------------ joining

    private void tryJoin() {
        if (stopped || self.status() != MemberStatus.INIT) {
            return;
        }
        List<String> candidates = contactPoints();
        if (joinSeedIndex >= candidates.size()) {
            joinSeedIndex = 0;
        }
        String seed = candidates.get(joinSeedIndex);
        LOG.log(System.Logger.Level.DEBUG, "joining through {0}", seed);
        sendJoin(seed);
        joinTimer = scheduler.schedule(settings.joinTimeout().toNanos(), () -> {
            if (self.status() != MemberStatus.INIT) {
                return;
            }
            joinSeedIndex++;
            if (joinSeedIndex < contactPoints().size()) {
                tryJoin();
                return;
            }
            joinSeedIndex = 0;
            LOG.log(System.Logger.Level.WARNING, "no seed answered ({0}); retrying in {1} ms", contactPoints(),
                    joinBackoffNanos / 1_000_000);
            long wait = joinBackoffNanos;
            joinBackoffNanos = Math.min(joinBackoffNanos * 2, settings.joinBackoffMax().toNanos());
            joinTimer = scheduler.schedule(wait, this::tryJoin);
        });
    }

    private void becomeAlive(String how) {
        if (self.status() == MemberStatus.INIT) {
            self = self.withStatus(MemberStatus.ALIVE);
            broadcasts.add(self);
            publish();
            LOG.log(System.Logger.Level.INFO, "member {0} is ALIVE ({1})", name, how);
        }
    }

    /**
     * Every rejoinInterval: seeds and discovered peers whose address is not an ALIVE member get a
     * join (heals old splits, and retries a discovered pod whose mesh port was not open yet).
     */
    private void recontactSeeds() {
        if (self.status() != MemberStatus.ALIVE) {
            return;
        }
        Set<String> aliveAddresses = liveMemberAddresses();
        for (String seed : contactPoints()) {
            if (!aliveAddresses.contains(seed) && !seed.equals(address)) {
                sendJoin(seed);
            }
        }
    }

    // ------------------------------------------------------------------ receiving

    /** Handles one envelope from the network. */
    public void receive(Envelope envelope) {
        if (stopped) {
            return;
        }
        for (MemberState state : envelope.getPiggybackList()) {
            apply(Member.fromProto(state), envelope.getFrom());
        }
        tellIfGone(envelope.getFrom());
        switch (envelope.getBodyCase()) {
            case PING -> onPing(envelope);
            case ACK -> onAck(envelope);
            case PING_REQ -> onPingReq(envelope);
            case JOIN -> onJoin(envelope);
            case JOIN_REPLY -> onJoinReply(envelope);
            case GOSSIP, BODY_NOT_SET -> {
                // the piggyback was the message
            }
        }
    }

    private void onPing(Envelope envelope) {
        Ping ping = envelope.getPing();
        if (!ping.getTarget().isEmpty() && !ping.getTarget().equals(name)) {
            return; // meant for a member that used to live at this address
        }
        send(envelope.getFromAddress(), Envelope.newBuilder().setAck(Ack.newBuilder().setSeq(ping.getSeq())),
                piggyback());
    }

    private void onAck(Envelope envelope) {
        long seq = envelope.getAck().getSeq();
        Relay relay = relays.remove(seq);
        if (relay != null) {
            send(relay.requesterAddress(), Envelope.newBuilder().setAck(Ack.newBuilder().setSeq(relay.requesterSeq())),
                    piggyback());
            return;
        }
        Probe probe = probes.get(seq);
        if (probe == null) {
            return;
        }
        probe.acked()[0] = true;
        if (leaveWaitingFor != null) {
            leaveWaitingFor.remove(probe.target());
        }
    }

    private void onPingReq(Envelope envelope) {
        PingReq request = envelope.getPingReq();
        Member target = Member.fromProto(request.getTarget());
        long seq = nextSeq++;
        relays.put(seq, new Relay(envelope.getFromAddress(), request.getSeq()));
        scheduler.schedule(settings.protocolPeriod().toNanos(), () -> relays.remove(seq));
        send(target.address(), Envelope.newBuilder().setPing(Ping.newBuilder().setSeq(seq).setTarget(target.name())),
                piggyback());
    }

    private void onJoin(Envelope envelope) {
        Member joiner = Member.fromProto(envelope.getJoin().getJoiner());
        if (joiner.name().equals(name)) {
            return; // our own join bounced back (a seed list that includes ourselves)
        }
        // Accepting a joiner forms (or grows) a cluster, so a seed still in INIT is now ALIVE too.
        becomeAlive("accepted " + joiner.name());
        apply(joiner.withStatus(MemberStatus.ALIVE), joiner.name());
        JoinReply.Builder reply = JoinReply.newBuilder().addMembers(self.toProto());
        int count = 0;
        for (Member m : members.values()) {
            if (count++ < MAX_MEMBERS) {
                reply.addMembers(m.toProto());
            }
        }
        send(envelope.getFromAddress(), Envelope.newBuilder().setJoinReply(reply), List.of());
    }

    private void onJoinReply(Envelope envelope) {
        Set<String> listed = new HashSet<>();
        for (MemberState state : envelope.getJoinReply().getMembersList()) {
            listed.add(state.getName());
            apply(Member.fromProto(state), envelope.getFrom());
        }
        if (self.status() == MemberStatus.ALIVE) {
            tellWhatTheyMissed(envelope.getFromAddress(), listed);
        }
        if (self.status() == MemberStatus.INIT) {
            if (joinTimer != null) {
                joinTimer.cancel();
            }
            becomeAlive("joined through " + envelope.getFromAddress());
            events.joined(envelope.getFromAddress());
            pushToAll(self);
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
        for (Member m : members.values()) {
            if (!listed.contains(m.name()) && !m.address().equals(to) && missed.size() < MAX_MEMBERS) {
                missed.add(m);
            }
        }
        if (!missed.isEmpty()) {
            missed.add(self);
            send(to, Envelope.newBuilder().setGossip(Gossip.getDefaultInstance()), missed);
        }
    }

    // ------------------------------------------------------------------ merging claims

    /** Applies a claim about a member; {@code from} is the member that passed it on. */
    private void apply(Member claim, String from) {
        if (claim.name().isEmpty() || claim.status() == MemberStatus.INIT) {
            return;
        }
        if (claim.name().equals(name)) {
            applyAboutSelf(claim);
            return;
        }
        Member current = members.get(claim.name());
        if (current == null) {
            if (claim.status().isGone()) {
                return; // never heard of it, and it is gone: nothing to learn
            }
            members.put(claim.name(), claim);
            broadcasts.add(claim);
            changed(null, claim);
            if (claim.status() == MemberStatus.SUSPECTED) {
                startSuspicion(claim, from);
            }
            return;
        }
        if (current.isSupersededBy(claim)) {
            members.put(claim.name(), claim);
            broadcasts.add(claim);
            switch (claim.status()) {
                case ALIVE -> endSuspicion(claim.name());
                case SUSPECTED -> startSuspicion(claim, from);
                case DOWN, LEAVING -> {
                    endSuspicion(claim.name());
                    scheduleReap(claim.name());
                }
                default -> {
                }
            }
            if (claim.status() != MemberStatus.DOWN && claim.status() != MemberStatus.LEAVING) {
                cancelReap(claim.name());
            }
            changed(current, claim);
        } else if (claim.status() == MemberStatus.SUSPECTED && current.status() == MemberStatus.SUSPECTED
                && claim.incarnation() == current.incarnation()) {
            confirmSuspicion(claim.name(), from);
        }
    }

    /** Others' claims about us: a suspicion or a stale record from our previous life is refuted. */
    private void applyAboutSelf(Member claim) {
        if (self.status() == MemberStatus.LEAVING) {
            return;
        }
        boolean refute = switch (claim.status()) {
            case SUSPECTED, DOWN, LEAVING -> claim.incarnation() >= self.incarnation();
            case ALIVE -> claim.incarnation() > self.incarnation() || !claim.address().equals(address)
                    && claim.incarnation() >= self.incarnation();
            default -> false;
        };
        if (!refute) {
            if (claim.status() != MemberStatus.ALIVE && self.status() == MemberStatus.ALIVE) {
                // Someone still spreads an old suspicion (our refutation ran out of retransmits
                // before it reached them): send our current record again on the next messages.
                broadcasts.add(self);
            }
            return;
        }
        long incarnation = Math.max(self.incarnation(), claim.incarnation()) + 1;
        MemberStatus status = self.status() == MemberStatus.INIT ? MemberStatus.INIT : MemberStatus.ALIVE;
        self = new Member(name, address, status, incarnation);
        events.refuted(incarnation);
        LOG.log(System.Logger.Level.INFO, "refuting {0} about myself: incarnation is now {1}", claim.status(),
                incarnation);
        publish();
        if (status == MemberStatus.ALIVE) {
            broadcasts.add(self);
            pushToAll(self);
        }
    }

    private void changed(Member before, Member after) {
        events.statusChanged(before, after);
        if (before == null || before.status() != after.status()) {
            System.Logger.Level level = after.status() == MemberStatus.ALIVE ? System.Logger.Level.INFO
                    : System.Logger.Level.WARNING;
            LOG.log(level, "member {0} ({1}) is {2} (incarnation {3})", after.name(), after.address(),
                    after.status(), after.incarnation());
        }
        publish();
    }

    // ------------------------------------------------------------------ probing

    private void probeRound() {
        if (stopped || self.status() != MemberStatus.ALIVE) {
            return;
        }
        String target = nextProbeTarget();
        if (target == null) {
            return;
        }
        Member member = members.get(target);
        long seq = nextSeq++;
        boolean[] acked = new boolean[1];
        probes.put(seq, new Probe(target, scheduler.nanoTime(), acked, false));
        send(member.address(), Envelope.newBuilder().setPing(Ping.newBuilder().setSeq(seq).setTarget(target)),
                piggyback());
        scheduler.schedule(settings.probeTimeout().toNanos(), () -> {
            if (acked[0]) {
                probes.remove(seq);
                events.probed(target, MembershipEvents.ProbeResult.ACK);
                return;
            }
            askOthersToProbe(seq, target, acked);
        });
    }

    private void askOthersToProbe(long seq, String target, boolean[] acked) {
        if (stopped) {
            return;
        }
        Member member = members.get(target);
        if (member == null || member.status().isGone()) {
            probes.remove(seq);
            return;
        }
        List<Member> helpers = new ArrayList<>();
        for (Member m : members.values()) {
            if (m.status() == MemberStatus.ALIVE && !m.name().equals(target)) {
                helpers.add(m);
            }
        }
        Collections.shuffle(helpers, asRandom());
        for (Member helper : helpers.subList(0, Math.min(settings.indirectProbes(), helpers.size()))) {
            send(helper.address(), Envelope.newBuilder().setPingReq(PingReq.newBuilder().setSeq(seq)
                    .setTarget(member.toProto())), piggyback());
        }
        // Also retry the target directly: a single lost packet should not need a third party.
        send(member.address(), Envelope.newBuilder().setPing(Ping.newBuilder().setSeq(seq).setTarget(target)),
                piggyback());
        long remaining = settings.protocolPeriod().toNanos() - settings.probeTimeout().toNanos();
        scheduler.schedule(Math.max(1, remaining * 9 / 10), () -> {
            probes.remove(seq);
            if (stopped) {
                return;
            }
            if (acked[0]) {
                events.probed(target, MembershipEvents.ProbeResult.INDIRECT_ACK);
                return;
            }
            events.probed(target, MembershipEvents.ProbeResult.FAILED);
            suspect(target);
        });
    }

    private String nextProbeTarget() {
        for (int attempts = 0; attempts < 2; attempts++) {
            while (probeIndex < probeOrder.size()) {
                String candidate = probeOrder.get(probeIndex++);
                Member m = members.get(candidate);
                if (m != null && (m.status() == MemberStatus.ALIVE || m.status() == MemberStatus.SUSPECTED)) {
                    return candidate;
                }
            }
            probeOrder.clear();
            probeOrder.addAll(members.keySet());
            Collections.sort(probeOrder); // deterministic before shuffling with the seeded random
            Collections.shuffle(probeOrder, asRandom());
            probeIndex = 0;
        }
        return null;
    }

    /**
     * A member we hold DOWN (or LEAVING) just spoke to us: it is back (a healed partition, a resumed
     * process, a node restarted under its old name that joined through a peer which had not heard of
     * its leave) but may not know, because the verdict's retransmits ran out while it was away and
     * {@link #probeTheDead} reaches one DOWN member at a time. It gets its record now, so it refutes
     * within a round trip (a member still draining after its leave ignores it). At most once per
     * protocol period per member.
     */
    private void tellIfGone(String sender) {
        Member m = members.get(sender);
        if (m == null || !m.status().isGone() || self.status() != MemberStatus.ALIVE) {
            return;
        }
        long now = scheduler.nanoTime();
        if (toldGone.isEmpty() || now - toldGonePeriodStart >= settings.protocolPeriod().toNanos()) {
            toldGone.clear();
            toldGonePeriodStart = now;
        }
        if (!toldGone.add(sender)) {
            return;
        }
        List<Member> carried = new ArrayList<>(piggyback());
        carried.add(m);
        carried.add(self);
        send(m.address(), Envelope.newBuilder().setGossip(Gossip.getDefaultInstance()), carried);
    }

    /** Contacts one DOWN member now and then, carrying its DOWN record so it can refute if it is back. */
    private void probeTheDead() {
        if (self.status() != MemberStatus.ALIVE) {
            return;
        }
        List<Member> down = new ArrayList<>();
        for (Member m : members.values()) {
            if (m.status() == MemberStatus.DOWN) {
                down.add(m);
            }
        }
        if (down.isEmpty()) {
            return;
        }
        down.sort((a, b) -> a.name().compareTo(b.name()));
        Member target = down.get(random.nextInt(down.size()));
        List<Member> carried = new ArrayList<>(piggyback());
        carried.add(target);
        carried.add(self);
        send(target.address(), Envelope.newBuilder().setGossip(Gossip.getDefaultInstance()), carried);
    }

    // ------------------------------------------------------------------ suspicion

    private void suspect(String target) {
        Member current = members.get(target);
        if (current == null || current.status().isGone()) {
            return;
        }
        if (current.status() == MemberStatus.SUSPECTED) {
            // An independent failed probe: count it, and tell the others, who count us as a confirmation.
            confirmSuspicion(target, name);
            pushToAll(current);
            return;
        }
        Member suspected = current.withStatus(MemberStatus.SUSPECTED);
        members.put(target, suspected);
        broadcasts.add(suspected);
        startSuspicion(suspected, name);
        changed(current, suspected);
        pushToAll(suspected);
    }

    private void startSuspicion(Member suspected, String from) {
        if (suspicions.containsKey(suspected.name())) {
            confirmSuspicion(suspected.name(), from);
            return;
        }
        int n = aliveCount();
        long min = settings.suspicionMinNanos(n);
        long max = (long) (min * settings.suspicionMaxFactor());
        int expected = Math.min(settings.suspicionConfirmations(), Math.max(0, n - 2));
        SuspicionTimer timer = new SuspicionTimer(scheduler.nanoTime(), min, max, expected);
        if (!from.equals(name)) {
            timer.confirm(from); // someone else suspects it too: that is independent evidence
        }
        suspicions.put(suspected.name(), timer);
        armSuspicion(suspected.name(), timer);
    }

    private void confirmSuspicion(String target, String from) {
        SuspicionTimer timer = suspicions.get(target);
        if (timer != null && timer.confirm(from)) {
            armSuspicion(target, timer);
        }
    }

    private void armSuspicion(String target, SuspicionTimer timer) {
        Scheduler.Cancellable old = suspicionDeadlines.remove(target);
        if (old != null) {
            old.cancel();
        }
        long delay = Math.max(0, timer.deadlineNanos() - scheduler.nanoTime());
        suspicionDeadlines.put(target, scheduler.schedule(delay, () -> suspicionExpired(target)));
    }

    /**
     * The suspicion ran out. Before convicting, check once more directly (two pings, carrying the
     * suspicion so the suspect can refute): a member that answers is not down, whatever its
     * refutation's fate on a lossy network. Only silence makes it DOWN.
     */
    private void suspicionExpired(String target) {
        if (stopped) {
            return;
        }
        suspicionDeadlines.remove(target);
        Member current = members.get(target);
        if (current == null || current.status() != MemberStatus.SUSPECTED) {
            suspicions.remove(target);
            return;
        }
        boolean[] answered = new boolean[1];
        for (int i = 0; i < 2; i++) {
            long seq = nextSeq++;
            probes.put(seq, new Probe(target, scheduler.nanoTime(), answered, false));
            send(current.address(), Envelope.newBuilder().setPing(Ping.newBuilder().setSeq(seq).setTarget(target)),
                    List.of(current));
            scheduler.schedule(settings.probeTimeout().toNanos(), () -> probes.remove(seq));
        }
        scheduler.schedule(settings.probeTimeout().toNanos(), () -> convictOrWait(target, answered[0]));
    }

    private void convictOrWait(String target, boolean answered) {
        if (stopped) {
            return;
        }
        Member current = members.get(target);
        SuspicionTimer timer = suspicions.get(target);
        if (current == null || current.status() != MemberStatus.SUSPECTED || timer == null) {
            return;
        }
        if (answered) {
            // Alive after all: its refutation is on the way. Look again after the minimum timeout.
            long min = settings.suspicionMinNanos(aliveCount());
            Scheduler.Cancellable old = suspicionDeadlines.put(target,
                    scheduler.schedule(min, () -> suspicionExpired(target)));
            if (old != null) {
                old.cancel();
            }
            return;
        }
        suspicions.remove(target);
        Member down = current.withStatus(MemberStatus.DOWN);
        members.put(target, down);
        broadcasts.add(down);
        scheduleReap(target);
        changed(current, down);
        pushToAll(down);
    }

    private void endSuspicion(String target) {
        suspicions.remove(target);
        Scheduler.Cancellable deadline = suspicionDeadlines.remove(target);
        if (deadline != null) {
            deadline.cancel();
        }
    }

    // ------------------------------------------------------------------ reaping

    private void scheduleReap(String target) {
        cancelReap(target);
        reapers.put(target, scheduler.schedule(settings.reapAfter().toNanos(), () -> {
            reapers.remove(target);
            Member m = members.get(target);
            if (m != null && m.status().isGone()) {
                members.remove(target);
                LOG.log(System.Logger.Level.INFO, "member {0} forgotten after {1} s {2}", target,
                        settings.reapAfter().toSeconds(), m.status());
                publish();
            }
        }));
    }

    private void cancelReap(String target) {
        Scheduler.Cancellable reaper = reapers.remove(target);
        if (reaper != null) {
            reaper.cancel();
        }
    }

    // ------------------------------------------------------------------ sending

    private List<Member> piggyback() {
        return broadcasts.take(settings.maxPiggyback(), settings.retransmitLimit(members.size() + 1));
    }

    /** Pushes a change to every member at once (DOWN ones too: they may only be partitioned). */
    private void pushToAll(Member change) {
        List<Member> carried = new ArrayList<>();
        carried.add(change);
        for (Member extra : piggyback()) {
            if (!extra.name().equals(change.name())) {
                carried.add(extra);
            }
        }
        for (Member m : members.values()) {
            if (!m.name().equals(change.name()) || change.status() == MemberStatus.SUSPECTED
                    || change.status() == MemberStatus.DOWN) {
                send(m.address(), Envelope.newBuilder().setGossip(Gossip.getDefaultInstance()),
                        withVerdictFor(m, carried));
            }
        }
    }

    /**
     * What goes to {@code to}: a member we hold DOWN or LEAVING also gets its own record, so that if
     * it is back (a healed split) it refutes, and its refutation pushes in turn reach the members it
     * holds DOWN: a heal spreads in a few round trips instead of one re-contact per period.
     */
    private static List<Member> withVerdictFor(Member to, List<Member> carried) {
        if (!to.status().isGone() || carried.contains(to)) {
            return carried;
        }
        List<Member> withVerdict = new ArrayList<>(carried);
        withVerdict.add(to);
        return withVerdict;
    }

    private void send(String to, Envelope.Builder envelope, List<Member> carried) {
        envelope.setFrom(name).setFromAddress(address);
        for (Member m : carried) {
            envelope.addPiggyback(m.toProto());
        }
        transport.send(to, envelope.build());
    }

    // ------------------------------------------------------------------ helpers

    private int aliveCount() {
        int n = self.status() == MemberStatus.ALIVE ? 1 : 0;
        for (Member m : members.values()) {
            if (m.status() == MemberStatus.ALIVE || m.status() == MemberStatus.SUSPECTED) {
                n++;
            }
        }
        return n;
    }

    private void publish() {
        List<Member> all = new ArrayList<>(members.size() + 1);
        all.add(self);
        all.addAll(members.values());
        all.sort((a, b) -> a.name().compareTo(b.name()));
        view = new MembershipView(self, all);
    }

    private Scheduler.Cancellable repeat(long initialDelay, long period, Runnable task) {
        Scheduler.Cancellable[] handle = new Scheduler.Cancellable[1];
        Runnable[] loop = new Runnable[1];
        loop[0] = () -> {
            if (stopped) {
                return;
            }
            task.run();
            handle[0] = scheduler.schedule(period, loop[0]);
        };
        handle[0] = scheduler.schedule(initialDelay, loop[0]);
        return () -> {
            if (handle[0] != null) {
                handle[0].cancel();
            }
        };
    }

    private java.util.Random asRandom() {
        return new java.util.Random(random.nextLong());
    }
}
