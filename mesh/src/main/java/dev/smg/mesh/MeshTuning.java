package dev.smg.mesh;

import dev.smg.mesh.membership.MembershipSettings;
import dev.smg.mesh.store.SyncSettings;
import dev.smg.mesh.transport.TransportSettings;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * Every timing and bound of the mesh in one place (where {@link MeshSettings} says where a node
 * listens and whom it joins, this says how fast and how much): each part is a record whose fields
 * are documented with their defaults. Operators pick a {@link Profile} ({@code --mesh-profile}) and
 * may override the few timings that matter most; the parts validate themselves, with one-line
 * messages naming the field.
 * <p>
 * All members of a cluster should run the same profile: a member with a much longer protocol period
 * than its peers probes them rarely and is suspected by them on their faster clock. The wire limits
 * ({@code EnvelopeLimits}: message size, members per join reply) are not here on purpose: every
 * member enforces them on what it receives, so they are protocol, not tuning.
 *
 * @param membership SWIM timings and bounds (probes, suspicion, dissemination, joins, leaves)
 * @param sync       replicated-state sync: eager pushes, anti-entropy, repairs, garbage
 * @param transport  gRPC connections between members and the mesh loop's inbox
 * @param ha         the gateway's HA layer (read by {@code api}, never by the mesh itself)
 */
public record MeshTuning(MembershipSettings membership, SyncSettings sync, TransportSettings transport,
                         HaSettings ha) {

    /** The defaults: a cluster of 3 to 50 routers on one network (today's values, unchanged). */
    public static final MeshTuning LAN = new MeshTuning(MembershipSettings.DEFAULTS, SyncSettings.LAN,
            TransportSettings.LAN, HaSettings.LAN);

    /**
     * A few nodes on one machine (tests, demos): failures are found about twice as fast, at twice the
     * probe traffic. Membership is the 0.5 s variant measured by {@code scripts/bench/failure-detection.sh}
     * (crash to DOWN at 10 members 1.30 s p50, 3.47 s p99; no false DOWN at 10% loss). Not for many nodes in one JVM:
     * they share its CPUs and need slower timings, not faster (see {@code ConvergenceBench}).
     */
    public static final MeshTuning LOCAL = new MeshTuning(
            new MembershipSettings(Duration.ofMillis(500), Duration.ofMillis(200), 3, Duration.ofMillis(250), 3.0,
                    3, 4, 8, Duration.ofSeconds(15), Duration.ofMillis(250), Duration.ofMillis(500),
                    Duration.ofSeconds(2), Duration.ofSeconds(10), Duration.ofSeconds(1)),
            new SyncSettings(Duration.ofMillis(500), Duration.ofSeconds(15), 1024 * 1024, 256, 512, 256),
            // Loopback connects at once or is refused: a short attempt costs nothing.
            new TransportSettings(Duration.ofMillis(200), Duration.ofMillis(200), Duration.ofSeconds(10),
                    Duration.ofSeconds(5), 2048, 65_536, Duration.ofSeconds(10)),
            new HaSettings(Duration.ofMillis(100), Duration.ofMillis(20), 65_536, Duration.ofMillis(50), 65_536,
                    Duration.ofSeconds(5), Duration.ofSeconds(2), Duration.ofSeconds(10), Duration.ofSeconds(10),
                    Duration.ofMillis(50), Duration.ofSeconds(3)));

    /**
     * Members across data centres or regions (round trips of tens to hundreds of ms, occasional
     * loss): slower and more tolerant, modelled on memberlist's WAN profile (5 s probe interval, 3 s
     * probe timeout, suspicion six times longer than the minimum). A crash takes tens of seconds to
     * become DOWN; in exchange a slow link is not taken for a dead member. Anti-entropy every 10 s.
     */
    public static final MeshTuning WAN = new MeshTuning(
            new MembershipSettings(Duration.ofSeconds(5), Duration.ofSeconds(3), 3, Duration.ofSeconds(5), 6.0,
                    3, 4, 8, Duration.ofMinutes(3), Duration.ofSeconds(2), Duration.ofSeconds(5),
                    Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofSeconds(5)),
            new SyncSettings(Duration.ofSeconds(10), Duration.ofSeconds(120), 1024 * 1024, 256, 512, 256),
            // Three seconds cover a SYN retransmit; more in flight per peer on a long, fat link.
            new TransportSettings(Duration.ofSeconds(3), Duration.ofSeconds(2), Duration.ofSeconds(20),
                    Duration.ofSeconds(10), 4096, 65_536, Duration.ofSeconds(60)),
            // Shares computed from counters a WAN round trip old gain nothing from 100 ms rebalances;
            // fewer, larger batches cost less on a long link.
            new HaSettings(Duration.ofMillis(250), Duration.ofMillis(50), 65_536, Duration.ofMillis(100), 65_536,
                    Duration.ofSeconds(30), Duration.ofSeconds(10), Duration.ofSeconds(60), Duration.ofSeconds(60),
                    Duration.ofMillis(100), Duration.ofSeconds(6)));

    /** The named profiles of {@code --mesh-profile}. */
    public enum Profile {
        LAN(MeshTuning.LAN), LOCAL(MeshTuning.LOCAL), WAN(MeshTuning.WAN);

        private final MeshTuning tuning;

        Profile(MeshTuning tuning) {
            this.tuning = tuning;
        }

        public MeshTuning tuning() {
            return tuning;
        }

        /** The name on the command line: {@code lan}, {@code local}, {@code wan}. */
        public String flagValue() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Optional<Profile> named(String flagValue) {
            return Arrays.stream(values()).filter(p -> p.flagValue().equals(flagValue)).findFirst();
        }

        public static List<String> flagValues() {
            return Arrays.stream(values()).map(Profile::flagValue).toList();
        }
    }

    public MeshTuning {
        Objects.requireNonNull(membership);
        Objects.requireNonNull(sync);
        Objects.requireNonNull(transport);
        Objects.requireNonNull(ha);
    }

    public MeshTuning withMembership(MembershipSettings settings) {
        return new MeshTuning(settings, sync, transport, ha);
    }

    public MeshTuning withSync(SyncSettings settings) {
        return new MeshTuning(membership, settings, transport, ha);
    }
}
