package dev.smg.mesh.membership;

import java.time.Duration;

/**
 * Every timing and bound of the membership protocol, with defaults chosen for a LAN cluster of
 * 3 to 50 routers (the seed's "1-second heartbeat"; memberlist's LAN profile scaled to detect a
 * crash within about 3 s at 10 members without false DOWNs at 10% message loss). {@link #DEFAULTS}
 * is the membership part of the {@code lan} profile; {@code dev.smg.mesh.MeshTuning} holds the others.
 *
 * @param protocolPeriod        one probe per member per period (1 s)
 * @param probeTimeout          wait for a direct ack before asking others to probe (400 ms)
 * @param indirectProbes        members asked to probe on our behalf, {@code k} (3)
 * @param suspicionMin          suspicion timeout once enough members confirm, scaled by
 *                              max(1, log10 N) (500 ms); a suspect is convicted only after it also
 *                              fails a final direct check, which is what makes a short timeout safe
 * @param suspicionMaxFactor    the first suspecter's timeout is this times the minimum; it shrinks
 *                              towards the minimum as independent confirmations arrive (3)
 * @param suspicionConfirmations confirmations that bring the timeout down to the minimum (3)
 * @param retransmitMult        a change is piggybacked retransmitMult * ceil(log10(N + 1)) times (4)
 * @param maxPiggyback          membership changes carried by one message (8)
 * @param reapAfter             DOWN and LEAVING members are forgotten after this long (60 s)
 * @param deadProbeInterval     how often a DOWN member is contacted in case it is back after a
 *                              partition (500 ms: it is one small message, and it bounds how long
 *                              a healed partition goes unnoticed)
 * @param joinTimeout           wait for a seed's join reply before trying the next seed (1 s)
 * @param joinBackoffMax        cap of the doubling wait after every seed failed (5 s)
 * @param rejoinInterval        how often configured seeds that are not ALIVE members are contacted
 *                              again, healing a split that outlived {@code reapAfter} (30 s)
 * @param leaveTimeout          how long a leaving node waits for every peer to acknowledge (3 s)
 */
public record MembershipSettings(Duration protocolPeriod, Duration probeTimeout, int indirectProbes,
                                 Duration suspicionMin, double suspicionMaxFactor, int suspicionConfirmations,
                                 int retransmitMult, int maxPiggyback, Duration reapAfter,
                                 Duration deadProbeInterval, Duration joinTimeout, Duration joinBackoffMax,
                                 Duration rejoinInterval, Duration leaveTimeout) {

    public static final MembershipSettings DEFAULTS = new MembershipSettings(Duration.ofSeconds(1),
            Duration.ofMillis(400), 3, Duration.ofMillis(500), 3.0, 3, 4, 8, Duration.ofSeconds(60),
            Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(5), Duration.ofSeconds(30),
            Duration.ofSeconds(3));

    /** Every check names the field (and the values) in one line: these reach operators through the CLI. */
    public MembershipSettings {
        positive("protocol period", protocolPeriod);
        positive("probe timeout", probeTimeout);
        if (probeTimeout.compareTo(protocolPeriod) >= 0) {
            throw new IllegalArgumentException("probe timeout (" + probeTimeout.toMillis()
                    + " ms) must be under the protocol period (" + protocolPeriod.toMillis() + " ms)");
        }
        positive("suspicion minimum", suspicionMin);
        positive("reap time", reapAfter);
        positive("dead probe interval", deadProbeInterval);
        positive("join timeout", joinTimeout);
        positive("join backoff maximum", joinBackoffMax);
        positive("rejoin interval", rejoinInterval);
        positive("leave timeout", leaveTimeout);
        atLeast("indirect probes", indirectProbes, 0);
        atLeast("suspicion confirmations", suspicionConfirmations, 1);
        atLeast("retransmit multiplier", retransmitMult, 1);
        atLeast("piggybacked changes per message", maxPiggyback, 1);
        if (!(suspicionMaxFactor >= 1.0) || Double.isInfinite(suspicionMaxFactor)) {
            throw new IllegalArgumentException("suspicion max factor must be at least 1, got " + suspicionMaxFactor);
        }
    }

    private static void positive(String what, Duration value) {
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(what + " must be positive, got " + value.toMillis() + " ms");
        }
    }

    private static void atLeast(String what, int value, int min) {
        if (value < min) {
            throw new IllegalArgumentException(what + " must be at least " + min + ", got " + value);
        }
    }

    /** The same settings with another protocol period and probe timeout (validated together). */
    public MembershipSettings withProbing(Duration period, Duration timeout) {
        return new MembershipSettings(period, timeout, indirectProbes, suspicionMin, suspicionMaxFactor,
                suspicionConfirmations, retransmitMult, maxPiggyback, reapAfter, deadProbeInterval, joinTimeout,
                joinBackoffMax, rejoinInterval, leaveTimeout);
    }

    /** The same settings with another suspicion max factor (a lone suspecter waits this times the minimum). */
    public MembershipSettings withSuspicionMaxFactor(double factor) {
        return new MembershipSettings(protocolPeriod, probeTimeout, indirectProbes, suspicionMin, factor,
                suspicionConfirmations, retransmitMult, maxPiggyback, reapAfter, deadProbeInterval, joinTimeout,
                joinBackoffMax, rejoinInterval, leaveTimeout);
    }

    /** Minimum suspicion timeout for a cluster of {@code n} members. */
    public long suspicionMinNanos(int n) {
        return (long) (suspicionMin.toNanos() * Math.max(1.0, Math.log10(Math.max(1, n))));
    }

    public int retransmitLimit(int n) {
        return retransmitMult * (int) Math.ceil(Math.log10(n + 1.0));
    }
}
