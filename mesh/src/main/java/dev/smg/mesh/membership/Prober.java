package dev.smg.mesh.membership;

import dev.smg.proto.mesh.Ack;
import dev.smg.proto.mesh.Envelope;
import dev.smg.proto.mesh.Ping;
import dev.smg.proto.mesh.PingReq;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.random.RandomGenerator;

/**
 * SWIM's failure detector, both sides of it. Each protocol period this node probes one member: a
 * direct ping; without an ack within {@code probeTimeout}, ping-reqs through {@code k} other
 * members plus one more direct ping; without any ack by the end of the period, a suspicion. It
 * also answers pings with acks, and relays other members' ping-reqs (mapping its own ping's ack
 * back to the requester's sequence number).
 */
final class Prober {
    private final MembershipSettings settings;
    private final MemberTable table;
    private final Dissemination dissemination;
    private final Pings pings;
    private final Suspicions suspicions;
    private final Leaving leaving;
    private final Timers timers;
    private final RandomGenerator random;
    private final MembershipEvents events;
    private final ProbeOrder order;

    Prober(MembershipSettings settings, MemberTable table, Dissemination dissemination, Pings pings,
           Suspicions suspicions, Leaving leaving, Timers timers, RandomGenerator random, MembershipEvents events) {
        this.settings = settings;
        this.table = table;
        this.dissemination = dissemination;
        this.pings = pings;
        this.suspicions = suspicions;
        this.leaving = leaving;
        this.timers = timers;
        this.random = random;
        this.events = events;
        this.order = new ProbeOrder(table, random);
    }

    /** Once per protocol period: probes the next member in turn. */
    void probeRound() {
        if (table.self().status() != MemberStatus.ALIVE) {
            return;
        }
        String target = order.next();
        if (target == null) {
            return;
        }
        Member member = table.get(target);
        Pings.Probe probe = new Pings.Probe(target);
        long seq = pings.await(probe);
        dissemination.send(member.address(), ping(seq, target), dissemination.piggyback());
        timers.after(settings.probeTimeout().toNanos(), () -> {
            if (probe.answered()) {
                pings.forget(seq);
                events.probed(target, MembershipEvents.ProbeResult.ACK);
                return;
            }
            askOthersToProbe(seq, probe);
        });
    }

    private void askOthersToProbe(long seq, Pings.Probe probe) {
        String target = probe.target();
        Member member = table.get(target);
        if (member == null || member.status().isGone()) {
            pings.forget(seq);
            return;
        }
        List<Member> helpers = new ArrayList<>();
        for (Member m : table.others()) {
            if (m.status() == MemberStatus.ALIVE && !m.name().equals(target)) {
                helpers.add(m);
            }
        }
        Collections.shuffle(helpers, new Random(random.nextLong()));
        for (Member helper : helpers.subList(0, Math.min(settings.indirectProbes(), helpers.size()))) {
            dissemination.send(helper.address(), Envelope.newBuilder().setPingReq(PingReq.newBuilder().setSeq(seq)
                    .setTarget(member.toProto())), dissemination.piggyback());
        }
        // Also retry the target directly: a single lost packet should not need a third party.
        dissemination.send(member.address(), ping(seq, target), dissemination.piggyback());
        long remaining = settings.protocolPeriod().toNanos() - settings.probeTimeout().toNanos();
        timers.after(Math.max(1, remaining * 9 / 10), () -> {
            pings.forget(seq);
            if (probe.answered()) {
                events.probed(target, MembershipEvents.ProbeResult.INDIRECT_ACK);
                return;
            }
            events.probed(target, MembershipEvents.ProbeResult.FAILED);
            suspicions.suspect(target);
        });
    }

    void onPing(Envelope envelope) {
        Ping ping = envelope.getPing();
        if (!ping.getTarget().isEmpty() && !ping.getTarget().equals(table.name())) {
            return; // meant for a member that used to live at this address
        }
        dissemination.send(envelope.getFromAddress(), ack(ping.getSeq()), dissemination.piggyback());
    }

    void onAck(Envelope envelope) {
        long seq = envelope.getAck().getSeq();
        Pings.Relay relay = pings.relayFor(seq);
        if (relay != null) {
            dissemination.send(relay.requesterAddress(), ack(relay.requesterSeq()), dissemination.piggyback());
            return;
        }
        Pings.Probe probe = pings.answer(seq);
        if (probe != null) {
            leaving.acknowledged(probe.target());
        }
    }

    /** Probes the member named in the request for its sender; the ack is forwarded when it comes. */
    void onPingReq(Envelope envelope) {
        PingReq request = envelope.getPingReq();
        Member target = Member.fromProto(request.getTarget());
        long seq = pings.relay(new Pings.Relay(envelope.getFromAddress(), request.getSeq()));
        timers.after(settings.protocolPeriod().toNanos(), () -> pings.forgetRelay(seq));
        dissemination.send(target.address(), ping(seq, target.name()), dissemination.piggyback());
    }

    static Envelope.Builder ping(long seq, String target) {
        return Envelope.newBuilder().setPing(Ping.newBuilder().setSeq(seq).setTarget(target));
    }

    private static Envelope.Builder ack(long seq) {
        return Envelope.newBuilder().setAck(Ack.newBuilder().setSeq(seq));
    }
}
