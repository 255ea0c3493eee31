package dev.smg.api.config;

import dev.smg.api.cli.CliException;
import dev.smg.api.cli.Flag;
import dev.smg.api.cli.ParsedArgs;
import dev.smg.mesh.MeshTuning;
import dev.smg.mesh.membership.MembershipSettings;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * {@code --mesh-profile} and the few mesh timings an operator may override on top of it: the ones
 * the seed's troubleshooting advice names (gossip timeouts against false failure verdicts, the sync
 * interval against sync cost). Every other timing is the profile's ({@link MeshTuning}). The
 * overrides' defaults are the chosen profile's, so {@code --help} lists each profile's value, read
 * from the profiles themselves.
 */
final class MeshTuningFlags {
    static final String PROFILE = "--mesh-profile";
    static final String PROBE_INTERVAL = "--mesh-probe-interval-ms";
    static final String PROBE_TIMEOUT = "--mesh-probe-timeout-ms";
    static final String SUSPICION_MULT = "--mesh-suspicion-mult";
    static final String SYNC_INTERVAL = "--mesh-sync-interval-ms";
    /** Every flag of this group: without {@code --enable-mesh} they do nothing, and are said to. */
    static final List<String> NAMES = List.of(PROFILE, PROBE_INTERVAL, PROBE_TIMEOUT, SUSPICION_MULT, SYNC_INTERVAL);

    private static final long MAX_MILLIS = 3_600_000;

    private MeshTuningFlags() {
    }

    static Flag[] flags() {
        return new Flag[] {
                Flag.value(PROFILE, MeshTuning.Profile.LAN.flagValue(), "mesh timings: "
                        + "lan (routers on one network), local (one machine, tests: faster), "
                        + "wan (across regions: slower, more tolerant)"),
                Flag.described(PROBE_INTERVAL, perProfile(t -> t.membership().protocolPeriod().toMillis()),
                        "SWIM protocol period: each member probes one other this often"),
                Flag.described(PROBE_TIMEOUT, perProfile(t -> t.membership().probeTimeout().toMillis()),
                        "wait for a probe's direct ack before asking others to probe; under the probe interval"),
                Flag.described(SUSPICION_MULT, perProfile(t -> t.membership().suspicionMaxFactor()),
                        "a suspect is declared DOWN after up to this many times the suspicion minimum (>= 1); higher: fewer false DOWNs, slower detection"),
                Flag.described(SYNC_INTERVAL, perProfile(t -> t.sync().antiEntropyInterval().toMillis()),
                        "anti-entropy: how often state digests are compared with one random peer")};
    }

    /** The default of an override: each profile's value, e.g. {@code lan: 1000, local: 500, wan: 5000}. */
    private static String perProfile(Function<MeshTuning, Object> field) {
        return Arrays.stream(MeshTuning.Profile.values())
                .map(p -> p.flagValue() + ": " + plain(field.apply(p.tuning())))
                .collect(Collectors.joining(", ", "--mesh-profile's (", ")"));
    }

    private static String plain(Object value) {
        return value instanceof Double d && d == Math.rint(d) ? String.valueOf(d.longValue()) : String.valueOf(value);
    }

    /** The profile with the overrides given; each error is one line naming the flag. */
    static MeshTuning parse(ParsedArgs a) {
        String name = a.choice(PROFILE, MeshTuning.Profile.flagValues());
        MeshTuning tuning = MeshTuning.Profile.named(name).orElseThrow().tuning();
        MembershipSettings membership = tuning.membership();
        OptionalLong period = a.optionalLong(PROBE_INTERVAL, 1, MAX_MILLIS);
        OptionalLong timeout = a.optionalLong(PROBE_TIMEOUT, 1, MAX_MILLIS);
        OptionalDouble suspicionMult = a.optionalDouble(SUSPICION_MULT, 1.0, 100.0);
        OptionalLong syncInterval = a.optionalLong(SYNC_INTERVAL, 1, MAX_MILLIS);

        long periodMs = period.orElse(membership.protocolPeriod().toMillis());
        long timeoutMs = timeout.orElse(membership.probeTimeout().toMillis());
        if (timeoutMs >= periodMs) {
            // Blame the flag that was given; with both given, the timeout.
            throw timeout.isPresent()
                    ? new CliException(PROBE_TIMEOUT + ": " + timeoutMs + " must be under the probe interval ("
                            + periodMs + " ms" + (period.isPresent() ? ", " + PROBE_INTERVAL : " in profile " + name) + ")")
                    : new CliException(PROBE_INTERVAL + ": " + periodMs + " must be above the probe timeout ("
                            + timeoutMs + " ms in profile " + name + "; lower it with " + PROBE_TIMEOUT + ")");
        }
        membership = membership.withProbing(Duration.ofMillis(periodMs), Duration.ofMillis(timeoutMs));
        if (suspicionMult.isPresent()) {
            membership = membership.withSuspicionMaxFactor(suspicionMult.getAsDouble());
        }
        tuning = tuning.withMembership(membership);
        if (syncInterval.isPresent()) {
            tuning = tuning.withSync(tuning.sync().withAntiEntropyInterval(Duration.ofMillis(syncInterval.getAsLong())));
        }
        return tuning;
    }
}
